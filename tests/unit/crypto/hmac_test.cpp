#include "idp/crypto/hmac.h"

#include <catch2/catch.hpp>

#include "idp/crypto/digest.h"

using namespace propusk::crypto;

TEST_CASE("HMAC-SHA256 matches RFC 4231", "[crypto]") {
  SECTION("test case 1") {
    std::string mac = hmacSha256(std::string(20, '\x0b'), "Hi There");
    CHECK(mac.size() == 32);
    CHECK(toHex(mac) == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  }
  SECTION("test case 2") {
    CHECK(toHex(hmacSha256("Jefe", "what do ya want for nothing?")) ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  }
  SECTION("test case 6: key longer than the block size") {
    CHECK(toHex(hmacSha256(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First")) ==
          "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  }
}

TEST_CASE("HMAC-SHA256 accepts empty inputs and binary bytes", "[crypto]") {
  CHECK(toHex(hmacSha256({}, {})) == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  // Embedded NULs are data, not terminators.
  const std::string withNul("a\0b", 3);
  CHECK(hmacSha256("k", withNul) != hmacSha256("k", "a"));
  CHECK(hmacSha256(withNul, "m") != hmacSha256("a", "m"));
}
