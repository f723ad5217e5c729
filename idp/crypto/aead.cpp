#include "idp/crypto/aead.h"

#include <stdexcept>

#include "idp/crypto/openssl_handles.h"

namespace propusk::crypto {

namespace {
constexpr std::size_t kNonce = 12, kTag = 16, kKey = 32;

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
int len(std::string_view s) { return static_cast<int>(s.size()); }
}  // namespace

std::string aesGcmSeal(std::string_view key, std::string_view plaintext, std::string_view aad, Random& random) {
  if (key.size() != kKey) throw std::invalid_argument("AES-256-GCM key must be 32 bytes");
  auto nonceBytes = random.bytes(kNonce);
  std::string nonce(nonceBytes.begin(), nonceBytes.end());
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  std::string out = nonce;
  out.resize(kNonce + plaintext.size() + kTag);
  auto* dst = reinterpret_cast<unsigned char*>(out.data()) + kNonce;
  int n = 0, total = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonce, nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, bytes(key), bytes(nonce)) != 1 ||
      (!aad.empty() && EVP_EncryptUpdate(ctx.get(), nullptr, &n, bytes(aad), len(aad)) != 1) ||
      EVP_EncryptUpdate(ctx.get(), dst, &n, bytes(plaintext), len(plaintext)) != 1)
    throw std::runtime_error(withOpensslErrors("AES-256-GCM seal"));
  total = n;
  if (EVP_EncryptFinal_ex(ctx.get(), dst + total, &n) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTag, dst + total + n) != 1)
    throw std::runtime_error(withOpensslErrors("AES-256-GCM seal"));
  return out;
}

std::optional<std::string> aesGcmOpen(std::string_view key, std::string_view sealed, std::string_view aad) {
  if (key.size() != kKey || sealed.size() < kNonce + kTag) return std::nullopt;
  auto nonce = sealed.substr(0, kNonce);
  auto body = sealed.substr(kNonce, sealed.size() - kNonce - kTag);
  std::string tag(sealed.substr(sealed.size() - kTag));
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  std::string out(body.size(), '\0');
  int n = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonce, nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, bytes(key), bytes(nonce)) != 1 ||
      (!aad.empty() && EVP_DecryptUpdate(ctx.get(), nullptr, &n, bytes(aad), len(aad)) != 1) ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &n, bytes(body), len(body)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTag, tag.data()) != 1) {
    drainOpensslErrors();
    return std::nullopt;
  }
  int fin = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + n, &fin) != 1) {
    drainOpensslErrors();
    return std::nullopt;
  }
  return out;
}

}  // namespace propusk::crypto
