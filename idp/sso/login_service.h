// Password login with lockout and backoff. Unknown logins and wrong passwords take the same
// time and give the same answer, so the form cannot be used to find accounts.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "idp/auth/password_hash.h"
#include "idp/core/clock.h"
#include "idp/core/random.h"
#include "idp/store/store.h"

namespace propusk::sso {

struct LockoutPolicy {
  int threshold = 5;                                   // consecutive failures before a lockout
  std::chrono::seconds firstLockout{30};               // doubles with each further failure
  std::chrono::seconds maxLockout = std::chrono::hours(1);
};

enum class LoginOutcome { Ok, BadCredentials, Locked, TemporarilyLocked };

struct LoginResult {
  LoginOutcome outcome = LoginOutcome::BadCredentials;
  std::optional<store::User> user;  // Ok only
  std::optional<TimePoint> retryAfter;  // TemporarilyLocked only
};

class LoginService {
 public:
  LoginService(store::Store& store, const Clock& clock, Random& random, auth::Argon2Params argon2, LockoutPolicy lockout);
  LoginResult authenticate(std::string_view login, std::string_view password, const std::string& remote);

 private:
  store::Store& store_;
  const Clock& clock_;
  Random& random_;
  auth::Argon2Params argon2_;
  LockoutPolicy lockout_;
  std::string dummyHash_;  // verified against for unknown logins, to spend the same time
};

}  // namespace propusk::sso
