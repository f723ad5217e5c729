// The cached active signing key and the per-thread copies the signing threads use.
#include "idp/sso/signing_keys.h"

#include <catch2/catch.hpp>
#include <thread>

#include "idp/admin/key_ring.h"
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

TEST_CASE("each thread signs with a copy of its own, made once per key", "[sso][keys]") {
  test::StoreFixture f;
  admin::KeySettings settings;
  settings.algorithm = crypto::KeyAlgorithm::EcP256;  // fast to generate; RSA takes the same path
  admin::generateKey(*f.store, settings, store::KeyState::Active, f.clock, "test");
  sso::SigningKeys keys(*f.store, f.clock);
  auto active = keys.active();

  const EVP_PKEY* mine = sso::SigningKeys::forThisThread(*active);
  CHECK(mine != active->key.get());
  CHECK(sso::SigningKeys::forThisThread(*active) == mine);  // kept, not copied per call
  CHECK(verifies(signWith(mine), *active));

  const EVP_PKEY* theirs = nullptr;
  std::string theirSig;
  std::thread([&] {
    theirs = sso::SigningKeys::forThisThread(*active);
    theirSig = signWith(theirs);
  }).join();
  CHECK(theirs != mine);
  CHECK(verifies(theirSig, *active));

  // A rotation: the next signature uses a copy of the new key, not the old copy.
  admin::rotateKeys(*f.store, settings, f.clock, "test");
  f.clock.advance(std::chrono::seconds(6));  // past the 5 s re-check
  auto rotated = keys.active();
  REQUIRE(rotated->id != active->id);
  const EVP_PKEY* next = sso::SigningKeys::forThisThread(*rotated);
  std::string sig = signWith(next);
  CHECK(verifies(sig, *rotated));
  CHECK_FALSE(verifies(sig, *active));
}
