#include "idp/auth/one_time_code.h"

#include <cctype>

namespace propusk::auth {

std::string newNumericCode(Random& random, int digits) {
  std::string out;
  while (static_cast<int>(out.size()) < digits) {
    for (std::uint8_t b : random.bytes(16)) {
      if (b >= 250) continue;  // 250 = 25 × 10: the bytes below it map evenly onto 0..9
      out.push_back(static_cast<char>('0' + b % 10));
      if (static_cast<int>(out.size()) == digits) break;
    }
  }
  return out;
}

std::optional<std::string> normalizeNumericCode(std::string_view typed, int digits) {
  std::string out;
  for (char c : typed) {
    if (c == ' ' || c == '-') continue;
    if (c < '0' || c > '9' || static_cast<int>(out.size()) >= digits) return std::nullopt;
    out.push_back(c);
  }
  if (static_cast<int>(out.size()) != digits) return std::nullopt;
  return out;
}

std::string oneTimeCodeMac(const FactorKey& key, std::string_view id, std::string_view code) {
  return key.mac("one-time code", std::string(id) + ":" + std::string(code));
}

std::vector<std::string> newRecoveryCodes(Random& random, std::size_t count) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::vector<std::string> out;
  for (std::size_t i = 0; i < count; ++i) {
    auto bytes = random.bytes(12);
    std::string code;
    for (std::size_t k = 0; k < 12; ++k) {
      if (k == 4 || k == 8) code.push_back('-');
      code.push_back(kAlphabet[bytes[k] & 31]);  // 256 is a multiple of 32: uniform
    }
    out.push_back(std::move(code));
  }
  return out;
}

std::optional<std::string> normalizeRecoveryCode(std::string_view typed) {
  std::string out;
  for (char raw : typed) {
    if (raw == ' ' || raw == '-') continue;
    char c = static_cast<char>(std::toupper(static_cast<unsigned char>(raw)));
    if (c == '0') c = 'O';
    else if (c == '1') c = 'I';
    else if (c == '8') c = 'B';
    if (!((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7')) || out.size() >= 12) return std::nullopt;
    out.push_back(c);
  }
  if (out.size() != 12) return std::nullopt;
  return out;
}

std::string recoveryCodeMac(const FactorKey& key, std::string_view uid, std::string_view normalized) {
  return key.mac("recovery code", std::string(uid) + ":" + std::string(normalized));
}

}  // namespace propusk::auth
