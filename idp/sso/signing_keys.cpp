#include "idp/sso/signing_keys.h"

#include <algorithm>
#include <stdexcept>

#include "idp/admin/key_ring.h"

namespace propusk::sso {

LoadedKey::LoadedKey(std::string id_, crypto::EvpPkeyPtr key_, crypto::X509Ptr cert_)
    : id(std::move(id_)), key(std::move(key_)), cert(std::move(cert_)), algorithm(crypto::defaultAlgorithmFor(key.get())),
      certBase64(crypto::certificateBase64Der(cert.get())) {
  if (!crypto::keyMatchesCertificate(key.get(), cert.get()))
    throw std::runtime_error("key " + id + " does not match its certificate");
}

LoadedKey::Lease LoadedKey::lend() const {
  {
    std::lock_guard lock(poolMutex_);
    if (!pool_.empty()) {
      auto signer = std::move(pool_.back());
      pool_.pop_back();
      return Lease(*this, std::move(signer));
    }
  }
  // One per signer signing at once.
  return Lease(*this, std::make_unique<crypto::DetachedSigner>(key.get(), algorithm));
}

LoadedKey::Lease::~Lease() {
  std::lock_guard lock(owner_.poolMutex_);
  try {
    owner_.pool_.push_back(std::move(signer_));
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
  // Fail closed: while the new active key cannot be loaded, nothing is signed (not even with
  // the key it replaced); every call tries again.
  current_.reset();
  auto key = crypto::loadPrivateKeyPem(k->privateKeyPem);
  auto cert = crypto::loadCertificatePem(k->certificatePem);
  if (!key || !cert) throw std::runtime_error("active key " + k->id + " cannot be loaded");
  current_ = std::make_shared<LoadedKey>(k->id, std::move(*key), std::move(*cert));
  return current_;
}

std::vector<std::shared_ptr<const LoadedKey>> SigningKeys::published() {
  auto now = clock_.now();
  {
    std::lock_guard lock(mutex_);
    if (publishedRead_ && now - publishedAt_ < std::chrono::seconds(5)) return published_;
  }
  auto rows = admin::publishedKeys(store_);  // store I/O outside our lock
  std::vector<std::shared_ptr<const LoadedKey>> loaded;
  {
    std::lock_guard lock(mutex_);
    for (auto& row : rows) {
      auto same = std::find_if(published_.begin(), published_.end(), [&](auto& k) { return k->id == row.id; });
      if (same != published_.end()) {
        loaded.push_back(*same);
        continue;
      }
      auto key = crypto::loadPrivateKeyPem(row.privateKeyPem);
      auto cert = crypto::loadCertificatePem(row.certificatePem);
      if (!key || !cert) continue;
      try {
        loaded.push_back(std::make_shared<LoadedKey>(row.id, std::move(*key), std::move(*cert)));
      } catch (const std::runtime_error&) {
        // a key that does not match its certificate decrypts nothing
      }
    }
    published_ = loaded;
    publishedAt_ = now;
    publishedRead_ = true;
  }
  return loaded;
}

}  // namespace propusk::sso
