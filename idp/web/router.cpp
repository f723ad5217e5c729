#include "idp/web/router.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/URI.h>

#include "idp/core/printable.h"
#include "idp/web/gateway_handler.h"
#include "idp/web/health_handler.h"
#include "idp/core/cidr.h"
#include "idp/core/json_text.h"
#include "idp/web/account_handler.h"
#include "idp/web/http_util.h"
#include "idp/web/login_handler.h"
#include "idp/web/mfa_handler.h"
#include "idp/web/recover_handler.h"
#include "idp/web/request_body.h"
#include "idp/web/respond.h"
#include "idp/web/slo_handler.h"
#include "idp/web/sso_handler.h"

namespace propusk::web {

namespace {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

// Around every handler: the request's body is read (or refused) first, within the
// endpoint's limit (request_body.h); an exception becomes a 500 page.
class Guarded : public Poco::Net::HTTPRequestHandler {
 public:
  Guarded(WebContext& ctx, const Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPRequestHandler* inner,
          const BodyLimit* bodyLimit = nullptr)
      : ctx_(ctx), inner_(inner), body_(req, bodyLimit) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
    {
      ExchangeScope exchange(req);
      try {
        if (body_.admit(ctx_, req, resp, exchange)) inner_->handleRequest(req, resp);
      } catch (const std::exception& e) {
        if (!resp.sent() && !exchange.sent())
          sendErrorPage(ctx_, resp, Status::HTTP_INTERNAL_SERVER_ERROR, "Внутренняя ошибка сервера",
                        "Internal server error", req.getURI() + ": " + e.what());
        else
          ctx_.log.error("%s: failed after the response started: %s", printable(req.getURI()), std::string(e.what()));
      }
    }
    body_.finish(req);
  }

 private:
  WebContext& ctx_;
  std::unique_ptr<Poco::Net::HTTPRequestHandler> inner_;
  BodyGate body_;
};

class ErrorPage : public Poco::Net::HTTPRequestHandler {
 public:
  ErrorPage(WebContext& ctx, Status status, std::string allow = "GET, HEAD")
      : ctx_(ctx), status_(status), allow_(std::move(allow)) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
    if (status_ == Status::HTTP_METHOD_NOT_ALLOWED) {
      resp.set("Allow", allow_);  // RFC 9110 §15.5.6
      sendErrorPage(ctx_, resp, status_, "Метод не поддерживается", "Method not allowed", req.getMethod() + " " + req.getURI());
    } else {
      sendErrorPage(ctx_, resp, status_, "Страница не найдена", "Page not found", req.getURI());
    }
  }

 private:
  WebContext& ctx_;
  Status status_;
  std::string allow_;
};

bool personFacing(const std::string& path) {
  return path == "/saml/sso" || path == "/saml/sso/unsolicited" || path.starts_with("/login") ||
         path == "/account" || path == "/logout" || path == "/saml/slo" || path == "/saml/acs";
}

class AddressRefused : public Poco::Net::HTTPRequestHandler {
 public:
  explicit AddressRefused(WebContext& ctx) : ctx_(ctx) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
    const std::string remote = remoteAddress(req);
    ctx_.store.appendAudit({"web", "login.address-refused", printable(Poco::URI(req.getURI()).getPath(), 64), "refused",
                            R"({"remote":)" + jsonString(remote) + "}"});
    sendErrorPage(ctx_, resp, Status::HTTP_FORBIDDEN, "Вход с вашего адреса запрещён",
                  "Signing in from your address is not allowed", "client address " + remote + " outside [login] allow_ip");
  }

 private:
  WebContext& ctx_;
};

}  // namespace

Poco::Net::HTTPRequestHandler* Router::createRequestHandler(const Poco::Net::HTTPServerRequest& req) {
  std::string path;
  try {
    path = Poco::URI(req.getURI()).getPath();
  } catch (const Poco::Exception&) {
    return new Guarded(ctx_, req, new ErrorPage(ctx_, Status::HTTP_BAD_REQUEST));
  }
  const std::string& m = req.getMethod();
  bool get = m == "GET" || m == "HEAD";
  // [login] allow_ip: the pages a person's browser reaches are refused, before any handler,
  // to addresses outside the ranges (SPs' back channel, metadata and health stay reachable).
  if (!ctx_.config.allowIp.empty() && personFacing(path) && !anyContains(ctx_.config.allowIp, remoteAddress(req)))
    return new Guarded(ctx_, req, new AddressRefused(ctx_));
  Poco::Net::HTTPRequestHandler* h = nullptr;
  if (path == "/healthz" || path == "/readyz") h = get ? new HealthHandler(ctx_, path == "/readyz") : nullptr;
  else if (path == "/saml/metadata") h = get ? new MetadataHandler(ctx_, metadata_) : nullptr;
  else if (path == "/saml/sso") h = (get || m == "POST") ? new SsoHandler(ctx_, false) : nullptr;
  else if (path == "/saml/sso/unsolicited") h = get ? new SsoHandler(ctx_, true) : nullptr;
  else if (path == "/login") h = (get || m == "POST") ? new LoginHandler(ctx_) : nullptr;
  else if (path == "/login/upstream") h = m == "POST" ? new LoginHandler(ctx_, true) : nullptr;
  else if (path == "/login/mfa") h = (get || m == "POST") ? new MfaHandler(ctx_) : nullptr;
  else if (path == "/login/recover") h = (get || m == "POST") ? new RecoverHandler(ctx_) : nullptr;
  else if (path == "/account") h = (get || m == "POST") ? new AccountHandler(ctx_) : nullptr;
  else if (path == "/saml/acs") h = m == "POST" ? new AcsHandler(ctx_) : nullptr;  // profiles §4.1.4.5
  else if (path == "/saml/sp/metadata") h = get ? new SpMetadataHandler(ctx_) : nullptr;
  else if (path == "/saml/sp/slo") h = (get || m == "POST") ? new SpSloHandler(ctx_) : nullptr;
  else if (path == "/saml/slo") h = (get || m == "POST") ? new SloHandler(ctx_) : nullptr;
  else if (path == "/saml/soap") h = m == "POST" ? new SoapHandler(ctx_) : nullptr;
  else if (path == "/logout") h = (get || m == "POST") ? new LogoutHandler(ctx_) : nullptr;
  else return new Guarded(ctx_, req, new ErrorPage(ctx_, Status::HTTP_NOT_FOUND));
  if (!h) {
    bool postToo = path == "/saml/sso" || path == "/login" || path == "/saml/slo" || path == "/logout" ||
                   path == "/saml/sp/slo" || path == "/login/mfa" || path == "/login/recover" || path == "/account";
    return new Guarded(ctx_, req, new ErrorPage(ctx_, Status::HTTP_METHOD_NOT_ALLOWED,
                                                path == "/saml/soap" || path == "/login/upstream" || path == "/saml/acs" ? "POST"
                                                : postToo                                           ? "GET, HEAD, POST"
                                                                                                    : "GET, HEAD"));
  }
  return new Guarded(ctx_, req, h, bodyLimitFor(path, m));
}

}  // namespace propusk::web
