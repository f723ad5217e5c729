#include "idp/crypto/tls_cert.h"

#include <openssl/rand.h>

#include <stdexcept>

namespace propusk::crypto {

namespace {
void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("TLS certificate: ") + what + ": " + drainOpensslErrors());
}
}  // namespace

KeyPair generateTlsCertificate(const std::vector<std::string>& dnsNames, const std::vector<std::string>& ipAddresses,
                               int validDays, const Clock& clock) {
  KeyPair kp;
  kp.key.reset(EVP_EC_gen("P-256"));
  check(kp.key != nullptr, "EC key generation");
  kp.cert.reset(X509_new());
  check(kp.cert != nullptr, "X509_new");
  X509* c = kp.cert.get();
  check(X509_set_version(c, 2) == 1, "version");
  unsigned char serial[16];
  check(RAND_bytes(serial, sizeof serial) == 1, "serial");
  serial[0] &= 0x7f;
  BignumPtr bn(BN_bin2bn(serial, sizeof serial, nullptr));
  check(bn && BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(c)), "serial");
  auto now = clock.now().time_since_epoch().count();
  check(ASN1_TIME_set(X509_getm_notBefore(c), static_cast<time_t>(now - 3600)) != nullptr, "notBefore");
  check(ASN1_TIME_set(X509_getm_notAfter(c), static_cast<time_t>(now + 86400L * validDays)) != nullptr, "notAfter");
  X509_NAME* name = X509_get_subject_name(c);
  std::string cn = dnsNames.empty() ? "localhost" : dnsNames.front();
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0) == 1, "CN");
  // A subject of its own (the serial's first bytes): a client looks a self-signed certificate
  // up in its trust file by subject name, so two development instances on one host (a gateway
  // and its upstream) must not both be "CN=localhost".
  static constexpr char kHex[] = "0123456789abcdef";
  std::string unit = "Propusk development ";
  for (int i = 0; i < 6; ++i) unit += {kHex[serial[i] >> 4], kHex[serial[i] & 15]};
  check(X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(unit.c_str()), -1, -1, 0) == 1, "OU");
  check(X509_set_issuer_name(c, name) == 1, "issuer");
  check(X509_set_pubkey(c, kp.key.get()) == 1, "pubkey");
  std::string san;
  for (auto& d : dnsNames) san += (san.empty() ? "DNS:" : ",DNS:") + d;
  for (auto& ip : ipAddresses) san += (san.empty() ? "IP:" : ",IP:") + ip;
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, c, c, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, san}, {NID_basic_constraints, std::string("critical,CA:FALSE")},
                            {NID_key_usage, std::string("critical,digitalSignature")},
                            {NID_ext_key_usage, std::string("serverAuth")}}) {
    if (value.empty()) continue;
    X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &v3, nid, value.c_str()));
    check(ext && X509_add_ext(c, ext.get(), -1) == 1, "extension");
  }
  check(X509_sign(c, kp.key.get(), EVP_sha256()) > 0, "sign");
  return kp;
}

}  // namespace propusk::crypto
