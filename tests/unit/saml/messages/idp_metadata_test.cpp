#include "idp/saml/messages/idp_metadata.h"

#include <catch2/catch.hpp>

#include "idp/crypto/keys.h"
#include "idp/saml/build/idp_metadata.h"

using namespace propusk;

namespace {

const crypto::KeyPair& key(int which) {
  static const crypto::KeyPair a = crypto::generateKeyPair(crypto::KeyAlgorithm::Rsa2048, "idp-a", 30, SystemClock());
  static const crypto::KeyPair b = crypto::generateKeyPair(crypto::KeyAlgorithm::EcP256, "idp-b", 30, SystemClock());
  return which == 0 ? a : b;
}

const FixedClock kClock("2026-01-10T10:00:00Z");

std::string signedIdpMetadata(bool sign = true) {
  SystemRandom rnd;
  saml::IdpMetadataInput in;
  in.entityId = "https://idp.example.ru/saml/metadata";
  in.baseUrl = "https://idp.example.ru";
  in.publishedCertificates = {key(0).cert.get(), key(1).cert.get()};
  in.now = kClock.now();
  in.advertiseSoapLogout = true;
  if (sign) {
    in.signingKey = key(0).key.get();
    in.signingCertificate = key(0).cert.get();
  }
  auto x = saml::buildIdpMetadata(in, rnd);
  REQUIRE(x);
  return *x;
}

std::string entity(const std::string& id, const std::string& role, const std::string& extra = "") {
  std::string cert = crypto::certificateBase64Der(key(0).cert.get());
  return "<md:EntityDescriptor entityID=\"" + id + "\">"
         "<md:" + role + " protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">"
         "<md:KeyDescriptor><ds:KeyInfo><ds:X509Data><ds:X509Certificate>" + cert +
         "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>" + extra +
         (role == "IDPSSODescriptor"
              ? "<md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" Location=\"" + id + "/sso\"/>"
              : "<md:AssertionConsumerService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" Location=\"" + id + "/acs\" index=\"0\"/>") +
         "</md:" + role + "></md:EntityDescriptor>";
}

std::string aggregate(const std::string& body, const std::string& attrs = "") {
  return "<md:EntitiesDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" "
         "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"" + attrs + ">" + body + "</md:EntitiesDescriptor>";
}

saml::IdpMetadataCheck check() {
  saml::IdpMetadataCheck c;
  c.now = kClock.now();
  return c;
}

}  // namespace

TEST_CASE("IdP metadata: endpoints and signing keys are read", "[saml][metadata][samlflow]") {
  auto md = saml::parseIdpMetadata(signedIdpMetadata(), check());
  INFO((md ? "" : md.error().detail));
  REQUIRE(md);
  CHECK(md->entityId == "https://idp.example.ru/saml/metadata");
  CHECK(md->signingCertificates.size() == 2);
  CHECK(md->signed_);
  CHECK_FALSE(md->signatureVerified);
  auto* redirect = saml::findEndpoint(md->singleSignOnServices, saml::kBindingRedirect);
  REQUIRE(redirect);
  CHECK(redirect->location == "https://idp.example.ru/saml/sso");
  CHECK(saml::findEndpoint(md->singleSignOnServices, saml::kBindingPost));
  CHECK_FALSE(saml::findEndpoint(md->singleSignOnServices, saml::kBindingArtifact));
  CHECK(md->validUntil);
  // Where samlflow logout-request sends an SP's LogoutRequest, per binding.
  auto* sloRedirect = saml::findEndpoint(md->singleLogoutServices, saml::kBindingRedirect);
  REQUIRE(sloRedirect);
  CHECK(sloRedirect->location == "https://idp.example.ru/saml/slo");
  auto* sloPost = saml::findEndpoint(md->singleLogoutServices, saml::kBindingPost);
  REQUIRE(sloPost);
  CHECK(sloPost->location == "https://idp.example.ru/saml/slo");
  auto* sloSoap = saml::findEndpoint(md->singleLogoutServices, saml::kBindingSoap);
  REQUIRE(sloSoap);
  CHECK(sloSoap->location == "https://idp.example.ru/saml/soap");
}

TEST_CASE("IdP metadata: SingleLogoutService is optional, and its Location must be a URL", "[saml][metadata][samlflow]") {
  auto bare = saml::parseIdpMetadata(aggregate(entity("https://idp.one", "IDPSSODescriptor")), check());
  REQUIRE(bare);
  CHECK(bare->singleLogoutServices.empty());
  auto bad = saml::parseIdpMetadata(
      aggregate(entity("https://idp.one", "IDPSSODescriptor",
                       "<md:SingleLogoutService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:SOAP\" Location=\"/relative\"/>")),
      check());
  REQUIRE_FALSE(bad);
  CHECK(bad.error().detail.find("SingleLogoutService") != std::string::npos);
}

TEST_CASE("IdP metadata: the signature is required only with a trust anchor", "[saml][metadata][samlflow]") {
  auto c = check();
  X509* good[] = {key(0).cert.get()};
  c.trustAnchors = good;
  auto md = saml::parseIdpMetadata(signedIdpMetadata(), c);
  REQUIRE(md);
  CHECK(md->signatureVerified);

  X509* wrong[] = {key(1).cert.get()};
  c.trustAnchors = wrong;
  CHECK_FALSE(saml::parseIdpMetadata(signedIdpMetadata(), c));
  c.trustAnchors = good;
  auto unsignedMd = saml::parseIdpMetadata(signedIdpMetadata(false), c);
  REQUIRE_FALSE(unsignedMd);
  CHECK(unsignedMd.error().detail.find("not signed") != std::string::npos);
}

TEST_CASE("IdP metadata: aggregates, refusals", "[saml][metadata][samlflow]") {
  std::string two = aggregate(entity("https://idp1.example", "IDPSSODescriptor") + entity("https://idp2.example", "IDPSSODescriptor") +
                              entity("https://sp.example", "SPSSODescriptor"));
  auto c = check();
  auto none = saml::parseIdpMetadata(two, c);
  REQUIRE_FALSE(none);
  CHECK(none.error().detail.find("2 IdPs") != std::string::npos);
  c.entityId = "https://idp2.example";
  auto chosen = saml::parseIdpMetadata(two, c);
  INFO((chosen ? "" : chosen.error().detail));
  REQUIRE(chosen);
  CHECK(chosen->entityId == "https://idp2.example");
  CHECK(chosen->singleSignOnServices.at(0).location == "https://idp2.example/sso");
  c.entityId = "https://sp.example";
  CHECK_FALSE(saml::parseIdpMetadata(two, c));

  // SP metadata is not IdP metadata.
  CHECK_FALSE(saml::parseIdpMetadata(aggregate(entity("https://sp.example", "SPSSODescriptor")), check()));
  // An expired aggregate expires what it holds.
  auto expired = saml::parseIdpMetadata(
      aggregate(entity("https://idp1.example", "IDPSSODescriptor"), " validUntil=\"2026-01-01T00:00:00Z\""), check());
  REQUIRE_FALSE(expired);
  CHECK(expired.error().detail.find("expired") != std::string::npos);
  // No SingleSignOnService.
  std::string noSso = aggregate(entity("https://idp1.example", "IDPSSODescriptor"));
  auto pos = noSso.find("<md:SingleSignOnService");
  noSso.erase(pos, noSso.find("/>", pos) + 2 - pos);
  CHECK_FALSE(saml::parseIdpMetadata(noSso, check()));
  // A DTD is refused by the parser.
  CHECK_FALSE(saml::parseIdpMetadata("<!DOCTYPE x [<!ENTITY e \"e\">]>" + aggregate(""), check()));
}
