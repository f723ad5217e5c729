#include "idp/saml/messages/logout_request.h"

#include <catch2/catch.hpp>

#include "saml/validation/logout_fixture.h"

using namespace propusk;
using test::LogoutRequestFields;

namespace {
Result<saml::LogoutRequest> parse(const std::string& xml) {
  return saml::parseLogoutRequest(xml, *xml::SchemaSet::shared());
}
}  // namespace

TEST_CASE("LogoutRequest: every field is read", "[saml][messages][logout]") {
  LogoutRequestFields f;
  f.extraAttrs = R"(NotOnOrAfter="2026-01-10T10:05:00Z" Reason="urn:oasis:names:tc:SAML:2.0:logout:user")";
  f.sessionIndexes = "<samlp:SessionIndex>_s1</samlp:SessionIndex><samlp:SessionIndex> _s2 </samlp:SessionIndex>";
  auto r = parse(test::logoutRequestXml(f));
  INFO((r ? std::string() : r.error().detail));
  REQUIRE(r);
  CHECK(r->id == "_lo1");
  CHECK(r->version == "2.0");
  CHECK(r->issueInstant == FixedClock("2026-01-10T10:00:00Z").now());
  CHECK(r->destination == test::kSlo);
  CHECK(r->issuer == test::kSpId);
  CHECK_FALSE(r->issuerFormat);
  CHECK(r->notOnOrAfter == FixedClock("2026-01-10T10:05:00Z").now());
  CHECK(r->reason == saml::kLogoutReasonUser);
  CHECK(r->identifier == saml::LogoutIdentifier::NameID);
  REQUIRE(r->nameId);
  CHECK(r->nameId->value == "pairwise-42");
  CHECK(r->nameId->format == "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent");
  CHECK(r->nameId->nameQualifier == test::kIdpEntity);
  CHECK(r->nameId->spNameQualifier == test::kSpId);
  CHECK(r->sessionIndexes == std::vector<std::string>{"_s1", "_s2"});
  REQUIRE(r->root);
  CHECK(r->root->doc == r->doc.get());  // the very element that was read, for the signature step
}

TEST_CASE("LogoutRequest: optional parts absent", "[saml][messages][logout]") {
  LogoutRequestFields f;
  f.destination = "";
  f.sessionIndexes = "";
  f.identifier = "<saml:NameID>someone@example.org</saml:NameID>";
  auto r = parse(test::logoutRequestXml(f));
  REQUIRE(r);
  CHECK_FALSE(r->destination);
  CHECK_FALSE(r->notOnOrAfter);
  CHECK_FALSE(r->reason);
  REQUIRE(r->nameId);
  CHECK(r->nameId->value == "someone@example.org");
  CHECK_FALSE(r->nameId->format);
  CHECK_FALSE(r->nameId->nameQualifier);
  CHECK_FALSE(r->nameId->spNameQualifier);
  CHECK(r->sessionIndexes.empty());
}

TEST_CASE("LogoutRequest: EncryptedID parses as such, without a NameID", "[saml][messages][logout]") {
  LogoutRequestFields f;
  f.identifier = R"(<saml:EncryptedID><xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#"><xenc:CipherData><xenc:CipherValue>AAAA</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData></saml:EncryptedID>)";
  auto r = parse(test::logoutRequestXml(f));
  INFO((r ? std::string() : r.error().detail));
  REQUIRE(r);
  CHECK(r->identifier == saml::LogoutIdentifier::EncryptedID);
  CHECK_FALSE(r->nameId);
}

TEST_CASE("LogoutRequest: refusals", "[saml][messages][logout]") {
  auto refusedAs = [](const std::string& xml, StatusCode top) {
    auto r = parse(xml);
    INFO(xml);
    REQUIRE_FALSE(r);
    CHECK(r.error().top == top);
  };
  std::string ok = test::logoutRequestXml({});
  auto with = [&](const std::string& from, const std::string& to) {
    std::string s = ok;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  refusedAs(with("Version=\"2.0\"", "Version=\"1.0\""), StatusCode::VersionMismatch);
  refusedAs(test::authnRequestXml({}), StatusCode::Requester);  // another message
  refusedAs(with(test::kPersistentNameId, ""), StatusCode::Requester);  // no identifier: schema
  refusedAs(with("IssueInstant=\"2026-01-10T10:00:00Z\"", "IssueInstant=\"yesterday\""), StatusCode::Requester);
  refusedAs(with("<samlp:LogoutRequest ", "<!DOCTYPE x [<!ENTITY e \"e\">]><samlp:LogoutRequest "), StatusCode::Requester);
  refusedAs("<samlp:LogoutRequest", StatusCode::Requester);  // not well-formed
  LogoutRequestFields far;
  far.extraAttrs = R"(NotOnOrAfter="-2026-01-10T10:05:00Z")";  // valid xs:dateTime, not readable here
  refusedAs(test::logoutRequestXml(far), StatusCode::Requester);
}
