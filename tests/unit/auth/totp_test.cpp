#include "idp/auth/totp.h"

#include <catch2/catch.hpp>

using namespace propusk;
using namespace propusk::auth;

namespace {
TimePoint unix(std::int64_t s) { return TimePoint{std::chrono::seconds(s)}; }
}  // namespace

TEST_CASE("HOTP matches RFC 4226 appendix D", "[auth][totp]") {
  const std::string key = "12345678901234567890";
  const char* expected[] = {"755224", "287082", "359152", "969429", "338314",
                            "254676", "287922", "162583", "399871", "520489"};
  for (std::uint64_t c = 0; c < 10; ++c) CHECK(hotp(key, c) == expected[c]);
  CHECK_THROWS(hotp(key, 0, 5));
  CHECK_THROWS(hotp(key, 0, 9));
}

TEST_CASE("TOTP matches RFC 6238 appendix B", "[auth][totp]") {
  const std::string sha1Key = "12345678901234567890";
  const std::string sha256Key = "12345678901234567890123456789012";
  const std::string sha512Key = "1234567890123456789012345678901234567890123456789012345678901234";
  struct Row {
    std::int64_t t;
    const char *sha1, *sha256, *sha512;
  } rows[] = {
      {59, "94287082", "46119246", "90693936"},
      {1111111109, "07081804", "68084774", "25091201"},
      {1111111111, "14050471", "67062674", "99943326"},
      {1234567890, "89005924", "91819424", "93441116"},
      {2000000000, "69279037", "90698825", "38618901"},
      {20000000000, "65353130", "77737706", "47863826"},
  };
  for (auto& r : rows) {
    CHECK(totp(sha1Key, unix(r.t), {crypto::HmacDigest::Sha1, std::chrono::seconds(30), 8}) == r.sha1);
    CHECK(totp(sha256Key, unix(r.t), {crypto::HmacDigest::Sha256, std::chrono::seconds(30), 8}) == r.sha256);
    CHECK(totp(sha512Key, unix(r.t), {crypto::HmacDigest::Sha512, std::chrono::seconds(30), 8}) == r.sha512);
  }
  // Six digits are the last six of the eight.
  CHECK(totp(sha1Key, unix(59)) == "287082");
}

TEST_CASE("base32 secrets as authenticator apps write them", "[auth][totp]") {
  CHECK(base32Decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ") == "12345678901234567890");
  CHECK(base32Decode("gezd gnbv gy3t qojq gezd gnbv gy3t qojq") == "12345678901234567890");
  CHECK(base32Decode("MZXW6===") == "foo");
  CHECK(base32Decode("MZXW6YQ=") == "foob");
  CHECK(base32Decode("") == "");
  CHECK_FALSE(base32Decode("MZXW1"));   // '1' is not in the alphabet
  CHECK_FALSE(base32Decode("MZXW6Y8")); // '8' neither
  CHECK_FALSE(base32Decode("M"));       // five bits cannot make a byte
  CHECK_FALSE(base32Decode("MZXW7"));   // leftover bits that are not zero
}

TEST_CASE("a TOTP code matches within one step either side, and says which step", "[auth][totp]") {
  const std::string key = "12345678901234567890";
  const TimePoint t = unix(1111111109);  // step 37037036 (RFC 6238 appendix B)
  const std::int64_t step = 1111111109 / 30;
  CHECK(totpStep(t) == step);
  CHECK(matchTotp(key, totp(key, t), t) == step);
  CHECK(matchTotp(key, totp(key, t - std::chrono::seconds(30)), t) == step - 1);  // a slow phone
  CHECK(matchTotp(key, totp(key, t + std::chrono::seconds(30)), t) == step + 1);  // a fast one
  CHECK_FALSE(matchTotp(key, totp(key, t - std::chrono::seconds(60)), t));
  CHECK_FALSE(matchTotp(key, totp(key, t + std::chrono::seconds(60)), t));
  CHECK(matchTotp(key, totp(key, t - std::chrono::seconds(60)), t, {}, 2) == step - 2);
  // RFC 6238 appendix B's 8-digit SHA-1 value at t = 1111111109, as typed with spaces.
  CHECK(matchTotp(key, "0708 1804", t, {crypto::HmacDigest::Sha1, std::chrono::seconds(30), 8}) == step);
  for (const char* bad : {"", "12345", "1234567", "12345a", "１２３４５６", "123456\n"}) CHECK_FALSE(matchTotp(key, bad, t));
}

TEST_CASE("base32 out, and the otpauth URI authenticator apps read", "[auth][totp]") {
  CHECK(base32Encode("12345678901234567890") == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  CHECK(base32Encode("foob") == "MZXW6YQ");
  CHECK(base32Decode(base32Encode("\x01\xff\x10 secret bytes")) == "\x01\xff\x10 secret bytes");
  auto uri = otpauthUri("Пропуск", "ivanov", "12345678901234567890");
  CHECK(uri == "otpauth://totp/%D0%9F%D1%80%D0%BE%D0%BF%D1%83%D1%81%D0%BA:ivanov?secret="
               "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=%D0%9F%D1%80%D0%BE%D0%BF%D1%83%D1%81%D0%BA&algorithm=SHA1&"
               "digits=6&period=30");
  CHECK_THAT(otpauthUri("Propusk", "a b&c", "k"), Catch::Contains("Propusk:a%20b%26c?"));
}
