#include "idp/identity/utf8.h"

namespace propusk::identity {

std::optional<std::vector<char32_t>> decodeUtf8(std::string_view s) {
  std::vector<char32_t> out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    auto b = static_cast<unsigned char>(s[i]);
    char32_t cp;
    size_t len;
    if (b < 0x80) { cp = b; len = 1; }
    else if ((b & 0xE0) == 0xC0) { cp = b & 0x1F; len = 2; }
    else if ((b & 0xF0) == 0xE0) { cp = b & 0x0F; len = 3; }
    else if ((b & 0xF8) == 0xF0) { cp = b & 0x07; len = 4; }
    else return std::nullopt;
    if (i + len > s.size()) return std::nullopt;
    for (size_t k = 1; k < len; ++k) {
      auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (c & 0x3F);
    }
    static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
    out.push_back(cp);
    i += len;
  }
  return out;
}

CharClass classify(char32_t c) {
  if (c >= U'0' && c <= U'9') return CharClass::Digit;
  if ((c >= U'a' && c <= U'z') || (c >= 0x430 && c <= 0x44F) || c == 0x451) return CharClass::Lower;
  if ((c >= U'A' && c <= U'Z') || (c >= 0x410 && c <= 0x42F) || c == 0x401) return CharClass::Upper;
  if (c >= 0xDF && c <= 0xFF && c != 0xF7) return CharClass::Lower;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return CharClass::Upper;
  return CharClass::Other;
}

bool isLetter(char32_t c) {
  auto k = classify(c);
  return k == CharClass::Lower || k == CharClass::Upper || (c >= 0x400 && c <= 0x4FF);
}

}  // namespace propusk::identity
