#include "idp/cli/samlflow/message_decoder.h"

#include <catch2/catch.hpp>

#include "idp/core/base64.h"
#include "idp/core/inflate.h"
#include "idp/saml/bindings/redirect.h"

using namespace propusk;
using namespace propusk::cli::samlflow;

namespace {
constexpr char kXml[] =
    "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" ID=\"_a\" Version=\"2.0\" "
    "IssueInstant=\"2026-01-10T10:00:00Z\"><saml:Issuer xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\">sp</saml:Issuer>"
    "</samlp:AuthnRequest>";
}

TEST_CASE("decode: every form a SAML message comes in", "[cli][samlflow][decode]") {
  auto query = saml::encodeRedirect("SAMLRequest", kXml, std::string("rs 1"), nullptr, crypto::SignatureAlgorithm::RsaSha256);
  REQUIRE(query);

  auto url = decodeMessage("https://idp.example/sso?" + *query);
  REQUIRE(url);
  CHECK(url->field == "SAMLRequest");
  CHECK(url->encoding == "redirect");
  CHECK(url->xml == kXml);
  CHECK(url->relayState == "rs 1");

  auto bareQuery = decodeMessage(*query);
  REQUIRE(bareQuery);
  CHECK(bareQuery->xml == kXml);

  auto form = decodeMessage("RelayState=x&SAMLResponse=" + saml::urlEncode(base64Encode(kXml)));
  REQUIRE(form);
  CHECK(form->field == "SAMLResponse");
  CHECK(form->encoding == "post");
  CHECK(form->relayState == "x");

  auto b64 = decodeMessage("\n" + base64Encode(kXml) + "\n");
  REQUIRE(b64);
  CHECK(b64->encoding == "base64");
  auto deflated = decodeMessage(base64Encode(deflateRaw(kXml)));
  REQUIRE(deflated);
  CHECK(deflated->encoding == "deflate+base64");
  CHECK(deflated->xml == kXml);

  auto html = decodeMessage("<!DOCTYPE html><form method=post action=\"https://sp/acs\"><input type=hidden name=SAMLResponse value=\"" +
                            base64Encode(kXml) + "\"></form>");
  REQUIRE(html);
  CHECK(html->field == "SAMLResponse");
  CHECK(html->xml == kXml);

  auto xml = decodeMessage(std::string("  ") + kXml);
  REQUIRE(xml);
  CHECK(xml->encoding == "xml");

  CHECK_FALSE(decodeMessage(""));
  CHECK_FALSE(decodeMessage("a=1&b=2"));
  CHECK_FALSE(decodeMessage("!!!not base64!!!"));
  CHECK_FALSE(decodeMessage(base64Encode("neither xml nor deflate")));
}

TEST_CASE("decode: pretty printing goes through the secure parser", "[cli][samlflow][decode]") {
  auto pretty = prettyXml(kXml);
  REQUIRE(pretty);
  CHECK(pretty->find("\n  <saml:Issuer") != std::string::npos);
  CHECK_FALSE(prettyXml("<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>"));
  // Whatever the verifier parses, decode shows: here 300 values declaring xs and xsi each.
  std::string values;
  for (int i = 0; i < 300; ++i)
    values += R"(<v xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">g</v>)";
  CHECK(prettyXml("<r>" + values + "</r>"));
}
