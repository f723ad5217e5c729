// The cached active signing key and the copies of it that signing threads borrow.
#include "idp/sso/signing_keys.h"

#include <catch2/catch.hpp>
#include <thread>

#include "idp/admin/key_ring.h"
#include "idp/core/clock.h"
#include "idp/crypto/keys.h"
#include "idp/crypto/query_signature.h"
#include "idp/crypto/xml_signature.h"
#include "support.h"

using namespace propusk;

namespace {
std::string signWith(const EVP_PKEY* key) {
  auto sig = crypto::signDetached("SAMLResponse=x", key, crypto::defaultAlgorithmFor(key));
  REQUIRE(sig);
  return *sig;
}
bool verifies(const std::string& sig, const sso::LoadedKey& k) {
  X509* trusted[] = {k.cert.get()};
  return static_cast<bool>(
      crypto::verifyDetached("SAMLResponse=x", sig, crypto::defaultAlgorithmFor(k.key.get()), trusted, false));
}
}  // namespace

TEST_CASE("signers borrow copies of the key, one each at a time, returned for reuse", "[sso][keys]") {
  test::StoreFixture f;
  admin::KeySettings settings;
  settings.algorithm = crypto::KeyAlgorithm::EcP256;  // fast to generate; RSA takes the same path
  admin::generateKey(*f.store, settings, store::KeyState::Active, f.clock, "test");
  sso::SigningKeys keys(*f.store, f.clock);
  auto active = keys.active();

  const EVP_PKEY* first = nullptr;
  {
    auto a = active->lend();
    auto b = active->lend();  // both lent at once: two separate copies, neither the original
    first = a.get();
    CHECK(a.get() != b.get());
    CHECK(a.get() != active->key.get());
    CHECK(b.get() != active->key.get());
    CHECK(verifies(signWith(a.get()), *active));
    CHECK(verifies(signWith(b.get()), *active));
    auto viaSigner = a.signer().sign("SAMLResponse=x");  // the prepared signer: the lease's key
    REQUIRE(viaSigner);
    CHECK(verifies(*viaSigner, *active));
    CHECK(a.signer().key() == a.get());
  }
  {
    auto again = active->lend();  // back from the pool, not a new copy
    auto other = active->lend();
    CHECK((again.get() == first || other.get() == first));
  }

  std::string theirSig;
  std::thread([&] {
    auto lease = active->lend();
    theirSig = signWith(lease.get());
  }).join();
  CHECK(verifies(theirSig, *active));

  // A rotation: leases of the new key sign with the new key.
  admin::rotateKeys(*f.store, settings, f.clock, "test");
  f.clock.advance(std::chrono::seconds(6));  // past the 5 s re-check
  auto rotated = keys.active();
  REQUIRE(rotated->id != active->id);
  auto lease = rotated->lend();
  std::string sig = signWith(lease.get());
  CHECK(verifies(sig, *rotated));
  CHECK_FALSE(verifies(sig, *active));
}

TEST_CASE("an active key that cannot be loaded stops signing, the key it replaced too", "[sso][keys]") {
  test::StoreFixture f;
  admin::KeySettings settings;
  settings.algorithm = crypto::KeyAlgorithm::EcP256;
  admin::generateKey(*f.store, settings, store::KeyState::Active, f.clock, "test");
  sso::SigningKeys keys(*f.store, f.clock);
  auto good = keys.active();

  // The next key's certificate belongs to another key (a damaged or tampered store).
  auto other = crypto::generateKeyPair(crypto::KeyAlgorithm::EcP256, "idp.example", 30, f.clock);
  auto mine = crypto::generateKeyPair(crypto::KeyAlgorithm::EcP256, "idp.example", 30, f.clock);
  store::SigningKey bad;
  bad.id = "bad-key";
  bad.algorithm = "ec-p256";
  bad.privateKeyPem = crypto::privateKeyPem(mine.key.get());
  bad.certificatePem = crypto::certificatePem(other.cert.get());
  bad.createdAt = f.clock.now();
  f.store->addKey(bad, {"test", "key.add", bad.id, "ok", "{}"});
  auto all = f.store->listKeys();
  for (auto& k : all) k.state = k.id == bad.id ? store::KeyState::Active : store::KeyState::Previous;
  f.store->updateKeys(all, {"test", "key.rotate", bad.id, "ok", "{}"});

  f.clock.advance(std::chrono::seconds(6));  // past the 5 s re-check
  CHECK_THROWS_WITH(keys.active(), Catch::Contains("does not match its certificate"));
  CHECK_THROWS(keys.active());  // and again within the 5 s: never the replaced key
  f.clock.advance(std::chrono::seconds(1));
  CHECK_THROWS(keys.active());
}

TEST_CASE("a loaded key carries its certificate text and refuses a certificate of another key", "[sso][keys]") {
  const FixedClock clock("2026-01-10T10:00:00Z");
  auto kp = crypto::generateKeyPair(crypto::KeyAlgorithm::EcP256, "idp.example", 30, clock);
  auto other = crypto::generateKeyPair(crypto::KeyAlgorithm::EcP256, "idp.example", 30, clock);
  const std::string certText = crypto::certificateBase64Der(kp.cert.get());
  sso::LoadedKey k("k1", std::move(kp.key), std::move(kp.cert));
  CHECK(k.certBase64 == certText);
  CHECK(k.algorithm == crypto::SignatureAlgorithm::EcdsaSha256);
  CHECK_THROWS_WITH(sso::LoadedKey("k2", std::move(other.key), crypto::X509Ptr(X509_dup(k.cert.get()))),
                    Catch::Contains("does not match its certificate"));
}
