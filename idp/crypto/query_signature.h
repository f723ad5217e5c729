// Detached signatures over the HTTP-Redirect query string (bindings §3.4.4.1): the signer
// signs the exact octets "SAMLRequest=..&RelayState=..&SigAlg=.." with SigAlg.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "idp/core/result.h"
#include "idp/crypto/openssl_handles.h"
#include "idp/crypto/xml_signature.h"

namespace propusk::crypto {

Result<std::string> signDetached(std::string_view octets, const EVP_PKEY* key, SignatureAlgorithm alg);

// signDetached prepared once for one key and algorithm: a copy of the key of its own
// (duplicateKey) and a signing context set up once and reused for every signature. OpenSSL 3
// fetches the algorithm and builds a context in each EVP_DigestSignInit: ~8 µs of a ~290 µs
// RSA-2048 signature on the development machine, twice per Response. One thread at a time.
class DetachedSigner {
 public:
  // Throws std::runtime_error when the key does not fit alg or OpenSSL fails.
  DetachedSigner(const EVP_PKEY* key, SignatureAlgorithm alg);
  const EVP_PKEY* key() const { return key_.get(); }
  SignatureAlgorithm algorithm() const { return alg_; }
  // What signDetached(octets, key(), algorithm()) returns.
  Result<std::string> sign(std::string_view octets);

 private:
  EvpPkeyPtr key_;
  EvpPkeyCtxPtr ctx_;
  SignatureAlgorithm alg_;
};

// Verifies with the public key of one of `trusted` (never a key from the message). ECDSA
// signatures are in the xmldsig raw r||s form. Returns the index of the certificate that
// verified. SHA-1 algorithms are refused unless allowSha1.
Result<std::size_t> verifyDetached(std::string_view octets, std::string_view signature, SignatureAlgorithm alg,
                                   std::span<X509* const> trusted, bool allowSha1);

}  // namespace propusk::crypto
