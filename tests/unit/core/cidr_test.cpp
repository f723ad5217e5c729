#include "idp/core/cidr.h"

#include <catch2/catch.hpp>

using namespace propusk;

TEST_CASE("CIDR ranges parse and match IPv4, IPv6 and mapped addresses", "[core][cidr]") {
  auto net = Cidr::parse("10.1.0.0/16");
  REQUIRE(net);
  CHECK(net->contains("10.1.255.7"));
  CHECK_FALSE(net->contains("10.2.0.1"));
  CHECK(net->contains("::ffff:10.1.2.3"));  // what a dual-stack listener reports
  CHECK_FALSE(net->contains("2001:db8::1"));
  CHECK_FALSE(net->contains("10.1.2.3:443"));
  CHECK_FALSE(net->contains("not an address"));
  auto v6 = Cidr::parse("2001:db8::/32");
  REQUIRE(v6);
  CHECK(v6->contains("2001:db8:ffff::1"));
  CHECK_FALSE(v6->contains("2001:db9::1"));
  CHECK_FALSE(v6->contains("10.1.2.3"));
  auto one = Cidr::parse("192.0.2.5");
  REQUIRE(one);
  CHECK(one->text() == "192.0.2.5/32");
  CHECK(one->contains("192.0.2.5"));
  CHECK_FALSE(one->contains("192.0.2.6"));
  CHECK(Cidr::parse("0.0.0.0/0")->contains("203.0.113.9"));
}

TEST_CASE("bad ranges are refused with the reason", "[core][cidr]") {
  for (const char* bad : {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "10.0.0/8", "example.org/8", ""}) {
    INFO(bad);
    CHECK_FALSE(Cidr::parse(bad));
  }
  auto hostBits = Cidr::parse("10.1.2.3/16");
  REQUIRE_FALSE(hostBits);
  CHECK_THAT(hostBits.error().detail, Catch::Contains("10.1.0.0/16"));  // says what was meant
  auto list = parseCidrList("10.0.0.0/8, 2001:db8::/32 ,192.0.2.1");
  REQUIRE(list);
  CHECK(list->size() == 3);
  auto badList = parseCidrList("10.0.0.0/8,nonsense");
  REQUIRE_FALSE(badList);
  CHECK_THAT(badList.error().detail, Catch::Contains("nonsense"));
  CHECK(anyContains({}, "198.51.100.1"));  // no list: any address
  CHECK_FALSE(anyContains(*list, "198.51.100.1"));
}

TEST_CASE("throttling keys: IPv4 as it is, IPv6 by its /64", "[core][cidr]") {
  CHECK(throttleKey("203.0.113.9") == "203.0.113.9");
  CHECK(throttleKey("::ffff:203.0.113.9") == "203.0.113.9");
  CHECK(throttleKey("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64");
  CHECK(throttleKey("2001:db8:1:2:bbbb::9") == throttleKey("2001:db8:1:2:aaaa::1"));
  CHECK(throttleKey("2001:db8:1:3::1") != throttleKey("2001:db8:1:2::1"));
}
