// Base64 (RFC 4648) with an output cap: decoding is done on attacker input.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "idp/core/result.h"

namespace propusk {

inline constexpr std::size_t kMaxDecodedBytes = 1 << 20;  // 1 MiB, well above any SAML message

std::string base64Encode(std::string_view bytes);
// Appends base64Encode(bytes) to out. Its alphabet (A-Z a-z 0-9 + / =) needs no escaping in
// XML text or in an HTML attribute value, so callers append it raw.
void appendBase64(std::string& out, std::string_view bytes);
std::string base64UrlEncode(std::string_view bytes);  // no padding
// Standard alphabet; ASCII whitespace is skipped (bindings §3.5.4 allows line breaks);
// anything else outside the alphabet, bad padding or output over maxBytes is refused.
Result<std::string> base64Decode(std::string_view text, std::size_t maxBytes = kMaxDecodedBytes);

}  // namespace propusk
