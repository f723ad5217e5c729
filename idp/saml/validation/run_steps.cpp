#include "idp/saml/validation/logout_steps.h"
#include "idp/saml/validation/steps.h"

namespace propusk::saml {

std::expected<void, StepFailure> runAuthnRequestSteps(const AuthnRequest& req, RequestContext& ctx) {
  return runSteps<AuthnRequest>(kAuthnRequestSteps, req, ctx);
}

std::expected<void, StepFailure> runLogoutRequestSteps(const LogoutRequest& req, RequestContext& ctx) {
  return runSteps<LogoutRequest>(kLogoutRequestSteps, req, ctx);
}

std::expected<void, StepFailure> runLogoutResponseSteps(const LogoutResponse& resp, RequestContext& ctx) {
  return runSteps<LogoutResponse>(kLogoutResponseSteps, resp, ctx);
}

}  // namespace propusk::saml
