// The checks of an incoming LogoutRequest (core §3.7.1, profiles §4.4.4.1) and of an SP's
// LogoutResponse (core §3.7.2, profiles §4.4.4.2), one per file, in the order they run.
// What they share with the AuthnRequest steps is in message_checks.h.
//
// Set on the RequestContext before running: now, clockSkew, messageLifetime, sloUrl (the
// SingleLogoutService Location the message arrived at), binding (Redirect, Post or Soap),
// querySignature (Redirect), requireSignedRequests, sps, replay.
// Filled in: sp (from "issuer" on), signatureVerified.
//
// Not checked here, because it needs the session store: that the NameID and SessionIndex
// name a live session in which ctx.sp took part (LogoutRequest), and that InResponseTo
// names a LogoutRequest this IdP sent to ctx.sp (LogoutResponse).
//
// Where a refusal goes: once ctx.sp is set (any step after "issuer"), a LogoutRequest can be
// answered with a LogoutResponse carrying the Error's status, sent to that SP's
// SingleLogoutService from metadata (never a URL from the message); before that there is
// nobody to answer (error page, or a SOAP fault on the back channel).
#pragma once

#include <expected>

#include "idp/core/result.h"
#include "idp/saml/messages/logout_request.h"
#include "idp/saml/messages/logout_response.h"
#include "idp/saml/validation/request_context.h"
#include "idp/saml/validation/steps.h"

namespace propusk::saml {

Status checkVersion(const LogoutRequest&, RequestContext&);
Status resolveIssuer(const LogoutRequest&, RequestContext&);      // sets ctx.sp
Status checkSignature(const LogoutRequest&, RequestContext&);     // logoutSignatureRequired(); metadata key only
Status checkDestination(const LogoutRequest&, RequestContext&);   // ctx.sloUrl
Status checkIssueInstant(const LogoutRequest&, RequestContext&);
Status checkNotOnOrAfter(const LogoutRequest&, RequestContext&);  // core §3.7.1 NotOnOrAfter, with skew
Status checkNotReplayed(const LogoutRequest&, RequestContext&);
Status checkNameId(const LogoutRequest&, RequestContext&);        // a NameID; EncryptedID/BaseID refused

inline constexpr StepFor<LogoutRequest> kLogoutRequestSteps[] = {
    {"version", checkVersion},           {"issuer", resolveIssuer},
    {"signature", checkSignature},       {"destination", checkDestination},
    {"freshness", checkIssueInstant},    {"not-on-or-after", checkNotOnOrAfter},
    {"replay", checkNotReplayed},        {"name-id", checkNameId},
};

Status checkVersion(const LogoutResponse&, RequestContext&);
Status resolveIssuer(const LogoutResponse&, RequestContext&);     // sets ctx.sp
Status checkSignature(const LogoutResponse&, RequestContext&);    // logoutSignatureRequired(); metadata key only
Status checkDestination(const LogoutResponse&, RequestContext&);  // ctx.sloUrl
Status checkIssueInstant(const LogoutResponse&, RequestContext&);
Status checkNotReplayed(const LogoutResponse&, RequestContext&);

inline constexpr StepFor<LogoutResponse> kLogoutResponseSteps[] = {
    {"version", checkVersion},        {"issuer", resolveIssuer},         {"signature", checkSignature},
    {"destination", checkDestination}, {"freshness", checkIssueInstant}, {"replay", checkNotReplayed},
};

// Run the tables above; the first failure is returned with its step name.
std::expected<void, StepFailure> runLogoutRequestSteps(const LogoutRequest& req, RequestContext& ctx);
std::expected<void, StepFailure> runLogoutResponseSteps(const LogoutResponse& resp, RequestContext& ctx);

}  // namespace propusk::saml
