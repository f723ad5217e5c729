#include "idp/saml/sp_directory.h"
#include "idp/sso/logout_service.h"
#include "idp/sso/session_manager.h"
#include "idp/web/http_util.h"
#include "idp/web/pages.h"
#include "idp/web/respond.h"
#include "idp/web/slo_flow.h"
#include "idp/web/slo_handler.h"
#include "idp/web/sso_handler.h"

namespace propusk::web {

namespace {

using HttpStatus = Poco::Net::HTTPResponse::HTTPStatus;

void sendPage(WebContext& ctx, Poco::Net::HTTPServerResponse& resp, HttpStatus status, const std::string& html) {
  addSecurityHeaders(resp, ctx.https());
  sendBody(resp, status, "text/html; charset=utf-8", html);
}

void notSignedIn(WebContext& ctx, Poco::Net::HTTPServerResponse& resp) {
  clearSessionCookie(ctx, resp);
  sendPage(ctx, resp, HttpStatus::HTTP_OK,
           renderMessagePage("Вы не вошли", "You are not signed in", "Сеанс уже завершён.", "There is no session to end."));
}

}  // namespace

void LogoutHandler::handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
  auto& logout = *ctx_.sso->logout;
  if (req.getMethod() != "POST") {
    // Back from an SP that never answered: offer to go on with the next one (a POST, so
    // that no other page can make this browser skip an SP).
    if (auto flow = browserLogoutFlow(ctx_, req)) {
      std::string csrf = ctx_.random.token(24);
      setCookie(resp, kLogoutCsrfCookie, csrf, {"/logout", ctx_.https(), "Strict", std::nullopt});
      std::string nonce = ctx_.random.token(16);
      resp.set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-" + nonce +
                                              "'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
      auto* t = flow->awaiting();
      auto sp = t ? ctx_.sso->sps.find(t->spEntityId) : nullptr;
      return sendPage(ctx_, resp, HttpStatus::HTTP_OK,
                      renderLogoutWaiting(sp ? saml::displayNameFor(sp->metadata) : t ? t->spEntityId : "", csrf, nonce));
    }
    std::optional<store::Session> session;
    if (auto token = cookie(req, kSessionCookie)) session = ctx_.sso->sessions.resolve(*token);
    if (!session) return notSignedIn(ctx_, resp);
    std::string csrf = ctx_.random.token(24);
    setCookie(resp, kLogoutCsrfCookie, csrf, {"/logout", ctx_.https(), "Strict", std::nullopt});
    std::string nonce = ctx_.random.token(16);
    resp.set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-" + nonce +
                                            "'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    return sendPage(ctx_, resp, HttpStatus::HTTP_OK, renderLogoutConfirm(csrf, nonce));
  }

  auto form = parseForm(takeBody(req));  // within kMaxFormBody (request_body.h)
  if (!form) return sendErrorPage(ctx_, resp, HttpStatus::HTTP_BAD_REQUEST, "Некорректная форма", "Invalid form", form.error().detail);
  std::string csrf = form->contains("csrf") ? form->at("csrf") : "";
  if (!sameToken(cookie(req, kLogoutCsrfCookie).value_or(""), csrf)) {
    ctx_.store.appendAudit({"web", "logout.csrf-refused", "-", "refused", "{}"});
    return sendErrorPage(ctx_, resp, HttpStatus::HTTP_FORBIDDEN, "Форма устарела или подделана",
                         "The form is stale or forged", "logout CSRF token mismatch");
  }
  setCookie(resp, kLogoutCsrfCookie, "", {"/logout", ctx_.https(), "Strict", 0});
  if (form->contains("continue")) {
    auto flow = browserLogoutFlow(ctx_, req);
    if (!flow) return notSignedIn(ctx_, resp);
    logout.abandonAwaiting(*flow, "the person went on without the SP's LogoutResponse");
    return continueLogout(ctx_, resp, *flow);
  }
  std::optional<store::Session> session;
  if (auto token = cookie(req, kSessionCookie)) session = ctx_.sso->sessions.resolve(*token);
  if (!session) return notSignedIn(ctx_, resp);
  clearSessionCookie(ctx_, resp);
  auto flow = logout.begin(*session, std::nullopt, session->login, false, true);
  continueLogout(ctx_, resp, flow);
}

}  // namespace propusk::web
