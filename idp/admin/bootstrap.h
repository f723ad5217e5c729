// What a store needs before the IdP can serve: an active signing key and the secret
// behind pairwise NameIDs. Shared by `propuskctl init` and the server's first start.
#pragma once

#include <optional>
#include <string>

#include "idp/admin/key_ring.h"
#include "idp/core/random.h"

namespace propusk::admin {

inline constexpr char kPairwiseSecretSetting[] = "pairwise_secret";

struct Bootstrap {
  store::SigningKey activeKey;
  bool createdKey = false;
  bool createdSecret = false;
};

// Idempotent: creates only what is missing.
Bootstrap ensureInitialised(store::Store& store, const KeySettings& keys, const Clock& clock, Random& random,
                            const std::string& actor);

}  // namespace propusk::admin
