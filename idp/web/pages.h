// The HTML a person sees. Plain forms, no JavaScript needed (DESIGN.md); every value
// escaped; Russian first, English second.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace propusk::web {

// The start of every page: doctype, title, and (with a nonce for the CSP) the one style block.
std::string pageHead(const std::string& title, const std::string& styleNonce = "");
// <input type="hidden" name=… value=…> with both escaped.
std::string hiddenField(const std::string& name, const std::string& value);

struct LoginPage {
  std::string flow;
  std::string csrf;
  std::string serviceName;  // the SP's entityID (or mdui:DisplayName later)
  std::string username;     // re-filled after a failure
  std::optional<std::string> errorRu, errorEn;
  // Gateway: "log in with NAME" for each upstream IdP the SP allows (name, display name), each
  // its own POST form to /login/upstream; and whether the password form is shown at all.
  std::vector<std::pair<std::string, std::string>> upstreams = {};
  bool localLogin = true;
};
std::string renderLoginPage(const LoginPage& p, const std::string& styleNonce);

// Auto-submitting POST of a SAML message to an ACS (bindings §3.5.4); a noscript button
// for browsers without JavaScript. `samlMessage` is the XML: the page carries its base64,
// written straight into the page (its alphabet needs no HTML escaping).
std::string renderAutoPost(const std::string& action, const std::string& field, std::string_view samlMessage,
                           const std::optional<std::string>& relayState, const std::string& scriptNonce);

// The SP requires a higher account status than the person has: explains how to raise it
// and offers to return to the service (which receives a SAML error).
std::string renderStatusTooLow(const std::string& have, const std::string& need, const std::string& action,
                               std::string_view samlMessage, const std::optional<std::string>& relayState);

// IdP-initiated logout: "sign out of every service?" with a POST button (CSRF token).
std::string renderLogoutConfirm(const std::string& csrf, const std::string& styleNonce);

// A logout waiting for `service` to send the browser back: a POST button to go on without it.
std::string renderLogoutWaiting(const std::string& service, const std::string& csrf, const std::string& styleNonce);

// The end of a logout the IdP itself started: which services were told, which could not be.
struct LogoutResultLine {
  std::string service;  // display name
  bool reached = false;
};
std::string renderLoggedOut(const std::vector<LogoutResultLine>& lines, const std::string& styleNonce);

std::string renderMessagePage(const std::string& titleRu, const std::string& titleEn, const std::string& textRu,
                              const std::string& textEn);

}  // namespace propusk::web
