// The active signing key, loaded from the store once per key (PEM parsing per request would
// cost more than the hash it signs) and re-checked every few seconds so that a rotation by
// propuskctl takes effect without a restart.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "idp/core/clock.h"
#include "idp/crypto/keys.h"
#include "idp/crypto/query_signature.h"
#include "idp/store/store.h"

namespace propusk::sso {

struct LoadedKey {
  // Throws std::runtime_error when the key does not match the certificate.
  LoadedKey(std::string id, crypto::EvpPkeyPtr key, crypto::X509Ptr cert);

  std::string id;
  crypto::EvpPkeyPtr key;
  crypto::X509Ptr cert;
  crypto::SignatureAlgorithm algorithm;  // crypto::defaultAlgorithmFor(key)
  std::string certBase64;                // ds:X509Certificate text of cert

  // A signer with a copy of `key` (crypto::DetachedSigner) lent to one signing thread at a
  // time: OpenSSL takes a key's lock and shares its RSA blinding between the threads that use
  // it, so the server's signers each sign with a copy of their own, through a signing context
  // set up once. Signers go back to this key's pool and die with it: after a rotation no idle
  // thread keeps the old private key.
  class Lease {
   public:
    Lease(const LoadedKey& owner, std::unique_ptr<crypto::DetachedSigner> signer)
        : owner_(owner), signer_(std::move(signer)) {}
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    const EVP_PKEY* get() const { return signer_->key(); }
    crypto::DetachedSigner& signer() const { return *signer_; }

   private:
    const LoadedKey& owner_;
    std::unique_ptr<crypto::DetachedSigner> signer_;
  };
  Lease lend() const;

 private:
  mutable std::mutex poolMutex_;
  mutable std::vector<std::unique_ptr<crypto::DetachedSigner>> pool_;
};

class SigningKeys {
 public:
  SigningKeys(store::Store& store, const Clock& clock) : store_(store), clock_(clock) {}
  // Throws std::runtime_error when no key is active or it cannot be loaded.
  std::shared_ptr<const LoadedKey> active();
  // The keys metadata publishes (next, active, previous), loaded: what may decrypt an
  // assertion an upstream encrypted to a certificate it read from our SP metadata, before or
  // after a rotation. A key that cannot be loaded is left out.
  std::vector<std::shared_ptr<const LoadedKey>> published();

 private:
  store::Store& store_;
  const Clock& clock_;
  std::mutex mutex_;
  std::shared_ptr<const LoadedKey> current_;
  TimePoint checkedAt_{};
  std::vector<std::shared_ptr<const LoadedKey>> published_;
  TimePoint publishedAt_{};
  bool publishedRead_ = false;
};

}  // namespace propusk::sso
