#include "idp/crypto/hmac.h"

#include <openssl/hmac.h>

#include <stdexcept>

#include "idp/crypto/openssl_handles.h"

namespace propusk::crypto {

std::string hmac(HmacDigest digest, std::string_view key, std::string_view data) {
  const EVP_MD* md = digest == HmacDigest::Sha1 ? sha1Md() : digest == HmacDigest::Sha256 ? sha256Md() : sha512Md();
  // An empty string_view may carry a null pointer, which HMAC() takes as "reuse the last key".
  static constexpr unsigned char kEmpty = 0;
  const void* keyPtr = key.empty() ? &kEmpty : static_cast<const void*>(key.data());
  const auto* dataPtr = data.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(data.data());
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(md, keyPtr, static_cast<int>(key.size()), dataPtr, data.size(), out, &len) ||
      len != static_cast<unsigned>(EVP_MD_get_size(md)))
    throw std::runtime_error("HMAC failed: " + drainOpensslErrors());
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string hmacSha256(std::string_view key, std::string_view data) { return hmac(HmacDigest::Sha256, key, data); }

}  // namespace propusk::crypto
