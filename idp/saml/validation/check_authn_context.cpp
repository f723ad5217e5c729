#include "idp/policy/authn_context.h"
#include "idp/saml/validation/steps.h"

namespace propusk::saml {

policy::RequestedContext requestedContextOf(const std::optional<RequestedAuthnContext>& rac) {
  policy::RequestedContext r;
  if (!rac) return r;
  switch (rac->comparison) {
    case AuthnContextComparison::Exact: r.comparison = policy::Comparison::Exact; break;
    case AuthnContextComparison::Minimum: r.comparison = policy::Comparison::Minimum; break;
    case AuthnContextComparison::Better: r.comparison = policy::Comparison::Better; break;
    case AuthnContextComparison::Maximum: r.comparison = policy::Comparison::Maximum; break;
  }
  r.classRefs = rac->classRefs;
  return r;
}

// core §3.3.2.2.1. At request time only whether this IdP can satisfy the request at all: with
// a password and a TOTP code, it can state every class it knows (policy/authn_context.h). Which
// class the assertion states is chosen after the login, from what the person really did (the
// authn-context step of sso/login_steps.h).
Status checkAuthnContext(const AuthnRequest& req, RequestContext&) {
  const auto requested = requestedContextOf(req.requestedAuthnContext);
  using policy::Factor;
  if (policy::chooseClass(policy::Factors{Factor::Password, Factor::Totp}, requested)) return {};
  return withRemedy(
      fail(StatusCode::Responder, status::kNoAuthnContext, "no authentication context satisfies the request"),
      "the SP's RequestedAuthnContext asks for what this IdP does not offer (Password, PasswordProtectedTransport, "
      "TimeSyncToken, https://refeds.org/profile/mfa): change it at the SP");
}

}  // namespace propusk::saml
