#include "idp/identity/validators.h"

#include <catch2/catch.hpp>

using namespace propusk;
using namespace propusk::identity;

TEST_CASE("personal INN: valid 12-digit numbers pass", "[identity][inn]") {
  // Check digits computed independently with the FNS weights (7,2,4,10,3,5,9,4,6,8) and
  // (3,7,2,4,10,3,5,9,4,6,8), mod 11 mod 10.
  for (const char* inn : {"500100732259", "526317984689"}) {
    auto r = normalizeInn(inn);
    INFO(inn);
    REQUIRE(r);
    CHECK(*r == inn);
  }
  CHECK(*normalizeInn(" 5001 0073 2259 ") == "500100732259");
}

TEST_CASE("personal INN: bad check digits, length, letters are refused", "[identity][inn]") {
  CHECK_FALSE(normalizeInn("500100732258"));  // last digit off by one
  CHECK_FALSE(normalizeInn("500100732249"));  // 11th digit off
  CHECK(normalizeInn("12345").error().detail.find("12 digits") != std::string::npos);
  CHECK(normalizeInn("50010073225a").error().detail.find("digits only") != std::string::npos);
  CHECK(normalizeInn("001234567890").error().detail.find("region") != std::string::npos);
}

TEST_CASE("10-digit organisation INN: checksum known, refused for a person", "[identity][inn]") {
  CHECK(innChecksumValid("7830002293"));
  CHECK_FALSE(innChecksumValid("7830002294"));
  auto r = normalizeInn("7830002293");
  REQUIRE_FALSE(r);
  CHECK(r.error().detail.find("organisation") != std::string::npos);
}

TEST_CASE("SNILS: valid numbers in any common format", "[identity][snils]") {
  CHECK(*normalizeSnils("112-233-445 95") == "11223344595");
  CHECK(*normalizeSnils("11223344595") == "11223344595");
  // sum 101 -> control number 00
  CHECK(*normalizeSnils("087-654-303 00") == "08765430300");
  CHECK(formatSnils("11223344595") == "112-233-445 95");
}

TEST_CASE("SNILS: wrong control number, length, reserved range, triple digits", "[identity][snils]") {
  CHECK(normalizeSnils("112-233-445 96").error().detail.find("check number") != std::string::npos);
  CHECK(normalizeSnils("1122334459").error().detail.find("11 digits") != std::string::npos);
  CHECK(normalizeSnils("000-000-001 01").error().detail.find("not issued") != std::string::npos);
  CHECK(normalizeSnils("111-222-333 00").error().detail.find("three times") != std::string::npos);
  CHECK_FALSE(normalizeSnils("112/233/445 95"));
}

TEST_CASE("phone numbers normalise to +7XXXXXXXXXX", "[identity][phone]") {
  CHECK(*normalizePhone("+7 (912) 345-67-89") == "+79123456789");
  CHECK(*normalizePhone("8 912 345 67 89") == "+79123456789");
  CHECK(*normalizePhone("9123456789") == "+79123456789");
  CHECK_FALSE(normalizePhone("+1 212 555 0100"));
  CHECK_FALSE(normalizePhone("12345"));
  CHECK_FALSE(normalizePhone("+7 012 345 67 89"));
  CHECK_FALSE(normalizePhone("+7 912 345 67 8x"));
}

TEST_CASE("e-mail syntax", "[identity][email]") {
  CHECK(*normalizeEmail("Ivan.Petrov+sso@Mail.Example.RU") == "Ivan.Petrov+sso@mail.example.ru");
  CHECK_FALSE(normalizeEmail("no-at-sign.example.ru"));
  CHECK_FALSE(normalizeEmail("a@b@example.ru"));
  CHECK_FALSE(normalizeEmail("ivan@localhost"));
  CHECK_FALSE(normalizeEmail(".ivan@example.ru"));
  CHECK_FALSE(normalizeEmail("iv..an@example.ru"));
  CHECK_FALSE(normalizeEmail("ivan@-example.ru"));
  CHECK_FALSE(normalizeEmail("iv an@example.ru"));
  CHECK_FALSE(normalizeEmail(std::string(65, 'a') + "@example.ru"));
}

TEST_CASE("logins and name parts", "[identity]") {
  CHECK(*normalizeLogin("Ivanov.I") == "ivanov.i");
  CHECK_FALSE(normalizeLogin("ab"));
  CHECK_FALSE(normalizeLogin("-ivan"));
  CHECK_FALSE(normalizeLogin("иван"));
  CHECK(*normalizeNamePart("  Салтыков-Щедрин ") == "Салтыков-Щедрин");
  CHECK(normalizeNamePart("O'Neil"));
  CHECK_FALSE(normalizeNamePart(""));
  CHECK_FALSE(normalizeNamePart("Ivan2"));
  CHECK_FALSE(normalizeNamePart("\xff\xfe"));
  CHECK_FALSE(normalizeNamePart("<script>"));
}
