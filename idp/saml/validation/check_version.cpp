#include "idp/saml/validation/logout_steps.h"
#include "idp/saml/validation/message_checks.h"
#include "idp/saml/validation/steps.h"

namespace propusk::saml {

// core §3.2.2.2: a request of another major version gets VersionMismatch.
Status checkSamlVersion(std::string_view version) {
  if (version != "2.0") return fail(StatusCode::VersionMismatch, status::kNone, "Version " + std::string(version));
  return {};
}

Status checkVersion(const AuthnRequest& req, RequestContext&) { return checkSamlVersion(req.version); }
Status checkVersion(const LogoutRequest& req, RequestContext&) { return checkSamlVersion(req.version); }
Status checkVersion(const LogoutResponse& resp, RequestContext&) { return checkSamlVersion(resp.version); }

}  // namespace propusk::saml
