#include "idp/saml/validation/steps.h"

namespace propusk::saml {

std::expected<void, StepFailure> runAuthnRequestSteps(const AuthnRequest& req, RequestContext& ctx) {
  for (const Step& s : kAuthnRequestSteps) {
    if (auto st = s.fn(req, ctx); !st) return std::unexpected(StepFailure{s.name, st.error(), ctx.acs.has_value()});
  }
  return {};
}

}  // namespace propusk::saml
