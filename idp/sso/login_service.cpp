#include "idp/sso/login_service.h"

#include <algorithm>

#include "idp/core/json_text.h"
#include "idp/identity/validators.h"

namespace propusk::sso {

LoginService::LoginService(store::Store& store, const Clock& clock, Random& random, auth::PasswordHasher& hasher,
                           LockoutPolicy lockout, AddressThrottle* throttle)
    : store_(store), clock_(clock), random_(random), hasher_(hasher), lockout_(lockout), throttle_(throttle) {
  dummyHash_ = auth::hashPassword(random_.token(16), hasher_.params(), random_);
}

void LoginService::history(const store::User& user, const Client& client, std::string factors, std::string result) {
  store_.addLoginHistory({user.id, clock_.now(), client.remote, client.userAgent, client.sp, std::move(factors),
                          std::move(result)});
}

void LoginService::countFailure(const store::User& user, const Client& client, std::string_view reason) {
  // Counted in one statement (Store::recordFailedLogin): concurrent guesses, on any thread
  // or instance, are each counted, and nothing else of the account is written back.
  auto lockFor = [this](int failures) {
    if (failures < lockout_.threshold) return std::chrono::seconds(0);
    int extra = std::min(failures - lockout_.threshold, 16);
    return std::min(lockout_.firstLockout * (1 << extra), lockout_.maxLockout);
  };
  store_.recordFailedLogin(user.id, clock_.now(), lockFor, [&](const store::FailedLogin& f) {
    std::string d = R"({"reason":)" + jsonString(reason) + ",";
    if (f.lockout.count() > 0) d += R"("lockout_seconds":)" + std::to_string(f.lockout.count()) + ",";
    return store::AuditRecord{user.login, "login.failure", user.login, "refused",
                              d + R"("failures":)" + std::to_string(f.failures) + R"(,"remote":)" +
                                  jsonString(client.remote) + "}"};
  });
}

LoginResult LoginService::authenticate(std::string_view loginText, std::string_view password, const Client& client) {
  LoginResult r;
  auto now = clock_.now();
  const std::string& remote = client.remote;
  // A blocked address is refused before anything else: no password is checked for it, so a
  // guessing run learns nothing and costs nothing while it lasts.
  if (throttle_) {
    if (auto until = throttle_->blockedUntil(remote)) {
      r.outcome = LoginOutcome::Throttled;
      r.retryAfter = until;
      store_.appendAudit({"web", "login.failure", "-", "refused",
                          R"({"reason":"throttled","remote":)" + jsonString(remote) + "}"});
      return r;
    }
  }
  auto login = identity::normalizeLogin(loginText);
  std::optional<store::User> user = login ? store_.findUser(*login) : std::nullopt;
  // Never write what was typed into the audit log when it is not a valid login: it may be
  // a password typed into the wrong field.
  std::string target = login ? *login : std::string("(invalid)");
  if (password.size() > 1024) password = password.substr(0, 1024);  // bounds Argon2 work

  // Why this attempt cannot succeed whatever the password, checked before hashing; every
  // such attempt still spends one verification (against the dummy hash), so that none of
  // them answers sooner than a wrong password does.
  std::string_view refusal;
  if (!user) refusal = "unknown-or-bad";
  // No local password (an account the gateway created for an upstream's person): refused like
  // an unknown login and not counted against the account (nothing to guess, and counting would
  // let anybody lock the account's upstream logins out of nothing).
  else if (!user->passwordHash.starts_with("$argon2id$")) refusal = "no-local-password";
  else if (user->locked) refusal = "locked";
  else if (user->lockedUntil && *user->lockedUntil > now) refusal = "backoff";

  auto verified = hasher_.verify(password, refusal.empty() ? user->passwordHash : dummyHash_);
  if (!verified) {
    r.outcome = LoginOutcome::Busy;
    return r;
  }
  if (!refusal.empty()) {
    store_.appendAudit({user ? user->login : std::string("web"), "login.failure", target, "refused",
                        R"({"reason":)" + jsonString(refusal) + R"(,"remote":)" + jsonString(remote) + "}"});
    // Unknown logins count against the address as wrong passwords do: spraying many logins
    // from one address is what the throttle is for.
    if (throttle_ && (refusal == "unknown-or-bad" || refusal == "no-local-password")) throttle_->failure(remote, "password");
    if (user && refusal != "no-local-password") history(*user, client, "password", std::string(refusal));
    if (refusal == "locked") r.outcome = LoginOutcome::Locked;
    if (refusal == "backoff") {
      r.outcome = LoginOutcome::TemporarilyLocked;
      r.retryAfter = user->lockedUntil;
    }
    return r;
  }
  if (!*verified) {
    countFailure(*user, client, "bad-password");
    if (throttle_) throttle_->failure(remote, "password");
    history(*user, client, "password", "wrong-password");
    return r;
  }
  std::optional<std::string> rehashed;
  if (auth::needsRehash(user->passwordHash, hasher_.params())) rehashed = hasher_.hash(password, random_);
  if (!store_.recordSuccessfulLogin(user->id, now, rehashed,
                                    {user->login, "login.success", user->login, "ok",
                                     R"({"remote":)" + jsonString(remote) + "}"}))
    return r;  // removed meanwhile
  user->failedLogins = 0;
  user->lockedUntil.reset();
  if (rehashed) user->passwordHash = *rehashed;
  user->updatedAt = now;
  // The history's "ok" line is written when the whole login is done (a second factor may
  // still be asked for): web/sso_flow.cpp.
  r.outcome = LoginOutcome::Ok;
  r.user = std::move(user);
  return r;
}

void LoginService::recordFailedSecondFactor(const store::User& user, const Client& client, std::string_view factor) {
  countFailure(user, client, "bad-" + std::string(factor));
  if (throttle_) throttle_->failure(client.remote, factor);
  history(user, client, std::string(factor), "wrong-code");
}

bool LoginService::mayTryCode(const store::User& user) const {
  if (user.locked) return false;
  return !user.lockedUntil || *user.lockedUntil <= clock_.now();
}

}  // namespace propusk::sso
