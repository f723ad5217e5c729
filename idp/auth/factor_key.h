// The factor key: 32 random bytes outside the database (DATA_DIR/factor.key, mode 0600, or
// [auth] factor_key_file) that seals TOTP secrets (AES-256-GCM, the account's uid and the factor
// kind as associated data, so a sealed secret copied to another account does not open) and keys
// the HMACs of recovery and one-time codes. A copy of the database alone thus holds no usable
// secret and cannot test guesses offline. Several instances must share one key: its
// fingerprint is kept in the store, and an instance with another key refuses to start.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "idp/core/random.h"

namespace propusk::auth {

class FactorKey {
 public:
  // Reads the key (64 hex digits, one line) or, when the file does not exist and `create`,
  // writes a new one (0600). Throws std::runtime_error naming the file: unreadable, malformed,
  // readable by others.
  static FactorKey load(const std::filesystem::path& file, bool create, Random& random);
  static FactorKey fromBytes(std::string bytes);  // 32 bytes (tests)

  // Text for a TEXT column: base64 of aesGcmSeal, prefixed "v1:".
  std::string seal(std::string_view plaintext, std::string_view aad, Random& random) const;
  std::optional<std::string> open(std::string_view sealed, std::string_view aad) const;
  // Hex HMAC-SHA-256 of `data` under a key derived for `purpose` (one per use, so a value
  // computed for one purpose never matches another's).
  std::string mac(std::string_view purpose, std::string_view data) const;
  // What the store keeps to tell keys apart (never the key): the hex HMAC of a constant.
  std::string fingerprint() const;

 private:
  explicit FactorKey(std::string bytes) : key_(std::move(bytes)) {}
  std::string key_;
};

}  // namespace propusk::auth
