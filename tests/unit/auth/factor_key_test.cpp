#include "idp/auth/factor_key.h"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include "support.h"

using namespace propusk;
using namespace propusk::auth;

TEST_CASE("sealed secrets open only with the key and the account they were sealed for", "[auth][factor-key]") {
  SystemRandom rnd;
  auto key = FactorKey::fromBytes(std::string(32, '\x42'));
  auto sealed = key.seal("totp secret bytes", "uid-1:totp", rnd);
  CHECK(sealed.starts_with("v1:"));
  CHECK(sealed.find("totp secret") == std::string::npos);
  CHECK(key.open(sealed, "uid-1:totp") == "totp secret bytes");
  CHECK_FALSE(key.open(sealed, "uid-2:totp"));  // copied onto another account: does not open
  CHECK_FALSE(FactorKey::fromBytes(std::string(32, '\x43')).open(sealed, "uid-1:totp"));
  std::string tampered = sealed;
  tampered[10] = tampered[10] == 'A' ? 'B' : 'A';
  CHECK_FALSE(key.open(tampered, "uid-1:totp"));
  CHECK_FALSE(key.open("v1:", "uid-1:totp"));
  CHECK_FALSE(key.open("plain", "uid-1:totp"));
  CHECK(key.seal("x", "a", rnd) != key.seal("x", "a", rnd));  // a fresh nonce each time
}

TEST_CASE("the key file: made 0600 once, read back, refused when others may read it", "[auth][factor-key]") {
  test::TempDir dir;
  SystemRandom rnd;
  auto path = dir / "factor.key";
  CHECK_THROWS_WITH(FactorKey::load(path, false, rnd), Catch::Contains("no such file"));
  auto made = FactorKey::load(path, true, rnd);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto again = FactorKey::load(path, true, rnd);  // exists: read, not replaced
  CHECK(again.fingerprint() == made.fingerprint());
  CHECK(again.open(made.seal("s", "aad", rnd), "aad") == "s");
  ::chmod(path.c_str(), 0644);
  CHECK_THROWS_WITH(FactorKey::load(path, false, rnd), Catch::Contains("readable by others"));
  ::chmod(path.c_str(), 0600);
  test::writeFile(path, "not hex\n");
  ::chmod(path.c_str(), 0600);
  CHECK_THROWS_WITH(FactorKey::load(path, false, rnd), Catch::Contains("64 hex digits"));
}
