// The active signing key, loaded from the store once per key (PEM parsing per request would
// cost more than the hash it signs) and re-checked every few seconds so that a rotation by
// propuskctl takes effect without a restart.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "idp/core/clock.h"
#include "idp/crypto/keys.h"
#include "idp/store/store.h"

namespace propusk::sso {

struct LoadedKey {
  std::string id;
  crypto::EvpPkeyPtr key;
  crypto::X509Ptr cert;
};

class SigningKeys {
 public:
  SigningKeys(store::Store& store, const Clock& clock) : store_(store), clock_(clock) {}
  // Throws std::runtime_error when no key is active or it cannot be loaded.
  std::shared_ptr<const LoadedKey> active();
  // The calling thread's own copy of `key`'s private key (crypto::duplicateKey: no lock and
  // no blinding state shared between the server's signing threads), made once per thread
  // and key.
  static const EVP_PKEY* forThisThread(const LoadedKey& key);

 private:
  store::Store& store_;
  const Clock& clock_;
  std::mutex mutex_;
  std::shared_ptr<const LoadedKey> current_;
  TimePoint checkedAt_{};
};

}  // namespace propusk::sso
