#include "idp/admin/bootstrap.h"

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

}  // namespace propusk::admin
