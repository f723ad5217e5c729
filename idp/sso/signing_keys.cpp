#include "idp/sso/signing_keys.h"

#include <stdexcept>

#include "idp/admin/key_ring.h"

namespace propusk::sso {

const EVP_PKEY* SigningKeys::forThisThread(const LoadedKey& key) {
  struct Copy {
    std::string id;
    const EVP_PKEY* source = nullptr;
    crypto::EvpPkeyPtr key;
  };
  thread_local Copy copy;
  if (!copy.key || copy.source != key.key.get() || copy.id != key.id) {
    copy.key = crypto::duplicateKey(key.key.get());
    copy.source = key.key.get();
    copy.id = key.id;
  }
  return copy.key.get();
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
