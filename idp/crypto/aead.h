// AES-256-GCM (NIST SP 800-38D) for small secrets kept in the store, such as TOTP shared
// secrets (auth/factor_key.h): a random 96-bit nonce per sealing, the 128-bit tag checked
// before anything is returned.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "idp/core/random.h"

namespace propusk::crypto {

// nonce (12) || ciphertext || tag (16). `key` must be 32 bytes (std::invalid_argument otherwise).
std::string aesGcmSeal(std::string_view key, std::string_view plaintext, std::string_view aad, Random& random);
// nullopt when the tag does not verify (wrong key, wrong aad, altered bytes) or the input is short.
std::optional<std::string> aesGcmOpen(std::string_view key, std::string_view sealed, std::string_view aad);

}  // namespace propusk::crypto
