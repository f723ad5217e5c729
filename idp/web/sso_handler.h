#pragma once

#include <Poco/Net/HTTPRequestHandler.h>

#include "idp/web/web_context.h"

namespace propusk::web {

// GET/POST /saml/sso (HTTP-Redirect and HTTP-POST bindings) and
// GET /saml/sso/unsolicited?providerId=…&target=… (IdP-initiated).
class SsoHandler : public Poco::Net::HTTPRequestHandler {
 public:
  SsoHandler(WebContext& ctx, bool unsolicited) : ctx_(ctx), unsolicited_(unsolicited) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override;

 private:
  void handleAuthnRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp);
  void handleUnsolicited(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp);
  WebContext& ctx_;
  bool unsolicited_;
};

inline constexpr char kSessionCookie[] = "propusk_session";
inline constexpr char kCsrfCookie[] = "propusk_csrf";

}  // namespace propusk::web
