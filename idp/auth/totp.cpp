#include "idp/auth/totp.h"

#include <stdexcept>

namespace propusk::auth {

std::optional<std::string> base32Decode(std::string_view text) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    if (c == ' ' || c == '-' || c == '=') continue;
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a';
    else if (c >= '2' && c <= '7') v = c - '2' + 26;
    else return std::nullopt;
    buffer = (buffer << 5) | static_cast<std::uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  if (bits >= 5 || (buffer & ((1u << bits) - 1)) != 0) return std::nullopt;  // a dangling character
  return out;
}

std::string hotp(std::string_view key, std::uint64_t counter, int digits, crypto::HmacDigest digest) {
  if (digits < 6 || digits > 8) throw std::invalid_argument("HOTP digits must be 6 to 8");
  std::string msg(8, '\0');
  for (int i = 7; i >= 0; --i, counter >>= 8) msg[static_cast<std::size_t>(i)] = static_cast<char>(counter & 0xff);
  auto mac = crypto::hmac(digest, key, msg);
  auto byte = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(mac[i])); };
  const std::size_t offset = byte(mac.size() - 1) & 0x0f;
  const std::uint32_t code = ((byte(offset) & 0x7f) << 24) | (byte(offset + 1) << 16) | (byte(offset + 2) << 8) |
                             byte(offset + 3);
  std::uint32_t mod = 1;
  for (int i = 0; i < digits; ++i) mod *= 10;
  std::string s = std::to_string(code % mod);
  return std::string(static_cast<std::size_t>(digits) - s.size(), '0') + s;
}

std::string totp(std::string_view key, TimePoint at, const TotpParams& params) {
  const auto unix = std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
  if (unix < 0) throw std::invalid_argument("TOTP time before 1970");
  return hotp(key, static_cast<std::uint64_t>(unix) / static_cast<std::uint64_t>(params.period.count()), params.digits,
              params.digest);
}

}  // namespace propusk::auth
