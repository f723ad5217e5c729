#pragma once

#include <Poco/Net/HTTPRequestHandler.h>

#include "idp/web/web_context.h"

namespace propusk::web {

// GET,POST /login/recover: password recovery (docs/account-security.md). step=start: a code to
// the account's confirmed e-mail (else phone) — the same page, the same store work, whether or
// not the account exists; step=finish: the code and a new password (the password policy), then
// every session of the account ends and a notice goes out. The code is bound to this browser by
// a cookie; attempts count toward the address's throttle.
class RecoverHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit RecoverHandler(WebContext& ctx) : ctx_(ctx) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override;

 private:
  WebContext& ctx_;
};

}  // namespace propusk::web
