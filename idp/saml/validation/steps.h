// The AuthnRequest checks, one per file, in the one order that matters (STYLE.md). The
// logout messages' tables are in logout_steps.h; what the tables share, in message_checks.h.
#pragma once

#include <expected>
#include <span>
#include <string_view>

#include "idp/core/result.h"
#include "idp/policy/authn_context.h"
#include "idp/saml/messages/authn_request.h"
#include "idp/saml/validation/request_context.h"

namespace propusk::saml {

// A named check of one message type; a table of them is the order in which they run.
template <class Message>
struct StepFor {
  std::string_view name;
  Status (*fn)(const Message&, RequestContext&);
};
using StepFn = Status (*)(const AuthnRequest&, RequestContext&);
using Step = StepFor<AuthnRequest>;

Status checkVersion(const AuthnRequest&, RequestContext&);
Status resolveIssuer(const AuthnRequest&, RequestContext&);      // sets ctx.sp
Status checkSignature(const AuthnRequest&, RequestContext&);     // metadata key, never KeyInfo
Status checkDestination(const AuthnRequest&, RequestContext&);
Status checkIssueInstant(const AuthnRequest&, RequestContext&);
Status checkNotReplayed(const AuthnRequest&, RequestContext&);
Status resolveAcs(const AuthnRequest&, RequestContext&);         // metadata only; sets ctx.acs
Status checkNameIdPolicy(const AuthnRequest&, RequestContext&);  // sets ctx.nameIdFormat
Status checkAuthnContext(const AuthnRequest&, RequestContext&);  // satisfiable at all (class chosen after login)

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

// The request's RequestedAuthnContext in policy's terms (empty: none).
policy::RequestedContext requestedContextOf(const std::optional<RequestedAuthnContext>& rac);

struct StepFailure {
  std::string_view step;
  Error error;
  // AuthnRequest: true — answer the SP with a SAML error; false — error page only.
  // Always false for the logout tables (logout_steps.h says where those answers go).
  bool acsKnown = false;
};

// Runs `steps` in order over `message`; the first failure is returned with its step name.
template <class Message>
std::expected<void, StepFailure> runSteps(std::span<const StepFor<Message>> steps, const Message& message,
                                          RequestContext& ctx) {
  for (const StepFor<Message>& s : steps)
    if (auto st = s.fn(message, ctx); !st) return std::unexpected(StepFailure{s.name, st.error(), ctx.acs.has_value()});
  return {};
}

// Runs kAuthnRequestSteps; the first failure is returned with its step name.
std::expected<void, StepFailure> runAuthnRequestSteps(const AuthnRequest& req, RequestContext& ctx);

}  // namespace propusk::saml
