#pragma once

#include <Poco/Net/HTTPRequestHandler.h>

#include "idp/web/web_context.h"

namespace propusk::web {

// GET /login/mfa?flow=ID: the second factors this login may use (sso/login_steps.h
// second-factor step): a TOTP code, a code sent by e-mail or SMS, a recovery code. POST
// /login/mfa (CSRF) checks one: right — the session gets a new id with the factor added and the
// login goes on (completeSso); wrong — counted toward the account's lockout and the address's
// throttle, the page again.
class MfaHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit MfaHandler(WebContext& ctx) : ctx_(ctx) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override;

 private:
  WebContext& ctx_;
};

}  // namespace propusk::web
