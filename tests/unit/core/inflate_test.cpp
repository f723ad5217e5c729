#include "idp/core/inflate.h"

#include <catch2/catch.hpp>

using namespace propusk;

TEST_CASE("raw deflate round trip", "[core][inflate]") {
  std::string msg = "<samlp:AuthnRequest ID=\"_1\"/>";
  auto r = inflateRaw(deflateRaw(msg));
  REQUIRE(r);
  CHECK(*r == msg);
}

TEST_CASE("a deflate bomb stops at the cap", "[core][inflate]") {
  std::string bomb = deflateRaw(std::string(10 << 20, 'A'));  // 10 MiB of 'A' is ~10 KB compressed
  CHECK(bomb.size() < 20000);
  auto r = inflateRaw(bomb);
  REQUIRE_FALSE(r);
  CHECK(r.error().detail.find("larger than") != std::string::npos);
}

TEST_CASE("garbage, zlib-wrapped and truncated data are refused", "[core][inflate]") {
  CHECK_FALSE(inflateRaw("not deflate at all"));
  std::string full = deflateRaw(std::string(1000, 'x') + "tail");
  CHECK_FALSE(inflateRaw(full.substr(0, full.size() / 2)));
  CHECK_FALSE(inflateRaw(std::string("\x78\x9c", 2) + full));  // zlib header: not the raw form SAML uses
}
