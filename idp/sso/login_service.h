// Password login with lockout and backoff. Unknown logins and wrong passwords take the same
// time and give the same answer, so the form cannot be used to find accounts.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "idp/auth/password_hasher.h"
#include "idp/core/clock.h"
#include "idp/core/random.h"
#include "idp/sso/address_throttle.h"
#include "idp/store/store.h"

namespace propusk::sso {

struct LockoutPolicy {
  int threshold = 5;                                   // consecutive failures before a lockout
  std::chrono::seconds firstLockout{30};               // doubles with each further failure
  std::chrono::seconds maxLockout = std::chrono::hours(1);
};

// Busy: too many password hashes waiting (auth::PasswordHasher); nothing was checked or counted.
// Throttled: the client address is blocked (sso/address_throttle.h); no password was checked.
enum class LoginOutcome { Ok, BadCredentials, Locked, TemporarilyLocked, Busy, Throttled };

// Who is logging in, as the server sees it: for the audit, the throttle and the login history.
struct Client {
  std::string remote;          // the client address
  std::string userAgent = {};  // clipped, printable
  std::string sp = {};         // the SP the login is for ("" for the IdP's own pages)
};

struct LoginResult {
  LoginOutcome outcome = LoginOutcome::BadCredentials;
  std::optional<store::User> user;  // Ok only
  std::optional<TimePoint> retryAfter;  // TemporarilyLocked and Throttled
};

class LoginService {
 public:
  // `throttle` may be null (no per-address limit: tests of the lockout alone).
  LoginService(store::Store& store, const Clock& clock, Random& random, auth::PasswordHasher& hasher, LockoutPolicy lockout,
               AddressThrottle* throttle = nullptr);
  LoginResult authenticate(std::string_view login, std::string_view password, const Client& client);
  // A wrong second factor of `user` (a TOTP, e-mail/SMS or recovery code): counted like a
  // wrong password, toward the account's lockout and the address's throttle, and in its history.
  void recordFailedSecondFactor(const store::User& user, const Client& client, std::string_view factor);
  // Whether `user` may try a code now (not in backoff, not locked).
  bool mayTryCode(const store::User& user) const;
  const LockoutPolicy& lockout() const { return lockout_; }

 private:
  store::Store& store_;
  const Clock& clock_;
  Random& random_;
  auth::PasswordHasher& hasher_;
  LockoutPolicy lockout_;
  AddressThrottle* throttle_;
  std::string dummyHash_;
  void countFailure(const store::User& user, const Client& client, std::string_view reason);
  void history(const store::User& user, const Client& client, std::string factors, std::string result);  // verified against for unknown logins, to spend the same time
};

}  // namespace propusk::sso
