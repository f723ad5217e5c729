// An SP's message refused at a named step (saml/validation): written once, the same way, by
// every endpoint that takes SP messages (/saml/sso, /saml/slo, /saml/soap).
#pragma once

#include <string>
#include <string_view>

#include "idp/core/result.h"
#include "idp/web/web_context.h"

namespace propusk::web {

// One audit event (`action`, outcome "refused", target the SP's entityID, or what the message
// claimed when no registered SP was found; details {id, step, detail, remedy}) and one warning
// line in the server log naming the same. `propuskctl sp show` lists an SP's last refusals from
// these events, so an administrator sees why an SP's logins fail and what to change without
// asking the person for the page they saw.
void recordRefusal(WebContext& ctx, std::string_view actor, std::string_view action, std::string_view sender,
                   std::string_view messageId, std::string_view step, const Error& error);

// The audit details of such a refusal, as recordRefusal writes them.
std::string refusalDetails(std::string_view messageId, std::string_view step, const Error& error);

}  // namespace propusk::web
