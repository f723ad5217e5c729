// Account security in the store, on both engines: factors, the TOTP step accepted once,
// recovery codes used once, one-time codes' attempts and expiry, the login history, known
// devices, and the per-address throttle — each race-free across two Store objects (instances).
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "idp/audit/audit_chain.h"
#include "idp/store/store.h"
#include "store/engines.h"
#include "unit/support.h"

using namespace propusk;
using namespace propusk::store;

namespace {

AuditRecord rec(std::string action, std::string target = "ivanov") {
  return {"test", std::move(action), std::move(target), "ok", "{}"};
}

std::int64_t addUser(Store& store, const std::string& login = "ivanov") {
  User u;
  u.uid = "uid-" + login;
  u.login = login;
  u.surname = "Иванов";
  u.givenName = "Иван";
  u.passwordHash = "$argon2id$old";
  REQUIRE(store.addUser(u, rec("user.add", login)) == UserConflict::None);
  return u.id;
}

UserFactor totp(std::int64_t user, bool confirmed, TimePoint now) {
  UserFactor f;
  f.userId = user;
  f.kind = FactorKind::Totp;
  f.secret = "v1:sealed";
  if (confirmed) f.confirmedAt = now;
  return f;
}

OneTimeCode code(const std::string& id, std::optional<std::int64_t> user, TimePoint now) {
  OneTimeCode c;
  c.id = id;
  c.userId = user;
  c.purpose = "login";
  c.channel = "email";
  c.destination = "ivanov@example.ru";
  c.binding = "session-hash";
  c.codeHash = "right-hash";
  c.createdAt = now;
  c.expiresAt = now + std::chrono::minutes(5);
  return c;
}

}  // namespace

TEST_CASE("factors: enrolment, confirmation with recovery codes in one change, removal", "[store][factors]") {
  STORE_ENGINE_FIXTURE(f);
  auto id = addUser(*f.store);
  const auto now = f.clock.now();
  REQUIRE(f.store->putFactor(totp(id, false, now), nullptr, rec("factor.totp.begin")));
  auto list = f.store->listFactors(id);
  REQUIRE(list.size() == 1);
  CHECK_FALSE(list[0].confirmedAt);
  CHECK(list[0].secret == "v1:sealed");
  std::vector<std::string> hashes;
  for (int i = 0; i < 10; ++i) hashes.push_back("h" + std::to_string(i));
  auto confirmed = totp(id, true, now);
  confirmed.lastStep = 100;
  REQUIRE(f.store->putFactor(confirmed, &hashes, rec("factor.totp.enrol")));
  list = f.store->listFactors(id);
  REQUIRE(list.size() == 1);
  CHECK(list[0].confirmedAt == now);
  CHECK(list[0].lastStep == 100);
  CHECK(f.store->countRecoveryCodes(id) == 10);
  UserFactor email;
  email.userId = id;
  email.kind = FactorKind::Email;
  email.confirmedAt = now;
  REQUIRE(f.store->putFactor(email, nullptr, rec("factor.email.enrol")));
  CHECK(f.store->listFactors(id).size() == 2);
  // Removing one factor keeps the codes; removing the last takes them along.
  REQUIRE(f.store->removeFactor(id, FactorKind::Totp, rec("factor.remove")));
  CHECK(f.store->countRecoveryCodes(id) == 10);
  REQUIRE(f.store->removeFactor(id, FactorKind::Email, rec("factor.remove")));
  CHECK(f.store->countRecoveryCodes(id) == 0);
  CHECK_FALSE(f.store->removeFactor(id, FactorKind::Email, rec("factor.remove")));
  CHECK_FALSE(f.store->putFactor(totp(9999, true, now), nullptr, rec("factor.totp.enrol", "nobody")));
  // Every change was audited, the refused one not.
  int events = 0;
  for (auto& e : f.store->listAudit())
    if (e.record.action.starts_with("factor.")) ++events;
  CHECK(events == 5);
}

TEST_CASE("a TOTP step is accepted once, also by two instances at the same time", "[store][factors]") {
  STORE_ENGINE_FIXTURE(f);
  auto id = addUser(*f.store);
  REQUIRE(f.store->putFactor(totp(id, false, f.clock.now()), nullptr, rec("factor.totp.begin")));
  CHECK_FALSE(f.store->acceptTotpStep(id, 10, rec("factor.totp.verify")));  // not confirmed: no code counts
  REQUIRE(f.store->putFactor(totp(id, true, f.clock.now()), nullptr, rec("factor.totp.enrol")));
  CHECK(f.store->acceptTotpStep(id, 10, rec("factor.totp.verify")));
  CHECK_FALSE(f.store->acceptTotpStep(id, 10, rec("factor.totp.verify")));  // the same code again
  CHECK_FALSE(f.store->acceptTotpStep(id, 9, rec("factor.totp.verify")));   // an older one
  CHECK(f.store->acceptTotpStep(id, 11, rec("factor.totp.verify")));
  auto other = f.reopen();
  std::atomic<int> accepted{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 8; ++i)
    ts.emplace_back([&, i] {
      Store& s = i % 2 ? *other : *f.store;
      if (s.acceptTotpStep(id, 12, rec("factor.totp.verify"))) ++accepted;
    });
  for (auto& t : ts) t.join();
  CHECK(accepted == 1);
}

TEST_CASE("recovery codes: each used once, replaced as a set", "[store][factors]") {
  STORE_ENGINE_FIXTURE(f);
  auto id = addUser(*f.store);
  f.store->replaceRecoveryCodes(id, {"a", "b", "c"}, rec("factor.recovery.renew"));
  CHECK(f.store->useRecoveryCode(id, "b", f.clock.now(), rec("factor.recovery.use")));
  CHECK_FALSE(f.store->useRecoveryCode(id, "b", f.clock.now(), rec("factor.recovery.use")));
  CHECK_FALSE(f.store->useRecoveryCode(id, "zzz", f.clock.now(), rec("factor.recovery.use")));
  auto other = addUser(*f.store, "petrov");
  CHECK_FALSE(f.store->useRecoveryCode(other, "a", f.clock.now(), rec("factor.recovery.use", "petrov")));
  CHECK(f.store->countRecoveryCodes(id) == 2);
  f.store->replaceRecoveryCodes(id, {"d"}, rec("factor.recovery.renew"));
  CHECK(f.store->countRecoveryCodes(id) == 1);
  CHECK_FALSE(f.store->useRecoveryCode(id, "a", f.clock.now(), rec("factor.recovery.use")));
}

TEST_CASE("one-time codes: attempts counted before judging, expiry, one use", "[store][codes]") {
  STORE_ENGINE_FIXTURE(f);
  auto id = addUser(*f.store);
  auto now = f.clock.now();
  f.store->addOneTimeCode(code("c1", id, now), rec("code.send"));
  auto found = f.store->findOneTimeCode("c1");
  REQUIRE(found);
  CHECK(found->destination == "ivanov@example.ru");
  CHECK(found->userId == id);
  std::vector<CodeCheck> audited;
  auto audit = [&](CodeCheck r) {
    audited.push_back(r);
    return rec("code.check");
  };
  CHECK(f.store->useOneTimeCode("c1", "guess", now, 5, audit) == CodeCheck::Wrong);
  CHECK(f.store->useOneTimeCode("c1", "right-hash", now, 5, audit) == CodeCheck::Ok);
  CHECK(f.store->useOneTimeCode("c1", "right-hash", now, 5, audit) == CodeCheck::Unknown);  // used
  CHECK(f.store->findOneTimeCode("c1")->usedAt == now);
  CHECK(audited == std::vector<CodeCheck>{CodeCheck::Wrong, CodeCheck::Ok, CodeCheck::Unknown});

  f.store->addOneTimeCode(code("c2", id, now), rec("code.send"));
  for (int i = 0; i < 5; ++i) CHECK(f.store->useOneTimeCode("c2", "guess", now, 5, audit) == CodeCheck::Wrong);
  // The sixth try is refused even with the right code.
  CHECK(f.store->useOneTimeCode("c2", "right-hash", now, 5, audit) == CodeCheck::TooManyAttempts);

  f.store->addOneTimeCode(code("c3", id, now), rec("code.send"));
  CHECK(f.store->useOneTimeCode("c3", "right-hash", now + std::chrono::minutes(5), 5, audit) == CodeCheck::Expired);
  CHECK(f.store->useOneTimeCode("nope", "right-hash", now, 5, audit) == CodeCheck::Unknown);

  // Parallel guesses on two instances are all counted: at most maxAttempts are judged.
  f.store->addOneTimeCode(code("c4", id, now), rec("code.send"));
  auto other = f.reopen();
  std::atomic<int> judged{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 12; ++i)
    ts.emplace_back([&, i] {
      Store& s = i % 2 ? *other : *f.store;
      auto r = s.useOneTimeCode("c4", "guess", now, 5, [](CodeCheck) { return rec("code.check"); });
      if (r == CodeCheck::Wrong) ++judged;
    });
  for (auto& t : ts) t.join();
  CHECK(judged == 5);
  CHECK(f.store->findOneTimeCode("c4")->attempts == 12);
}

TEST_CASE("one-time codes are counted per account and per destination in a window", "[store][codes]") {
  STORE_ENGINE_FIXTURE(f);
  auto id = addUser(*f.store);
  auto now = f.clock.now();
  for (int i = 0; i < 3; ++i) f.store->addOneTimeCode(code("k" + std::to_string(i), id, now - std::chrono::minutes(i * 10)), rec("code.send"));
  CHECK(f.store->countOneTimeCodesForUser(id, now - std::chrono::minutes(15)) == 2);
  CHECK(f.store->countOneTimeCodesTo("ivanov@example.ru", now - std::chrono::minutes(25)) == 3);
  CHECK(f.store->countOneTimeCodesTo("other@example.ru", now - std::chrono::hours(1)) == 0);
  // Expired codes go a day after they expired.
  f.store->purgeExpired(now + std::chrono::hours(25));
  CHECK_FALSE(f.store->findOneTimeCode("k0"));
}

TEST_CASE("login history newest first; devices known once; a new password clears the lockout", "[store][history]") {
  STORE_ENGINE_FIXTURE(f);
  auto id = addUser(*f.store);
  auto now = f.clock.now();
  for (int i = 0; i < 25; ++i)
    f.store->addLoginHistory({id, now + std::chrono::seconds(i), "10.0.0.1", "agent", "https://sp", "password",
                              i % 2 ? "ok" : "wrong-password"});
  auto h = f.store->listLoginHistory(id, 20);
  REQUIRE(h.size() == 20);
  CHECK(h.front().at == now + std::chrono::seconds(24));
  CHECK(h.front().result == "wrong-password");
  CHECK(h.back().at == now + std::chrono::seconds(5));
  CHECK(f.store->rememberDevice(id, "dev-1", now));
  CHECK_FALSE(f.store->rememberDevice(id, "dev-1", now + std::chrono::hours(1)));
  CHECK(f.store->rememberDevice(id, "dev-2", now));
  REQUIRE(f.store->recordFailedLogin(id, now, [](int) { return std::chrono::seconds(60); },
                                     [](const FailedLogin&) { return rec("login.failure"); })
              .failures == 1);
  REQUIRE(f.store->setPasswordHash(id, "$argon2id$new", rec("user.password.reset")));
  auto u = f.store->findUser("ivanov");
  CHECK(u->passwordHash == "$argon2id$new");
  CHECK(u->failedLogins == 0);
  CHECK_FALSE(u->lockedUntil);
  CHECK_FALSE(f.store->setPasswordHash(9999, "$argon2id$x", rec("user.password.reset", "nobody")));
}

TEST_CASE("address failures: counted in a window, blocked past the rule, shared by instances", "[store][throttle]") {
  STORE_ENGINE_FIXTURE(f);
  auto now = f.clock.now();
  const auto window = std::chrono::minutes(15);
  auto rule = [](int n) { return n >= 3 ? std::chrono::seconds(5 << (n - 3)) : std::chrono::seconds(0); };
  int events = 0;
  auto audit = [&](const AddressFailures& a) -> std::optional<AuditRecord> {
    if (a.block.count() == 0) return std::nullopt;
    ++events;
    return rec("login.throttle", "203.0.113.9");
  };
  CHECK(f.store->recordAddressFailure("203.0.113.9", now, window, rule, audit).failures == 1);
  CHECK(f.store->recordAddressFailure("203.0.113.9", now, window, rule, audit).failures == 2);
  CHECK_FALSE(f.store->addressBlockedUntil("203.0.113.9", now));
  auto third = f.reopen()->recordAddressFailure("203.0.113.9", now, window, rule, audit);  // another instance
  CHECK(third.failures == 3);
  CHECK(third.block == std::chrono::seconds(5));
  CHECK(f.store->addressBlockedUntil("203.0.113.9", now) == now + std::chrono::seconds(5));
  CHECK(f.store->recordAddressFailure("203.0.113.9", now, window, rule, audit).block == std::chrono::seconds(10));
  CHECK(events == 2);
  CHECK_FALSE(f.store->addressBlockedUntil("198.51.100.1", now));
  CHECK_FALSE(f.store->addressBlockedUntil("203.0.113.9", now + std::chrono::seconds(11)));
  // A window that ended starts again.
  auto later = f.store->recordAddressFailure("203.0.113.9", now + window + std::chrono::seconds(1), window, rule, audit);
  CHECK(later.failures == 1);
}
