#include "idp/saml/validation/logout_steps.h"

namespace propusk::saml {

// core §3.7.1: after NotOnOrAfter the recipient may discard the request; we do, allowing the
// same clock skew as for IssueInstant.
Status checkNotOnOrAfter(const LogoutRequest& req, RequestContext& ctx) {
  if (req.notOnOrAfter && *req.notOnOrAfter + ctx.clockSkew <= ctx.now)
    return withRemedy(
        requestDenied("LogoutRequest expired at " + formatXsDateTime(*req.notOnOrAfter) + " (NotOnOrAfter)"),
        "the LogoutRequest had expired when it arrived: synchronise the SP's clock with this IdP's (NTP), or "
        "give its requests a longer NotOnOrAfter");
  return {};
}

}  // namespace propusk::saml
