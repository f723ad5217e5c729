#include "idp/saml/validation/logout_steps.h"
#include "idp/saml/validation/message_checks.h"
#include "idp/saml/validation/steps.h"

namespace propusk::saml {

// An ID is remembered for as long as freshness would accept the message, so a replay
// inside that window is caught and one outside it fails freshness. One namespace per SP for
// every message type: core §1.3.4 makes an ID unique, whatever carries it.
Status checkIdNotReplayed(std::string_view id, TimePoint issueInstant, std::string_view what, RequestContext& ctx) {
  std::string key = ctx.sp->metadata.entityId + "\n" + std::string(id);
  switch (ctx.replay->remember(key, issueInstant + ctx.messageLifetime + 2 * ctx.clockSkew, ctx.now)) {
    case Remembered::First: return {};
    case Remembered::Seen:
      return withRemedy(requestDenied(std::string(what) + " ID " + std::string(id) + " was already used"),
                        "the SP sent a message ID a second time (a reloaded page, or a replay): the SP must make a "
                        "new message with a fresh ID for every attempt");
    case Remembered::Full: break;
  }
  // Our limit, not the sender's fault: Responder, and the operator sees it in the audit.
  return withRemedy(responderError("replay cache full: " + std::string(what) + " refused until older IDs expire"),
                    "this IdP's replay cache is full (too many messages within the freshness window); it frees "
                    "itself as IDs expire — add instances or lower [saml] clock_skew_seconds");
}

Status checkNotReplayed(const AuthnRequest& req, RequestContext& ctx) {
  return checkIdNotReplayed(req.id, req.issueInstant, "AuthnRequest", ctx);
}
Status checkNotReplayed(const LogoutRequest& req, RequestContext& ctx) {
  return checkIdNotReplayed(req.id, req.issueInstant, "LogoutRequest", ctx);
}
Status checkNotReplayed(const LogoutResponse& resp, RequestContext& ctx) {
  return checkIdNotReplayed(resp.id, resp.issueInstant, "LogoutResponse", ctx);
}

}  // namespace propusk::saml
