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
  while (!slots_.empty() && slots_.begin()->first <= now) {
    size_ -= slots_.begin()->second.size();
    slots_.erase(slots_.begin());
  }
}

saml::Remembered MemoryReplayCache::remember(std::string_view key, TimePoint expiresAt, TimePoint now) {
  Digest d;
  const std::string full = crypto::sha256(salt_ + std::string(key));
  std::memcpy(d.data(), full.data(), d.size());
  const std::int64_t expiry = seconds(expiresAt), t = seconds(now);
  // The end of the minute the expiry falls in (rounded up: never forgotten early).
  const std::int64_t rest = ((expiry % kSlotSeconds) + kSlotSeconds) % kSlotSeconds;
  const std::int64_t slotEnd = rest == 0 ? expiry : expiry - rest + kSlotSeconds;
  std::lock_guard lock(mutex_);
  purge(t);
  for (const auto& [end, ids] : slots_)
    if (ids.contains(d)) return saml::Remembered::Seen;
  // Full: refuse rather than forget, so a flood cannot push real IDs out and re-open replays.
  if (size_ >= maxEntries_) return saml::Remembered::Full;
  slots_[slotEnd].insert(d);
  ++size_;
  return saml::Remembered::First;
}

std::size_t MemoryReplayCache::size() const {
  std::lock_guard lock(mutex_);
  return size_;
}

}  // namespace propusk::store
