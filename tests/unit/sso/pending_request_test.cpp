#include "idp/sso/pending_request.h"

#include <catch2/catch.hpp>

using namespace propusk;

TEST_CASE("pending requests round trip through their stored form", "[sso]") {
  sso::PendingRequest p;
  p.spEntityId = "https://sp.example.org/sp";
  p.requestId = "_r1";
  p.acsUrl = "https://sp.example.org/acs";
  p.relayState = "state \"quoted\" <&>";
  p.nameIdFormat = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
  p.forceAuthn = true;
  p.createdAt = *parseXsDateTime("2026-01-10T10:00:00Z");
  auto back = sso::decodePending(sso::encodePending(p));
  REQUIRE(back);
  CHECK(back->spEntityId == p.spEntityId);
  CHECK(back->requestId == p.requestId);
  CHECK(back->relayState == p.relayState);
  CHECK(back->forceAuthn);
  CHECK_FALSE(back->isPassive);
  CHECK(back->createdAt == p.createdAt);
  sso::PendingRequest unsolicited = p;
  unsolicited.requestId.reset();
  unsolicited.relayState.reset();
  auto u = sso::decodePending(sso::encodePending(unsolicited));
  REQUIRE(u);
  CHECK_FALSE(u->requestId);
  CHECK_FALSE(u->relayState);
  CHECK_FALSE(sso::decodePending("{not json"));
  CHECK_FALSE(sso::decodePending(R"({"sp":"x"})"));
}

TEST_CASE("what an upstream login passes on survives the store", "[sso][gateway]") {
  sso::PendingRequest p;
  p.spEntityId = "https://sp.example.org/sp";
  p.acsUrl = "https://sp.example.org/acs";
  p.nameIdFormat = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
  p.requestedComparison = "minimum";
  p.requestedClassRefs = {"urn:oasis:names:tc:SAML:2.0:ac:classes:TimeSyncToken", "https://refeds.org/profile/mfa"};
  p.proxyCount = 0;
  p.idpList = {"https://bank.example/idp"};
  p.requesterIds = {"https://portal.example/sp"};
  p.localCannotSatisfy = true;
  auto back = sso::decodePending(sso::encodePending(p));
  REQUIRE(back);
  CHECK(back->requestedComparison == "minimum");
  CHECK(back->requestedClassRefs == p.requestedClassRefs);
  REQUIRE(back->proxyCount);
  CHECK(*back->proxyCount == 0);  // zero is not "absent": it forbids proxying
  CHECK(back->idpList == p.idpList);
  CHECK(back->requesterIds == p.requesterIds);
  CHECK(back->localCannotSatisfy);

  sso::PendingRequest plain;
  plain.spEntityId = "x";
  auto q = sso::decodePending(sso::encodePending(plain));
  REQUIRE(q);
  CHECK_FALSE(q->proxyCount);
  CHECK(q->requestedClassRefs.empty());
  CHECK_FALSE(q->localCannotSatisfy);
}

TEST_CASE("a login for the IdP's own pages keeps where it returns to; the request as policy sees it", "[sso]") {
  sso::PendingRequest p;
  p.returnTo = "/account";
  auto back = sso::decodePending(sso::encodePending(p));
  REQUIRE(back);
  CHECK_FALSE(back->forSp());
  CHECK(back->returnTo == "/account");

  sso::PendingRequest r;
  r.spEntityId = "x";
  CHECK(r.requested().classRefs.empty());
  r.requestedComparison = "better";
  r.requestedClassRefs = {"urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"};
  CHECK(r.requested().comparison == policy::Comparison::Better);
  r.requestedComparison = "";  // absent Comparison is exact (core §3.3.2.2.1)
  CHECK(r.requested().comparison == policy::Comparison::Exact);
}
