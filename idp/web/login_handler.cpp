#include "idp/web/login_handler.h"

#include "idp/core/json_text.h"
#include "idp/core/printable.h"
#include "idp/saml/sp_directory.h"
#include "idp/sso/login_service.h"
#include "idp/sso/logout_service.h"
#include "idp/sso/pending_request.h"
#include "idp/sso/session_manager.h"
#include "idp/web/csrf.h"
#include "idp/web/gateway_handler.h"
#include "idp/web/http_util.h"
#include "idp/web/pages.h"
#include "idp/web/respond.h"
#include "idp/web/sso_flow.h"
#include "idp/web/sso_handler.h"

namespace propusk::web {

namespace {

using HttpStatus = Poco::Net::HTTPResponse::HTTPStatus;

void sendLoginPage(WebContext& ctx, Poco::Net::HTTPServerResponse& resp, HttpStatus status, LoginPage page) {
  std::string nonce = ctx.random.token(16);
  addSecurityHeaders(resp, ctx.https());
  resp.set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-" + nonce +
                                          "'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  sendBody(resp, status, "text/html; charset=utf-8", renderLoginPage(page, nonce));
}

// The page for a pending request: what the person is signing in to, as the SP names itself
// (mdui:DisplayName), and the ways in it allows. A login for the IdP's own pages offers the
// password form only.
LoginPage pageFor(WebContext& ctx, const std::string& flow, const std::string& csrf, const sso::PendingRequest& p) {
  LoginPage page{flow, csrf, p.spEntityId, "", std::nullopt, std::nullopt};
  if (!p.forSp()) {
    page.serviceName = "Личный кабинет / Your account";
    return page;
  }
  if (auto sp = ctx.sso->sps.find(p.spEntityId)) {
    page.serviceName = saml::displayNameFor(sp->metadata);
    auto choices = loginChoices(ctx, *sp, p);
    page.localLogin = choices.local;
    for (auto& up : choices.upstreams)
      page.upstreams.emplace_back(up->name(), up->row.displayName.empty() ? up->name() : up->row.displayName);
  }
  return page;
}

}  // namespace

void sendExpired(WebContext& ctx, Poco::Net::HTTPServerResponse& resp) {
  addSecurityHeaders(resp, ctx.https());
  sendBody(resp, HttpStatus::HTTP_BAD_REQUEST, "text/html; charset=utf-8",
           renderMessagePage("Время входа истекло", "Sign-in expired",
                             "Вернитесь в сервис и начните вход заново.", "Go back to the service and sign in again."));
}

std::optional<sso::PendingRequest> pendingOf(WebContext& ctx, const std::string& flow) {
  // The account page's login keeps nothing in the store until a password was right: an
  // anonymous GET /account must not be a way to fill the pending-request table.
  if (flow == kAccountFlow) {
    sso::PendingRequest p;
    p.returnTo = "/account";
    p.createdAt = ctx.clock.now();
    return p;
  }
  auto data = flow.empty() || flow.size() > 64 ? std::nullopt : ctx.store.getPendingRequest(flow, ctx.clock.now());
  return data ? sso::decodePending(*data) : std::nullopt;
}

void LoginHandler::handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
  if (req.getMethod() != "POST") {
    auto q = parseForm(rawQuery(req));
    std::string flow = q && q->contains("flow") ? q->at("flow") : "";
    auto pending = pendingOf(ctx_, flow);
    if (!pending) return sendExpired(ctx_, resp);
    // One token per browser, not per page: a second login tab must not break the first.
    std::string csrf = csrfToken(ctx_, req, resp, kCsrfCookie, "/login");
    return sendLoginPage(ctx_, resp, HttpStatus::HTTP_OK, pageFor(ctx_, flow, csrf, *pending));
  }

  auto form = parseForm(takeBody(req));  // within kMaxFormBody (request_body.h)
  if (!form) {
    ctx_.store.appendAudit({"web", "login.refused", "-", "refused",
                            R"({"reason":"form","detail":)" + jsonString(printable(form.error().detail, 200)) + "}"});
    return sendErrorPage(ctx_, resp, HttpStatus::HTTP_BAD_REQUEST, "Некорректная форма", "Invalid form", form.error().detail);
  }
  auto field = [&](const char* n) { return form->contains(n) ? form->at(n) : std::string(); };
  std::string csrf = field("csrf");
  if (!csrfMatches(req, kCsrfCookie, csrf)) {
    ctx_.store.appendAudit({"web", "login.csrf-refused", "-", "refused", "{}"});
    return sendErrorPage(ctx_, resp, HttpStatus::HTTP_FORBIDDEN, "Форма устарела или подделана",
                         "The form is stale or forged", "CSRF token mismatch");
  }
  std::string flow = field("flow");
  auto pending = pendingOf(ctx_, flow);
  if (!pending) return sendExpired(ctx_, resp);
  std::shared_ptr<const saml::RegisteredSp> sp;
  LoginChoices choices;
  if (pending->forSp()) {
    sp = ctx_.sso->sps.find(pending->spEntityId);
    if (!sp) return sendExpired(ctx_, resp);
    choices = loginChoices(ctx_, *sp, *pending);
  }

  if (upstream_) {
    // Only an upstream this SP allows for this request; the page offered no other.
    const std::string name = field("upstream");
    for (auto& up : choices.upstreams)
      if (up->name() == name) {
        ctx_.store.removePendingRequest(flow);  // the upstream login carries the request on
        return startUpstreamLogin(ctx_, req, resp, *up, *pending);
      }
    ctx_.store.appendAudit({"web", "login.upstream-refused", printable(name, 64), "refused",
                            R"({"sp":)" + jsonString(pending->spEntityId) + "}"});
    return sendErrorPage(ctx_, resp, HttpStatus::HTTP_FORBIDDEN, "Этот способ входа недоступен для сервиса",
                         "This way of signing in is not offered for the service",
                         "upstream '" + printable(name, 64) + "' not allowed for " + pending->spEntityId);
  }
  if (!choices.local) {
    ctx_.store.appendAudit({"web", "login.local-refused", pending->spEntityId, "refused", "{}"});
    return sendErrorPage(ctx_, resp, HttpStatus::HTTP_FORBIDDEN, "Вход по паролю недоступен для сервиса",
                         "Password sign-in is not offered for the service",
                         "local login disabled for " + pending->spEntityId);
  }

  std::string username = field("username");
  if (username.size() > 256) username.resize(256);
  const auto now = ctx_.clock.now();
  auto result = ctx_.sso->logins.authenticate(username, field("password"), clientOf(req, *pending));
  LoginPage page = pageFor(ctx_, flow, csrf, *pending);
  page.username = username;
  auto retryIn = [&](TimePoint until) {
    auto seconds = std::max<long long>(1, (until - now).count());
    resp.set("Retry-After", std::to_string(seconds));
    return std::to_string(std::chrono::ceil<std::chrono::minutes>(until - now).count());
  };
  switch (result.outcome) {
    case sso::LoginOutcome::BadCredentials:
      page.errorRu = "Неверный логин или пароль.";
      page.errorEn = "Wrong login or password.";
      return sendLoginPage(ctx_, resp, HttpStatus::HTTP_UNAUTHORIZED, page);
    case sso::LoginOutcome::Locked:
      page.errorRu = "Учётная запись заблокирована. Обратитесь в службу поддержки.";
      page.errorEn = "The account is locked. Contact support.";
      return sendLoginPage(ctx_, resp, HttpStatus::HTTP_FORBIDDEN, page);
    case sso::LoginOutcome::TemporarilyLocked: {
      auto minutes = retryIn(*result.retryAfter);
      page.errorRu = "Слишком много неудачных попыток. Повторите через " + minutes + " мин.";
      page.errorEn = "Too many failed attempts. Try again in " + minutes + " min.";
      return sendLoginPage(ctx_, resp, HttpStatus::HTTP_TOO_MANY_REQUESTS, page);
    }
    case sso::LoginOutcome::Throttled: {
      auto minutes = retryIn(*result.retryAfter);
      page.errorRu = "Слишком много неудачных попыток с вашего адреса. Повторите через " + minutes + " мин.";
      page.errorEn = "Too many failed attempts from your address. Try again in " + minutes + " min.";
      return sendLoginPage(ctx_, resp, HttpStatus::HTTP_TOO_MANY_REQUESTS, page);
    }
    case sso::LoginOutcome::Busy:
      // Nothing was checked or counted: the person may simply try again.
      page.errorRu = "Сервер перегружен. Повторите попытку через несколько секунд.";
      page.errorEn = "The server is busy. Try again in a few seconds.";
      resp.set("Retry-After", "5");
      return sendLoginPage(ctx_, resp, HttpStatus::HTTP_SERVICE_UNAVAILABLE, page);
    case sso::LoginOutcome::Ok: break;
  }
  auto session = startSession(ctx_, req, resp, *result.user, std::string(policy::factorName(policy::Factor::Password)));
  if (flow != kAccountFlow) ctx_.store.removePendingRequest(flow);
  completeSso(ctx_, req, resp, session, *pending, nullptr, true);
}

}  // namespace propusk::web
