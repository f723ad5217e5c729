#include "idp/crypto/keys.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <catch2/catch.hpp>

#include "idp/core/base64.h"
#include "idp/crypto/digest.h"
#include "idp/crypto/query_signature.h"
#include "idp/crypto/xml_signature.h"
#include "support.h"

using namespace propusk;
using namespace propusk::crypto;
using namespace std::chrono_literals;

namespace {

const FixedClock& testClock() {
  static const FixedClock clock("2026-01-10T10:00:00Z");
  return clock;
}

// Key generation is slow enough (RSA 3072) to do once per run and algorithm.
const KeyPair& keyPair(KeyAlgorithm alg) {
  static const KeyPair rsa2048 = generateKeyPair(KeyAlgorithm::Rsa2048, "rsa2048.test", 30, testClock());
  static const KeyPair rsa3072 = generateKeyPair(KeyAlgorithm::Rsa3072, "rsa3072.test", 30, testClock());
  static const KeyPair ec = generateKeyPair(KeyAlgorithm::EcP256, "ec.test", 30, testClock());
  switch (alg) {
    case KeyAlgorithm::Rsa2048: return rsa2048;
    case KeyAlgorithm::Rsa3072: return rsa3072;
    case KeyAlgorithm::EcP256: return ec;
  }
  throw std::logic_error("unknown algorithm");
}

}  // namespace

TEST_CASE("key algorithm names round trip", "[crypto]") {
  for (auto a : {KeyAlgorithm::Rsa2048, KeyAlgorithm::Rsa3072, KeyAlgorithm::EcP256})
    CHECK(parseKeyAlgorithm(keyAlgorithmName(a)) == a);
  CHECK(keyAlgorithmName(KeyAlgorithm::Rsa2048) == "rsa2048");
  CHECK(keyAlgorithmName(KeyAlgorithm::Rsa3072) == "rsa3072");
  CHECK(keyAlgorithmName(KeyAlgorithm::EcP256) == "ec-p256");
  CHECK_FALSE(parseKeyAlgorithm("rsa1024"));
  CHECK_FALSE(parseKeyAlgorithm("RSA2048"));
  CHECK_FALSE(parseKeyAlgorithm(""));
}

TEST_CASE("generated keys and certificates have the requested shape", "[crypto]") {
  struct Case {
    KeyAlgorithm alg;
    const char* description;
    const char* cn;
  };
  for (auto c : {Case{KeyAlgorithm::Rsa2048, "RSA 2048", "rsa2048.test"},
                 Case{KeyAlgorithm::Rsa3072, "RSA 3072", "rsa3072.test"},
                 Case{KeyAlgorithm::EcP256, "EC P-256", "ec.test"}}) {
    INFO(c.description);
    const KeyPair& kp = keyPair(c.alg);
    REQUIRE(kp.key);
    REQUIRE(kp.cert);
    CHECK(keyMatchesCertificate(kp.key.get(), kp.cert.get()));

    CertificateInfo info = describeCertificate(kp.cert.get());
    CHECK(info.keyDescription == c.description);
    CHECK(info.subject == std::string("CN=") + c.cn);
    CHECK(info.notBefore == testClock().now() - 1h);
    CHECK(info.notAfter == testClock().now() + std::chrono::days(30));

    X509* cert = kp.cert.get();
    CHECK(X509_get_version(cert) == X509_VERSION_3);
    // Self-signed: issuer is subject and the signature verifies with its own key.
    CHECK(X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) == 0);
    CHECK(X509_verify(cert, X509_get0_pubkey(cert)) == 1);
    CHECK(X509_get_signature_nid(cert) ==
          (c.alg == KeyAlgorithm::EcP256 ? NID_ecdsa_with_SHA256 : NID_sha256WithRSAEncryption));
    // basicConstraints CA:FALSE, keyUsage digitalSignature only.
    CHECK(X509_check_ca(cert) == 0);
    CHECK((X509_get_extension_flags(cert) & EXFLAG_BCONS) != 0);
    CHECK(X509_get_key_usage(cert) == KU_DIGITAL_SIGNATURE);
    // 128-bit random serial.
    BignumPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
    CHECK(BN_num_bits(serial.get()) == 128);
  }
}

TEST_CASE("serials differ between certificates", "[crypto]") {
  auto a = X509_get0_serialNumber(keyPair(KeyAlgorithm::Rsa2048).cert.get());
  auto b = X509_get0_serialNumber(keyPair(KeyAlgorithm::EcP256).cert.get());
  CHECK(ASN1_INTEGER_cmp(a, b) != 0);
}

TEST_CASE("PEM round trip of key and certificate", "[crypto]") {
  for (auto alg : {KeyAlgorithm::Rsa2048, KeyAlgorithm::EcP256}) {
    const KeyPair& kp = keyPair(alg);
    std::string keyPem = privateKeyPem(kp.key.get());
    CHECK(keyPem.starts_with("-----BEGIN PRIVATE KEY-----"));  // PKCS#8, unencrypted
    auto key = loadPrivateKeyPem(keyPem);
    REQUIRE(key);
    CHECK(EVP_PKEY_eq(key->get(), kp.key.get()) == 1);
    CHECK(privateKeyPem(key->get()) == keyPem);

    std::string certPem = certificatePem(kp.cert.get());
    CHECK(certPem.starts_with("-----BEGIN CERTIFICATE-----"));
    auto cert = loadCertificatePem(certPem);
    REQUIRE(cert);
    CHECK(X509_cmp(cert->get(), kp.cert.get()) == 0);
    CHECK(keyMatchesCertificate(key->get(), cert->get()));
  }
}

TEST_CASE("base64 DER round trip, with whitespace as in ds:X509Certificate", "[crypto]") {
  const KeyPair& kp = keyPair(KeyAlgorithm::Rsa2048);
  std::string b64 = certificateBase64Der(kp.cert.get());
  CHECK(b64.find_first_of("\r\n ") == std::string::npos);
  auto cert = loadCertificateBase64Der(b64);
  REQUIRE(cert);
  CHECK(X509_cmp(cert->get(), kp.cert.get()) == 0);

  std::string wrapped = "\n  ";
  for (std::size_t i = 0; i < b64.size(); i += 64) wrapped += b64.substr(i, 64) + "\n  ";
  auto again = loadCertificateBase64Der(wrapped);
  REQUIRE(again);
  CHECK(X509_cmp(again->get(), kp.cert.get()) == 0);
}

TEST_CASE("certificate files in PEM and DER load", "[crypto]") {
  const KeyPair& kp = keyPair(KeyAlgorithm::EcP256);
  test::TempDir dir;
  test::writeFile(dir / "c.pem", certificatePem(kp.cert.get()));
  auto der = base64Decode(certificateBase64Der(kp.cert.get()));
  REQUIRE(der);
  test::writeFile(dir / "c.der", *der);
  test::writeFile(dir / "junk", "not a certificate");

  auto pem = loadCertificateFile((dir / "c.pem").string());
  REQUIRE(pem);
  CHECK(X509_cmp(pem->get(), kp.cert.get()) == 0);
  auto fromDer = loadCertificateFile((dir / "c.der").string());
  REQUIRE(fromDer);
  CHECK(X509_cmp(fromDer->get(), kp.cert.get()) == 0);
  CHECK_FALSE(loadCertificateFile((dir / "junk").string()));
  auto missing = loadCertificateFile((dir / "missing.pem").string());
  REQUIRE_FALSE(missing);
  CHECK(missing.error().detail.find("missing.pem") != std::string::npos);
}

TEST_CASE("key and certificate that do not belong together are told apart", "[crypto]") {
  const KeyPair& rsa = keyPair(KeyAlgorithm::Rsa2048);
  const KeyPair& rsa3 = keyPair(KeyAlgorithm::Rsa3072);
  const KeyPair& ec = keyPair(KeyAlgorithm::EcP256);
  CHECK_FALSE(keyMatchesCertificate(rsa.key.get(), rsa3.cert.get()));
  CHECK_FALSE(keyMatchesCertificate(rsa.key.get(), ec.cert.get()));
  CHECK_FALSE(keyMatchesCertificate(ec.key.get(), rsa.cert.get()));
  CHECK(ERR_peek_error() == 0);  // a mismatch leaves no stale OpenSSL error behind
}

TEST_CASE("garbage is refused with a detail", "[crypto]") {
  auto key = loadPrivateKeyPem("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n");
  REQUIRE_FALSE(key);
  CHECK(key.error().top == StatusCode::Requester);
  CHECK_FALSE(key.error().detail.empty());
  CHECK(ERR_peek_error() == 0);  // drained into the detail

  CHECK_FALSE(loadPrivateKeyPem(""));
  CHECK_FALSE(loadPrivateKeyPem("hello"));
  // A certificate is not a private key.
  CHECK_FALSE(loadPrivateKeyPem(certificatePem(keyPair(KeyAlgorithm::Rsa2048).cert.get())));

  auto cert = loadCertificatePem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  REQUIRE_FALSE(cert);
  CHECK(cert.error().top == StatusCode::Requester);
  CHECK_FALSE(loadCertificatePem(privateKeyPem(keyPair(KeyAlgorithm::EcP256).key.get())));
  CHECK_FALSE(loadCertificateBase64Der("AAAA"));
  CHECK_FALSE(loadCertificateBase64Der("not base64!"));
  CHECK_FALSE(loadCertificateBase64Der(""));
  // Trailing bytes after a valid DER certificate.
  auto der = base64Decode(certificateBase64Der(keyPair(KeyAlgorithm::EcP256).cert.get()));
  REQUIRE(der);
  CHECK_FALSE(loadCertificateBase64Der(base64Encode(*der + "xx")));
}

TEST_CASE("encrypted private key is refused without prompting", "[crypto]") {
  const KeyPair& kp = keyPair(KeyAlgorithm::EcP256);
  BioPtr bio(BIO_new(BIO_s_mem()));
  static char pass[] = "secret";
  REQUIRE(PEM_write_bio_PKCS8PrivateKey(bio.get(), kp.key.get(), EVP_aes_256_cbc(), pass, 6,
                                        nullptr, nullptr) == 1);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  auto key = loadPrivateKeyPem(std::string(data, static_cast<std::size_t>(n)));
  CHECK_FALSE(key);
}

TEST_CASE("SHA-256 fingerprint is 64 lowercase hex digits and stable", "[crypto]") {
  const KeyPair& kp = keyPair(KeyAlgorithm::Rsa2048);
  std::string fp = certificateSha256Fingerprint(kp.cert.get());
  REQUIRE(fp.size() == 64);
  CHECK(fp.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(certificateSha256Fingerprint(kp.cert.get()) == fp);
  auto reloaded = loadCertificatePem(certificatePem(kp.cert.get()));
  REQUIRE(reloaded);
  CHECK(certificateSha256Fingerprint(reloaded->get()) == fp);
  // It is the digest of the DER encoding.
  auto der = base64Decode(certificateBase64Der(kp.cert.get()));
  REQUIRE(der);
  CHECK(fp == toHex(sha256(*der)));
  CHECK(certificateSha256Fingerprint(keyPair(KeyAlgorithm::EcP256).cert.get()) != fp);
}

TEST_CASE("certificate generated by the openssl CLI is described", "[crypto]") {
  test::TempDir dir;
  std::string out;
  int rc = test::run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout " +
                         (dir / "k.pem").string() + " -out " + (dir / "c.pem").string() +
                         " -days 2 -subj '/O=Propusk Test/CN=idp.example.org'",
                     &out);
  REQUIRE(rc == 0);
  auto cert = loadCertificateFile((dir / "c.pem").string());
  REQUIRE(cert);
  auto key = loadPrivateKeyPem(test::readFile(dir / "k.pem"));
  REQUIRE(key);
  CHECK(keyMatchesCertificate(key->get(), cert->get()));
  CertificateInfo info = describeCertificate(cert->get());
  CHECK(info.keyDescription == "EC P-384");
  CHECK(info.subject == "CN=idp.example.org,O=Propusk Test");
  CHECK(info.notAfter - info.notBefore == std::chrono::days(2));
}

TEST_CASE("a duplicated key is a separate object that signs as the original", "[crypto][keys]") {
  for (auto alg : {KeyAlgorithm::Rsa2048, KeyAlgorithm::EcP256}) {
    const KeyPair& kp = keyPair(alg);
    EvpPkeyPtr copy = duplicateKey(kp.key.get());
    REQUIRE(copy);
    CHECK(copy.get() != kp.key.get());
    CHECK(keyMatchesCertificate(copy.get(), kp.cert.get()));
    const auto sigAlg = defaultAlgorithmFor(copy.get());
    auto sig = signDetached("octets to sign", copy.get(), sigAlg);
    REQUIRE(sig);
    X509* trusted[] = {kp.cert.get()};
    CHECK(verifyDetached("octets to sign", *sig, sigAlg, trusted, false));
    CHECK_FALSE(verifyDetached("other octets", *sig, sigAlg, trusted, false));
  }
}
