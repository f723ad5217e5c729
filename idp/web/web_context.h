// What every handler shares: configuration, the store, time and randomness.
#pragma once

#include <Poco/Logger.h>

#include <atomic>
#include <mutex>

#include "idp/config/config.h"
#include "idp/core/clock.h"
#include "idp/core/random.h"
#include "idp/store/store.h"

namespace propusk::saml {
class SpDirectory;
class ReplayCache;
}  // namespace propusk::saml
namespace propusk::auth {
class PasswordHasher;
}  // namespace propusk::auth
namespace propusk::sso {
class AddressThrottle;
class SecondFactors;
class SessionManager;
class LoginService;
class AssertionIssuer;
class LogoutService;
class Gateway;
}  // namespace propusk::sso

namespace propusk::web {

// The SSO machinery, built once by the server (app/server_app.cpp).
struct SsoServices {
  saml::SpDirectory& sps;
  saml::ReplayCache& replay;
  sso::SessionManager& sessions;
  sso::LoginService& logins;
  sso::AssertionIssuer& issuer;
  sso::LogoutService* logout = nullptr;  // Single Logout (set by the server)
  sso::Gateway* gateway = nullptr;       // upstream IdPs (set by the server)
  // Account security (docs/account-security.md; set by the server).
  sso::SecondFactors* factors = nullptr;
  sso::AddressThrottle* throttle = nullptr;
  auth::PasswordHasher* hasher = nullptr;
};

struct WebContext {
  const config::Config& config;
  store::Store& store;  // thread-safe (serialises internally)
  const Clock& clock;
  Random& random;       // SystemRandom: RAND_bytes is thread-safe
  Poco::Logger& log;
  SsoServices* sso = nullptr;
  std::atomic<bool> ready{false};
  // Whether the last probe of the store (every second, app/server_app.cpp) got through.
  std::atomic<bool> storeReachable{true};

  bool https() const { return config.publicUrl.starts_with("https://"); }
};

}  // namespace propusk::web
