// Keys and X.509 certificates (OpenSSL), owned through openssl_handles.h.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "idp/core/clock.h"
#include "idp/core/result.h"
#include "idp/crypto/openssl_handles.h"

namespace propusk::crypto {

enum class KeyAlgorithm { Rsa2048, Rsa3072, EcP256 };

std::string_view keyAlgorithmName(KeyAlgorithm a);                  // "rsa2048", "rsa3072", "ec-p256"
std::optional<KeyAlgorithm> parseKeyAlgorithm(std::string_view s);  // inverse of the above

struct KeyPair {
  EvpPkeyPtr key;
  X509Ptr cert;
};

// New key and a self-signed certificate (CN=commonName, random 128-bit serial,
// valid from now-1h for validDays, SHA-256). Throws std::runtime_error when OpenSSL fails.
KeyPair generateKeyPair(KeyAlgorithm alg, const std::string& commonName, int validDays,
                        const Clock& clock);

std::string privateKeyPem(const EVP_PKEY* key);   // PKCS#8, unencrypted
std::string certificatePem(const X509* cert);
std::string certificateBase64Der(const X509* cert);  // ds:X509Certificate content, no line breaks

Result<EvpPkeyPtr> loadPrivateKeyPem(std::string_view pem);
// An independent copy of a key (its own OpenSSL object). OpenSSL keeps RSA blinding per key
// object and takes the key's lock on every signature; threads signing with copies of their
// own neither share nor wait for it. Throws std::runtime_error when OpenSSL fails.
EvpPkeyPtr duplicateKey(const EVP_PKEY* key);
// Another reference to the same certificate (X509_up_ref), owned by the returned handle.
X509Ptr shareCertificate(X509* cert);
Result<X509Ptr> loadCertificatePem(std::string_view pem);
// Base64 DER as found in ds:X509Certificate (whitespace allowed).
Result<X509Ptr> loadCertificateBase64Der(std::string_view b64);
// A file holding a PEM or DER certificate.
Result<X509Ptr> loadCertificateFile(const std::string& path);

bool keyMatchesCertificate(const EVP_PKEY* key, const X509* cert);
std::string certificateSha256Fingerprint(const X509* cert);  // lowercase hex, no separators

struct CertificateInfo {
  std::string subject;     // RFC 2253 form
  TimePoint notBefore;
  TimePoint notAfter;
  std::string keyDescription;  // "RSA 2048", "EC P-256"
};
CertificateInfo describeCertificate(const X509* cert);

}  // namespace propusk::crypto
