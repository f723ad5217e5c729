#include "idp/identity/validators.h"

#include <cctype>
#include <cstdint>

#include "idp/identity/utf8.h"

namespace propusk::identity {

namespace {

std::string digitsOnly(std::string_view text, std::string_view allowedSeparators, bool& ok) {
  std::string d;
  ok = true;
  for (char c : text) {
    if (c >= '0' && c <= '9') d += c;
    else if (allowedSeparators.find(c) == std::string_view::npos) ok = false;
  }
  return d;
}

int checkDigit(std::string_view d, std::initializer_list<int> weights) {
  int sum = 0;
  size_t i = 0;
  for (int w : weights) sum += w * (d[i++] - '0');
  return sum % 11 % 10;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

bool innChecksumValid(std::string_view d) {
  if (d.size() == 10)
    return checkDigit(d, {2, 4, 10, 3, 5, 9, 4, 6, 8}) == d[9] - '0';
  if (d.size() == 12)
    return checkDigit(d, {7, 2, 4, 10, 3, 5, 9, 4, 6, 8}) == d[10] - '0' &&
           checkDigit(d, {3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8}) == d[11] - '0';
  return false;
}

Result<std::string> normalizeInn(std::string_view text) {
  bool ok;
  std::string d = digitsOnly(trim(text), " ", ok);
  if (!ok) return invalid("must contain digits only");
  if (d.size() == 10) return invalid("10 digits is an organisation's INN; a person's INN has 12 digits");
  if (d.size() != 12) return invalid("must be 12 digits, got " + std::to_string(d.size()));
  if (d.starts_with("00")) return invalid("region code 00 does not exist");
  if (!innChecksumValid(d)) return invalid("check digits do not match (not a real INN)");
  return d;
}

Result<std::string> normalizeSnils(std::string_view text) {
  bool ok;
  std::string d = digitsOnly(trim(text), " -", ok);
  if (!ok) return invalid("must contain digits, spaces and dashes only");
  if (d.size() != 11) return invalid("must be 11 digits, got " + std::to_string(d.size()));
  std::string_view number(d.data(), 9);
  // Check digits are defined only above 001-001-998 (PFR rules); lower numbers are reserved.
  if (number <= "001001998") return invalid("numbers up to 001-001-998 are not issued");
  for (size_t i = 2; i < 9; ++i)
    if (number[i] == number[i - 1] && number[i] == number[i - 2])
      return invalid("a SNILS never has the same digit three times in a row");
  int sum = 0;
  for (size_t i = 0; i < 9; ++i) sum += (number[i] - '0') * static_cast<int>(9 - i);
  int check = sum < 100 ? sum : (sum <= 101 ? 0 : sum % 101);
  if (check == 100) check = 0;
  if (check != (d[9] - '0') * 10 + (d[10] - '0'))
    return invalid("check number does not match (not a real SNILS)");
  return d;
}

std::string formatSnils(std::string_view d) {
  if (d.size() != 11) return std::string(d);
  return std::string(d.substr(0, 3)) + "-" + std::string(d.substr(3, 3)) + "-" +
         std::string(d.substr(6, 3)) + " " + std::string(d.substr(9, 2));
}

Result<std::string> normalizePhone(std::string_view text) {
  text = trim(text);
  bool plus = !text.empty() && text.front() == '+';
  if (plus) text.remove_prefix(1);
  bool ok;
  std::string d = digitsOnly(text, " -()", ok);
  if (!ok) return invalid("must contain digits, spaces, dashes and brackets only");
  if (plus) {
    if (d.size() != 11 || d[0] != '7') return invalid("must be a Russian number +7 and 10 digits");
  } else if (d.size() == 11 && (d[0] == '8' || d[0] == '7')) {
  } else if (d.size() == 10) {
    d = "7" + d;
  } else {
    return invalid("must be +7 followed by 10 digits");
  }
  if (d[1] == '0') return invalid("area code cannot start with 0");
  return "+7" + d.substr(1);
}

Result<std::string> normalizeEmail(std::string_view text) {
  text = trim(text);
  if (text.size() > 254) return invalid("longer than 254 characters");
  auto at = text.rfind('@');
  if (at == std::string_view::npos || text.find('@') != at) return invalid("must contain exactly one @");
  std::string_view local = text.substr(0, at), domain = text.substr(at + 1);
  if (local.empty() || local.size() > 64) return invalid("the part before @ must be 1..64 characters");
  static constexpr std::string_view kAtext = "!#$%&'*+-/=?^_`{|}~";
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos)
    return invalid("the part before @ has a misplaced dot");
  for (char c : local)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && kAtext.find(c) == std::string_view::npos)
      return invalid(std::string("character '") + c + "' is not allowed before @");
  if (domain.empty() || domain.find('.') == std::string_view::npos)
    return invalid("the domain must contain a dot");
  std::string lowered;
  size_t labelLen = 0;
  char prev = '.';
  for (char c : domain) {
    if (c == '.') {
      if (labelLen == 0 || prev == '-') return invalid("the domain has an empty or malformed label");
      labelLen = 0;
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '-') {
      if (labelLen == 0 && c == '-') return invalid("a domain label cannot start with '-'");
      if (++labelLen > 63) return invalid("a domain label is longer than 63 characters");
    } else {
      return invalid(std::string("character '") + c + "' is not allowed in the domain");
    }
    lowered += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    prev = c;
  }
  if (labelLen == 0 || prev == '-') return invalid("the domain has an empty or malformed label");
  return std::string(local) + "@" + lowered;
}

Result<std::string> normalizeLogin(std::string_view text) {
  std::string s;
  for (char c : trim(text)) s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s.size() < 3 || s.size() > 64) return invalid("must be 3..64 characters");
  if (!std::isalnum(static_cast<unsigned char>(s[0]))) return invalid("must start with a letter or digit");
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
      return invalid("only Latin letters, digits, '.', '_' and '-' are allowed");
  return s;
}

Result<std::string> normalizeNamePart(std::string_view text) {
  text = trim(text);
  auto cps = decodeUtf8(text);
  if (!cps) return invalid("is not valid UTF-8");
  if (cps->empty()) return invalid("is empty");
  if (cps->size() > 100) return invalid("is longer than 100 characters");
  for (char32_t c : *cps) {
    if (!(isLetter(c) || c == U' ' || c == U'-' || c == U'\'' || c == U'\u2019'))
      return invalid("may contain only letters, spaces, hyphens and apostrophes");
  }
  if (!isLetter(cps->front())) return invalid("must start with a letter");
  return std::string(text);
}

}  // namespace propusk::identity
