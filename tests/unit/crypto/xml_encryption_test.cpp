#include "idp/crypto/xml_encryption.h"

#include <catch2/catch.hpp>

#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <string>
#include <vector>

#include "idp/core/base64.h"
#include "idp/crypto/keys.h"
#include "idp/crypto/xml_signature.h"
#include "idp/xml/dom.h"
#include "idp/xml/namespaces.h"
#include "idp/xml/parser.h"
#include "idp/xml/schema.h"
#include "support.h"

using namespace propusk;
using namespace propusk::crypto;
namespace ns = propusk::xml::ns;

namespace {

const KeyPair& spKey() {
  static const KeyPair kp = generateKeyPair(KeyAlgorithm::Rsa2048, "gateway.test", 30, SystemClock());
  return kp;
}
const KeyPair& otherKey() {
  static const KeyPair kp = generateKeyPair(KeyAlgorithm::Rsa2048, "someone-else.test", 30, SystemClock());
  return kp;
}
const KeyPair& idpKey() {
  static const KeyPair kp = generateKeyPair(KeyAlgorithm::Rsa2048, "upstream-idp.test", 30, SystemClock());
  return kp;
}

constexpr char kXencNs[] = "http://www.w3.org/2001/04/xmlenc#";

// saml: is declared on the Response only, and xs:/xsi: too, with xs: only named in content
// (xsi:type="xs:string"): the encrypted Assertion depends on its context for both.
constexpr char kResponse[] =
    R"(<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" )"
    R"(xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:xs="http://www.w3.org/2001/XMLSchema" )"
    R"(xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="_resp1" Version="2.0" )"
    R"(IssueInstant="2026-01-10T10:00:00Z">)"
    R"(<saml:Issuer>https://idp.example.org/saml/metadata</saml:Issuer>)"
    R"(<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>)"
    R"(<saml:Assertion ID="_assert1" Version="2.0" IssueInstant="2026-01-10T10:00:00Z">)"
    R"(<saml:Issuer>https://idp.example.org/saml/metadata</saml:Issuer>)"
    R"(<saml:Subject><saml:NameID>alice</saml:NameID></saml:Subject>)"
    R"(<saml:AttributeStatement><saml:Attribute Name="urn:oid:2.5.4.4">)"
    R"(<saml:AttributeValue xsi:type="xs:string">Иванов</saml:AttributeValue>)"
    R"(</saml:Attribute></saml:AttributeStatement>)"
    R"(</saml:Assertion></samlp:Response>)";

xml::XmlDocPtr parse(const std::string& text) {
  auto doc = xml::parseSecure(text);
  INFO(text);
  INFO((doc ? std::string() : doc.error().detail));
  REQUIRE(doc);
  return std::move(*doc);
}

xmlNode* root(const xml::XmlDocPtr& doc) { return xmlDocGetRootElement(doc.get()); }
xmlNode* encryptedAssertionOf(const xml::XmlDocPtr& doc) {
  return xml::child(root(doc), ns::kSaml, "EncryptedAssertion");
}
xmlNode* encryptedDataOf(const xml::XmlDocPtr& doc) {
  return xml::child(encryptedAssertionOf(doc), kXencNs, "EncryptedData");
}
xmlNode* encryptedKeyOf(const xml::XmlDocPtr& doc) {
  return xml::child(xml::child(encryptedDataOf(doc), ns::kDs, "KeyInfo"), kXencNs, "EncryptedKey");
}

// kResponse (or `text`) with its Assertion encrypted for `recipient`, as a peer receives it.
std::string encrypted(DataEncryption alg, const X509* recipient = spKey().cert.get(), const std::string& text = kResponse,
                      bool signFirst = false) {
  auto doc = parse(text);
  xmlNode* assertion = xml::child(root(doc), ns::kSaml, "Assertion");
  if (signFirst)
    REQUIRE(signEnveloped(assertion, xml::child(assertion, ns::kSaml, "Issuer"), idpKey().key.get(), idpKey().cert.get()));
  auto r = encryptElement(assertion, recipient, alg, ns::kSaml, "EncryptedAssertion");
  INFO((r ? std::string() : r.error().detail));
  REQUIRE(r);
  CHECK(xml::isElement(*r, ns::kSaml, "EncryptedAssertion"));
  CHECK_FALSE(xmlGetID(doc.get(), BAD_CAST "_assert1"));  // the plaintext's ID left with it
  return xml::serialize(doc.get());
}

std::vector<const EVP_PKEY*> keys(std::initializer_list<const KeyPair*> kps) {
  std::vector<const EVP_PKEY*> out;
  for (auto* kp : kps) out.push_back(kp->key.get());
  return out;
}

Result<Decrypted> decrypt(const xml::XmlDocPtr& doc, std::vector<const EVP_PKEY*> with = keys({&spKey()})) {
  return decryptElement(encryptedAssertionOf(doc), with);
}

std::string detail(const Result<Decrypted>& r) { return r ? std::string("(succeeded)") : r.error().detail; }

// An EncryptedData written here with OpenSSL alone (AES-256-GCM, RSA-OAEP), for octets that
// encryptElement would never produce: a DTD, two elements, text.
struct KeyWrap {
  std::string algorithm = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p";
  const EVP_MD* digest = sha1Md();
  const EVP_MD* mgf1 = sha1Md();
  std::string methodChildren = {};  // inside the EncryptedKey's EncryptionMethod
};

std::string aes256Gcm(const std::string& key, std::string_view plain) {
  unsigned char iv[12];
  REQUIRE(RAND_bytes(iv, sizeof iv) == 1);
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  REQUIRE(ctx);
  REQUIRE(EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, reinterpret_cast<const unsigned char*>(key.data()), iv) == 1);
  std::string out(reinterpret_cast<const char*>(iv), sizeof iv);
  std::string body(plain.size() + 16, '\0');
  int n = 0, m = 0;
  REQUIRE(EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(body.data()), &n,
                            reinterpret_cast<const unsigned char*>(plain.data()), static_cast<int>(plain.size())) == 1);
  REQUIRE(EVP_EncryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(body.data()) + n, &m) == 1);
  body.resize(static_cast<std::size_t>(n + m));
  unsigned char tag[16];
  REQUIRE(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, sizeof tag, tag) == 1);
  return out + body + std::string(reinterpret_cast<const char*>(tag), sizeof tag);
}

std::string oaepWrap(const X509* recipient, const std::string& key, const KeyWrap& wrap) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(X509_get0_pubkey(recipient), nullptr));
  REQUIRE(ctx);
  REQUIRE(EVP_PKEY_encrypt_init(ctx.get()) == 1);
  REQUIRE(EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) == 1);
  REQUIRE(EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), wrap.digest) == 1);
  REQUIRE(EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), wrap.mgf1) == 1);
  std::size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(key.data());
  REQUIRE(EVP_PKEY_encrypt(ctx.get(), nullptr, &len, in, key.size()) == 1);
  std::string out(len, '\0');
  REQUIRE(EVP_PKEY_encrypt(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, in, key.size()) == 1);
  out.resize(len);
  return out;
}

std::string handMade(std::string_view plaintext, const KeyWrap& wrap = {}, const X509* recipient = spKey().cert.get()) {
  std::string key(32, '\0');
  REQUIRE(RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), 32) == 1);
  return std::string(R"(<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" )"
                     R"(xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_resp1" Version="2.0" )"
                     R"(IssueInstant="2026-01-10T10:00:00Z"><samlp:Status><samlp:StatusCode )"
                     R"(Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status><saml:EncryptedAssertion>)"
                     R"(<xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" )"
                     R"(xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Type="http://www.w3.org/2001/04/xmlenc#Element">)"
                     R"(<xenc:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#aes256-gcm"/>)"
                     R"(<ds:KeyInfo><xenc:EncryptedKey><xenc:EncryptionMethod Algorithm=")") +
         wrap.algorithm + "\">" + wrap.methodChildren +
         "</xenc:EncryptionMethod><xenc:CipherData><xenc:CipherValue>" + base64Encode(oaepWrap(recipient, key, wrap)) +
         "</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo><xenc:CipherData><xenc:CipherValue>" +
         base64Encode(aes256Gcm(key, plaintext)) +
         "</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData></saml:EncryptedAssertion></samlp:Response>";
}

constexpr char kPlainAssertion[] =
    R"(<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_inner" Version="2.0" )"
    R"(IssueInstant="2026-01-10T10:00:00Z"><saml:Issuer>https://idp.example.org</saml:Issuer></saml:Assertion>)";

std::string nameIdOf(xmlNode* assertion) {
  return xml::trimmedText(xml::child(xml::child(assertion, ns::kSaml, "Subject"), ns::kSaml, "NameID"));
}

}  // namespace

TEST_CASE("encryptElement then decryptElement round trips with each data algorithm", "[crypto][xmlenc]") {
  for (auto alg : {DataEncryption::Aes128Gcm, DataEncryption::Aes256Gcm, DataEncryption::Aes128Cbc,
                   DataEncryption::Aes256Cbc}) {
    INFO(dataEncryptionUri(alg));
    std::string text = encrypted(alg);
    CHECK(text.find(std::string(dataEncryptionUri(alg))) != std::string::npos);
    CHECK(text.find(std::string(kRsaOaepMgf1pUri)) != std::string::npos);
    CHECK(text.find("alice") == std::string::npos);

    auto doc = parse(text);
    auto r = decrypt(doc);
    INFO(detail(r));
    REQUIRE(r);
    CHECK(xml::isElement(r->element, ns::kSaml, "Assertion"));
    CHECK(r->element->parent == root(doc));
    CHECK_FALSE(encryptedAssertionOf(doc));
    CHECK(nameIdOf(r->element) == "alice");
    xmlAttr* id = xmlGetID(doc.get(), BAD_CAST "_assert1");
    REQUIRE(id);
    CHECK(id->parent == r->element);

    // The document as it now stands is a schema-valid Response: every prefix, also xs: named
    // only in xsi:type, still resolves.
    auto again = parse(xml::serialize(doc.get()));
    auto valid = xml::SchemaSet::shared()->validate(again.get());
    INFO((valid ? std::string() : valid.error().detail));
    CHECK(valid);
  }
}

TEST_CASE("a signed Assertion verifies by reference after decryption", "[crypto][xmlenc]") {
  auto doc = parse(encrypted(DataEncryption::Aes256Gcm, spKey().cert.get(), kResponse, true));
  auto r = decrypt(doc);
  INFO(detail(r));
  REQUIRE(r);
  X509* trusted[] = {idpKey().cert.get()};
  auto v = verifyEnveloped(r->element, trusted);
  INFO((v ? std::string() : v.error().detail));
  CHECK(v);
}

TEST_CASE("an EncryptedAssertion for another key is refused", "[crypto][xmlenc]") {
  auto doc = parse(encrypted(DataEncryption::Aes256Gcm, otherKey().cert.get()));
  auto r = decrypt(doc);
  REQUIRE_FALSE(r);
  CHECK(r.error().top == StatusCode::Requester);
  CHECK(r.error().detail.find("another key") != std::string::npos);
  CHECK(encryptedAssertionOf(doc));  // nothing changed

  SECTION("the first key that opens it is used") {
    auto ok = decrypt(doc, keys({&spKey(), &otherKey()}));
    INFO(detail(ok));
    CHECK(ok);
  }
  SECTION("no key at all, or only an EC key") {
    CHECK_FALSE(decrypt(doc, {}));
    auto ec = generateKeyPair(KeyAlgorithm::EcP256, "ec.test", 1, SystemClock());
    auto r2 = decrypt(doc, {ec.key.get()});
    REQUIRE_FALSE(r2);
    CHECK(r2.error().detail.find("no RSA") != std::string::npos);
  }
}

TEST_CASE("RSA PKCS#1 v1.5 key transport is refused before any key is tried", "[crypto][xmlenc]") {
  auto doc = parse(encrypted(DataEncryption::Aes128Cbc));
  xmlSetProp(xml::child(encryptedKeyOf(doc), kXencNs, "EncryptionMethod"), BAD_CAST "Algorithm",
             BAD_CAST kRsa15Uri.data());
  auto r = decrypt(doc);
  REQUIRE_FALSE(r);
  CHECK(r.error().detail.find("PKCS#1 v1.5") != std::string::npos);
}

TEST_CASE("algorithms outside the list are refused", "[crypto][xmlenc]") {
  auto doc = parse(encrypted(DataEncryption::Aes128Cbc));
  SECTION("AES-192 data") {
    xmlSetProp(xml::child(encryptedDataOf(doc), kXencNs, "EncryptionMethod"), BAD_CAST "Algorithm",
               BAD_CAST "http://www.w3.org/2001/04/xmlenc#aes192-cbc");
    auto r = decrypt(doc);
    REQUIRE_FALSE(r);
    CHECK(r.error().detail.find("data encryption algorithm not allowed") != std::string::npos);
  }
  SECTION("Triple DES data") {
    xmlSetProp(xml::child(encryptedDataOf(doc), kXencNs, "EncryptionMethod"), BAD_CAST "Algorithm",
               BAD_CAST "http://www.w3.org/2001/04/xmlenc#tripledes-cbc");
    CHECK_FALSE(decrypt(doc));
  }
  SECTION("AES key wrap instead of key transport") {
    xmlSetProp(xml::child(encryptedKeyOf(doc), kXencNs, "EncryptionMethod"), BAD_CAST "Algorithm",
               BAD_CAST "http://www.w3.org/2001/04/xmlenc#kw-aes256");
    auto r = decrypt(doc);
    REQUIRE_FALSE(r);
    CHECK(r.error().detail.find("key transport algorithm not allowed") != std::string::npos);
  }
  SECTION("OAEP with a SHA-512 digest") {
    auto r = decryptElement(encryptedAssertionOf(parse(handMade(kPlainAssertion, {.digest = sha512Md(),
        .methodChildren = R"(<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha512"/>)"}))),
                            keys({&spKey()}));
    REQUIRE_FALSE(r);
    CHECK(r.error().detail.find("DigestMethod not allowed") != std::string::npos);
  }
  SECTION("an EncryptedData Type other than Element") {
    xmlSetProp(encryptedDataOf(doc), BAD_CAST "Type", BAD_CAST "http://www.w3.org/2001/04/xmlenc#Content");
    CHECK_FALSE(decrypt(doc));
  }
}

TEST_CASE("RSA-OAEP with SHA-256, mgf1p and xmlenc11, opens", "[crypto][xmlenc]") {
  SECTION("mgf1p, SHA-256 digest") {
    auto doc = parse(handMade(kPlainAssertion, {.digest = sha256Md(),
        .methodChildren = R"(<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>)"}));
    auto r = decrypt(doc);
    INFO(detail(r));
    CHECK(r);
  }
  SECTION("xmlenc11 rsa-oaep, SHA-256 and MGF1-SHA-256") {
    auto doc = parse(handMade(kPlainAssertion, {.algorithm = std::string(kRsaOaepUri), .digest = sha256Md(),
        .mgf1 = sha256Md(),
        .methodChildren = R"(<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>)"
                          R"(<xenc11:MGF xmlns:xenc11="http://www.w3.org/2009/xmlenc11#" )"
                          R"(Algorithm="http://www.w3.org/2009/xmlenc11#mgf1sha256"/>)"}));
    auto r = decrypt(doc);
    INFO(detail(r));
    CHECK(r);
  }
  SECTION("the digest the EncryptionMethod names is the one used") {
    // Wrapped with SHA-256 but declared as the SHA-1 default: OAEP's check fails.
    auto doc = parse(handMade(kPlainAssertion, {.digest = sha256Md()}));
    CHECK_FALSE(decrypt(doc));
  }
}

TEST_CASE("a second EncryptedData is refused", "[crypto][xmlenc]") {
  auto doc = parse(encrypted(DataEncryption::Aes256Gcm));
  xmlAddChild(encryptedAssertionOf(doc), xmlDocCopyNode(encryptedDataOf(doc), doc.get(), 1));
  auto r = decrypt(doc);
  REQUIRE_FALSE(r);
  CHECK(r.error().detail.find("several EncryptedData") != std::string::npos);
}

TEST_CASE("no EncryptedKey, or one with a CipherReference, is refused", "[crypto][xmlenc]") {
  auto doc = parse(encrypted(DataEncryption::Aes256Gcm));
  SECTION("none") {
    xmlNode* ek = encryptedKeyOf(doc);
    xmlUnlinkNode(ek);
    xml::XmlNodePtr gone(ek);
    auto r = decrypt(doc);
    REQUIRE_FALSE(r);
    CHECK(r.error().detail.find("no EncryptedKey") != std::string::npos);
  }
  SECTION("CipherReference") {
    xmlNode* cipherData = xml::child(encryptedKeyOf(doc), kXencNs, "CipherData");
    xmlNode* value = xml::child(cipherData, kXencNs, "CipherValue");
    xmlNodeSetName(value, BAD_CAST "CipherReference");
    xmlNodeSetContent(value, nullptr);
    xmlSetProp(value, BAD_CAST "URI", BAD_CAST "http://attacker.example/key");
    auto r = decrypt(doc);
    REQUIRE_FALSE(r);
    CHECK(r.error().detail.find("CipherReference") != std::string::npos);
  }
}

TEST_CASE("decrypted content goes through the secure parser's rules", "[crypto][xmlenc]") {
  auto refused = [](std::string_view plaintext) {
    auto doc = parse(handMade(plaintext));
    auto r = decrypt(doc);
    CHECK(encryptedAssertionOf(doc));  // left as it was
    return r ? std::string() : r.error().detail;
  };
  SECTION("a DTD") {
    auto why = refused(R"(<!DOCTYPE a [<!ENTITY x "boom">]><saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_x">&x;</saml:Assertion>)");
    INFO(why);
    CHECK_FALSE(why.empty());
  }
  SECTION("an entity reference") {
    CHECK_FALSE(refused(R"(<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">&x;</saml:Assertion>)").empty());
  }
  SECTION("two elements") {
    auto why = refused(std::string(kPlainAssertion) +
                       R"(<saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">x</saml:Issuer>)");
    INFO(why);
    CHECK(why.find("exactly one element") != std::string::npos);
  }
  SECTION("text beside the element") {
    CHECK(refused(std::string("junk") + kPlainAssertion).find("exactly one element") != std::string::npos);
  }
  SECTION("no element") { CHECK_FALSE(refused("just text").empty()); }
  SECTION("not well-formed") { CHECK_FALSE(refused("<saml:Assertion").empty()); }
  SECTION("an XML declaration (the content is an element, not a document)") {
    CHECK_FALSE(refused(std::string("<?xml version=\"1.0\"?>") + kPlainAssertion).empty());
  }
  SECTION("an ID the document already has") {
    std::string dup = kPlainAssertion;
    dup.replace(dup.find("_inner"), 6, "_resp1");
    CHECK(refused(dup).find("duplicate ID") != std::string::npos);
  }
  SECTION("deeper than the depth cap") {
    std::string deep = R"(<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">)";
    for (int i = 0; i < 70; ++i) deep += "<a>";
    for (int i = 0; i < 70; ++i) deep += "</a>";
    CHECK_FALSE(refused(deep + "</saml:Assertion>").empty());
  }
  SECTION("whitespace around the element is fine") {
    auto doc = parse(handMade(std::string("\n  ") + kPlainAssertion + "\n"));
    auto r = decrypt(doc);
    INFO(detail(r));
    CHECK(r);
  }
}

TEST_CASE("an EncryptedKey beside the EncryptedData (saml-core 6.2) opens it", "[crypto][xmlenc]") {
  auto doc = parse(encrypted(DataEncryption::Aes128Gcm));
  xmlNode* ek = encryptedKeyOf(doc);
  xmlNode* keyInfo = ek->parent;
  xmlUnlinkNode(ek);
  xmlAddChild(encryptedAssertionOf(doc), ek);
  xmlSetProp(ek, BAD_CAST "Id", BAD_CAST "_ek1");
  xmlNode* rm = xmlNewChild(keyInfo, keyInfo->ns, BAD_CAST "RetrievalMethod", nullptr);
  xmlSetProp(rm, BAD_CAST "URI", BAD_CAST "#_ek1");
  xmlSetProp(rm, BAD_CAST "Type", BAD_CAST "http://www.w3.org/2001/04/xmlenc#EncryptedKey");
  auto reparsed = parse(xml::serialize(doc.get()));
  auto r = decrypt(reparsed);
  INFO(detail(r));
  REQUIRE(r);
  CHECK(nameIdOf(r->element) == "alice");

  SECTION("and one for another recipient beside it does not get in the way") {
    auto doc2 = parse(xml::serialize(doc.get()));
    xmlNode* first = xml::child(encryptedAssertionOf(doc2), kXencNs, "EncryptedKey");
    xmlNode* foreign = xmlDocCopyNode(first, doc2.get(), 1);
    xmlSetProp(foreign, BAD_CAST "Id", BAD_CAST "_ek0");
    xmlNodeSetContent(xml::child(xml::child(foreign, kXencNs, "CipherData"), kXencNs, "CipherValue"),
                      BAD_CAST base64Encode(std::string(256, 'x')).c_str());
    xmlAddPrevSibling(first, foreign);
    CHECK(decrypt(doc2));
  }
}

// Vectors from software that is not ours: tests/data/xmlenc/generate.py (xmlsec1 as pysaml2
// drives it; pyca/cryptography for OAEP with SHA-256).
TEST_CASE("interop: what xmlsec1 and pyca/cryptography encrypted decrypts", "[crypto][xmlenc][interop]") {
  auto pem = test::readFile(test::dataPath("xmlenc/sp-key.pem"));
  auto key = loadPrivateKeyPem(pem);
  REQUIRE(key);
  std::vector<const EVP_PKEY*> ours{key->get()};
  for (const char* file : {"xmlsec1-aes128-cbc.xml", "xmlsec1-aes256-cbc.xml", "xmlsec1-aes128-gcm.xml",
                           "xmlsec1-aes256-gcm.xml", "xmlsec1-context-ns.xml", "xmlsec1-sibling-key.xml",
                           "pyca-mgf1p-sha256.xml", "pyca-xmlenc11-oaep.xml"}) {
    INFO(file);
    auto doc = parse(test::readFile(test::dataPath(std::string("xmlenc/") + file)));
    auto valid = xml::SchemaSet::shared()->validate(doc.get());
    INFO((valid ? std::string() : valid.error().detail));
    CHECK(valid);
    auto r = decrypt(doc, ours);
    INFO(detail(r));
    REQUIRE(r);
    CHECK(xml::attr(r->element, "ID") == "_interop-assertion");
    CHECK(nameIdOf(r->element) == "interop-subject");
    CHECK(xml::text(xml::child(xml::child(xml::child(r->element, ns::kSaml, "AttributeStatement"), ns::kSaml, "Attribute"),
                               ns::kSaml, "AttributeValue")) == "Иванов");
    auto again = parse(xml::serialize(doc.get()));
    CHECK(xml::SchemaSet::shared()->validate(again.get()));
    CHECK_FALSE(decrypt(parse(test::readFile(test::dataPath(std::string("xmlenc/") + file))), keys({&spKey()})));
  }
  auto rsa15 = parse(test::readFile(test::dataPath("xmlenc/xmlsec1-rsa15.xml")));
  auto r = decrypt(rsa15, ours);
  REQUIRE_FALSE(r);
  CHECK(r.error().detail.find("PKCS#1 v1.5") != std::string::npos);
}
