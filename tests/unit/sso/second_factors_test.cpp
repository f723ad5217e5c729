// sso/second_factors with a fixed clock: TOTP enrolment and replay, one-time codes' expiry,
// attempts, binding and rate limits, recovery codes, and what reaches the person (the file
// notifier, read back).
#include "idp/sso/second_factors.h"

#include <catch2/catch.hpp>

#include <fstream>

#include "idp/auth/one_time_code.h"
#include "idp/notify/file_notifier.h"
#include "support.h"

using namespace propusk;

namespace {

struct Fixture : test::StoreFixture {
  auth::FactorKey key = auth::FactorKey::fromBytes(std::string(32, '\x11'));
  std::filesystem::path file = dir / "messages.jsonl";
  notify::FileNotifier notifier{file, clock};
  std::vector<std::string> failures;
  notify::Outbox outbox{&notifier, &notifier, [this](const notify::Message&, bool ok, const std::string& why) {
                          if (!ok) failures.push_back(why);
                        }};
  sso::SecondFactors factors{*store, key, clock, rnd, &outbox, {}};
  store::User user = addUser();

  std::vector<std::string> lines() {
    outbox.drain();
    std::ifstream in(file);
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  }
  // The six digits of the newest message (as the person reads them).
  std::string lastCode() {
    auto l = lines();
    REQUIRE_FALSE(l.empty());
    auto pos = l.back().find(": ");
    REQUIRE(pos != std::string::npos);
    return l.back().substr(pos + 2, 6);
  }
  std::string totpSecretOf(const std::string& base32) { return *auth::base32Decode(base32); }
  int count(const std::string& action, const std::string& outcome = "") {
    int n = 0;
    for (auto& e : store->listAudit(0, 100000))
      if (e.record.action == action && (outcome.empty() || e.record.outcome == outcome)) ++n;
    return n;
  }
};

}  // namespace

TEST_CASE("TOTP: enrolment confirmed by the first code, each code accepted once", "[sso][mfa]") {
  Fixture f;
  CHECK_FALSE(f.factors.available(f.user).anyEnrolled);
  auto begun = f.factors.beginTotp(f.user, "ivanov");
  REQUIRE(begun);
  CHECK_THAT(begun->uri, Catch::StartsWith("otpauth://totp/Propusk:ivanov?secret=" + begun->secret));
  CHECK_FALSE(f.factors.available(f.user).anyEnrolled);  // waiting for its first code
  const auto secret = f.totpSecretOf(begun->secret);
  // Nothing of the secret is in the store in clear, nor in the audit.
  for (auto& fac : f.store->listFactors(f.user.id)) CHECK(fac.secret.find(begun->secret) == std::string::npos);
  for (auto& e : f.store->listAudit()) CHECK(e.record.details.find(begun->secret) == std::string::npos);
  CHECK_FALSE(f.factors.confirmTotp(f.user, "000000" == auth::totp(secret, f.clock.now()) ? "111111" : "000000", "ivanov"));
  auto codes = f.factors.confirmTotp(f.user, auth::totp(secret, f.clock.now()), "ivanov");
  REQUIRE(codes);
  CHECK(codes->size() == 10);
  CHECK(f.factors.available(f.user).totp);
  CHECK(f.factors.available(f.user).recovery);
  // The confirming code is spent; so is any earlier one. The next step's code works once.
  CHECK_FALSE(f.factors.verifyTotp(f.user, auth::totp(secret, f.clock.now()), "ivanov"));
  f.clock.advance(std::chrono::seconds(30));
  const auto next = auth::totp(secret, f.clock.now());
  CHECK(f.factors.verifyTotp(f.user, next, "ivanov"));
  CHECK_FALSE(f.factors.verifyTotp(f.user, next, "ivanov"));
  // A phone one step slow is accepted, one two steps slow is not.
  f.clock.advance(std::chrono::seconds(60));
  CHECK(f.factors.verifyTotp(f.user, auth::totp(secret, f.clock.now() - std::chrono::seconds(30)), "ivanov"));
  f.clock.advance(std::chrono::seconds(60));
  CHECK_FALSE(f.factors.verifyTotp(f.user, auth::totp(secret, f.clock.now() - std::chrono::seconds(60)), "ivanov"));
  // A second enrolment is refused while one exists.
  CHECK_FALSE(f.factors.beginTotp(f.user, "ivanov"));
  CHECK_FALSE(f.factors.enrolTotp(f.user, false, "cli:root"));
  auto reset = f.factors.enrolTotp(f.user, true, "cli:root");
  REQUIRE(reset);
  CHECK(reset->secret != begun->secret);
  CHECK_FALSE(f.factors.verifyTotp(f.user, auth::totp(secret, f.clock.now()), "ivanov"));  // the old app stops
  CHECK(f.factors.verifyTotp(f.user, auth::totp(f.totpSecretOf(reset->secret), f.clock.now()), "ivanov"));
}

TEST_CASE("a sealed secret moved to another account does not open", "[sso][mfa]") {
  Fixture f;
  auto other = f.addUser([](admin::NewUser& u) {
    u.login = "petrov";
    u.inn.reset();
    u.snils.reset();
    u.status = "simplified";
  });
  auto s = f.factors.enrolTotp(f.user, false, "cli:root");
  REQUIRE(s);
  auto rows = f.store->listFactors(f.user.id);
  REQUIRE(rows.size() == 1);
  store::UserFactor copied = rows[0];
  copied.userId = other.id;
  REQUIRE(f.store->putFactor(copied, nullptr, {"attacker", "factor.copy", "petrov", "ok", "{}"}));
  CHECK_FALSE(f.factors.verifyTotp(other, auth::totp(f.totpSecretOf(s->secret), f.clock.now()), "petrov"));
  CHECK(f.count("factor.totp.verify", "error") == 1);
}

TEST_CASE("one-time codes: 5 minutes, 5 attempts, bound to their session, once", "[sso][mfa]") {
  Fixture f;
  auto sent = f.factors.sendCode(&f.user, notify::Channel::Email, "login", "session-1", "ivanov");
  REQUIRE(sent);
  CHECK(sent->maskedTo == "I***@example.ru");  // the domain as the validator normalised it
  const std::string code = f.lastCode();
  CHECK(f.lines().back().find("\"to\":\"Ivan@example.ru\"") != std::string::npos);
  // Another session, purpose or account cannot use it, and does not spend its attempts.
  CHECK(f.factors.checkCode(sent->id, code, &f.user, "login", "session-2", "ivanov") == store::CodeCheck::Unknown);
  CHECK(f.factors.checkCode(sent->id, code, &f.user, "recovery", "session-1", "ivanov") == store::CodeCheck::Unknown);
  CHECK(f.store->findOneTimeCode(sent->id)->attempts == 0);
  CHECK(f.factors.checkCode(sent->id, "12345x", &f.user, "login", "session-1", "ivanov") == store::CodeCheck::Wrong);
  CHECK(f.factors.checkCode(sent->id, code, &f.user, "login", "session-1", "ivanov") == store::CodeCheck::Ok);
  CHECK(f.factors.checkCode(sent->id, code, &f.user, "login", "session-1", "ivanov") == store::CodeCheck::Unknown);

  auto late = f.factors.sendCode(&f.user, notify::Channel::Email, "login", "session-1", "ivanov");
  REQUIRE(late);
  const std::string lateCode = f.lastCode();
  f.clock.advance(std::chrono::seconds(299));
  f.clock.advance(std::chrono::seconds(1));  // 300 s: expired from the fifth minute on
  CHECK(f.factors.checkCode(late->id, lateCode, &f.user, "login", "session-1", "ivanov") == store::CodeCheck::Expired);

  auto guessed = f.factors.sendCode(&f.user, notify::Channel::Email, "login", "session-1", "ivanov");
  REQUIRE(guessed);
  const std::string right = f.lastCode();
  const std::string wrong = right == "000000" ? "000001" : "000000";
  for (int i = 0; i < 5; ++i)
    CHECK(f.factors.checkCode(guessed->id, wrong, &f.user, "login", "session-1", "ivanov") == store::CodeCheck::Wrong);
  CHECK(f.factors.checkCode(guessed->id, right, &f.user, "login", "session-1", "ivanov") ==
        store::CodeCheck::TooManyAttempts);
  // No code is ever in the audit.
  for (auto& e : f.store->listAudit()) {
    CHECK(e.record.details.find(right) == std::string::npos);
    CHECK(e.record.details.find(code) == std::string::npos);
  }
  CHECK(f.failures.empty());
}

TEST_CASE("sends are limited per account and per address in the window", "[sso][mfa]") {
  Fixture f;
  for (int i = 0; i < 5; ++i) REQUIRE(f.factors.sendCode(&f.user, notify::Channel::Email, "login", "s", "ivanov"));
  auto sixth = f.factors.sendCode(&f.user, notify::Channel::Email, "login", "s", "ivanov");
  REQUIRE_FALSE(sixth);
  CHECK_THAT(sixth.error().detail, Catch::Contains("too many"));
  CHECK(f.count("code.send", "refused") == 1);
  CHECK(f.lines().size() == 5);  // the sixth was not sent
  f.clock.advance(std::chrono::minutes(16));
  CHECK(f.factors.sendCode(&f.user, notify::Channel::Email, "login", "s", "ivanov"));
  // No confirmed phone: no SMS code.
  auto noPhone = f.addUser([](admin::NewUser& u) {
    u.login = "nophone";
    u.phone.reset();
    u.inn.reset();
    u.snils.reset();
    u.status = "simplified";
    u.email = "np@example.ru";
  });
  CHECK_FALSE(f.factors.sendCode(&noPhone, notify::Channel::Sms, "login", "s", "nophone"));
}

TEST_CASE("a recovery code for an unknown login does the same work and never matches", "[sso][mfa]") {
  Fixture f;
  const auto before = f.lines().size();
  auto sent = f.factors.sendCode(nullptr, notify::Channel::Email, "recovery", "browser", "web");
  REQUIRE(sent);
  CHECK(sent->maskedTo.empty());
  CHECK(f.lines().size() == before);  // nothing sent anywhere
  REQUIRE(f.store->findOneTimeCode(sent->id));
  for (const char* guess : {"000000", "123456", "999999"})
    CHECK(f.factors.checkCode(sent->id, guess, nullptr, "recovery", "browser", "web") == store::CodeCheck::Wrong);
  // A real account's code is not reachable as an unknown login's, nor the other way round.
  auto real = f.factors.sendCode(&f.user, notify::Channel::Email, "recovery", "browser", "web");
  CHECK(f.factors.checkCode(real->id, f.lastCode(), nullptr, "recovery", "browser", "web") == store::CodeCheck::Unknown);
  CHECK(f.factors.checkCode(sent->id, "000000", &f.user, "recovery", "browser", "web") == store::CodeCheck::Unknown);
}

TEST_CASE("recovery codes: each once; the set replaced; gone with the last factor", "[sso][mfa]") {
  Fixture f;
  CHECK_FALSE(f.factors.newRecoveryCodes(f.user, "ivanov"));  // nothing to stand in for yet
  auto s = f.factors.enrolTotp(f.user, false, "cli:root");
  REQUIRE(s);
  auto codes = f.factors.newRecoveryCodes(f.user, "ivanov");
  REQUIRE(codes);
  CHECK(f.factors.useRecoveryCode(f.user, (*codes)[3], "ivanov"));
  CHECK_FALSE(f.factors.useRecoveryCode(f.user, (*codes)[3], "ivanov"));
  CHECK(f.factors.recoveryCodesLeft(f.user) == 9);
  CHECK_FALSE(f.factors.useRecoveryCode(f.user, "AAAA-BBBB-CCCC", "ivanov"));
  auto fresh = f.factors.newRecoveryCodes(f.user, "ivanov");
  REQUIRE(fresh);
  CHECK_FALSE(f.factors.useRecoveryCode(f.user, (*codes)[4], "ivanov"));  // the old set is gone
  CHECK(f.factors.recoveryCodesLeft(f.user) == 10);
  CHECK(f.factors.remove(f.user, store::FactorKind::Totp, "ivanov"));
  CHECK(f.factors.recoveryCodesLeft(f.user) == 0);
  CHECK_FALSE(f.factors.useRecoveryCode(f.user, (*fresh)[0], "ivanov"));
}

TEST_CASE("an e-mail factor is confirmed by a code to the confirmed address", "[sso][mfa]") {
  Fixture f;
  auto sent = f.factors.beginContactFactor(f.user, store::FactorKind::Email, "session-1", "ivanov");
  REQUIRE(sent);
  const auto code = f.lastCode();
  CHECK_FALSE(f.factors.confirmContactFactor(f.user, store::FactorKind::Email, sent->id, code, "session-2", "ivanov"));
  auto codes = f.factors.confirmContactFactor(f.user, store::FactorKind::Email, sent->id, code, "session-1", "ivanov");
  REQUIRE(codes);
  CHECK(codes->size() == 10);  // the account's first factor
  auto a = f.factors.available(f.user);
  CHECK(a.email);
  CHECK_FALSE(a.totp);
  CHECK(a.recovery);
  // The SMS factor then comes without new recovery codes.
  auto sms = f.factors.beginContactFactor(f.user, store::FactorKind::Sms, "session-1", "ivanov");
  REQUIRE(sms);
  auto none = f.factors.confirmContactFactor(f.user, store::FactorKind::Sms, sms->id, f.lastCode(), "session-1", "ivanov");
  REQUIRE(none);
  CHECK(none->empty());
}
