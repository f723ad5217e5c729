#include "idp/crypto/query_signature.h"

#include <catch2/catch.hpp>

#include <stdexcept>

#include "idp/core/clock.h"
#include "idp/crypto/keys.h"

using namespace propusk;
using namespace propusk::crypto;

namespace {
const KeyPair& keyPair(KeyAlgorithm alg) {
  static const FixedClock clock("2026-01-10T10:00:00Z");
  static const KeyPair rsa = generateKeyPair(KeyAlgorithm::Rsa2048, "signer.example", 30, clock);
  static const KeyPair ec = generateKeyPair(KeyAlgorithm::EcP256, "signer.example", 30, clock);
  return alg == KeyAlgorithm::Rsa2048 ? rsa : ec;
}
}  // namespace

TEST_CASE("a prepared signer signs with a copy of the key, again and again", "[crypto][signature]") {
  for (auto alg : {KeyAlgorithm::Rsa2048, KeyAlgorithm::EcP256}) {
    const KeyPair& kp = keyPair(alg);
    const auto sigAlg = defaultAlgorithmFor(kp.key.get());
    DetachedSigner signer(kp.key.get(), sigAlg);
    CHECK(signer.key() != kp.key.get());
    CHECK(keyMatchesCertificate(signer.key(), kp.cert.get()));
    CHECK(signer.algorithm() == sigAlg);
    X509* trusted[] = {kp.cert.get()};
    for (const std::string octets : {"SAMLRequest=a&SigAlg=b", "<ds:SignedInfo/>", ""}) {
      auto sig = signer.sign(octets);
      REQUIRE(sig);
      CHECK(verifyDetached(octets, *sig, sigAlg, trusted, false));
      CHECK_FALSE(verifyDetached(octets + "x", *sig, sigAlg, trusted, false));
      if (alg == KeyAlgorithm::Rsa2048) {  // PKCS#1 v1.5 is deterministic: the same bytes
        auto plain = signDetached(octets, kp.key.get(), sigAlg);
        REQUIRE(plain);
        CHECK(*plain == *sig);
      } else {
        CHECK(sig->size() == 64);  // xmldsig r||s, not DER
      }
    }
  }
}

TEST_CASE("a prepared signer refuses an algorithm its key cannot sign", "[crypto][signature]") {
  CHECK_THROWS_AS(DetachedSigner(keyPair(KeyAlgorithm::EcP256).key.get(), SignatureAlgorithm::RsaSha256), std::runtime_error);
  CHECK_THROWS_AS(DetachedSigner(keyPair(KeyAlgorithm::Rsa2048).key.get(), SignatureAlgorithm::EcdsaSha256),
                  std::runtime_error);
}
