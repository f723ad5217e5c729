#include "idp/auth/totp.h"

#include <cctype>
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

std::string base32Encode(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(kAlphabet[(buffer >> bits) & 31]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

std::int64_t totpStep(TimePoint at, const TotpParams& params) {
  const auto unix = std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
  return unix < 0 ? 0 : unix / params.period.count();
}

std::optional<std::int64_t> matchTotp(std::string_view key, std::string_view code, TimePoint at,
                                      const TotpParams& params, int window) {
  std::string digits;
  for (char c : code) {
    if (c == ' ') continue;
    if (c < '0' || c > '9' || digits.size() >= 16) return std::nullopt;
    digits.push_back(c);
  }
  if (digits.size() != static_cast<std::size_t>(params.digits)) return std::nullopt;
  const std::int64_t now = totpStep(at, params);
  std::optional<std::int64_t> found;
  // Every step of the window is computed and compared, whichever matches: the time taken says
  // nothing about which one (or whether one) did.
  for (std::int64_t step = now - window; step <= now + window; ++step) {
    if (step < 0) continue;
    const std::string expected = hotp(key, static_cast<std::uint64_t>(step), params.digits, params.digest);
    unsigned char diff = 0;
    for (std::size_t i = 0; i < expected.size(); ++i) diff |= static_cast<unsigned char>(expected[i] ^ digits[i]);
    if (diff == 0 && !found) found = step;
  }
  return found;
}

namespace {
std::string percentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}
}  // namespace

std::string otpauthUri(std::string_view issuer, std::string_view account, std::string_view key,
                       const TotpParams& params) {
  const char* algorithm = params.digest == crypto::HmacDigest::Sha1     ? "SHA1"
                          : params.digest == crypto::HmacDigest::Sha256 ? "SHA256"
                                                                        : "SHA512";
  return "otpauth://totp/" + percentEncode(issuer) + ":" + percentEncode(account) + "?secret=" + base32Encode(key) +
         "&issuer=" + percentEncode(issuer) + "&algorithm=" + algorithm + "&digits=" + std::to_string(params.digits) +
         "&period=" + std::to_string(params.period.count());
}

}  // namespace propusk::auth
