#include "idp/saml/validation/steps.h"

namespace propusk::saml {

// profiles §4.1.4.1: the Issuer MUST be present and name the SP (entity format, if any).
Status resolveIssuer(const AuthnRequest& req, RequestContext& ctx) {
  if (!req.issuer || req.issuer->empty()) return requestDenied("AuthnRequest has no Issuer");
  if (req.issuerFormat && *req.issuerFormat != kNameIdEntity)
    return requestDenied("Issuer Format is not the entity format");
  ctx.sp = ctx.sps->find(*req.issuer);
  if (!ctx.sp) return requestDenied("Issuer '" + *req.issuer + "' is not a registered SP");
  return {};
}

}  // namespace propusk::saml
