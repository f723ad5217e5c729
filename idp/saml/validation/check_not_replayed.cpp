#include "idp/saml/validation/steps.h"

namespace propusk::saml {

// An ID is remembered for as long as freshness would accept the request, so a replay
// inside that window is caught and one outside it fails freshness.
Status checkNotReplayed(const AuthnRequest& req, RequestContext& ctx) {
  std::string key = ctx.sp->metadata.entityId + "\n" + req.id;
  if (!ctx.replay->remember(key, req.issueInstant + ctx.messageLifetime + 2 * ctx.clockSkew, ctx.now))
    return requestDenied("AuthnRequest ID " + req.id + " was already used");
  return {};
}

}  // namespace propusk::saml
