// The browser's part of Single Logout (docs/slo.md), shared by /saml/slo and /logout:
// carry the next LogoutRequest to an SP, or, when none is left, answer whoever started it.
#pragma once

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include "idp/saml/build/logout.h"
#include "idp/sso/logout_flow.h"
#include "idp/web/web_context.h"

namespace propusk::web {

// "FLOW_ID.SECRET" of the logout in progress in this browser: the flow id finds it, the
// secret (its hash is in the flow) proves this is the browser it belongs to. Needed to
// continue it — with an SP's LogoutResponse at /saml/slo, or from /logout when an SP never
// sent the browser back.
inline constexpr char kLogoutCookie[] = "propusk_logout";

// The flow this browser's cookie holds, if the cookie's secret matches it; nullopt else.
std::optional<sso::LogoutFlow> browserLogoutFlow(WebContext& ctx, const Poco::Net::HTTPServerRequest& req);

// Redirect: 303 to the signed URL; POST: an auto-submitting form (bindings §3.5.4) whose
// CSP allows only the destination's origin.
void sendOutgoing(WebContext& ctx, Poco::Net::HTTPServerResponse& resp, const saml::OutgoingMessage& msg,
                  const std::string& destination);

// Sends the browser to the next front-channel SP, or finishes: the LogoutResponse to the
// initiating SP (Success, or PartialLogout when somebody was not reached), else a page.
void continueLogout(WebContext& ctx, Poco::Net::HTTPServerResponse& resp, sso::LogoutFlow& flow);

// Ends the browser's session cookie (the server-side session is already gone).
void clearSessionCookie(WebContext& ctx, Poco::Net::HTTPServerResponse& resp);

}  // namespace propusk::web

namespace propusk::saml {
struct RequestContext;
struct QuerySignature;
}  // namespace propusk::saml

namespace propusk::web {
// The inputs of the logout steps (saml/validation/logout_steps.h) for a message that
// arrived at `endpointUrl` over `binding`.
saml::RequestContext logoutStepContext(WebContext& ctx, saml::Binding binding, const std::string& endpointUrl,
                                       const saml::QuerySignature* qs);
}  // namespace propusk::web
