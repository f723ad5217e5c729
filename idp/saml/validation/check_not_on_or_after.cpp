#include "idp/saml/validation/logout_steps.h"

namespace propusk::saml {

// core §3.7.1: after NotOnOrAfter the recipient may discard the request; we do, allowing the
// same clock skew as for IssueInstant.
Status checkNotOnOrAfter(const LogoutRequest& req, RequestContext& ctx) {
  if (req.notOnOrAfter && *req.notOnOrAfter + ctx.clockSkew <= ctx.now)
    return requestDenied("LogoutRequest expired at " + formatXsDateTime(*req.notOnOrAfter) + " (NotOnOrAfter)");
  return {};
}

}  // namespace propusk::saml
