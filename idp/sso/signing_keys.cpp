#include "idp/sso/signing_keys.h"

#include <stdexcept>

#include "idp/admin/key_ring.h"

namespace propusk::sso {

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
