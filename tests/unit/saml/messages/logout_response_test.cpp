#include "idp/saml/messages/logout_response.h"

#include <catch2/catch.hpp>

#include "saml/validation/logout_fixture.h"

using namespace propusk;
using test::LogoutResponseFields;

namespace {
Result<saml::LogoutResponse> parse(const std::string& xml) {
  return saml::parseLogoutResponse(xml, *xml::SchemaSet::shared());
}
}  // namespace

TEST_CASE("LogoutResponse: every field is read", "[saml][messages][logout]") {
  LogoutResponseFields f;
  f.message = "all done";
  auto r = parse(test::logoutResponseXml(f));
  INFO((r ? std::string() : r.error().detail));
  REQUIRE(r);
  CHECK(r->id == "_lr1");
  CHECK(r->inResponseTo == "_idp-lo-1");
  CHECK(r->version == "2.0");
  CHECK(r->issueInstant == FixedClock("2026-01-10T10:00:00Z").now());
  CHECK(r->destination == test::kSlo);
  CHECK(r->issuer == test::kSpId);
  CHECK(r->status == StatusCode::Success);
  CHECK(r->success());
  CHECK_FALSE(r->secondLevelStatus);
  CHECK_FALSE(r->partialLogout());
  CHECK(r->statusMessage == "all done");
}

TEST_CASE("LogoutResponse: second-level codes and PartialLogout under either top level", "[saml][messages][logout]") {
  LogoutResponseFields f;
  f.second = std::string(status::kPartialLogout);
  auto success = parse(test::logoutResponseXml(f));  // Lasso, SimpleSAMLphp
  REQUIRE(success);
  CHECK(success->success());
  CHECK(success->partialLogout());
  f.status = "urn:oasis:names:tc:SAML:2.0:status:Responder";  // Shibboleth SP
  auto responder = parse(test::logoutResponseXml(f));
  REQUIRE(responder);
  CHECK(responder->status == StatusCode::Responder);
  CHECK(responder->partialLogout());
  f.status = "urn:oasis:names:tc:SAML:2.0:status:Requester";
  f.second = std::string(status::kRequestDenied);
  f.inResponseTo = "";
  auto denied = parse(test::logoutResponseXml(f));
  REQUIRE(denied);
  CHECK(denied->status == StatusCode::Requester);
  CHECK(denied->secondLevelStatus == status::kRequestDenied);
  CHECK_FALSE(denied->inResponseTo);
}

TEST_CASE("LogoutResponse: refusals", "[saml][messages][logout]") {
  LogoutResponseFields f;
  f.status = std::string(status::kPartialLogout);  // a second-level code at the top
  auto top = parse(test::logoutResponseXml(f));
  REQUIRE_FALSE(top);
  CHECK(top.error().top == StatusCode::Requester);

  std::string v = test::logoutResponseXml({});
  v.replace(v.find("Version=\"2.0\""), 13, "Version=\"1.1\"");
  auto version = parse(v);
  REQUIRE_FALSE(version);
  CHECK(version.error().top == StatusCode::VersionMismatch);

  auto other = parse(test::logoutRequestXml({}));
  REQUIRE_FALSE(other);
  CHECK(other.error().top == StatusCode::Requester);

  std::string noStatus = test::logoutResponseXml({});
  noStatus.erase(noStatus.find("<samlp:Status>"), noStatus.find("</samlp:Status>") + 15 - noStatus.find("<samlp:Status>"));
  auto schema = parse(noStatus);
  REQUIRE_FALSE(schema);
  CHECK(schema.error().top == StatusCode::Requester);
}
