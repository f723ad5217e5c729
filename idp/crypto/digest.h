// Message digests over OpenSSL EVP.
#pragma once

#include <string>
#include <string_view>

namespace propusk::crypto {

std::string sha256(std::string_view data);  // raw 32 bytes
std::string sha512(std::string_view data);  // raw 64 bytes
std::string sha1(std::string_view data);    // raw 20 bytes (MDQ {sha1} ids, never for signatures)
std::string toHex(std::string_view bytes);  // lowercase

}  // namespace propusk::crypto
