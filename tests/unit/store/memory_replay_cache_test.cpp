#include "idp/store/memory_replay_cache.h"

#include <catch2/catch.hpp>

using namespace propusk;

TEST_CASE("replay cache refuses a key until it expires", "[store][replay]") {
  store::MemoryReplayCache c;
  FixedClock clock("2026-01-10T10:00:00Z");
  auto t = clock.now();
  CHECK(c.remember("sp\n_1", t + std::chrono::minutes(5), t));
  CHECK_FALSE(c.remember("sp\n_1", t + std::chrono::minutes(5), t + std::chrono::minutes(4)));
  CHECK(c.remember("sp\n_2", t + std::chrono::minutes(5), t));
  CHECK(c.remember("sp\n_1", t + std::chrono::minutes(20), t + std::chrono::minutes(6)));  // expired, purged
  CHECK(c.size() == 1);
}

TEST_CASE("a full replay cache refuses instead of forgetting", "[store][replay]") {
  store::MemoryReplayCache c(2);
  FixedClock clock("2026-01-10T10:00:00Z");
  auto t = clock.now();
  CHECK(c.remember("a", t + std::chrono::minutes(5), t));
  CHECK(c.remember("b", t + std::chrono::minutes(5), t));
  CHECK_FALSE(c.remember("c", t + std::chrono::minutes(5), t));
  CHECK_FALSE(c.remember("a", t + std::chrono::minutes(5), t));
}
