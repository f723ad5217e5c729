#include "idp/crypto/digest.h"

#include <stdexcept>

#include "idp/crypto/openssl_handles.h"

namespace propusk::crypto {

namespace {
std::string digest(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1)
    throw std::runtime_error("EVP_Digest failed: " + drainOpensslErrors());
  return std::string(reinterpret_cast<char*>(out), len);
}
}  // namespace

std::string sha256(std::string_view data) { return digest(sha256Md(), data); }
std::string sha512(std::string_view data) { return digest(sha512Md(), data); }
std::string sha1(std::string_view data) { return digest(sha1Md(), data); }

std::string toHex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

}  // namespace propusk::crypto
