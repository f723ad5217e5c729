#include "idp/store/memory_replay_cache.h"

#include <catch2/catch.hpp>

using namespace propusk;
using saml::Remembered;
constexpr auto First = Remembered::First;
constexpr auto Seen = Remembered::Seen;
constexpr auto Full = Remembered::Full;

TEST_CASE("replay cache refuses a key until it expires", "[store][replay]") {
  store::MemoryReplayCache c;
  FixedClock clock("2026-01-10T10:00:00Z");
  auto t = clock.now();
  CHECK(c.remember("sp\n_1", t + std::chrono::minutes(5), t) == First);
  CHECK(c.remember("sp\n_1", t + std::chrono::minutes(5), t + std::chrono::minutes(4)) == Seen);
  CHECK(c.remember("sp\n_2", t + std::chrono::minutes(5), t) == First);
  CHECK(c.remember("sp\n_1", t + std::chrono::minutes(20), t + std::chrono::minutes(6)) == First);  // expired, purged
  CHECK(c.size() == 1);
}

TEST_CASE("a full replay cache refuses instead of forgetting", "[store][replay]") {
  store::MemoryReplayCache c(2);
  FixedClock clock("2026-01-10T10:00:00Z");
  auto t = clock.now();
  CHECK(c.remember("a", t + std::chrono::minutes(5), t) == First);
  CHECK(c.remember("b", t + std::chrono::minutes(5), t) == First);
  CHECK(c.remember("c", t + std::chrono::minutes(5), t) == Full);  // full: refused, and not as a replay
  CHECK(c.remember("a", t + std::chrono::minutes(5), t) == Seen);
}

TEST_CASE("replay cache expires keys in expiry order, whatever the order they came in", "[store][replay]") {
  store::MemoryReplayCache c;
  FixedClock clock("2026-01-10T10:00:00Z");
  auto t = clock.now();
  using std::chrono::minutes;
  CHECK(c.remember("sp\n_late", t + minutes(10), t) == First);
  CHECK(c.remember("sp\n_early", t + minutes(5), t) == First);
  CHECK(c.remember("other-sp\n_late", t + minutes(10), t) == First);  // the same ID at another SP is another key
  CHECK(c.size() == 3);
  CHECK(c.remember("sp\n_early", t + minutes(5), t + minutes(5) - std::chrono::seconds(1)) == Seen);
  // At +6 minutes the early one is gone, the late one is still refused.
  CHECK(c.remember("sp\n_early", t + minutes(20), t + minutes(6)) == First);
  CHECK(c.remember("sp\n_late", t + minutes(20), t + minutes(6)) == Seen);
  // Re-remembered with a later expiry: the first expiry does not remove it.
  CHECK(c.remember("sp\n_early", t + minutes(20), t + minutes(11)) == Seen);
  CHECK(c.size() == 1);
  CHECK(c.remember("sp\n_early", t + minutes(30), t + minutes(20)) == First);
}

TEST_CASE("replay cache holds a hundred thousand keys", "[store][replay]") {
  store::MemoryReplayCache c;
  FixedClock clock("2026-01-10T10:00:00Z");
  auto t = clock.now();
  int accepted = 0;
  for (int i = 0; i < 100000; ++i) accepted += c.remember("sp\n_" + std::to_string(i), t + std::chrono::minutes(5), t) == First;
  CHECK(accepted == 100000);
  CHECK(c.size() == 100000);
  for (int i = 0; i < 100000; i += 997) CHECK(c.remember("sp\n_" + std::to_string(i), t + std::chrono::minutes(5), t) == Seen);
  CHECK(c.remember("sp\n_0", t + std::chrono::minutes(10), t + std::chrono::minutes(5)) == First);
  CHECK(c.size() == 1);
}

TEST_CASE("replay cache keeps an ID to the end of its minute, never less", "[store][replay]") {
  store::MemoryReplayCache c;
  FixedClock clock("2026-01-10T10:00:00Z");
  auto t = clock.now();
  using std::chrono::seconds;
  CHECK(c.remember("sp\n_a", t + seconds(130), t) == First);  // expires 10:02:10
  CHECK(c.remember("sp\n_a", t + seconds(130), t + seconds(129)) == Seen);
  CHECK(c.remember("sp\n_a", t + seconds(130), t + seconds(179)) == Seen);  // kept to 10:03:00
  CHECK(c.remember("sp\n_a", t + seconds(300), t + seconds(180)) == First);
  // A full cache frees room as its minutes end.
  store::MemoryReplayCache small(1);
  CHECK(small.remember("x", t + seconds(60), t) == First);
  CHECK(small.remember("y", t + seconds(60), t) == Full);
  CHECK(small.remember("y", t + seconds(120), t + seconds(60)) == First);
}
