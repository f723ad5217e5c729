#include "idp/saml/validation/logout_steps.h"
#include "idp/saml/validation/message_checks.h"
#include "idp/saml/validation/steps.h"

namespace propusk::saml {

// A message is accepted from IssueInstant - skew until IssueInstant + lifetime + skew.
Status checkFreshness(TimePoint issueInstant, std::string_view what, const RequestContext& ctx) {
  if (issueInstant > ctx.now + ctx.clockSkew)
    return withRemedy(
        requestDenied(std::string(what) + " IssueInstant " + formatXsDateTime(issueInstant) + " is in the future"),
        "the SP's clock is ahead of this IdP's by more than [saml] clock_skew_seconds (" +
            std::to_string(ctx.clockSkew.count()) + " s): synchronise both clocks (NTP), or raise clock_skew_seconds");
  if (issueInstant + ctx.messageLifetime + ctx.clockSkew < ctx.now)
    return withRemedy(
        requestDenied(std::string(what) + " IssueInstant " + formatXsDateTime(issueInstant) + " is too old"),
        "the message is older than " + std::to_string((ctx.messageLifetime + ctx.clockSkew).count()) +
            " s: a stale page sent again, or the SP's clock is behind this IdP's; synchronise both clocks (NTP)");
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
