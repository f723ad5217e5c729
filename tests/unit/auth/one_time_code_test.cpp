#include "idp/auth/one_time_code.h"

#include <catch2/catch.hpp>

#include <map>
#include <set>

using namespace propusk;
using namespace propusk::auth;

namespace {
FactorKey testKey(char c = 'k') { return FactorKey::fromBytes(std::string(32, c)); }
}  // namespace

TEST_CASE("numeric codes: six digits, every digit equally likely", "[auth][codes]") {
  SystemRandom rnd;
  std::map<char, int> counts;
  for (int i = 0; i < 2000; ++i) {
    auto c = newNumericCode(rnd);
    REQUIRE(c.size() == 6);
    for (char d : c) {
      REQUIRE(d >= '0');
      REQUIRE(d <= '9');
      ++counts[d];
    }
  }
  // 12000 digits: each near 1200. A modulo bias (256 % 10) is too small to see here; the
  // sampler's cut-off, which removes it, is what the next check pins.
  for (auto& [d, n] : counts) CHECK(n > 1000);
  // Bytes 250..255 are rejected, not folded onto 0..5.
  class Fixed final : public Random {
   public:
    std::vector<std::uint8_t> bytes(std::size_t n) override {
      std::vector<std::uint8_t> v(n, 255);
      if (calls_++ > 0) std::fill(v.begin(), v.end(), 7);
      return v;
    }
    int calls_ = 0;
  } fixed;
  CHECK(newNumericCode(fixed) == "777777");
}

TEST_CASE("typed codes are normalised or refused", "[auth][codes]") {
  CHECK(normalizeNumericCode("123 456") == "123456");
  CHECK(normalizeNumericCode("123-456") == "123456");
  CHECK_FALSE(normalizeNumericCode("12345"));
  CHECK_FALSE(normalizeNumericCode("1234567"));
  CHECK_FALSE(normalizeNumericCode("12345x"));
  CHECK(normalizeRecoveryCode("abcd-efgh-ijk2") == "ABCDEFGHIJK2");
  CHECK(normalizeRecoveryCode("ABCD EFGH IJK0") == "ABCDEFGHIJKO");  // 0 read as O
  CHECK(normalizeRecoveryCode("1BCD-8FGH-IJKL") == "IBCDBFGHIJKL");
  CHECK_FALSE(normalizeRecoveryCode("ABCD-EFGH-IJK"));
  CHECK_FALSE(normalizeRecoveryCode("ABCD-EFGH-IJK9"));
}

TEST_CASE("recovery codes: ten, distinct, in their printed form", "[auth][codes]") {
  SystemRandom rnd;
  auto codes = newRecoveryCodes(rnd);
  REQUIRE(codes.size() == 10);
  std::set<std::string> seen;
  for (auto& c : codes) {
    CHECK(c.size() == 14);
    CHECK(c[4] == '-');
    CHECK(c[9] == '-');
    CHECK(normalizeRecoveryCode(c));
    seen.insert(c);
  }
  CHECK(seen.size() == 10);
}

TEST_CASE("code MACs depend on the key, the row and the account", "[auth][codes]") {
  auto k = testKey(), other = testKey('o');
  CHECK(oneTimeCodeMac(k, "id1", "123456") == oneTimeCodeMac(k, "id1", "123456"));
  CHECK(oneTimeCodeMac(k, "id1", "123456") != oneTimeCodeMac(k, "id2", "123456"));
  CHECK(oneTimeCodeMac(k, "id1", "123456") != oneTimeCodeMac(other, "id1", "123456"));
  CHECK(recoveryCodeMac(k, "uid-a", "ABCDEFGHIJKL") != recoveryCodeMac(k, "uid-b", "ABCDEFGHIJKL"));
  // Purposes are separated: a one-time code's MAC is never a recovery code's.
  CHECK(oneTimeCodeMac(k, "uid-a", "ABCDEFGHIJKL") != recoveryCodeMac(k, "uid-a", "ABCDEFGHIJKL"));
  CHECK(oneTimeCodeMac(k, "id1", "123456").size() == 64);
}
