#include "idp/admin/bootstrap.h"

#include <stdexcept>

namespace propusk::admin {

Bootstrap ensureInitialised(store::Store& store, const KeySettings& keys, const Clock& clock, Random& random,
                            const std::string& actor) {
  Bootstrap b;
  if (!store.getSetting(kPairwiseSecretSetting)) {
    // The value never appears in the audit log: only that it was created.
    store.putSetting(kPairwiseSecretSetting, random.hex(32), {actor, "setting.create", kPairwiseSecretSetting, "ok", "{}"});
    b.createdSecret = true;
  }
  if (auto k = activeKey(store)) {
    b.activeKey = *k;
  } else {
    b.activeKey = generateKey(store, keys, store::KeyState::Active, clock, actor);
    b.createdKey = true;
  }
  return b;
}

auth::FactorKey openFactorKey(store::Store& store, const std::filesystem::path& file, Random& random,
                              const std::string& actor) {
  auto recorded = store.getSetting(kFactorKeyFingerprintSetting);
  if (recorded && !std::filesystem::exists(file))
    throw std::runtime_error("factor key " + file.string() + ": missing, but the store was set up with one (copy "
                             "factor.key from the first instance's data directory, or set [auth] factor_key_file)");
  auto key = auth::FactorKey::load(file, !recorded, random);
  if (!recorded) {
    store.putSetting(kFactorKeyFingerprintSetting, key.fingerprint(), {actor, "factor-key.create", file.string(), "ok", "{}"});
  } else if (*recorded != key.fingerprint()) {
    throw std::runtime_error("factor key " + file.string() + ": not the key this store was set up with (every "
                             "instance must use the same factor.key)");
  }
  return key;
}

}  // namespace propusk::admin
