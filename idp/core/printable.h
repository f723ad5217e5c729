// Text from outside, made safe to print on a terminal or in a log line, and to put in a JSON
// string: control characters (newlines that forge log lines, ESC and C1 CSI sequences that
// repaint a terminal), line and paragraph separators, bidirectional overrides and isolates
// (text that reads differently than it is), and bytes that are not valid UTF-8 become \xNN
// (each byte); valid UTF-8 otherwise stays as it is. The length is capped (at a character
// boundary) so one request cannot flood the log or the audit trail.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

namespace propusk {

namespace detail {
// Length of the valid UTF-8 sequence at s[i] (1..4), or 0 when it is not one (overlong forms,
// surrogates and values past U+10FFFF included); *cp receives the code point.
inline std::size_t utf8Sequence(std::string_view s, std::size_t i, char32_t* cp) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  std::size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
  if (c >= 0xF5 || n == 0 || i + n > s.size()) return 0;
  char32_t v = c & (0x7F >> n);
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    v = (v << 6) | (b(k) & 0x3F);
  }
  if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10FFFF)) || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return n;
}

inline bool unsafeCodePoint(char32_t v) {
  return (v >= 0x80 && v <= 0x9F) || v == 0x2028 || v == 0x2029 || (v >= 0x202A && v <= 0x202E) ||
         (v >= 0x2066 && v <= 0x2069) || v == 0x200E || v == 0x200F || v == 0x061C;
}
}  // namespace detail

inline std::string printable(std::string_view s, std::size_t maxBytes = 256) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(std::min(s.size(), maxBytes) + 8);
  auto hex = [&](unsigned char c) {
    out += "\\x";
    out += kHex[c >> 4];
    out += kHex[c & 15];
  };
  std::size_t i = 0;
  while (i < s.size() && i < maxBytes) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7F) hex(c);
      else out += static_cast<char>(c);
      ++i;
      continue;
    }
    char32_t cp = 0;
    const std::size_t n = detail::utf8Sequence(s, i, &cp);
    if (n == 0) {
      hex(c);
      ++i;
      continue;
    }
    if (i + n > maxBytes) break;  // never half a character
    if (detail::unsafeCodePoint(cp)) {
      for (std::size_t k = 0; k < n; ++k) hex(static_cast<unsigned char>(s[i + k]));
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  if (i < s.size()) out += "...";
  return out;
}

}  // namespace propusk
