// The gateway's endpoints (docs/gateway.md): Propusk as an SP toward upstream IdPs.
//   POST /login/upstream   "log in with NAME" from the login page (web/login_handler.cpp):
//                          startUpstreamLogin below
//   GET,POST /saml/acs     the upstream's Response: verified, mapped, linked, then SSO to the SP
//   GET /saml/sp/metadata  Propusk's SP metadata for upstreams to register
//   GET,POST /saml/sp/slo  Single Logout with upstreams: the LogoutResponse to ours (the
//                          logout then goes on), and an upstream's LogoutRequest (its session
//                          ends here, the SPs are told over the back channel, it gets its answer)
#pragma once

#include <Poco/Net/HTTPRequestHandler.h>

#include <memory>
#include <string>
#include <vector>

#include "idp/saml/sp_directory.h"
#include "idp/sso/pending_request.h"
#include "idp/sso/upstream_directory.h"
#include "idp/web/web_context.h"

namespace propusk::web {

// What the login page offers for a request: the upstreams the SP allows (narrowed by the
// request's IDPList) and whether the password form is shown.
struct LoginChoices {
  std::vector<std::shared_ptr<const sso::RegisteredUpstream>> upstreams;
  bool local = true;
};
LoginChoices loginChoices(WebContext& ctx, const saml::RegisteredSp& sp, const sso::PendingRequest& pending);

// Sends the browser to `upstream` with a signed AuthnRequest for `pending`, and sets the cookie
// that binds the answer to this browser.
void startUpstreamLogin(WebContext& ctx, Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
                        const sso::RegisteredUpstream& upstream, const sso::PendingRequest& pending);

class AcsHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit AcsHandler(WebContext& ctx) : ctx_(ctx) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override;

 private:
  WebContext& ctx_;
};

class SpMetadataHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit SpMetadataHandler(WebContext& ctx) : ctx_(ctx) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override;

 private:
  WebContext& ctx_;
};

class SpSloHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit SpSloHandler(WebContext& ctx) : ctx_(ctx) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override;

 private:
  WebContext& ctx_;
};

}  // namespace propusk::web
