// What a new password must satisfy. Defaults follow NIST SP 800-63B length guidance plus
// the "mixed classes" rule the project asks for; all configurable.
#pragma once

#include <cstddef>
#include <string_view>

#include "idp/core/result.h"

namespace propusk::auth {

struct PasswordPolicy {
  std::size_t minLength = 8;     // in characters (code points), not bytes
  int minClasses = 3;            // of lower, upper, digit, other (Latin and Cyrillic letters)
  std::size_t maxBytes = 1024;   // bounds hashing work; longer input is refused
};

// Detail says which rule failed, e.g. "must be at least 8 characters".
Status checkPassword(std::string_view password, std::string_view login, const PasswordPolicy& policy);

}  // namespace propusk::auth
