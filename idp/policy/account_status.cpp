#include "idp/policy/account_status.h"

namespace propusk::policy {

std::string_view accountStatusName(AccountStatus s) {
  switch (s) {
    case AccountStatus::Simplified: return "simplified";
    case AccountStatus::Standard: return "standard";
    case AccountStatus::Confirmed: return "confirmed";
  }
  return "simplified";
}

std::optional<AccountStatus> parseAccountStatus(std::string_view s) {
  if (s == "simplified") return AccountStatus::Simplified;
  if (s == "standard") return AccountStatus::Standard;
  if (s == "confirmed") return AccountStatus::Confirmed;
  return std::nullopt;
}

std::vector<std::string_view> assuranceUris(AccountStatus s) {
  // REFEDS RAF: a higher identity-assurance level implies the lower ones are also asserted.
  std::vector<std::string_view> v{"https://refeds.org/assurance", "https://refeds.org/assurance/ID/unique",
                                  "https://refeds.org/assurance/IAP/low"};
  if (s >= AccountStatus::Standard) v.push_back("https://refeds.org/assurance/IAP/medium");
  if (s >= AccountStatus::Confirmed) v.push_back("https://refeds.org/assurance/IAP/high");
  return v;
}

}  // namespace propusk::policy
