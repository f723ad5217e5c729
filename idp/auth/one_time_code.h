// Codes a person types: six-digit one-time codes sent by e-mail or SMS, and recovery codes
// (ten, shown once at enrolment, each usable once instead of the second factor). Both are kept
// only as MACs under the factor key (auth/factor_key.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "idp/auth/factor_key.h"
#include "idp/core/random.h"

namespace propusk::auth {

// `digits` decimal digits, uniformly distributed (rejection sampling, no modulo bias).
std::string newNumericCode(Random& random, int digits = 6);
// What the person typed, as a code of `digits` digits (spaces and hyphens ignored); nullopt otherwise.
std::optional<std::string> normalizeNumericCode(std::string_view typed, int digits = 6);
// The MAC kept for code `code` of the one-time code row `id` (the id binds it to that row).
std::string oneTimeCodeMac(const FactorKey& key, std::string_view id, std::string_view code);

// Ten recovery codes "XXXX-XXXX-XXXX" of RFC 4648 base32 characters (60 bits each).
std::vector<std::string> newRecoveryCodes(Random& random, std::size_t count = 10);
// Upper case, spaces and hyphens dropped, 0/1/8 read as O/I/B (the letters they look like);
// nullopt unless 12 base32 characters are left.
std::optional<std::string> normalizeRecoveryCode(std::string_view typed);
// The MAC kept for a (normalised) recovery code of the account `uid`.
std::string recoveryCodeMac(const FactorKey& key, std::string_view uid, std::string_view normalized);

}  // namespace propusk::auth
