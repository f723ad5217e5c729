// The AuthnRequest checks, one per file, in the one order that matters (STYLE.md).
#pragma once

#include <span>
#include <string_view>

#include "idp/core/result.h"
#include "idp/saml/messages/authn_request.h"
#include "idp/saml/validation/request_context.h"

namespace propusk::saml {

using StepFn = Status (*)(const AuthnRequest&, RequestContext&);
struct Step {
  std::string_view name;
  StepFn fn;
};

Status checkVersion(const AuthnRequest&, RequestContext&);
Status resolveIssuer(const AuthnRequest&, RequestContext&);      // sets ctx.sp
Status checkSignature(const AuthnRequest&, RequestContext&);     // metadata key, never KeyInfo
Status checkDestination(const AuthnRequest&, RequestContext&);
Status checkIssueInstant(const AuthnRequest&, RequestContext&);
Status checkNotReplayed(const AuthnRequest&, RequestContext&);
Status resolveAcs(const AuthnRequest&, RequestContext&);         // metadata only; sets ctx.acs
Status checkNameIdPolicy(const AuthnRequest&, RequestContext&);  // sets ctx.nameIdFormat
Status checkAuthnContext(const AuthnRequest&, RequestContext&);  // sets ctx.authnContextClassRef

inline constexpr Step kAuthnRequestSteps[] = {
    {"version", checkVersion},         {"issuer", resolveIssuer},          {"signature", checkSignature},
    {"destination", checkDestination}, {"freshness", checkIssueInstant},   {"replay", checkNotReplayed},
    {"acs", resolveAcs},               {"nameid-policy", checkNameIdPolicy}, {"authn-context", checkAuthnContext},
};

// Shared with IdP-initiated SSO, which has no request to run the steps on:
// metadata §2.2.3 default HTTP-POST ACS (nullptr if none), and the NameID format chosen
// when none is requested.
const Endpoint* defaultPostAcs(const SpMetadata& md);
std::string defaultNameIdFormat(const SpMetadata& md);

struct StepFailure {
  std::string_view step;
  Error error;
  bool acsKnown = false;  // true: answer the SP with a SAML error; false: error page only
};

// Runs the steps in order; the first failure is returned with its step name.
std::expected<void, StepFailure> runAuthnRequestSteps(const AuthnRequest& req, RequestContext& ctx);

}  // namespace propusk::saml
