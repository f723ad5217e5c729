// Replay cache in process memory: right for one propusk instance (the SQLite default);
// several instances behind a load balancer need a shared one over PostgreSQL.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "idp/saml/sp_directory.h"

namespace propusk::store {

class MemoryReplayCache final : public saml::ReplayCache {
 public:
  explicit MemoryReplayCache(std::size_t maxEntries = 1'000'000) : maxEntries_(maxEntries) {}
  bool remember(std::string_view key, TimePoint expiresAt, TimePoint now) override;
  std::size_t size() const;

 private:
  void purge(TimePoint now);  // caller holds mutex_

  mutable std::mutex mutex_;
  std::map<std::string, TimePoint, std::less<>> entries_;
  std::multimap<TimePoint, std::string> byExpiry_;
  std::size_t maxEntries_;
};

}  // namespace propusk::store
