#include "idp/saml/validation/steps.h"

namespace propusk::saml {

// bindings §3.4.5.2 / §3.5.5.2: a signed message MUST carry Destination, and any
// Destination must be the endpoint the message arrived at.
Status checkDestination(const AuthnRequest& req, RequestContext& ctx) {
  if (!req.destination) {
    if (ctx.signatureVerified) return requestDenied("signed AuthnRequest without Destination");
    return {};
  }
  if (*req.destination != ctx.ssoUrl)
    return requestDenied("Destination '" + *req.destination + "' is not this IdP's SSO URL " + ctx.ssoUrl);
  return {};
}

}  // namespace propusk::saml
