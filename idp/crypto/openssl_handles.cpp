#include "idp/crypto/openssl_handles.h"

#include <openssl/err.h>

#include <stdexcept>

namespace propusk::crypto {

namespace {
const EVP_MD* fetchOnce(const EvpMdFetchedPtr& md, const char* name) {
  if (!md) throw std::runtime_error(std::string("EVP_MD_fetch ") + name + " failed: " + drainOpensslErrors());
  return md.get();
}
}  // namespace

const EVP_MD* sha1Md() {
  static const EvpMdFetchedPtr md(EVP_MD_fetch(nullptr, "SHA1", nullptr));
  return fetchOnce(md, "SHA1");
}
const EVP_MD* sha256Md() {
  static const EvpMdFetchedPtr md(EVP_MD_fetch(nullptr, "SHA256", nullptr));
  return fetchOnce(md, "SHA256");
}
const EVP_MD* sha512Md() {
  static const EvpMdFetchedPtr md(EVP_MD_fetch(nullptr, "SHA512", nullptr));
  return fetchOnce(md, "SHA512");
}

std::string drainOpensslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

std::string withOpensslErrors(std::string what) {
  if (std::string e = drainOpensslErrors(); !e.empty()) what += ": " + e;
  return what;
}

}  // namespace propusk::crypto
