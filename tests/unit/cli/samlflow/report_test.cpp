#include "idp/cli/samlflow/report.h"

#include <catch2/catch.hpp>

#include <sstream>

using namespace propusk;
using namespace propusk::cli::samlflow;

namespace {

const char kResponse[] =
    R"(<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r" Version="2.0" IssueInstant="2026-01-10T10:00:00Z">)"
    R"(<saml:Issuer>https://idp.example/md</saml:Issuer>)"
    R"(<saml:Assertion ID="_a" Version="2.0" IssueInstant="2026-01-10T10:00:00Z"><saml:Issuer>https://idp.example/md</saml:Issuer>)"
    R"(<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" NameQualifier="https://idp.example/md" SPNameQualifier="https://sp.example/md">opaque-1</saml:NameID></saml:Subject>)"
    R"(</saml:Assertion></samlp:Response>)";

}  // namespace

TEST_CASE("NameID qualifiers are read from the verified Assertion for logout-request", "[cli][samlflow][logout]") {
  auto q = nameIdQualifiers(kResponse);
  CHECK(q.nameQualifier == "https://idp.example/md");
  CHECK(q.spNameQualifier == "https://sp.example/md");

  std::string bare = kResponse;
  bare = bare.substr(bare.find("<saml:Assertion"));
  bare = bare.substr(0, bare.find("</samlp:Response>"));
  bare.insert(bare.find(" ID="), R"( xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion")");
  auto b = nameIdQualifiers(bare);
  CHECK(b.nameQualifier == "https://idp.example/md");

  // A Response as large as the verifier takes (a value with two declarations, 300 times).
  std::string large = kResponse;
  std::string values;
  for (int i = 0; i < 300; ++i)
    values += R"(<saml:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">g</saml:AttributeValue>)";
  large.insert(large.find("</saml:Assertion>"), "<saml:AttributeStatement><saml:Attribute Name=\"urn:g\">" + values +
                                                   "</saml:Attribute></saml:AttributeStatement>");
  CHECK(nameIdQualifiers(large).nameQualifier == "https://idp.example/md");

  auto none = nameIdQualifiers("<not-saml/>");
  CHECK_FALSE(none.nameQualifier);
  CHECK_FALSE(none.spNameQualifier);

  saml::sp::ResponseVerification v;
  v.nameId = "opaque-1";
  v.nameIdFormat = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
  v.sessionIndex = "_sess-9";
  std::ostringstream text;
  printSubject(text, v, kResponse);
  CHECK(text.str().find("NameQualifier: https://idp.example/md\n") != std::string::npos);
  CHECK(text.str().find("SPNameQualifier: https://sp.example/md\n") != std::string::npos);
  CHECK(text.str().find("SessionIndex: _sess-9\n") != std::string::npos);
  Poco::JSON::Object::Ptr json = new Poco::JSON::Object;
  addSubjectJson(json, v, kResponse);
  CHECK(json->getValue<std::string>("name_qualifier") == "https://idp.example/md");
  CHECK(json->getValue<std::string>("sp_name_qualifier") == "https://sp.example/md");
  CHECK(json->getValue<std::string>("session_index") == "_sess-9");
}
