#include "idp/crypto/query_signature.h"

#include <openssl/rsa.h>

#include <stdexcept>

#include "idp/crypto/keys.h"

namespace propusk::crypto {

namespace {

const EVP_MD* digestOf(SignatureAlgorithm a) {
  switch (a) {
    case SignatureAlgorithm::RsaSha256:
    case SignatureAlgorithm::EcdsaSha256: return sha256Md();
    case SignatureAlgorithm::RsaSha512: return sha512Md();
    case SignatureAlgorithm::RsaSha1:
    case SignatureAlgorithm::EcdsaSha1: return sha1Md();
  }
  return nullptr;
}

bool isEcdsa(SignatureAlgorithm a) { return a == SignatureAlgorithm::EcdsaSha256 || a == SignatureAlgorithm::EcdsaSha1; }

// xmldsig-more §3.3.1 (RFC 4051): ECDSA values are r||s, each padded to the field size.
std::string derToRaw(const unsigned char* der, size_t len, int fieldBytes) {
  const unsigned char* p = der;
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len)));
  if (!sig) return {};
  std::string out(static_cast<size_t>(2 * fieldBytes), '\0');
  const BIGNUM *r, *s;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  BN_bn2binpad(r, reinterpret_cast<unsigned char*>(out.data()), fieldBytes);
  BN_bn2binpad(s, reinterpret_cast<unsigned char*>(out.data()) + fieldBytes, fieldBytes);
  return out;
}

std::string rawToDer(std::string_view raw) {
  if (raw.empty() || raw.size() % 2) return {};
  size_t half = raw.size() / 2;
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BignumPtr r(BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(half), nullptr));
  BignumPtr s(BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + half, static_cast<int>(half), nullptr));
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return {};
  r.release();  // ECDSA_SIG_set0 took ownership
  s.release();
  int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  std::string der(static_cast<size_t>(len), '\0');
  unsigned char* p = reinterpret_cast<unsigned char*>(der.data());
  i2d_ECDSA_SIG(sig.get(), &p);
  return der;
}

// What OpenSSL signed, as xmldsig carries it: RSA as is, ECDSA from DER to r||s.
Result<std::string> xmldsigValue(std::string sig, const EVP_PKEY* key, SignatureAlgorithm alg) {
  if (!isEcdsa(alg)) return sig;
  sig = derToRaw(reinterpret_cast<const unsigned char*>(sig.data()), sig.size(), (EVP_PKEY_get_bits(key) + 7) / 8);
  if (sig.empty()) return responderError("ECDSA signature conversion failed");
  return sig;
}

bool keyFits(const EVP_PKEY* key, SignatureAlgorithm a) {
  int id = EVP_PKEY_get_base_id(key);
  return isEcdsa(a) ? id == EVP_PKEY_EC : id == EVP_PKEY_RSA;
}

}  // namespace

Result<std::string> signDetached(std::string_view octets, const EVP_PKEY* key, SignatureAlgorithm alg) {
  if (!keyFits(key, alg)) return responderError("signing key does not fit " + std::string(signatureAlgorithmUri(alg)));
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, digestOf(alg), nullptr, const_cast<EVP_PKEY*>(key)) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(octets.data()), octets.size()) != 1)
    return responderError("sign: " + drainOpensslErrors());
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(octets.data()), octets.size()) != 1)
    return responderError("sign: " + drainOpensslErrors());
  sig.resize(len);
  return xmldsigValue(std::move(sig), key, alg);
}

DetachedSigner::DetachedSigner(const EVP_PKEY* key, SignatureAlgorithm alg) : key_(duplicateKey(key)), alg_(alg) {
  if (!keyFits(key_.get(), alg)) throw std::runtime_error("signing key does not fit " + std::string(signatureAlgorithmUri(alg)));
  ctx_.reset(EVP_PKEY_CTX_new(key_.get(), nullptr));
  if (!ctx_ || EVP_PKEY_sign_init(ctx_.get()) != 1 ||
      (!isEcdsa(alg) && EVP_PKEY_CTX_set_rsa_padding(ctx_.get(), RSA_PKCS1_PADDING) != 1) ||
      EVP_PKEY_CTX_set_signature_md(ctx_.get(), digestOf(alg)) != 1)
    throw std::runtime_error("signing context: " + drainOpensslErrors());
}

Result<std::string> DetachedSigner::sign(std::string_view octets) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digestLen = 0;
  size_t len = 0;
  if (EVP_Digest(octets.data(), octets.size(), digest, &digestLen, digestOf(alg_), nullptr) != 1 ||
      EVP_PKEY_sign(ctx_.get(), nullptr, &len, digest, digestLen) != 1)
    return responderError("sign: " + drainOpensslErrors());
  std::string sig(len, '\0');
  if (EVP_PKEY_sign(ctx_.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, digest, digestLen) != 1)
    return responderError("sign: " + drainOpensslErrors());
  sig.resize(len);
  return xmldsigValue(std::move(sig), key_.get(), alg_);
}

Result<std::size_t> verifyDetached(std::string_view octets, std::string_view signature, SignatureAlgorithm alg,
                                   std::span<X509* const> trusted, bool allowSha1) {
  if (isSha1(alg) && !allowSha1) return invalid("SHA-1 signature algorithm refused for this SP");
  if (trusted.empty()) return invalid("no signing certificate in the SP's metadata");
  std::string sig(signature);
  if (isEcdsa(alg)) {
    sig = rawToDer(signature);
    if (sig.empty()) return invalid("malformed ECDSA signature value");
  }
  for (std::size_t i = 0; i < trusted.size(); ++i) {
    EVP_PKEY* pub = X509_get0_pubkey(trusted[i]);
    if (!pub || !keyFits(pub, alg)) continue;
    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, digestOf(alg), nullptr, pub) != 1) {
      drainOpensslErrors();
      continue;
    }
    int rc = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                              reinterpret_cast<const unsigned char*>(octets.data()), octets.size());
    drainOpensslErrors();
    if (rc == 1) return i;
  }
  return invalid("query signature does not verify with any signing key in the SP's metadata");
}

}  // namespace propusk::crypto
