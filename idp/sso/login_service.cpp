#include "idp/sso/login_service.h"

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
    user->failedLogins += 1;
    std::string action = "login.failure";
    if (user->failedLogins >= lockout_.threshold) {
      int extra = std::min(user->failedLogins - lockout_.threshold, 16);
      auto wait = std::min(lockout_.firstLockout * (1 << extra), lockout_.maxLockout);
      user->lockedUntil = now + wait;
      details = R"({"reason":"bad-password","lockout_seconds":)" + std::to_string(wait.count()) + R"(,"remote":)" + jsonString(remote) + "}";
    } else {
      details = R"({"reason":"bad-password","remote":)" + jsonString(remote) + "}";
    }
    user->updatedAt = now;
    store_.updateUser(*user, {user->login, action, user->login, "refused", details});
    return r;
  }
  user->failedLogins = 0;
  user->lockedUntil.reset();
  if (auth::needsRehash(user->passwordHash, argon2_)) user->passwordHash = auth::hashPassword(password, argon2_, random_);
  user->updatedAt = now;
  store_.updateUser(*user, {user->login, "login.success", user->login, "ok", details});
  r.outcome = LoginOutcome::Ok;
  r.user = std::move(user);
  return r;
}

}  // namespace propusk::sso
