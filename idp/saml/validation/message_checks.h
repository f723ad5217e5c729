// The checks every incoming protocol message goes through, whatever its step table
// (steps.h for the AuthnRequest, logout_steps.h for LogoutRequest and LogoutResponse):
// each step file calls one of these with the fields of its message. `what` names the
// message in Error::detail ("AuthnRequest", "LogoutRequest"...).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "idp/core/clock.h"
#include "idp/core/result.h"
#include "idp/saml/validation/request_context.h"
#include "idp/xml/handles.h"

namespace propusk::saml {

// core §3.2.2.2: another version gets VersionMismatch.
Status checkSamlVersion(std::string_view version);

// profiles §4.1.4.1, §4.4.4.1, §4.4.4.2: the Issuer MUST be present and name the sender (entity
// format, if any); it must be a registered SP. Sets ctx.sp.
Status resolveIssuerSp(const std::optional<std::string>& issuer, const std::optional<std::string>& format,
                       std::string_view what, RequestContext& ctx);

// The signature of the message whose element is `root`, with keys from ctx.sp's metadata only
// (never KeyInfo). Redirect: the detached signature over the exact query octets
// (ctx.querySignature, bindings §3.4.4.1; an XML signature beside it is ignored, without it
// refused). POST and SOAP: one
// enveloped signature that covers `root` itself (wrapping defence). Sets ctx.signatureVerified;
// an unsigned message is refused only when `required`. SHA-1 only when the SP allows it.
Status verifyMessageSignature(xmlNode* root, bool required, std::string_view what, RequestContext& ctx);

// Whether a logout message (LogoutRequest or LogoutResponse) must be signed: always on the SOAP
// back channel (profiles §4.4.4.1 and §4.4.4.2 ask for a signature or a binding mechanism, and
// we rely on no TLS client authentication), whenever the SP's metadata has a signing key,
// and whenever the IdP requires signed requests. Unsigned only front-channel from an SP
// without a signing key.
bool logoutSignatureRequired(const RequestContext& ctx);

// bindings §3.4.5.2 / §3.5.5.2: a signed message sent through the browser MUST carry
// Destination (the SOAP binding has no such rule); any Destination present must be
// `endpoint`, where the message arrived.
Status checkDestinationIs(const std::optional<std::string>& destination, std::string_view endpoint,
                          std::string_view endpointName, std::string_view what, const RequestContext& ctx);

// Accepted from IssueInstant - skew until IssueInstant + lifetime + skew.
Status checkFreshness(TimePoint issueInstant, std::string_view what, const RequestContext& ctx);

// An ID is remembered (per SP) for as long as freshness would accept the message, so a
// replay inside that window is caught and one outside it fails freshness.
Status checkIdNotReplayed(std::string_view id, TimePoint issueInstant, std::string_view what, RequestContext& ctx);

}  // namespace propusk::saml
