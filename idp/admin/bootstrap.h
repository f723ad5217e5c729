// What a store needs before the IdP can serve: an active signing key and the secret
// behind pairwise NameIDs. Shared by `propuskctl init` and the server's first start.
#pragma once

#include <optional>
#include <string>

#include <filesystem>

#include "idp/admin/key_ring.h"
#include "idp/auth/factor_key.h"
#include "idp/core/random.h"

namespace propusk::admin {

inline constexpr char kPairwiseSecretSetting[] = "pairwise_secret";

struct Bootstrap {
  store::SigningKey activeKey;
  bool createdKey = false;
  bool createdSecret = false;
};

inline constexpr char kFactorKeyFingerprintSetting[] = "factor_key_fingerprint";

// The factor key (auth/factor_key.h) this store was set up with: read from `file`, or made there
// when the store has none yet (its fingerprint then recorded, audited). Throws std::runtime_error
// with what to do when the file is missing while the store has a key, or holds another key
// (several instances must share one; a new key would make every enrolled TOTP unusable).
auth::FactorKey openFactorKey(store::Store& store, const std::filesystem::path& file, Random& random,
                              const std::string& actor);

// Idempotent: creates only what is missing.
Bootstrap ensureInitialised(store::Store& store, const KeySettings& keys, const Clock& clock, Random& random,
                            const std::string& actor);

}  // namespace propusk::admin
