// Replay cache in process memory: right for one propusk instance (the SQLite default);
// several instances behind a load balancer need a shared one over PostgreSQL.
//
// Every AuthnRequest and logout message puts its ID here for the whole freshness window, so
// at a few thousand requests a second the cache holds hundreds of thousands of keys. Each is
// kept as 16 bytes of SHA-256(salt, key) (a collision needs ~2^64 keys) in a hash table, with
// a min-heap of expiry times beside it: ~90 bytes a key, found in constant time. The salt is
// random per process, so nobody can choose IDs that pile up in one bucket of the table.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "idp/saml/sp_directory.h"

namespace propusk::store {

class MemoryReplayCache final : public saml::ReplayCache {
 public:
  explicit MemoryReplayCache(std::size_t maxEntries = 1'000'000);

  bool remember(std::string_view key, TimePoint expiresAt, TimePoint now) override;
  std::size_t size() const;

 private:
  using Digest = std::array<unsigned char, 16>;
  struct DigestHash {
    std::size_t operator()(const Digest& d) const noexcept {
      std::size_t h;
      std::memcpy(&h, d.data(), sizeof h);  // already uniform: the bytes of a SHA-256
      return h;
    }
  };
  using Expiry = std::pair<std::int64_t, Digest>;  // seconds since the epoch, key

  void purge(std::int64_t now);  // caller holds mutex_

  mutable std::mutex mutex_;
  std::unordered_map<Digest, std::int64_t, DigestHash> entries_;  // key -> expiry
  std::priority_queue<Expiry, std::vector<Expiry>, std::greater<>> byExpiry_;  // soonest first
  std::size_t maxEntries_;
  std::string salt_;
};

}  // namespace propusk::store
