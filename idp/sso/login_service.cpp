#include "idp/sso/login_service.h"

#include <algorithm>

#include "idp/core/json_text.h"
#include "idp/identity/validators.h"

namespace propusk::sso {

LoginService::LoginService(store::Store& store, const Clock& clock, Random& random, auth::Argon2Params argon2,
                           LockoutPolicy lockout)
    : store_(store), clock_(clock), random_(random), argon2_(argon2), lockout_(lockout) {
  dummyHash_ = auth::hashPassword(random_.token(16), argon2_, random_);
}

LoginResult LoginService::authenticate(std::string_view loginText, std::string_view password, const std::string& remote) {
  LoginResult r;
  auto now = clock_.now();
  auto login = identity::normalizeLogin(loginText);
  std::optional<store::User> user = login ? store_.findUser(*login) : std::nullopt;
  std::string details = R"({"remote":)" + jsonString(remote) + "}";
  // Never write what was typed into the audit log when it is not a valid login: it may be
  // a password typed into the wrong field.
  std::string target = login ? *login : std::string("(invalid)");
  if (password.size() > 1024) password = password.substr(0, 1024);  // bounds Argon2 work

  if (!user) {
    auth::verifyPassword(password, dummyHash_);
    store_.appendAudit({"web", "login.failure", target, "refused", R"({"reason":"unknown-or-bad","remote":)" + jsonString(remote) + "}"});
    return r;
  }
  if (!user->passwordHash.starts_with("$argon2id$")) {
    // No local password (an account the gateway created for an upstream's person): refused
    // like an unknown login, in the same time, and not counted (nothing to guess, and
    // counting would let anybody lock the account's upstream logins out of nothing).
    auth::verifyPassword(password, dummyHash_);
    store_.appendAudit({user->login, "login.failure", user->login, "refused",
                        R"({"reason":"no-local-password","remote":)" + jsonString(remote) + "}"});
    return r;
  }
  if (user->locked) {
    auth::verifyPassword(password, dummyHash_);
    store_.appendAudit({user->login, "login.failure", user->login, "refused", R"({"reason":"locked","remote":)" + jsonString(remote) + "}"});
    r.outcome = LoginOutcome::Locked;
    return r;
  }
  if (user->lockedUntil && *user->lockedUntil > now) {
    auth::verifyPassword(password, dummyHash_);
    store_.appendAudit({user->login, "login.failure", user->login, "refused", R"({"reason":"backoff","remote":)" + jsonString(remote) + "}"});
    r.outcome = LoginOutcome::TemporarilyLocked;
    r.retryAfter = user->lockedUntil;
    return r;
  }
  if (!auth::verifyPassword(password, user->passwordHash)) {
    // Counted in one statement (Store::recordFailedLogin): concurrent guesses, on any thread
    // or instance, are each counted, and nothing else of the account is written back.
    auto lockFor = [this](int failures) {
      if (failures < lockout_.threshold) return std::chrono::seconds(0);
      int extra = std::min(failures - lockout_.threshold, 16);
      return std::min(lockout_.firstLockout * (1 << extra), lockout_.maxLockout);
    };
    store_.recordFailedLogin(user->id, now, lockFor, [&](const store::FailedLogin& f) {
      std::string d = R"({"reason":"bad-password",)";
      if (f.lockout.count() > 0) d += R"("lockout_seconds":)" + std::to_string(f.lockout.count()) + ",";
      return store::AuditRecord{user->login, "login.failure", user->login, "refused",
                                d + R"("failures":)" + std::to_string(f.failures) + R"(,"remote":)" + jsonString(remote) + "}"};
    });
    return r;
  }
  std::optional<std::string> rehashed;
  if (auth::needsRehash(user->passwordHash, argon2_)) rehashed = auth::hashPassword(password, argon2_, random_);
  if (!store_.recordSuccessfulLogin(user->id, now, rehashed, {user->login, "login.success", user->login, "ok", details}))
    return r;  // removed meanwhile
  user->failedLogins = 0;
  user->lockedUntil.reset();
  if (rehashed) user->passwordHash = *rehashed;
  user->updatedAt = now;
  r.outcome = LoginOutcome::Ok;
  r.user = std::move(user);
  return r;
}

}  // namespace propusk::sso
