// What the SAML layer needs to know about registered SPs and seen message IDs. Declared
// here, implemented over the store (store/), so saml/ has no SQL.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "idp/core/cidr.h"
#include "idp/core/clock.h"
#include "idp/policy/account_status.h"
#include "idp/saml/messages/sp_metadata.h"

namespace propusk::saml {

enum class ResponseSigning { Both, AssertionOnly, ResponseOnly };

// A registered SP with its metadata parsed once (certificates loaded) and its policy.
struct RegisteredSp {
  SpMetadata metadata;
  std::vector<std::string> release;  // attribute FriendlyNames
  policy::AccountStatus minStatus = policy::AccountStatus::Simplified;
  bool allowSha1 = false;
  ResponseSigning signing = ResponseSigning::Both;
  std::vector<std::string> upstreams;  // gateway: upstream names allowed, {"*"} all, empty none
  bool localLogin = true;              // the password form is offered
  bool requireMfa = false;             // every login for it needs a second factor
  std::vector<Cidr> allowIp;           // client addresses allowed (empty: any)

  std::vector<X509*> signingCertificates() const {
    std::vector<X509*> v;
    for (auto& c : metadata.signingCertificates) v.push_back(c.get());
    return v;
  }
};

class SpDirectory {
 public:
  virtual ~SpDirectory() = default;
  // nullptr when no SP with that entityID is registered.
  virtual std::shared_ptr<const RegisteredSp> find(std::string_view entityId) = 0;
};

enum class Remembered {
  First,  // not seen before: now remembered
  Seen,   // remembered already and not expired: a replay
  Full,   // the cache holds as many IDs as it may: refused, nothing forgotten to make room
};

class ReplayCache {
 public:
  virtual ~ReplayCache() = default;
  // Remembers `key` until at least `expiresAt`.
  virtual Remembered remember(std::string_view key, TimePoint expiresAt, TimePoint now) = 0;
};

}  // namespace propusk::saml
