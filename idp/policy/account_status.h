// ESIA-style account verification levels and their REFEDS assurance (DESIGN.md).
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace propusk::policy {

// Ordered: a higher value is a stronger verification.
enum class AccountStatus { Simplified = 0, Standard = 1, Confirmed = 2 };

std::string_view accountStatusName(AccountStatus s);
std::optional<AccountStatus> parseAccountStatus(std::string_view s);
// REFEDS Assurance Framework values released as eduPersonAssurance.
std::vector<std::string_view> assuranceUris(AccountStatus s);

}  // namespace propusk::policy
