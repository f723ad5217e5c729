#pragma once

#include <Poco/Net/HTTPRequestHandler.h>

#include "idp/web/web_context.h"

namespace propusk::web {

// GET/POST /saml/slo (HTTP-Redirect and HTTP-POST bindings): an SP's LogoutRequest starts
// a logout; an SP's LogoutResponse continues the front-channel logout it answers.
class SloHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit SloHandler(WebContext& ctx) : ctx_(ctx) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override;

 private:
  WebContext& ctx_;
};

// POST /saml/soap (SOAP binding): an SP's LogoutRequest on the back channel.
class SoapHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit SoapHandler(WebContext& ctx) : ctx_(ctx) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override;

 private:
  WebContext& ctx_;
};

// GET /logout: "sign out everywhere?" (or the continuation of a logout in progress);
// POST /logout (CSRF token): IdP-initiated Single Logout.
class LogoutHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit LogoutHandler(WebContext& ctx) : ctx_(ctx) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override;

 private:
  WebContext& ctx_;
};

inline constexpr char kLogoutCsrfCookie[] = "propusk_logout_csrf";

}  // namespace propusk::web
