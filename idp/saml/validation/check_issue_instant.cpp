#include "idp/saml/validation/logout_steps.h"
#include "idp/saml/validation/message_checks.h"
#include "idp/saml/validation/steps.h"

namespace propusk::saml {

// A message is accepted from IssueInstant - skew until IssueInstant + lifetime + skew.
Status checkFreshness(TimePoint issueInstant, std::string_view what, const RequestContext& ctx) {
  if (issueInstant > ctx.now + ctx.clockSkew)
    return requestDenied(std::string(what) + " IssueInstant " + formatXsDateTime(issueInstant) + " is in the future");
  if (issueInstant + ctx.messageLifetime + ctx.clockSkew < ctx.now)
    return requestDenied(std::string(what) + " IssueInstant " + formatXsDateTime(issueInstant) + " is too old");
  return {};
}

Status checkIssueInstant(const AuthnRequest& req, RequestContext& ctx) {
  return checkFreshness(req.issueInstant, "AuthnRequest", ctx);
}
Status checkIssueInstant(const LogoutRequest& req, RequestContext& ctx) {
  return checkFreshness(req.issueInstant, "LogoutRequest", ctx);
}
Status checkIssueInstant(const LogoutResponse& resp, RequestContext& ctx) {
  return checkFreshness(resp.issueInstant, "LogoutResponse", ctx);
}

}  // namespace propusk::saml
