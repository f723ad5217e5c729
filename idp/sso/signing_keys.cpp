#include "idp/sso/signing_keys.h"

#include <stdexcept>

#include "idp/admin/key_ring.h"

namespace propusk::sso {

LoadedKey::Lease LoadedKey::lend() const {
  {
    std::lock_guard lock(poolMutex_);
    if (!pool_.empty()) {
      crypto::EvpPkeyPtr copy = std::move(pool_.back());
      pool_.pop_back();
      return Lease(*this, std::move(copy));
    }
  }
  return Lease(*this, crypto::duplicateKey(key.get()));  // one per signer signing at once
}

LoadedKey::Lease::~Lease() {
  std::lock_guard lock(owner_.poolMutex_);
  try {
    owner_.pool_.push_back(std::move(copy_));
  } catch (...) {
    // Out of memory: the copy is freed here instead of kept.
  }
}

std::shared_ptr<const LoadedKey> SigningKeys::active() {
  auto now = clock_.now();
  {
    std::lock_guard lock(mutex_);
    if (current_ && now - checkedAt_ < std::chrono::seconds(5)) return current_;
  }
  auto k = admin::activeKey(store_);  // store I/O outside our lock
  if (!k) throw std::runtime_error("no active signing key");
  std::lock_guard lock(mutex_);
  checkedAt_ = now;
  if (current_ && current_->id == k->id) return current_;
  auto key = crypto::loadPrivateKeyPem(k->privateKeyPem);
  auto cert = crypto::loadCertificatePem(k->certificatePem);
  if (!key || !cert) throw std::runtime_error("active key " + k->id + " cannot be loaded");
  auto loaded = std::make_shared<LoadedKey>();
  loaded->id = k->id;
  loaded->key = std::move(*key);
  loaded->cert = std::move(*cert);
  current_ = loaded;
  return current_;
}

}  // namespace propusk::sso
