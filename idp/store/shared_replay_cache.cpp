#include "idp/store/shared_replay_cache.h"

#include "idp/crypto/digest.h"

namespace propusk::store {

saml::Remembered SharedReplayCache::remember(std::string_view key, TimePoint expiresAt, TimePoint now) {
  // No salt, unlike the in-memory cache: a B-tree index cannot be flooded into one bucket.
  static constexpr char kHex[] = "0123456789abcdef";
  const std::string full = crypto::sha256(key);
  std::string digest;
  digest.reserve(32);
  for (std::size_t i = 0; i < 16; ++i) {
    const auto c = static_cast<unsigned char>(full[i]);
    digest += kHex[c >> 4];
    digest += kHex[c & 15];
  }
  return store_.rememberOnce(digest, expiresAt, now) ? saml::Remembered::First : saml::Remembered::Seen;
}

}  // namespace propusk::store
