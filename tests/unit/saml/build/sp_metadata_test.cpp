#include "idp/saml/build/sp_metadata.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "idp/crypto/keys.h"
#include "idp/crypto/xml_encryption.h"
#include "idp/saml/messages/sp_metadata.h"
#include "idp/xml/dom.h"
#include "idp/xml/namespaces.h"
#include "idp/xml/parser.h"
#include "idp/xml/schema.h"

using namespace propusk;
namespace ns = propusk::xml::ns;

namespace {

const crypto::KeyPair& key(int i) {
  static const crypto::KeyPair kps[] = {
      crypto::generateKeyPair(crypto::KeyAlgorithm::EcP256, "gw-signing", 5, SystemClock()),
      crypto::generateKeyPair(crypto::KeyAlgorithm::Rsa2048, "gw-encryption", 5, SystemClock()),
      crypto::generateKeyPair(crypto::KeyAlgorithm::Rsa2048, "gw-encryption-next", 5, SystemClock()),
  };
  return kps[i];
}

saml::SpMetadataInput input() {
  saml::SpMetadataInput in;
  in.entityId = "https://gateway.example/md";
  in.acsUrl = "https://gateway.example/acs";
  in.sloUrl = "https://gateway.example/slo";
  in.certificate = key(0).cert.get();
  in.nameIdFormats = {"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"};
  return in;
}

}  // namespace

TEST_CASE("SP metadata with encryption certificates: schema-valid and read back", "[saml][build][gateway]") {
  auto in = input();
  in.encryptionCertificates = {key(1).cert.get(), key(2).cert.get()};
  auto text = saml::buildSpMetadata(in);
  INFO((text ? std::string() : text.error().detail));
  REQUIRE(text);
  INFO(*text);

  auto doc = xml::parseSecure(*text);
  REQUIRE(doc);
  auto valid = xml::SchemaSet::shared()->validate(doc->get());
  INFO((valid ? std::string() : valid.error().detail));
  REQUIRE(valid);
  xmlNode* sp = xml::child(xmlDocGetRootElement(doc->get()), ns::kMd, "SPSSODescriptor");
  auto kds = xml::children(sp, ns::kMd, "KeyDescriptor");
  REQUIRE(kds.size() == 3);
  CHECK(xml::attr(kds[0], "use") == "signing");
  CHECK(xml::children(kds[0], ns::kMd, "EncryptionMethod").empty());
  for (xmlNode* kd : {kds[1], kds[2]}) {
    CHECK(xml::attr(kd, "use") == "encryption");
    std::vector<std::string> algs;
    for (xmlNode* m : xml::children(kd, ns::kMd, "EncryptionMethod")) algs.push_back(xml::attr(m, "Algorithm").value_or(""));
    CHECK(algs == std::vector<std::string>{"http://www.w3.org/2009/xmlenc11#aes256-gcm",
                                           "http://www.w3.org/2009/xmlenc11#aes128-gcm",
                                           "http://www.w3.org/2001/04/xmlenc#aes256-cbc",
                                           "http://www.w3.org/2001/04/xmlenc#aes128-cbc",
                                           "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"});
  }
  CHECK(text->find("rsa-1_5") == std::string::npos);

  saml::MetadataCheck check;
  check.now = SystemClock().now();
  auto md = saml::parseSpMetadata(*text, check);
  INFO((md ? std::string() : md.error().detail));
  REQUIRE(md);
  REQUIRE(md->signingCertificates.size() == 1);
  CHECK(X509_cmp(md->signingCertificates[0].get(), key(0).cert.get()) == 0);
  REQUIRE(md->encryptionCertificates.size() == 2);
  CHECK(X509_cmp(md->encryptionCertificates[0].get(), key(1).cert.get()) == 0);
  CHECK(X509_cmp(md->encryptionCertificates[1].get(), key(2).cert.get()) == 0);
  CHECK(md->authnRequestsSigned);
  CHECK(md->wantAssertionsSigned);
  REQUIRE(md->assertionConsumerServices.size() == 1);
  CHECK(md->assertionConsumerServices[0].location == in.acsUrl);
}

TEST_CASE("SP metadata without encryption certificates is as before", "[saml][build][gateway]") {
  auto text = saml::buildSpMetadata(input());
  REQUIRE(text);
  CHECK(text->find("use=\"encryption\"") == std::string::npos);
  CHECK(text->find("EncryptionMethod") == std::string::npos);
  saml::MetadataCheck check;
  check.now = SystemClock().now();
  auto md = saml::parseSpMetadata(*text, check);
  REQUIRE(md);
  CHECK(md->encryptionCertificates.empty());
  CHECK(md->signingCertificates.size() == 1);

  auto in = input();
  in.encryptionCertificates = {nullptr};
  CHECK_FALSE(saml::buildSpMetadata(in));
}
