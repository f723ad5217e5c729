// An accepted AuthnRequest waiting for the person to log in, kept in the store between
// /saml/sso and /login (any instance can finish it).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "idp/core/clock.h"

namespace propusk::sso {

struct PendingRequest {
  std::string spEntityId;
  std::optional<std::string> requestId;  // absent for IdP-initiated SSO
  std::string acsUrl;                    // from metadata, chosen by the acs step
  std::optional<std::string> relayState;
  std::string nameIdFormat;
  std::string authnContextClassRef;
  bool forceAuthn = false;
  bool isPassive = false;
  TimePoint createdAt{};
};

std::string encodePending(const PendingRequest& p);
std::optional<PendingRequest> decodePending(std::string_view json);

}  // namespace propusk::sso
