#include "idp/web/login_handler.h"

#include <openssl/crypto.h>

#include "idp/saml/sp_directory.h"
#include "idp/sso/login_service.h"
#include "idp/sso/logout_service.h"
#include "idp/sso/pending_request.h"
#include "idp/sso/session_manager.h"
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

void sendExpired(WebContext& ctx, Poco::Net::HTTPServerResponse& resp) {
  addSecurityHeaders(resp, ctx.https());
  sendBody(resp, HttpStatus::HTTP_BAD_REQUEST, "text/html; charset=utf-8",
           renderMessagePage("Время входа истекло", "Sign-in expired",
                             "Вернитесь в сервис и начните вход заново.", "Go back to the service and sign in again."));
}

// What the person is signing in to, as the SP names itself (mdui:DisplayName).
std::string serviceName(WebContext& ctx, const sso::PendingRequest& p) {
  auto sp = ctx.sso->sps.find(p.spEntityId);
  return sp ? saml::displayNameFor(sp->metadata) : p.spEntityId;
}

bool sameToken(const std::string& a, const std::string& b) {
  return !a.empty() && a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

void LoginHandler::handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
  auto now = ctx_.clock.now();
  if (req.getMethod() != "POST") {
    auto q = parseForm(rawQuery(req));
    std::string flow = q && q->contains("flow") ? q->at("flow") : "";
    auto data = flow.empty() || flow.size() > 64 ? std::nullopt : ctx_.store.getPendingRequest(flow, now);
    auto pending = data ? sso::decodePending(*data) : std::nullopt;
    if (!pending) return sendExpired(ctx_, resp);
    // One token per browser, not per page: a second login tab must not break the first.
    std::string csrf = cookie(req, kCsrfCookie).value_or("");
    if (csrf.size() != 32 || csrf.find_first_not_of(
                                 "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != std::string::npos) {
      csrf = ctx_.random.token(24);
      setCookie(resp, kCsrfCookie, csrf, {"/login", ctx_.https(), "Strict", std::nullopt});
    }
    return sendLoginPage(ctx_, resp, HttpStatus::HTTP_OK, {flow, csrf, serviceName(ctx_, *pending), "", std::nullopt, std::nullopt});
  }

  auto form = parseForm(takeBody(req));  // within kMaxFormBody (request_body.h)
  if (!form) return sendErrorPage(ctx_, resp, HttpStatus::HTTP_BAD_REQUEST, "Некорректная форма", "Invalid form", form.error().detail);
  auto field = [&](const char* n) { return form->contains(n) ? form->at(n) : std::string(); };
  std::string csrf = field("csrf");
  if (!sameToken(cookie(req, kCsrfCookie).value_or(""), csrf)) {
    ctx_.store.appendAudit({"web", "login.csrf-refused", "-", "refused", "{}"});
    return sendErrorPage(ctx_, resp, HttpStatus::HTTP_FORBIDDEN, "Форма устарела или подделана",
                         "The form is stale or forged", "CSRF token mismatch");
  }
  std::string flow = field("flow");
  auto data = flow.empty() || flow.size() > 64 ? std::nullopt : ctx_.store.getPendingRequest(flow, now);
  auto pending = data ? sso::decodePending(*data) : std::nullopt;
  if (!pending) return sendExpired(ctx_, resp);

  std::string username = field("username");
  if (username.size() > 256) username.resize(256);
  auto result = ctx_.sso->logins.authenticate(username, field("password"), remoteAddress(req));
  LoginPage page{flow, csrf, serviceName(ctx_, *pending), username, std::nullopt, std::nullopt};
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
      auto minutes = std::chrono::ceil<std::chrono::minutes>(*result.retryAfter - now).count();
      page.errorRu = "Слишком много неудачных попыток. Повторите через " + std::to_string(minutes) + " мин.";
      page.errorEn = "Too many failed attempts. Try again in " + std::to_string(minutes) + " min.";
      resp.set("Retry-After", std::to_string((*result.retryAfter - now).count()));
      return sendLoginPage(ctx_, resp, HttpStatus::HTTP_TOO_MANY_REQUESTS, page);
    }
    case sso::LoginOutcome::Ok: break;
  }
  // A new session id at every login (session fixation). The same person re-authenticating
  // (ForceAuthn) keeps the session's SPs for Single Logout; a different person's old session
  // ends, with back-channel logout to its SPs.
  std::optional<sso::SessionManager::Created> created;
  if (auto oldToken = cookie(req, kSessionCookie)) {
    if (auto old = ctx_.sso->sessions.resolve(*oldToken)) {
      if (old->userId == result.user->id) {
        created = ctx_.sso->sessions.reauthenticate(*old, pending->authnContextClassRef, remoteAddress(req));
      } else if (ctx_.sso->logout) {
        auto flow = ctx_.sso->logout->begin(*old, std::nullopt, result.user->login, false, false);
        ctx_.sso->logout->finish(flow);
      } else {
        ctx_.sso->sessions.destroy(*oldToken, "replaced by another person's login");
      }
    }
  }
  if (!created) created = ctx_.sso->sessions.create(*result.user, pending->authnContextClassRef, remoteAddress(req));
  // SameSite=None: the SP's POST-binding AuthnRequest is a cross-site POST that must carry
  // the session; browsers accept None only with Secure.
  setCookie(resp, kSessionCookie, created->token,
            {"/", ctx_.https(), ctx_.https() ? "None" : "Lax", std::nullopt});
  setCookie(resp, kCsrfCookie, "", {"/login", ctx_.https(), "Strict", 0});
  ctx_.store.removePendingRequest(flow);
  completeSso(ctx_, req, resp, created->session, *pending);
}

}  // namespace propusk::web
