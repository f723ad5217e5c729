// An SP's message refused at a named step (saml/validation): written once, the same way, by
// every endpoint that takes SP messages (/saml/sso, /saml/slo, /saml/soap).
#pragma once

#include <string>
#include <string_view>

#include "idp/core/result.h"
#include "idp/web/web_context.h"

namespace propusk::web {

// Who sent a refused message, as far as the IdP can tell.
struct RefusalSource {
  std::string_view sender = "-";  // the registered SP's entityID, or what the message claimed, or "-"
  // The sender proved it holds the SP's metadata key (saml::RequestContext::senderAuthenticated).
  // Before that, anybody can claim to be the SP: `propuskctl sp show` says so.
  bool authenticated = false;
  std::string_view remote;  // the client's address
};

// One audit event (`action`, outcome "refused", target = the sender; details {id, step,
// detail, remedy, authenticated, remote}) and one warning line in the server log naming the
// same. `propuskctl sp show` lists an SP's last refusals from these events, so an administrator
// sees why an SP's logins fail and what to change without asking the person for the page.
void recordRefusal(WebContext& ctx, std::string_view actor, std::string_view action, const RefusalSource& source,
                   std::string_view messageId, std::string_view step, const Error& error);

// The audit details of such a refusal, as recordRefusal writes them.
std::string refusalDetails(std::string_view messageId, std::string_view step, const Error& error,
                           const RefusalSource& source);

}  // namespace propusk::web
