#pragma once

#include <Poco/Net/HTTPRequestHandler.h>

#include "idp/web/web_context.h"

namespace propusk::web {

// GET /login?flow=ID shows the form; POST /login checks CSRF and the password, starts the
// session (a new id every login) and finishes the pending SSO.
class LoginHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit LoginHandler(WebContext& ctx) : ctx_(ctx) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override;

 private:
  WebContext& ctx_;
};

}  // namespace propusk::web
