#include "idp/auth/password_policy.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "idp/identity/utf8.h"

namespace propusk::auth {

Status checkPassword(std::string_view password, std::string_view login, const PasswordPolicy& policy) {
  if (password.size() > policy.maxBytes)
    return invalid("must be at most " + std::to_string(policy.maxBytes) + " bytes");
  auto cps = identity::decodeUtf8(password);
  if (!cps) return invalid("is not valid UTF-8");
  for (char32_t c : *cps)
    if (c < 0x20 || c == 0x7F) return invalid("must not contain control characters");
  if (cps->size() < policy.minLength)
    return invalid("must be at least " + std::to_string(policy.minLength) + " characters");
  bool seen[4] = {};
  for (char32_t c : *cps) seen[static_cast<int>(identity::classify(c))] = true;
  int classes = seen[0] + seen[1] + seen[2] + seen[3];
  if (classes < policy.minClasses)
    return invalid("must mix at least " + std::to_string(policy.minClasses) +
                   " of: lowercase letters, uppercase letters, digits, other characters");
  if (!login.empty()) {
    auto lower = [](std::string_view s) {
      std::string r(s);
      std::transform(r.begin(), r.end(), r.begin(), [](unsigned char c) { return std::tolower(c); });
      return r;
    };
    if (lower(password).find(lower(login)) != std::string::npos) return invalid("must not contain the login");
  }
  return {};
}

}  // namespace propusk::auth
