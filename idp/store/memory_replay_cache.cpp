#include "idp/store/memory_replay_cache.h"

#include <chrono>

#include "idp/core/random.h"
#include "idp/crypto/digest.h"

namespace propusk::store {

namespace {
std::int64_t seconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
}  // namespace

MemoryReplayCache::MemoryReplayCache(std::size_t maxEntries) : maxEntries_(maxEntries) {
  auto salt = SystemRandom().bytes(16);
  salt_.assign(salt.begin(), salt.end());
}

void MemoryReplayCache::purge(std::int64_t now) {
  while (!byExpiry_.empty() && byExpiry_.top().first <= now) {
    auto it = entries_.find(byExpiry_.top().second);
    if (it != entries_.end() && it->second == byExpiry_.top().first) entries_.erase(it);
    byExpiry_.pop();
  }
}

bool MemoryReplayCache::remember(std::string_view key, TimePoint expiresAt, TimePoint now) {
  Digest d;
  const std::string full = crypto::sha256(salt_ + std::string(key));
  std::memcpy(d.data(), full.data(), d.size());
  const std::int64_t expiry = seconds(expiresAt), t = seconds(now);
  std::lock_guard lock(mutex_);
  purge(t);
  if (entries_.contains(d)) return false;
  // Full: refuse rather than forget, so a flood cannot push real IDs out and re-open replays.
  if (entries_.size() >= maxEntries_) return false;
  entries_.emplace(d, expiry);
  byExpiry_.emplace(expiry, d);
  return true;
}

std::size_t MemoryReplayCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace propusk::store
