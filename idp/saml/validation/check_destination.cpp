#include "idp/saml/validation/logout_steps.h"
#include "idp/saml/validation/message_checks.h"
#include "idp/saml/validation/steps.h"

namespace propusk::saml {

// bindings §3.4.5.2 / §3.5.5.2: a signed message MUST carry Destination, and any
// Destination must be the endpoint the message arrived at. The SOAP binding (§3.2) has no
// Destination rule: there it is checked when present, and an empty one (pysaml2 writes
// Destination="" into its SOAP LogoutResponses) counts as absent.
Status checkDestinationIs(const std::optional<std::string>& destination, std::string_view endpoint,
                          std::string_view endpointName, std::string_view what, const RequestContext& ctx) {
  if (!destination || (destination->empty() && ctx.binding == Binding::Soap)) {
    if (ctx.signatureVerified && ctx.binding != Binding::Soap)
      return withRemedy(requestDenied("signed " + std::string(what) + " without Destination"),
                        "configure the SP to write Destination (this IdP's endpoint) into the messages it signs");
    return {};
  }
  if (*destination != endpoint)
    return withRemedy(requestDenied("Destination '" + *destination + "' is not this IdP's " +
                                    std::string(endpointName) + " URL " + std::string(endpoint)),
                      "the SP sends to another URL than this IdP's endpoint: give it this IdP's current metadata, and "
                      "check that [server] public_url is the URL the SPs use");
  return {};
}

Status checkDestination(const AuthnRequest& req, RequestContext& ctx) {
  return checkDestinationIs(req.destination, ctx.ssoUrl, "SSO", "AuthnRequest", ctx);
}
Status checkDestination(const LogoutRequest& req, RequestContext& ctx) {
  return checkDestinationIs(req.destination, ctx.sloUrl, "SLO", "LogoutRequest", ctx);
}
Status checkDestination(const LogoutResponse& resp, RequestContext& ctx) {
  return checkDestinationIs(resp.destination, ctx.sloUrl, "SLO", "LogoutResponse", ctx);
}

}  // namespace propusk::saml
