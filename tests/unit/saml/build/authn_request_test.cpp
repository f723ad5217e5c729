#include "idp/saml/build/authn_request.h"

#include <catch2/catch.hpp>

#include "idp/crypto/keys.h"
#include "idp/crypto/xml_signature.h"
#include "idp/saml/validation/request_context.h"
#include "idp/xml/dom.h"
#include "idp/xml/schema.h"

using namespace propusk;

TEST_CASE("built AuthnRequests read back with every field", "[saml][build][samlflow]") {
  saml::AuthnRequestInput in;
  in.id = "_r1";
  in.issueInstant = FixedClock("2026-01-10T10:00:00Z").now();
  in.issuer = "https://sp.example/md";
  in.destination = "https://idp.example/sso";
  in.acsUrl = "https://sp.example/acs";
  in.protocolBinding = std::string(saml::kBindingPost);
  in.nameIdPolicy = saml::NameIDPolicy{std::string(saml::kNameIdTransient), std::nullopt, true};
  in.requestedAuthnContext = saml::RequestedAuthnContext{saml::AuthnContextComparison::Minimum,
                                                         {std::string(saml::kAcPasswordProtectedTransport)}};
  in.forceAuthn = true;
  in.isPassive = true;
  auto kp = crypto::generateKeyPair(crypto::KeyAlgorithm::EcP256, "sp", 5, SystemClock());
  for (bool sign : {false, true}) {
    INFO("signed " << sign);
    auto xml = saml::buildAuthnRequest(in, sign ? kp.key.get() : nullptr, kp.cert.get(),
                                       crypto::SignatureAlgorithm::EcdsaSha256);
    REQUIRE(xml);
    auto r = saml::parseAuthnRequest(*xml, *xml::SchemaSet::shared());
    INFO((r ? "" : r.error().detail));
    REQUIRE(r);
    CHECK(r->id == "_r1");
    CHECK(r->issuer == in.issuer);
    CHECK(r->destination == in.destination);
    CHECK(r->assertionConsumerServiceUrl == in.acsUrl);
    CHECK(r->nameIdPolicy->format == saml::kNameIdTransient);
    CHECK(r->nameIdPolicy->allowCreate);
    CHECK(r->requestedAuthnContext->comparison == saml::AuthnContextComparison::Minimum);
    CHECK(r->forceAuthn);
    CHECK(r->isPassive);
    xmlNode* sig = crypto::signatureChild(r->root);
    CHECK((sig != nullptr) == sign);
    if (sign) {
      X509* trusted[] = {kp.cert.get()};
      auto v = crypto::verifyEnveloped(r->root, trusted);
      INFO((v ? "" : v.error().detail));
      CHECK(v);
    }
  }
}

TEST_CASE("Scoping is written after RequestedAuthnContext and reads back", "[saml][build][gateway]") {
  saml::AuthnRequestInput in;
  in.id = "_r2";
  in.issueInstant = FixedClock("2026-01-10T10:00:00Z").now();
  in.issuer = "https://gateway.example/md";
  in.destination = "https://upstream.example/sso";
  in.acsUrl = "https://gateway.example/acs";
  in.requestedAuthnContext = saml::RequestedAuthnContext{saml::AuthnContextComparison::Exact,
                                                         {std::string(saml::kAcPasswordProtectedTransport)}};
  in.scoping = saml::Scoping{1u,
                             {{"https://upstream.example/idp", "Upstream & Co", "https://upstream.example/sso"},
                              {"https://other.example/idp", std::nullopt, std::nullopt}},
                             {"https://sp.example/md"}};
  auto kp = crypto::generateKeyPair(crypto::KeyAlgorithm::Rsa2048, "gw", 5, SystemClock());
  for (bool sign : {false, true}) {
    INFO("signed " << sign);
    auto xml = saml::buildAuthnRequest(in, sign ? kp.key.get() : nullptr, kp.cert.get());
    REQUIRE(xml);
    auto r = saml::parseAuthnRequest(*xml, *xml::SchemaSet::shared());  // schema-validates too
    INFO(*xml);
    INFO((r ? "" : r.error().detail));
    REQUIRE(r);
    std::vector<std::string> order;
    for (xmlNode* c : xml::childElements(r->root)) order.emplace_back(reinterpret_cast<const char*>(c->name));
    CHECK(order.back() == "Scoping");
    CHECK(order[order.size() - 2] == "RequestedAuthnContext");
    REQUIRE(r->scoping);
    CHECK(r->scoping->proxyCount == 1u);
    REQUIRE(r->scoping->idpList.size() == 2);
    CHECK(r->scoping->idpList[0].providerId == "https://upstream.example/idp");
    CHECK(r->scoping->idpList[0].name == "Upstream & Co");
    CHECK(r->scoping->idpList[0].loc == "https://upstream.example/sso");
    CHECK(r->scoping->idpList[1].providerId == "https://other.example/idp");
    CHECK_FALSE(r->scoping->idpList[1].name);
    CHECK(r->scoping->requesterIds == std::vector<std::string>{"https://sp.example/md"});
    if (sign) {
      X509* trusted[] = {kp.cert.get()};
      CHECK(crypto::verifyEnveloped(r->root, trusted));
    }
  }

  SECTION("an empty Scoping, and ProxyCount 0 alone") {
    in.scoping = saml::Scoping{};
    auto xml = saml::buildAuthnRequest(in);
    REQUIRE(xml);
    auto r = saml::parseAuthnRequest(*xml, *xml::SchemaSet::shared());
    REQUIRE(r);
    CHECK(r->scoping);
    CHECK_FALSE(r->scoping->proxyCount);
    in.scoping = saml::Scoping{0u, {}, {}};
    xml = saml::buildAuthnRequest(in);
    REQUIRE(xml);
    r = saml::parseAuthnRequest(*xml, *xml::SchemaSet::shared());
    REQUIRE(r);
    CHECK(r->scoping->proxyCount == 0u);
  }
  SECTION("no Scoping when none is given") {
    in.scoping.reset();
    auto xml = saml::buildAuthnRequest(in);
    REQUIRE(xml);
    CHECK(xml->find("Scoping") == std::string::npos);
  }
  SECTION("an IDPEntry without ProviderID is refused") {
    in.scoping->idpList.push_back({});
    CHECK_FALSE(saml::buildAuthnRequest(in));
  }
}

TEST_CASE("AuthnRequest builder refusals", "[saml][build][samlflow]") {
  saml::AuthnRequestInput in;
  in.id = "_r1";
  in.issuer = "https://sp.example/md";
  in.acsUrl = "https://sp.example/acs";
  in.acsIndex = 1;
  CHECK_FALSE(saml::buildAuthnRequest(in));
  in.acsIndex.reset();
  auto kp = crypto::generateKeyPair(crypto::KeyAlgorithm::Rsa2048, "sp", 5, SystemClock());
  CHECK_FALSE(saml::buildAuthnRequest(in, kp.key.get(), kp.cert.get()));  // signed needs a Destination
  CHECK(saml::parseComparison("better") == saml::AuthnContextComparison::Better);
  CHECK_FALSE(saml::parseComparison("best"));
}
