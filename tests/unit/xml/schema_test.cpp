#include "idp/xml/schema.h"

#include <catch2/catch.hpp>

#include "idp/xml/parser.h"

using namespace propusk;

namespace {
Status validate(const std::string& text) {
  auto doc = xml::parseSecure(text);
  REQUIRE(doc);
  return xml::SchemaSet::shared()->validate(doc->get());
}

const std::string kSp = R"(<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp.example.org/sp">
  <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example.org/acs" index="0"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>)";
}  // namespace

TEST_CASE("valid SP metadata passes the OASIS schema", "[xml][schema]") {
  auto st = validate(kSp);
  INFO((st ? "" : st.error().detail));
  CHECK(st);
}

TEST_CASE("metadata missing a required attribute fails with the reason", "[xml][schema]") {
  std::string bad = kSp;
  bad.replace(bad.find(" index=\"0\""), 10, "");
  auto st = validate(bad);
  REQUIRE_FALSE(st);
  CHECK(st.error().detail.find("index") != std::string::npos);
}

TEST_CASE("unknown element in a SAML namespace fails", "[xml][schema]") {
  std::string bad = kSp;
  bad.replace(bad.find("<md:AssertionConsumerService"), 0, "<md:Bogus/>");
  CHECK_FALSE(validate(bad));
}

TEST_CASE("AuthnRequest with wrong Version type fails, a good one passes", "[xml][schema]") {
  const std::string good = R"(<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a1" Version="2.0" IssueInstant="2026-01-10T10:00:00Z"><saml:Issuer>https://sp.example.org/sp</saml:Issuer></samlp:AuthnRequest>)";
  CHECK(validate(good));
  std::string bad = good;
  bad.replace(bad.find("2026-01-10T10:00:00Z"), 20, "yesterday");
  CHECK_FALSE(validate(bad));
}

TEST_CASE("a catalog naming a missing file fails loudly at load", "[xml][schema]") {
  CHECK_THROWS_WITH(xml::SchemaSet::load("/nonexistent-dir"), Catch::Contains("cannot read"));
}
