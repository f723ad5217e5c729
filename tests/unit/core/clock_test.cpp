#include "idp/core/clock.h"

#include <catch2/catch.hpp>

using namespace propusk;

TEST_CASE("xs:dateTime formats and parses in UTC", "[core][clock]") {
  auto t = parseXsDateTime("2026-01-10T10:00:00Z");
  REQUIRE(t);
  CHECK(formatXsDateTime(*t) == "2026-01-10T10:00:00Z");
  CHECK(*parseXsDateTime("2026-01-10T13:00:00+03:00") == *t);
  CHECK(*parseXsDateTime("2026-01-10T10:00:00.123Z") == *t);
  CHECK(*parseXsDateTime("2026-01-10T10:00Z") == *t);
  CHECK(formatXsDateTime(*t + std::chrono::seconds(59)) == "2026-01-10T10:00:59Z");
}

TEST_CASE("xs:dateTime formatting round-trips every field, padded", "[core][clock]") {
  for (const char* text : {"0999-02-03T04:05:06Z", "1970-01-01T00:00:00Z", "1999-12-31T23:59:59Z", "2000-02-29T12:34:56Z",
                           "2038-01-19T03:14:08Z", "9999-12-31T23:59:59Z"}) {
    auto t = parseXsDateTime(text);
    REQUIRE(t);
    CHECK(formatXsDateTime(*t) == text);
  }
}

TEST_CASE("malformed xs:dateTime is refused", "[core][clock]") {
  for (const char* bad : {"", "yesterday", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-01-10 10:00:00Z",
                          "2026-01-10T25:00:00Z", "2026-01-10T10:00:00Zjunk", "2026-01-10T10:00:00.Z"}) {
    INFO(bad);
    CHECK_FALSE(parseXsDateTime(bad));
  }
}

TEST_CASE("FixedClock is fixed until advanced", "[core][clock]") {
  FixedClock c("2026-01-10T10:00Z");
  auto a = c.now();
  CHECK(c.now() == a);
  c.advance(std::chrono::seconds(30));
  CHECK(c.now() - a == std::chrono::seconds(30));
}
