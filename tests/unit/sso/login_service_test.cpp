#include "idp/sso/login_service.h"

#include <catch2/catch.hpp>

#include "idp/admin/user_admin.h"
#include "support.h"

using namespace propusk;

namespace {
struct Fixture : test::StoreFixture {
  auth::PasswordHasher hasher{argon, 2, 8};
  sso::LoginService logins{*store, clock, rnd, hasher, sso::LockoutPolicy{3, std::chrono::seconds(30), std::chrono::seconds(100)}};
  Fixture() { addUser(); }
};
}  // namespace

TEST_CASE("right password logs in; unknown user and wrong password look the same", "[sso][login]") {
  Fixture f;
  auto ok = f.logins.authenticate("IVANOV", "Secret-Pass1", sso::Client{"127.0.0.1"});
  REQUIRE(ok.outcome == sso::LoginOutcome::Ok);
  CHECK(ok.user->login == "ivanov");
  CHECK(f.logins.authenticate("ivanov", "wrong", sso::Client{"127.0.0.1"}).outcome == sso::LoginOutcome::BadCredentials);
  CHECK(f.logins.authenticate("nobody", "Secret-Pass1", sso::Client{"127.0.0.1"}).outcome == sso::LoginOutcome::BadCredentials);
  CHECK(f.logins.authenticate("not a login!", "x", sso::Client{"127.0.0.1"}).outcome == sso::LoginOutcome::BadCredentials);
  bool sawSuccess = false;
  for (auto& e : f.store->listAudit()) {
    CHECK(e.record.details.find("Secret-Pass1") == std::string::npos);
    CHECK(e.record.target.find("not a login") == std::string::npos);  // never echo invalid input
    sawSuccess |= e.record.action == "login.success";
  }
  CHECK(sawSuccess);
}

TEST_CASE("an account without a local password (made by the gateway) never logs in here", "[sso][login][gateway]") {
  Fixture f;
  store::User u;
  u.uid = "uid-gw-1";
  u.login = "bank.0123456789ab";
  u.surname = "Петров";
  u.givenName = "Пётр";
  u.passwordHash = "!upstream";
  u.createdAt = u.updatedAt = f.clock.now();
  REQUIRE(f.store->addUser(u, {"gateway", "user.create", u.login, "ok", "{}"}) == store::UserConflict::None);
  for (const char* guess : {"", "!upstream", "Secret-Pass1"})
    CHECK(f.logins.authenticate("bank.0123456789ab", guess, sso::Client{"ip"}).outcome == sso::LoginOutcome::BadCredentials);
  auto after = f.store->findUser("bank.0123456789ab");
  REQUIRE(after);
  CHECK(after->failedLogins == 0);  // not counted: no lockout to inflict
  CHECK_FALSE(after->lockedUntil);
  int refusals = 0;
  for (auto& e : f.store->listAudit())
    if (e.record.action == "login.failure" && e.record.details.find("no-local-password") != std::string::npos) ++refusals;
  CHECK(refusals == 3);
}

TEST_CASE("lockout after the threshold, with doubling backoff, cleared by success", "[sso][login]") {
  Fixture f;
  for (int i = 0; i < 2; ++i) CHECK(f.logins.authenticate("ivanov", "bad", sso::Client{"ip"}).outcome == sso::LoginOutcome::BadCredentials);
  CHECK(f.logins.authenticate("ivanov", "bad", sso::Client{"ip"}).outcome == sso::LoginOutcome::BadCredentials);  // 3rd: locks 30 s
  auto locked = f.logins.authenticate("ivanov", "Secret-Pass1", sso::Client{"ip"});
  REQUIRE(locked.outcome == sso::LoginOutcome::TemporarilyLocked);
  CHECK(*locked.retryAfter - f.clock.now() == std::chrono::seconds(30));
  f.clock.advance(std::chrono::seconds(31));
  CHECK(f.logins.authenticate("ivanov", "bad", sso::Client{"ip"}).outcome == sso::LoginOutcome::BadCredentials);  // 4th: 60 s
  CHECK(*f.store->findUser("ivanov")->lockedUntil - f.clock.now() == std::chrono::seconds(60));
  f.clock.advance(std::chrono::seconds(61));
  CHECK(f.logins.authenticate("ivanov", "bad", sso::Client{"ip"}).outcome == sso::LoginOutcome::BadCredentials);  // 5th: capped 100 s
  CHECK(*f.store->findUser("ivanov")->lockedUntil - f.clock.now() == std::chrono::seconds(100));
  f.clock.advance(std::chrono::seconds(101));
  REQUIRE(f.logins.authenticate("ivanov", "Secret-Pass1", sso::Client{"ip"}).outcome == sso::LoginOutcome::Ok);
  auto u = f.store->findUser("ivanov");
  CHECK(u->failedLogins == 0);
  CHECK_FALSE(u->lockedUntil);
}

TEST_CASE("an administratively locked account cannot log in", "[sso][login]") {
  Fixture f;
  auto u = *f.store->findUser("ivanov");
  u.locked = true;
  f.store->updateUser(u, {"t", "user.lock", "ivanov", "ok", "{}"});
  CHECK(f.logins.authenticate("ivanov", "Secret-Pass1", sso::Client{"ip"}).outcome == sso::LoginOutcome::Locked);
}

TEST_CASE("a hash with weaker parameters is upgraded at login", "[sso][login]") {
  Fixture f;
  auth::Argon2Params stronger = f.argon;
  stronger.iterations = 2;
  auth::PasswordHasher strongerHasher(stronger, 1, 1);
  sso::LoginService upgraded(*f.store, f.clock, f.rnd, strongerHasher, sso::LockoutPolicy{});
  REQUIRE(upgraded.authenticate("ivanov", "Secret-Pass1", sso::Client{"ip"}).outcome == sso::LoginOutcome::Ok);
  auto p = auth::parseParams(f.store->findUser("ivanov")->passwordHash);
  REQUIRE(p);
  CHECK(p->iterations == 2);
  CHECK(auth::verifyPassword("Secret-Pass1", f.store->findUser("ivanov")->passwordHash));
}
