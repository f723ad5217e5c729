#include "idp/admin/key_ring.h"

#include <catch2/catch.hpp>

#include "idp/admin/bootstrap.h"
#include "support.h"

using namespace propusk;
using store::KeyState;

namespace {
admin::KeySettings fastKeys() { return {crypto::KeyAlgorithm::EcP256, 30, "test"}; }
int count(store::Store& s, KeyState st) {
  int n = 0;
  for (auto& k : s.listKeys()) n += k.state == st;
  return n;
}
}  // namespace

TEST_CASE("bootstrap makes one active key and the pairwise secret, once", "[admin][keys]") {
  test::TempDir dir;
  FixedClock clock("2026-01-10T10:00:00Z");
  SystemRandom rnd;
  auto store = store::openSqliteStore(dir / "s.db", clock);
  auto a = admin::ensureInitialised(*store, fastKeys(), clock, rnd, "test");
  CHECK(a.createdKey);
  CHECK(a.createdSecret);
  auto b = admin::ensureInitialised(*store, fastKeys(), clock, rnd, "test");
  CHECK_FALSE(b.createdKey);
  CHECK_FALSE(b.createdSecret);
  CHECK(b.activeKey.id == a.activeKey.id);
  CHECK(store->listKeys().size() == 1);
  REQUIRE(store->getSetting(admin::kPairwiseSecretSetting));
  CHECK(store->getSetting(admin::kPairwiseSecretSetting)->size() == 64);
  for (auto& e : store->listAudit()) CHECK(e.record.details.find(*store->getSetting(admin::kPairwiseSecretSetting)) == std::string::npos);
}

TEST_CASE("rollover: next is published, rotate activates it, old stays published until retired", "[admin][keys]") {
  test::TempDir dir;
  FixedClock clock("2026-01-10T10:00:00Z");
  SystemRandom rnd;
  auto store = store::openSqliteStore(dir / "s.db", clock);
  auto first = admin::ensureInitialised(*store, fastKeys(), clock, rnd, "test").activeKey;
  auto next = admin::generateKey(*store, fastKeys(), KeyState::Next, clock, "test");
  CHECK(admin::publishedKeys(*store).size() == 2);
  CHECK(admin::activeKey(*store)->id == first.id);

  auto r = admin::rotateKeys(*store, fastKeys(), clock, "test");
  CHECK_FALSE(r.generated);
  CHECK(r.activated.id == next.id);
  REQUIRE(r.previous);
  CHECK(r.previous->id == first.id);
  CHECK(admin::activeKey(*store)->id == next.id);
  CHECK(count(*store, KeyState::Previous) == 1);
  CHECK(admin::publishedKeys(*store).size() == 2);

  auto refused = admin::retireKey(*store, next.id, clock, "test");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().detail.find("active") != std::string::npos);
  REQUIRE(admin::retireKey(*store, first.id, clock, "test"));
  CHECK(admin::publishedKeys(*store).size() == 1);
  CHECK_FALSE(admin::retireKey(*store, first.id, clock, "test"));
  CHECK_FALSE(admin::retireKey(*store, "nope", clock, "test"));

  // With no pre-published key, rotate makes one.
  auto again = admin::rotateKeys(*store, fastKeys(), clock, "test");
  CHECK(again.generated);
  CHECK(count(*store, KeyState::Active) == 1);
}
