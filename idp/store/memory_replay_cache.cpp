#include "idp/store/memory_replay_cache.h"

namespace propusk::store {

void MemoryReplayCache::purge(TimePoint now) {
  while (!byExpiry_.empty() && byExpiry_.begin()->first <= now) {
    auto it = entries_.find(byExpiry_.begin()->second);
    if (it != entries_.end() && it->second == byExpiry_.begin()->first) entries_.erase(it);
    byExpiry_.erase(byExpiry_.begin());
  }
}

bool MemoryReplayCache::remember(std::string_view key, TimePoint expiresAt, TimePoint now) {
  std::lock_guard lock(mutex_);
  purge(now);
  if (auto it = entries_.find(key); it != entries_.end()) return false;
  // Full: refuse rather than forget, so a flood cannot push real IDs out and re-open replays.
  if (entries_.size() >= maxEntries_) return false;
  entries_.emplace(std::string(key), expiresAt);
  byExpiry_.emplace(expiresAt, std::string(key));
  return true;
}

std::size_t MemoryReplayCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace propusk::store
