#include "idp/crypto/keys.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <climits>
#include <ctime>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "idp/core/base64.h"
#include "idp/crypto/digest.h"

namespace propusk::crypto {

namespace {

// A key or certificate file is a few kilobytes; anything far larger is not one.
constexpr std::size_t kMaxPemBytes = 1 << 20;

struct AlgorithmName {
  KeyAlgorithm alg;
  std::string_view name;
};
constexpr AlgorithmName kAlgorithmNames[] = {
    {KeyAlgorithm::Rsa2048, "rsa2048"},
    {KeyAlgorithm::Rsa3072, "rsa3072"},
    {KeyAlgorithm::EcP256, "ec-p256"},
};

[[noreturn]] void throwOpenssl(const std::string& what) {
  std::string detail = drainOpensslErrors();
  throw std::runtime_error(what + " failed" + (detail.empty() ? "" : ": " + detail));
}

std::unexpected<Error> opensslRefusal(const std::string& what) {
  std::string detail = drainOpensslErrors();
  return invalid(what + (detail.empty() ? "" : ": " + detail));
}

// PEM readers would otherwise prompt on the terminal for an encrypted key.
int noPassphrase(char*, int, int, void*) { return -1; }

BioPtr memoryBio(std::string_view bytes) {
  return BioPtr(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

std::string bioContents(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

EvpPkeyPtr generateKey(KeyAlgorithm alg) {
  const bool rsa = alg != KeyAlgorithm::EcP256;
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, rsa ? "RSA" : "EC", nullptr));
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1) throwOpenssl("EVP_PKEY_keygen_init");
  if (rsa) {
    int bits = alg == KeyAlgorithm::Rsa2048 ? 2048 : 3072;
    if (EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), bits) != 1)
      throwOpenssl("EVP_PKEY_CTX_set_rsa_keygen_bits");
  } else if (EVP_PKEY_CTX_set_group_name(ctx.get(), "P-256") != 1) {
    throwOpenssl("EVP_PKEY_CTX_set_group_name");
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_generate(ctx.get(), &raw) != 1) throwOpenssl("EVP_PKEY_generate");
  return EvpPkeyPtr(raw);
}

void addExtension(X509* cert, int nid, const char* value) {
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert, cert, nullptr, nullptr, 0);
  X509ExtensionPtr ext(X509V3_EXT_nconf_nid(nullptr, &v3, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1)
    throwOpenssl(std::string("adding extension ") + OBJ_nid2sn(nid));
}

std::optional<TimePoint> toTimePoint(const ASN1_TIME* t) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  return TimePoint(std::chrono::seconds(timegm(&tm)));
}

std::string keyDescription(const EVP_PKEY* key) {
  if (!key) return "none";
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS:
      return "RSA " + std::to_string(EVP_PKEY_get_bits(key));
    case EVP_PKEY_EC: {
      char group[80] = {};
      size_t len = 0;
      if (EVP_PKEY_get_group_name(key, group, sizeof group, &len) != 1) {
        ERR_clear_error();
        return "EC";
      }
      std::string_view g(group, len);
      if (g == "prime256v1" || g == "P-256") return "EC P-256";
      if (g == "secp384r1" || g == "P-384") return "EC P-384";
      if (g == "secp521r1" || g == "P-521") return "EC P-521";
      return "EC " + std::string(g);
    }
    case EVP_PKEY_ED25519:
      return "Ed25519";
    case EVP_PKEY_ED448:
      return "Ed448";
    default: {
      const char* name = EVP_PKEY_get0_type_name(key);
      return std::string(name ? name : "unknown") + " " + std::to_string(EVP_PKEY_get_bits(key));
    }
  }
}

Result<X509Ptr> certificateFromDer(std::string_view der) {
  if (der.empty()) return invalid("empty certificate");
  if (der.size() > static_cast<std::size_t>(LONG_MAX)) return invalid("certificate too large");
  ERR_clear_error();
  auto* p = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* end = p + der.size();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert) return opensslRefusal("not a DER certificate");
  if (p != end) return invalid("trailing bytes after the DER certificate");
  return cert;
}

}  // namespace

std::string_view keyAlgorithmName(KeyAlgorithm a) {
  for (const auto& n : kAlgorithmNames)
    if (n.alg == a) return n.name;
  return "unknown";
}

std::optional<KeyAlgorithm> parseKeyAlgorithm(std::string_view s) {
  for (const auto& n : kAlgorithmNames)
    if (n.name == s) return n.alg;
  return std::nullopt;
}

KeyPair generateKeyPair(KeyAlgorithm alg, const std::string& commonName, int validDays,
                        const Clock& clock) {
  if (validDays <= 0) throw std::runtime_error("certificate validity must be at least one day");
  ERR_clear_error();
  KeyPair kp{generateKey(alg), X509Ptr(X509_new())};
  X509* cert = kp.cert.get();
  if (!cert) throwOpenssl("X509_new");
  if (X509_set_version(cert, X509_VERSION_3) != 1) throwOpenssl("X509_set_version");

  // RFC 5280 §4.1.2.2: positive, at most 20 octets; 128 random bits make it unguessable.
  BignumPtr serialBn(BN_new());
  if (!serialBn || BN_rand(serialBn.get(), 128, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) != 1)
    throwOpenssl("BN_rand");
  Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(serialBn.get(), nullptr));
  if (!serial || X509_set_serialNumber(cert, serial.get()) != 1)
    throwOpenssl("X509_set_serialNumber");

  const std::time_t now = std::chrono::system_clock::to_time_t(clock.now());
  if (!ASN1_TIME_set(X509_getm_notBefore(cert), now - 3600) ||
      !ASN1_TIME_adj(X509_getm_notAfter(cert), now, validDays, 0))
    throwOpenssl("setting the validity period");

  X509_NAME* name = X509_get_subject_name(cert);
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(commonName.c_str()),
                                 static_cast<int>(commonName.size()), -1, 0) != 1)
    throwOpenssl("setting the subject CN");
  if (X509_set_issuer_name(cert, name) != 1) throwOpenssl("X509_set_issuer_name");
  if (X509_set_pubkey(cert, kp.key.get()) != 1) throwOpenssl("X509_set_pubkey");

  addExtension(cert, NID_basic_constraints, "critical,CA:FALSE");
  addExtension(cert, NID_key_usage, "critical,digitalSignature");
  addExtension(cert, NID_subject_key_identifier, "hash");

  if (X509_sign(cert, kp.key.get(), EVP_sha256()) <= 0) throwOpenssl("X509_sign");
  return kp;
}

std::string privateKeyPem(const EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PKCS8PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr,
                                            nullptr) != 1)
    throwOpenssl("PEM_write_bio_PKCS8PrivateKey");
  return bioContents(bio.get());
}

std::string certificatePem(const X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) throwOpenssl("PEM_write_bio_X509");
  return bioContents(bio.get());
}

std::string certificateBase64Der(const X509* cert) {
  int len = i2d_X509(cert, nullptr);
  if (len <= 0) throwOpenssl("i2d_X509");
  std::string bytes(static_cast<std::size_t>(len), '\0');
  auto* out = reinterpret_cast<unsigned char*>(bytes.data());
  if (i2d_X509(cert, &out) != len) throwOpenssl("i2d_X509");
  return base64Encode(bytes);
}

Result<EvpPkeyPtr> loadPrivateKeyPem(std::string_view pem) {
  if (pem.empty()) return invalid("empty private key");
  if (pem.size() > kMaxPemBytes) return invalid("private key file too large");
  ERR_clear_error();
  BioPtr bio = memoryBio(pem);
  if (!bio) return responderError("BIO_new_mem_buf failed: " + drainOpensslErrors());
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, noPassphrase, nullptr));
  if (!key) return opensslRefusal("not a PEM private key (or an encrypted one)");
  return key;
}

EvpPkeyPtr duplicateKey(const EVP_PKEY* key) {
  EvpPkeyPtr copy(EVP_PKEY_dup(const_cast<EVP_PKEY*>(key)));
  if (!copy) throw std::runtime_error("EVP_PKEY_dup failed: " + drainOpensslErrors());
  return copy;
}

X509Ptr shareCertificate(X509* cert) {
  if (X509_up_ref(cert) != 1) throw std::runtime_error("X509_up_ref failed: " + drainOpensslErrors());
  return X509Ptr(cert);
}

Result<X509Ptr> loadCertificatePem(std::string_view pem) {
  if (pem.empty()) return invalid("empty certificate");
  if (pem.size() > kMaxPemBytes) return invalid("certificate file too large");
  ERR_clear_error();
  BioPtr bio = memoryBio(pem);
  if (!bio) return responderError("BIO_new_mem_buf failed: " + drainOpensslErrors());
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, noPassphrase, nullptr));
  if (!cert) return opensslRefusal("not a PEM certificate");
  return cert;
}

Result<X509Ptr> loadCertificateBase64Der(std::string_view b64) {
  auto der = base64Decode(b64, kMaxPemBytes);
  if (!der) return invalid("certificate is not base64: " + der.error().detail);
  return certificateFromDer(*der);
}

Result<X509Ptr> loadCertificateFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return responderError("cannot open certificate file " + path);
  std::string bytes;
  bytes.assign(std::istreambuf_iterator<char>(in), {});
  if (in.bad()) return responderError("cannot read certificate file " + path);
  if (bytes.size() > kMaxPemBytes) return invalid("certificate file too large: " + path);
  auto cert = bytes.find("-----BEGIN") != std::string::npos ? loadCertificatePem(bytes)
                                                             : certificateFromDer(bytes);
  if (!cert) cert.error().detail = path + ": " + cert.error().detail;
  return cert;
}

bool keyMatchesCertificate(const EVP_PKEY* key, const X509* cert) {
  if (!key || !cert) return false;
  const EVP_PKEY* certKey = X509_get0_pubkey(cert);
  bool same = certKey && EVP_PKEY_eq(certKey, key) == 1;
  ERR_clear_error();  // a mismatch of key types leaves an error we do not report
  return same;
}

std::string certificateSha256Fingerprint(const X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert, EVP_sha256(), md, &len) != 1) throwOpenssl("X509_digest");
  return toHex(std::string_view(reinterpret_cast<const char*>(md), len));
}

CertificateInfo describeCertificate(const X509* cert) {
  CertificateInfo info;
  if (BioPtr bio(BIO_new(BIO_s_mem())); bio) {
    if (X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0)
      info.subject = bioContents(bio.get());
  }
  info.notBefore = toTimePoint(X509_get0_notBefore(cert)).value_or(TimePoint{});
  info.notAfter = toTimePoint(X509_get0_notAfter(cert)).value_or(TimePoint{});
  info.keyDescription = keyDescription(X509_get0_pubkey(cert));
  ERR_clear_error();
  return info;
}

}  // namespace propusk::crypto
