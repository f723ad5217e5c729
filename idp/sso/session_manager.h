// SSO sessions: random cookie tokens, only their hash stored; idle and absolute timeouts.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "idp/core/clock.h"
#include "idp/core/random.h"
#include "idp/store/store.h"

namespace propusk::sso {

struct SessionPolicy {
  std::chrono::seconds idle = std::chrono::minutes(30);
  std::chrono::seconds absolute = std::chrono::hours(8);
};

class SessionManager {
 public:
  SessionManager(store::Store& store, const Clock& clock, Random& random, SessionPolicy policy)
      : store_(store), clock_(clock), random_(random), policy_(policy) {}

  struct Created {
    std::string token;  // goes into the cookie, nowhere else
    store::Session session;
  };
  // Logged in through an upstream IdP (gateway): recorded with the session (store::Session).
  struct Via {
    std::string upstream;  // its name
    std::string nameId;    // the NameID it gave
    std::string data;      // sso::encodeUpstreamSession
  };
  // `factors`: what the person proved (policy::Factors::encode); `remote`, `userAgent`: where
  // from (kept with the session for /account).
  Created create(const store::User& user, std::string authnContextClassRef, const std::string& factors,
                 const std::string& remote, const std::string& userAgent, const Via* via = nullptr);
  // ForceAuthn inside a live session of the same user: a new token and id (no fixation),
  // a new AuthnInstant, the same participants (Single Logout must still reach them) and the
  // same creation time (the absolute timeout still counts from the first login).
  // nullopt when `old` is gone meanwhile.
  std::optional<Created> reauthenticate(const store::Session& old, std::string authnContextClassRef,
                                        const std::string& factors, const std::string& remote,
                                        const std::string& userAgent, const Via* via = nullptr);
  // A second factor given inside `old`: a new token and id (the session's privilege changed:
  // no fixation), `factor` added to its factors, a new AuthnInstant; participants and the
  // creation time kept. nullopt when `old` is gone meanwhile.
  std::optional<Created> addFactor(const store::Session& old, std::string_view factor, const std::string& remote);
  // The live session for a cookie token; expired ones are removed and yield nullopt.
  std::optional<store::Session> resolve(std::string_view token);
  void destroy(std::string_view token, const std::string& reason);
  const SessionPolicy& policy() const { return policy_; }

  static std::string hashToken(std::string_view token);

 private:
  store::Store& store_;
  const Clock& clock_;
  Random& random_;
  SessionPolicy policy_;
};

}  // namespace propusk::sso
