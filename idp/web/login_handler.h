#pragma once

#include <Poco/Net/HTTPRequestHandler.h>

#include <optional>
#include <string>

#include "idp/sso/pending_request.h"
#include "idp/web/web_context.h"

namespace propusk::web {

// GET /login?flow=ID shows the form (the password form and/or "log in with NAME" for each
// upstream IdP the SP allows); POST /login checks CSRF and the password, starts the session
// (a new id every login) and finishes the pending SSO; POST /login/upstream (`upstream`
// true) checks CSRF and sends the browser to the chosen upstream IdP.
// The flow id of a login for the account page (nothing stored for it; see pendingOf).
inline constexpr char kAccountFlow[] = "account";

// The "sign-in expired" page (an unknown or expired flow), and the pending request of a flow.
void sendExpired(WebContext& ctx, Poco::Net::HTTPServerResponse& resp);
std::optional<sso::PendingRequest> pendingOf(WebContext& ctx, const std::string& flow);

class LoginHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit LoginHandler(WebContext& ctx, bool upstream = false) : ctx_(ctx), upstream_(upstream) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override;

 private:
  WebContext& ctx_;
  bool upstream_;
};

}  // namespace propusk::web
