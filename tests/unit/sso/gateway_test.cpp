#include "idp/sso/gateway.h"

#include <catch2/catch.hpp>

using namespace propusk;

namespace {
constexpr const char* kPpt = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport";
constexpr const char* kPassword = "urn:oasis:names:tc:SAML:2.0:ac:classes:Password";
constexpr const char* kTotp = "urn:oasis:names:tc:SAML:2.0:ac:classes:TimeSyncToken";
constexpr const char* kMfa = "https://refeds.org/profile/mfa";
constexpr const char* kKerberos = "urn:oasis:names:tc:SAML:2.0:ac:classes:Kerberos";

sso::PendingRequest asking(std::string comparison, std::vector<std::string> refs) {
  sso::PendingRequest p;
  p.requestedComparison = std::move(comparison);
  p.requestedClassRefs = std::move(refs);
  return p;
}
}  // namespace

TEST_CASE("an upstream's authentication class is held to the SP's RequestedAuthnContext", "[sso][gateway]") {
  // No RequestedAuthnContext: whatever the upstream did is passed on as it is.
  CHECK(sso::upstreamSatisfies(sso::PendingRequest{}, kKerberos));

  // exact: one of the listed classes, nothing else (not even a stronger one).
  CHECK(sso::upstreamSatisfies(asking("exact", {kPpt}), kPpt));
  CHECK_FALSE(sso::upstreamSatisfies(asking("exact", {kPpt}), kMfa));
  CHECK_FALSE(sso::upstreamSatisfies(asking("", {kPpt}), kPassword));  // absent Comparison means exact

  // minimum: at least as strong as one listed.
  CHECK(sso::upstreamSatisfies(asking("minimum", {kPpt}), kMfa));
  CHECK(sso::upstreamSatisfies(asking("minimum", {kPpt}), kPpt));
  CHECK_FALSE(sso::upstreamSatisfies(asking("minimum", {kTotp}), kPpt));

  // better: stronger than one listed, never the listed class itself.
  CHECK(sso::upstreamSatisfies(asking("better", {kPpt}), kTotp));
  CHECK_FALSE(sso::upstreamSatisfies(asking("better", {kPpt}), kPpt));

  // maximum: no stronger than one listed.
  CHECK(sso::upstreamSatisfies(asking("maximum", {kPpt}), kPassword));
  CHECK_FALSE(sso::upstreamSatisfies(asking("maximum", {kPpt}), kMfa));

  // A class outside the known order counts only when listed.
  CHECK_FALSE(sso::upstreamSatisfies(asking("minimum", {kPassword}), kKerberos));
  CHECK(sso::upstreamSatisfies(asking("minimum", {kKerberos}), kKerberos));
}

TEST_CASE("the upstream session kept with an IdP session round trips", "[sso][gateway]") {
  sso::UpstreamSession s;
  s.entityId = "https://bank.example/idp";
  s.nameId = "AAdzZWNyZXQx";
  s.nameIdFormat = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
  s.nameQualifier = "https://bank.example/idp";
  s.spNameQualifier = "https://propusk.example/saml/sp/metadata";
  s.sessionIndex = "_idx\"1";
  s.authnContextClassRef = kMfa;
  s.authenticatingAuthorities = {"https://first.example/idp", "https://bank.example/idp"};
  s.proxyCount = 0;  // the upstream allowed one step: ours may allow none
  auto back = sso::decodeUpstreamSession(sso::encodeUpstreamSession(s));
  REQUIRE(back);
  CHECK(back->entityId == s.entityId);
  CHECK(back->nameId == s.nameId);
  CHECK(back->nameQualifier == s.nameQualifier);
  CHECK(back->spNameQualifier == s.spNameQualifier);
  CHECK(back->sessionIndex == s.sessionIndex);
  CHECK(back->authnContextClassRef == s.authnContextClassRef);
  CHECK(back->authenticatingAuthorities == s.authenticatingAuthorities);
  REQUIRE(back->proxyCount);
  CHECK(*back->proxyCount == 0);

  sso::UpstreamSession bare;
  bare.entityId = "e";
  auto b = sso::decodeUpstreamSession(sso::encodeUpstreamSession(bare));
  REQUIRE(b);
  CHECK_FALSE(b->sessionIndex);
  CHECK_FALSE(b->nameQualifier);
  CHECK_FALSE(b->proxyCount);
  CHECK_FALSE(sso::decodeUpstreamSession("[]"));
}
