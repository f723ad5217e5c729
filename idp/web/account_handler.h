#pragma once

#include <Poco/Net/HTTPRequestHandler.h>

#include "idp/web/web_context.h"

namespace propusk::web {

// GET /account: the person's own page (docs/account-security.md) — after a complete login
// (an account with a second factor needs it here too; without a session the login form comes
// first). POST /account (CSRF; `action`): password, totp-begin, totp-confirm, contact-begin,
// contact-confirm, factor-remove, recovery-new, session-end. Every change is audited; a wrong
// current password or code counts like a failed login.
class AccountHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit AccountHandler(WebContext& ctx) : ctx_(ctx) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override;

 private:
  WebContext& ctx_;
};

}  // namespace propusk::web
