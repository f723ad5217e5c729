#include "idp/saml/validation/steps.h"

namespace propusk::saml {

// A request is accepted from IssueInstant - skew until IssueInstant + lifetime + skew.
Status checkIssueInstant(const AuthnRequest& req, RequestContext& ctx) {
  if (req.issueInstant > ctx.now + ctx.clockSkew)
    return requestDenied("IssueInstant " + formatXsDateTime(req.issueInstant) + " is in the future");
  if (req.issueInstant + ctx.messageLifetime + ctx.clockSkew < ctx.now)
    return requestDenied("IssueInstant " + formatXsDateTime(req.issueInstant) + " is too old");
  return {};
}

}  // namespace propusk::saml
