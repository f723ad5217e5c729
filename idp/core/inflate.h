// Raw DEFLATE (RFC 1951) decompression with an output cap: the HTTP-Redirect binding
// (bindings §3.4.4.1) carries attacker-chosen compressed data, and a few KB can inflate
// to gigabytes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "idp/core/result.h"

namespace propusk {

inline constexpr std::size_t kMaxInflateBytes = 256 * 1024;

Result<std::string> inflateRaw(std::string_view compressed, std::size_t maxBytes = kMaxInflateBytes);
// Raw DEFLATE at the default level (for building Redirect-binding messages and in tests).
std::string deflateRaw(std::string_view data);

}  // namespace propusk
