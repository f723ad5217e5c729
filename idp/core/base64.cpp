#include "idp/core/base64.h"

#include <array>

namespace propusk {

namespace {
constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Appends to `out`; whole groups are written in place (a Response is ~10 KB: per-character
// appends showed in the SSO profile).
void encode(std::string& out, std::string_view in, const char* alphabet, bool pad) {
  const std::size_t at = out.size();
  out.resize(at + (in.size() + 2) / 3 * 4);
  char* o = out.data() + at;
  size_t i = 0;
  auto u = [&](size_t k) { return static_cast<unsigned char>(in[k]); };
  for (; i + 3 <= in.size(); i += 3, o += 4) {
    unsigned v = u(i) << 16 | u(i + 1) << 8 | u(i + 2);
    o[0] = alphabet[v >> 18 & 63];
    o[1] = alphabet[v >> 12 & 63];
    o[2] = alphabet[v >> 6 & 63];
    o[3] = alphabet[v & 63];
  }
  if (size_t rest = in.size() - i) {
    unsigned v = u(i) << 16 | (rest == 2 ? u(i + 1) << 8 : 0);
    *o++ = alphabet[v >> 18 & 63];
    *o++ = alphabet[v >> 12 & 63];
    if (rest == 2) *o++ = alphabet[v >> 6 & 63];
    if (pad)
      while (o != out.data() + out.size()) *o++ = '=';
  }
  out.resize(static_cast<std::size_t>(o - out.data()));
}

constexpr std::array<signed char, 256> makeTable() {
  std::array<signed char, 256> t{};
  for (auto& c : t) c = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kStd[i])] = static_cast<signed char>(i);
  return t;
}
constexpr auto kTable = makeTable();
}  // namespace

void appendBase64(std::string& out, std::string_view bytes) { encode(out, bytes, kStd, true); }
std::string base64Encode(std::string_view bytes) {
  std::string out;
  encode(out, bytes, kStd, true);
  return out;
}
std::string base64UrlEncode(std::string_view bytes) {
  std::string out;
  encode(out, bytes, kUrl, false);
  return out;
}

Result<std::string> base64Decode(std::string_view text, std::size_t maxBytes) {
  std::string out;
  out.reserve(std::min(text.size() / 4 * 3, maxBytes));
  unsigned acc = 0;
  int bits = 0, padding = 0;
  size_t symbols = 0;
  for (unsigned char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    if (c == '=') {
      ++padding;
      ++symbols;
      continue;
    }
    if (padding) return invalid("base64: data after padding");
    int v = kTable[c];
    if (v < 0) return invalid("base64: character outside the alphabet");
    ++symbols;
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (out.size() >= maxBytes) return invalid("base64: decoded size over the cap");
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  if (symbols % 4 != 0 || padding > 2) return invalid("base64: length is not a multiple of 4");
  if ((acc & ((1u << bits) - 1)) != 0) return invalid("base64: non-zero trailing bits");
  return out;
}

}  // namespace propusk
