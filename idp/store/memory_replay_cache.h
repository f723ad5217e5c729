// Replay cache in process memory: right for one propusk instance (the SQLite default);
// several instances behind a load balancer need a shared one over PostgreSQL.
//
// Every AuthnRequest and logout message puts its ID here for the whole freshness window
// (IssueInstant + lifetime + twice the skew: 11 minutes by default), so at 2 400 requests a
// second the cache holds 1.6 million IDs. Each is kept as 16 bytes of SHA-256(salt, key) (a
// collision needs ~2^64 keys; the salt is random per process, so nobody can choose IDs that
// pile up in one bucket of a table) in a hash set per minute of expiry: ~43 bytes an ID, a
// look-up per live minute (about a dozen), and expiry drops a whole minute at once. An ID is
// kept until the end of its minute, never less than asked.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <unordered_set>

#include "idp/saml/sp_directory.h"

namespace propusk::store {

class MemoryReplayCache final : public saml::ReplayCache {
 public:
  // 4 million IDs (~170 MB) hold 6 000 requests a second for the default window.
  explicit MemoryReplayCache(std::size_t maxEntries = 4'000'000);

  saml::Remembered remember(std::string_view key, TimePoint expiresAt, TimePoint now) override;
  std::size_t size() const;

 private:
  using Digest = std::array<unsigned char, 16>;
  struct DigestHash {
    std::size_t operator()(const Digest& d) const noexcept {
      std::size_t h;
      std::memcpy(&h, d.data(), sizeof h);  // already uniform: the bytes of a salted SHA-256
      return h;
    }
  };
  static constexpr std::int64_t kSlotSeconds = 60;

  void purge(std::int64_t now);  // caller holds mutex_

  mutable std::mutex mutex_;
  std::map<std::int64_t, std::unordered_set<Digest, DigestHash>> slots_;  // by the end of their minute
  std::size_t size_ = 0;
  std::size_t maxEntries_;
  std::string salt_;
};

}  // namespace propusk::store
