#pragma once

#include <string>
#include <string_view>

namespace propusk::crypto {

enum class HmacDigest { Sha1, Sha256, Sha512 };

std::string hmac(HmacDigest digest, std::string_view key, std::string_view data);  // raw bytes
std::string hmacSha256(std::string_view key, std::string_view data);  // raw 32 bytes

}  // namespace propusk::crypto
