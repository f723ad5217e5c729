#include "idp/saml/build/idp_metadata.h"

#include <catch2/catch.hpp>

#include "idp/crypto/keys.h"
#include "idp/crypto/xml_signature.h"
#include "idp/xml/dom.h"
#include "idp/xml/namespaces.h"
#include "idp/xml/parser.h"
#include "idp/xml/schema.h"

using namespace propusk;

TEST_CASE("IdP metadata is schema-valid, signed, and lists every published key", "[saml][metadata][build]") {
  FixedClock clock("2026-01-10T10:00:00Z");
  SystemRandom rnd;
  auto active = crypto::generateKeyPair(crypto::KeyAlgorithm::Rsa2048, "idp", 30, clock);
  auto next = crypto::generateKeyPair(crypto::KeyAlgorithm::EcP256, "idp-next", 30, clock);
  saml::IdpMetadataInput in;
  in.entityId = "https://idp.example.ru/saml/metadata";
  in.baseUrl = "https://idp.example.ru";
  in.publishedCertificates = {active.cert.get(), next.cert.get()};
  in.now = clock.now();
  in.signingKey = active.key.get();
  in.signingCertificate = active.cert.get();
  auto xmlText = saml::buildIdpMetadata(in, rnd);
  REQUIRE(xmlText);

  auto doc = xml::parseSecure(*xmlText);
  REQUIRE(doc);
  auto valid = xml::SchemaSet::shared()->validate(doc->get());
  INFO((valid ? "" : valid.error().detail));
  CHECK(valid);
  xmlNode* root = xmlDocGetRootElement(doc->get());
  CHECK(xml::attr(root, "entityID") == "https://idp.example.ru/saml/metadata");
  CHECK(xml::attr(root, "validUntil") == "2026-01-17T10:00:00Z");
  xmlNode* idp = xml::child(root, xml::ns::kMd, "IDPSSODescriptor");
  REQUIRE(idp);
  CHECK(xml::children(idp, xml::ns::kMd, "KeyDescriptor").size() == 2);
  auto sso = xml::children(idp, xml::ns::kMd, "SingleSignOnService");
  REQUIRE(sso.size() == 2);
  CHECK(xml::attr(sso[0], "Location") == "https://idp.example.ru/saml/sso");

  X509* trusted[] = {active.cert.get()};
  auto v = crypto::verifyEnveloped(root, trusted);
  INFO((v ? "" : v.error().detail));
  REQUIRE(v);
  CHECK(v->signedElement == root);
  X509* wrong[] = {next.cert.get()};
  CHECK_FALSE(crypto::verifyEnveloped(root, wrong));
}

TEST_CASE("IdP metadata lists the SOAP SingleLogoutService only when told to", "[saml][metadata][build]") {
  FixedClock clock("2026-01-10T10:00:00Z");
  SystemRandom rnd;
  auto key = crypto::generateKeyPair(crypto::KeyAlgorithm::Rsa2048, "idp", 30, clock);
  saml::IdpMetadataInput in;
  in.entityId = "https://idp.example.ru/saml/metadata";
  in.baseUrl = "https://idp.example.ru";
  in.publishedCertificates = {key.cert.get()};
  in.now = clock.now();
  auto sloBindings = [&](bool advertise) {
    in.advertiseSoapLogout = advertise;
    auto xmlText = saml::buildIdpMetadata(in, rnd);
    REQUIRE(xmlText);
    auto doc = xml::parseSecure(*xmlText);
    REQUIRE(doc);
    REQUIRE(xml::SchemaSet::shared()->validate(doc->get()));
    std::vector<std::pair<std::string, std::string>> out;
    xmlNode* idp = xml::child(xmlDocGetRootElement(doc->get()), xml::ns::kMd, "IDPSSODescriptor");
    for (xmlNode* e : xml::children(idp, xml::ns::kMd, "SingleLogoutService"))
      out.emplace_back(xml::attr(e, "Binding").value_or(""), xml::attr(e, "Location").value_or(""));
    return out;
  };
  using V = std::vector<std::pair<std::string, std::string>>;
  const V front = {{"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect", "https://idp.example.ru/saml/slo"},
                   {"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST", "https://idp.example.ru/saml/slo"}};
  CHECK(sloBindings(false) == front);  // the default: pysaml2 would pick SOAP and fail (issue 18)
  V withSoap = front;
  withSoap.emplace_back("urn:oasis:names:tc:SAML:2.0:bindings:SOAP", "https://idp.example.ru/saml/soap");
  CHECK(sloBindings(true) == withSoap);
}
