// Text from outside, made safe to print on a terminal or in a log line: control characters
// (newlines that forge log lines, ESC sequences that repaint a terminal) become \xNN, and
// the length is capped so one request cannot flood the log or the audit trail.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace propusk {

inline std::string printable(std::string_view s, std::size_t maxBytes = 256) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s.substr(0, maxBytes)) {
    if (c < 0x20 || c == 0x7F) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > maxBytes) out += "...";
  return out;
}

}  // namespace propusk
