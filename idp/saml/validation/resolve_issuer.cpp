#include "idp/saml/validation/logout_steps.h"
#include "idp/saml/validation/message_checks.h"
#include "idp/saml/validation/steps.h"

namespace propusk::saml {

// profiles §4.1.4.1 (AuthnRequest), §4.4.4.1 (LogoutRequest), §4.4.4.2 (LogoutResponse): the
// Issuer MUST be present and name the sender (entity format, if any).
Status resolveIssuerSp(const std::optional<std::string>& issuer, const std::optional<std::string>& format,
                       std::string_view what, RequestContext& ctx) {
  if (!issuer || issuer->empty()) return requestDenied(std::string(what) + " has no Issuer");
  if (format && *format != kNameIdEntity) return requestDenied("Issuer Format is not the entity format");
  ctx.sp = ctx.sps->find(*issuer);
  if (!ctx.sp) return requestDenied("Issuer '" + *issuer + "' is not a registered SP");
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
