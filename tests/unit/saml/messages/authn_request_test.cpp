#include "idp/saml/messages/authn_request.h"

#include <catch2/catch.hpp>

#include <limits>
#include <string>

#include "idp/xml/schema.h"

using namespace propusk;

namespace {

std::string request(const std::string& scoping) {
  return R"(<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" )"
         R"(xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r1" Version="2.0" )"
         R"(IssueInstant="2026-01-10T10:00:00Z" AssertionConsumerServiceURL="https://sp.example/acs">)"
         R"(<saml:Issuer>https://sp.example/md</saml:Issuer>)"
         R"(<samlp:RequestedAuthnContext><saml:AuthnContextClassRef>)"
         R"(urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef>)"
         R"(</samlp:RequestedAuthnContext>)" +
         scoping + "</samlp:AuthnRequest>";
}

}  // namespace

TEST_CASE("AuthnRequest Scoping is read: ProxyCount, IDPList, RequesterID", "[saml][messages][gateway]") {
  auto r = saml::parseAuthnRequest(
      request(R"(<samlp:Scoping ProxyCount=" 2 "><samlp:IDPList>)"
              R"(<samlp:IDPEntry ProviderID="https://esia.example/idp" Name="ЕСИА" Loc="https://esia.example/sso"/>)"
              R"(<samlp:IDPEntry ProviderID="https://campus.example/idp"/>)"
              R"(<samlp:GetComplete>https://sp.example/idps</samlp:GetComplete></samlp:IDPList>)"
              R"(<samlp:RequesterID>https://first-sp.example/md</samlp:RequesterID>)"
              R"(<samlp:RequesterID> https://proxy.example/md </samlp:RequesterID></samlp:Scoping>)"),
      *xml::SchemaSet::shared());
  INFO((r ? std::string() : r.error().detail));
  REQUIRE(r);
  CHECK(r->hasScoping);
  REQUIRE(r->scoping);
  CHECK(r->scoping->proxyCount == 2u);
  REQUIRE(r->scoping->idpList.size() == 2);
  CHECK(r->scoping->idpList[0].providerId == "https://esia.example/idp");
  CHECK(r->scoping->idpList[0].name == "ЕСИА");
  CHECK(r->scoping->idpList[0].loc == "https://esia.example/sso");
  CHECK(r->scoping->idpList[1].providerId == "https://campus.example/idp");
  CHECK_FALSE(r->scoping->idpList[1].name);
  CHECK_FALSE(r->scoping->idpList[1].loc);
  CHECK(r->scoping->requesterIds == std::vector<std::string>{"https://first-sp.example/md", "https://proxy.example/md"});
}

TEST_CASE("AuthnRequest Scoping: absent, empty, ProxyCount 0 and beyond unsigned", "[saml][messages][gateway]") {
  const auto& schemas = *xml::SchemaSet::shared();
  auto none = saml::parseAuthnRequest(request(""), schemas);
  REQUIRE(none);
  CHECK_FALSE(none->hasScoping);
  CHECK_FALSE(none->scoping);

  auto empty = saml::parseAuthnRequest(request("<samlp:Scoping/>"), schemas);
  REQUIRE(empty);
  CHECK(empty->hasScoping);
  REQUIRE(empty->scoping);
  CHECK_FALSE(empty->scoping->proxyCount);  // no limit
  CHECK(empty->scoping->idpList.empty());
  CHECK(empty->scoping->requesterIds.empty());

  auto zero = saml::parseAuthnRequest(request(R"(<samlp:Scoping ProxyCount="0"/>)"), schemas);
  REQUIRE(zero);
  CHECK(zero->scoping->proxyCount == 0u);

  auto huge = saml::parseAuthnRequest(request(R"(<samlp:Scoping ProxyCount="99999999999999999999"/>)"), schemas);
  REQUIRE(huge);
  CHECK(huge->scoping->proxyCount == std::numeric_limits<unsigned>::max());

  // The schema refuses what is not a count, and an IDPList without entries.
  CHECK_FALSE(saml::parseAuthnRequest(request(R"(<samlp:Scoping ProxyCount="-1"/>)"), schemas));
  CHECK_FALSE(saml::parseAuthnRequest(request(R"(<samlp:Scoping><samlp:IDPList/></samlp:Scoping>)"), schemas));
}
