#include "idp/saml/validation/logout_steps.h"
#include "idp/saml/validation/message_checks.h"
#include "idp/saml/validation/steps.h"

namespace propusk::saml {

// profiles §4.1.4.1 (AuthnRequest), §4.4.4.1 (LogoutRequest), §4.4.4.2 (LogoutResponse): the
// Issuer MUST be present and name the sender (entity format, if any).
Status resolveIssuerSp(const std::optional<std::string>& issuer, const std::optional<std::string>& format,
                       std::string_view what, RequestContext& ctx) {
  if (!issuer || issuer->empty())
    return withRemedy(requestDenied(std::string(what) + " has no Issuer"),
                      "configure the SP to send its entityID as Issuer");
  if (format && *format != kNameIdEntity)
    return withRemedy(requestDenied("Issuer Format is not the entity format"),
                      "configure the SP to send its Issuer without Format, or with the entity format");
  ctx.sp = ctx.sps->find(*issuer);
  if (!ctx.sp)
    return withRemedy(requestDenied("Issuer '" + *issuer + "' is not a registered SP"),
                      "register the SP from its metadata: `propuskctl sp add FILE|URL`");
  return {};
}

Status resolveIssuer(const AuthnRequest& req, RequestContext& ctx) {
  return resolveIssuerSp(req.issuer, req.issuerFormat, "AuthnRequest", ctx);
}
Status resolveIssuer(const LogoutRequest& req, RequestContext& ctx) {
  return resolveIssuerSp(req.issuer, req.issuerFormat, "LogoutRequest", ctx);
}
Status resolveIssuer(const LogoutResponse& resp, RequestContext& ctx) {
  return resolveIssuerSp(resp.issuer, resp.issuerFormat, "LogoutResponse", ctx);
}

}  // namespace propusk::saml
