#include "idp/core/base64.h"

#include <catch2/catch.hpp>

using namespace propusk;

TEST_CASE("base64 round trips RFC 4648 vectors", "[core][base64]") {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (auto [plain, enc] : vectors) {
    CHECK(base64Encode(plain) == enc);
    auto d = base64Decode(enc);
    REQUIRE(d);
    CHECK(*d == plain);
  }
  CHECK(base64UrlEncode("\xfb\xff") == "-_8");
  CHECK(base64UrlEncode("f") == "Zg");
}

TEST_CASE("appendBase64 appends after what the string holds", "[core][base64]") {
  for (auto [plain, enc] : {std::pair{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foobar", "Zm9vYmFy"}}) {
    std::string out = "value=\"";
    appendBase64(out, plain);
    CHECK(out == std::string("value=\"") + enc);
  }
}

TEST_CASE("base64 decode skips line breaks but refuses junk", "[core][base64]") {
  CHECK(*base64Decode("Zm9v\r\nYmFy") == "foobar");
  CHECK_FALSE(base64Decode("Zm9v!mFy"));
  CHECK_FALSE(base64Decode("Zm9"));        // not a multiple of 4
  CHECK_FALSE(base64Decode("Zg==Zg=="));   // data after padding
  CHECK_FALSE(base64Decode("Zh=="));       // non-zero trailing bits
}

TEST_CASE("base64 decode stops at the output cap", "[core][base64]") {
  std::string enc = base64Encode(std::string(100, 'x'));
  CHECK(base64Decode(enc, 100));
  auto r = base64Decode(enc, 99);
  REQUIRE_FALSE(r);
  CHECK(r.error().detail.find("cap") != std::string::npos);
}
