// The replay cache for several instances on one PostgreSQL database (docs/store.md): an
// AuthnRequest or logout message replayed to another instance is refused there too. Each key
// is kept as the first 16 bytes of SHA-256(key), hex, in the table replay_ids until its expiry;
// the store decides "first or seen" in one statement (Store::rememberOnce), so two instances
// taking the same message at the same moment cannot both accept it. Expired rows are swept by
// the server's housekeeping (Store::purgeExpired).
#pragma once

#include "idp/saml/sp_directory.h"
#include "idp/store/store.h"

namespace propusk::store {

class SharedReplayCache final : public saml::ReplayCache {
 public:
  explicit SharedReplayCache(Store& store) : store_(store) {}
  // Never Full: the table grows with the request rate over the freshness window (1.6 million
  // rows at 2 400 requests a second), which a database holds. A StoreError (database down)
  // reaches the request, which fails with a 500 page: nothing is accepted unchecked.
  saml::Remembered remember(std::string_view key, TimePoint expiresAt, TimePoint now) override;

 private:
  Store& store_;
};

}  // namespace propusk::store
