#include "idp/auth/password_hash.h"

#include <catch2/catch.hpp>

#include "idp/auth/password_policy.h"

using namespace propusk;
using namespace propusk::auth;

TEST_CASE("argon2id hash verifies the right password only", "[auth][password]") {
  SystemRandom rnd;
  Argon2Params p;
  std::string h = hashPassword("Correct-Horse-1", p, rnd);
  CHECK(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
  CHECK(verifyPassword("Correct-Horse-1", h));
  CHECK_FALSE(verifyPassword("Correct-Horse-2", h));
  CHECK_FALSE(verifyPassword("", h));
  CHECK(hashPassword("Correct-Horse-1", p, rnd) != h);  // fresh salt each time
}

TEST_CASE("malformed or foreign hashes never verify", "[auth][password]") {
  CHECK_FALSE(verifyPassword("x", ""));
  CHECK_FALSE(verifyPassword("x", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"));
  CHECK_FALSE(verifyPassword("x", "$2y$10$abcdefghijklmnopqrstuv"));
}

TEST_CASE("parameters are stored and a stronger policy asks for a rehash", "[auth][password]") {
  SystemRandom rnd;
  Argon2Params weak;
  weak.memoryKiB = 8192;
  weak.iterations = 1;
  std::string h = hashPassword("Pa55word!", weak, rnd);
  auto parsed = parseParams(h);
  REQUIRE(parsed);
  CHECK(parsed->memoryKiB == 8192);
  CHECK(parsed->iterations == 1);
  CHECK(needsRehash(h, Argon2Params{}));
  CHECK_FALSE(needsRehash(h, weak));
  CHECK(needsRehash("garbage", weak));
}

TEST_CASE("password policy names the rule that failed", "[auth][password]") {
  PasswordPolicy pol;
  CHECK(checkPassword("Abcdef1!", "ivan", pol));
  CHECK(checkPassword("Пароль-2026", "ivan", pol));  // Cyrillic letters count by case
  CHECK(checkPassword("Ab1!", "ivan", pol).error().detail.find("at least 8") != std::string::npos);
  CHECK(checkPassword("abcdefgh", "ivan", pol).error().detail.find("mix") != std::string::npos);
  CHECK(checkPassword("xIvan123!", "ivan", pol).error().detail.find("login") != std::string::npos);
  CHECK(checkPassword(std::string(2000, 'a'), "ivan", pol).error().detail.find("bytes") != std::string::npos);
  CHECK(checkPassword("Abc\x01" "def1!", "ivan", pol).error().detail.find("control") != std::string::npos);
  pol.minLength = 12;
  CHECK_FALSE(checkPassword("Abcdef1!", "ivan", pol));
}
