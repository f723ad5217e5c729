#include "idp/crypto/aead.h"

#include <catch2/catch.hpp>

#include "idp/crypto/digest.h"

using namespace propusk;

namespace {
std::string unhex(std::string_view h) {
  std::string out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return out;
}
std::string key() {
  std::string k;
  for (int i = 0; i < 32; ++i) k.push_back(static_cast<char>(i));
  return k;
}
}  // namespace

// Made independently with pyca/cryptography (AESGCM(bytes(range(32))).encrypt(bytes(range(100,112)),
// "секрет TOTP".encode(), b"uid-1:totp"), the nonce prepended).
TEST_CASE("AES-256-GCM opens a vector sealed by another implementation", "[crypto][aead]") {
  const std::string sealed =
      unhex("6465666768696a6b6c6d6e6f999a0ed3a953871eeed78e6afa3125a912624949a2c1e26a6d4519d9396be99713");
  CHECK(crypto::aesGcmOpen(key(), sealed, "uid-1:totp") == "секрет TOTP");
  CHECK_FALSE(crypto::aesGcmOpen(key(), sealed, "uid-2:totp"));
  std::string flipped = sealed;
  flipped.back() ^= 1;
  CHECK_FALSE(crypto::aesGcmOpen(key(), flipped, "uid-1:totp"));
  CHECK_FALSE(crypto::aesGcmOpen(key(), sealed.substr(0, 20), "uid-1:totp"));
}

TEST_CASE("AES-256-GCM round trip; a wrong key size is a programming error", "[crypto][aead]") {
  SystemRandom rnd;
  auto s = crypto::aesGcmSeal(key(), "", "aad", rnd);
  CHECK(s.size() == 12 + 16);
  CHECK(crypto::aesGcmOpen(key(), s, "aad") == "");
  CHECK_THROWS(crypto::aesGcmSeal("short", "x", "", rnd));
  CHECK_FALSE(crypto::aesGcmOpen("short", s, "aad"));
}
