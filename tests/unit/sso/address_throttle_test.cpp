#include "idp/sso/address_throttle.h"

#include <catch2/catch.hpp>

#include "support.h"

using namespace propusk;

TEST_CASE("an address is blocked past the threshold, doubling, audited per block", "[sso][throttle]") {
  test::StoreFixture f;
  sso::AddressThrottle t(*f.store, f.clock, {3, std::chrono::minutes(15), std::chrono::seconds(5), std::chrono::seconds(30)});
  CHECK_FALSE(t.failure("203.0.113.7", "password"));
  CHECK_FALSE(t.failure("203.0.113.7", "password"));
  CHECK_FALSE(t.blockedUntil("203.0.113.7"));
  CHECK(t.failure("203.0.113.7", "code") == f.clock.now() + std::chrono::seconds(5));
  CHECK(t.blockedUntil("203.0.113.7"));
  CHECK_FALSE(t.blockedUntil("203.0.113.8"));  // another address
  CHECK(t.failure("203.0.113.7", "password") == f.clock.now() + std::chrono::seconds(10));
  for (int i = 0; i < 5; ++i) t.failure("203.0.113.7", "password");
  CHECK(t.blockedUntil("203.0.113.7") == f.clock.now() + std::chrono::seconds(30));  // capped
  f.clock.advance(std::chrono::seconds(31));
  CHECK_FALSE(t.blockedUntil("203.0.113.7"));
  int blocks = 0;
  for (auto& e : f.store->listAudit())
    if (e.record.action == "login.throttle") {
      ++blocks;
      CHECK(e.record.target == "203.0.113.7");
    }
  CHECK(blocks == 4);  // 5, 10, 20, then 30 s (the cap); later failures extend nothing, log nothing
}

TEST_CASE("IPv6 clients are throttled by their /64", "[sso][throttle]") {
  test::StoreFixture f;
  sso::AddressThrottle t(*f.store, f.clock, {2, std::chrono::minutes(15), std::chrono::seconds(5), std::chrono::seconds(30)});
  t.failure("2001:db8:1:2::1", "password");
  t.failure("2001:db8:1:2::ffff", "password");  // same /64: one client hopping addresses
  CHECK(t.blockedUntil("2001:db8:1:2:dead::beef"));
  CHECK_FALSE(t.blockedUntil("2001:db8:1:3::1"));
}
