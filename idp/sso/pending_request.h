// An accepted AuthnRequest waiting for the person to log in, kept in the store between
// /saml/sso and /login (any instance can finish it).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "idp/core/clock.h"
#include "idp/policy/authn_context.h"

namespace propusk::sso {

struct PendingRequest {
  std::string spEntityId;
  std::optional<std::string> requestId;  // absent for IdP-initiated SSO
  std::string acsUrl;                    // from metadata, chosen by the acs step
  std::optional<std::string> relayState;
  std::string nameIdFormat;
  bool forceAuthn = false;
  bool isPassive = false;
  TimePoint createdAt{};

  // Passed on when the person logs in through an upstream IdP (gateway, docs/gateway.md):
  // the SP's RequestedAuthnContext, and its Scoping (core §3.4.1.2).
  std::string requestedComparison;                  // "exact", "minimum"...; empty: none requested
  std::vector<std::string> requestedClassRefs;
  std::optional<unsigned> proxyCount;               // how many more proxy steps the SP allows
  std::vector<std::string> idpList;                 // IDPList ProviderIDs (empty: no list)
  std::vector<std::string> requesterIds;            // RequesterIDs the SP's request carried
  // The password login cannot meet the SP's RequestedAuthnContext (only an upstream may):
  // the login page then offers no password form.
  bool localCannotSatisfy = false;
  // A login for the IdP's own pages (no SP: spEntityId empty): where to go afterwards, a
  // path of ours ("/account"), never a URL from outside.
  std::string returnTo;

  bool forSp() const { return !spEntityId.empty(); }
  // The SP's RequestedAuthnContext in policy's terms (empty when none was requested).
  policy::RequestedContext requested() const;
};

std::string encodePending(const PendingRequest& p);
std::optional<PendingRequest> decodePending(std::string_view json);

}  // namespace propusk::sso
