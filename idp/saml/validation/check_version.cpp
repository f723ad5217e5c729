#include "idp/saml/validation/steps.h"

namespace propusk::saml {

// core §3.2.2.2: a request of another major version gets VersionMismatch.
Status checkVersion(const AuthnRequest& req, RequestContext&) {
  if (req.version != "2.0") return fail(StatusCode::VersionMismatch, status::kNone, "Version " + req.version);
  return {};
}

}  // namespace propusk::saml
