// The IdP's signing keys: generation, staged rollover and retirement (shared by
// propuskctl and the server's first start).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "idp/core/clock.h"
#include "idp/core/result.h"
#include "idp/crypto/keys.h"
#include "idp/store/store.h"

namespace propusk::admin {

struct KeySettings {
  crypto::KeyAlgorithm algorithm = crypto::KeyAlgorithm::Rsa2048;
  int validityDays = 3650;
  std::string commonName = "Propusk IdP signing";
};

// Creates a key in `state` (Next: published ahead of use; Active only when none is active).
store::SigningKey generateKey(store::Store& store, const KeySettings& settings, store::KeyState state,
                              const Clock& clock, const std::string& actor);

// The active key, if any.
std::optional<store::SigningKey> activeKey(store::Store& store);
// Keys that metadata publishes: next, active, previous.
std::vector<store::SigningKey> publishedKeys(store::Store& store);

struct Rotation {
  store::SigningKey activated;
  std::optional<store::SigningKey> previous;  // the formerly active key, still published
  bool generated = false;                     // no pre-published key existed, one was made
};
// The newest Next key (or a new one) becomes Active; the Active one becomes Previous
// and stays published until retired.
Rotation rotateKeys(store::Store& store, const KeySettings& settings, const Clock& clock, const std::string& actor);

// Next or Previous -> Retired. Refuses the active key and unknown ids.
Result<store::SigningKey> retireKey(store::Store& store, const std::string& id, const Clock& clock,
                                    const std::string& actor);

}  // namespace propusk::admin
