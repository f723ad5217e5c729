// Guessing from one client address (docs/account-security.md): every wrong password or code
// counts against the address (IPv6 by /64, core/cidr.h throttleKey) in the store, shared by
// instances; past `threshold` failures in `window` the address is blocked, for `firstBlock`
// doubling per further failure up to `maxBlock`. A blocked address is refused before any
// password is checked. Each block is audited (login.throttle).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "idp/core/clock.h"
#include "idp/store/store.h"

namespace propusk::sso {

struct ThrottlePolicy {
  int threshold = 30;
  std::chrono::seconds window = std::chrono::minutes(15);
  std::chrono::seconds firstBlock{5};
  std::chrono::seconds maxBlock = std::chrono::minutes(15);
};

class AddressThrottle {
 public:
  AddressThrottle(store::Store& store, const Clock& clock, ThrottlePolicy policy)
      : store_(store), clock_(clock), policy_(policy) {}
  // When `remote` is blocked now, until when.
  std::optional<TimePoint> blockedUntil(const std::string& remote);
  // A failure from `remote` (what: "password", "code"); returns when it is blocked, if it is now.
  std::optional<TimePoint> failure(const std::string& remote, std::string_view what);
  const ThrottlePolicy& policy() const { return policy_; }

 private:
  store::Store& store_;
  const Clock& clock_;
  ThrottlePolicy policy_;
};

}  // namespace propusk::sso
