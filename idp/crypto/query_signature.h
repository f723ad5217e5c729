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

// Verifies with the public key of one of `trusted` (never a key from the message). ECDSA
// signatures are in the xmldsig raw r||s form. Returns the index of the certificate that
// verified. SHA-1 algorithms are refused unless allowSha1.
Result<std::size_t> verifyDetached(std::string_view octets, std::string_view signature, SignatureAlgorithm alg,
                                   std::span<X509* const> trusted, bool allowSha1);

}  // namespace propusk::crypto
