#pragma once

#include <string>
#include <string_view>

namespace propusk::crypto {

std::string hmacSha256(std::string_view key, std::string_view data);  // raw 32 bytes

}  // namespace propusk::crypto
