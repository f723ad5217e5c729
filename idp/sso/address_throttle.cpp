#include "idp/sso/address_throttle.h"

#include <algorithm>

#include "idp/core/cidr.h"
#include "idp/core/json_text.h"

namespace propusk::sso {

std::optional<TimePoint> AddressThrottle::blockedUntil(const std::string& remote) {
  return store_.addressBlockedUntil(throttleKey(remote), clock_.now());
}

std::optional<TimePoint> AddressThrottle::failure(const std::string& remote, std::string_view what) {
  const auto now = clock_.now();
  const std::string key = throttleKey(remote);
  auto rule = [this](int failures) {
    if (failures < policy_.threshold) return std::chrono::seconds(0);
    const int extra = std::min(failures - policy_.threshold, 20);
    return std::min(policy_.firstBlock * (1 << extra), policy_.maxBlock);
  };
  auto f = store_.recordAddressFailure(key, now, policy_.window, rule, [&](const store::AddressFailures& r)
                                           -> std::optional<store::AuditRecord> {
    if (r.block.count() == 0) return std::nullopt;  // counted; only a new block is an event
    return store::AuditRecord{"web", "login.throttle", key, "refused",
                              R"({"failures":)" + std::to_string(r.failures) + R"(,"block_seconds":)" +
                                  std::to_string(r.block.count()) + R"(,"after":)" + jsonString(what) + "}"};
  });
  if (f.blockedUntil && *f.blockedUntil > now) return f.blockedUntil;
  return std::nullopt;
}

}  // namespace propusk::sso
