#include "idp/web/account_handler.h"

#include "idp/auth/password_hasher.h"
#include "idp/auth/password_policy.h"
#include "idp/core/json_text.h"
#include "idp/core/printable.h"
#include "idp/policy/attribute_release.h"
#include "idp/sso/logout_service.h"
#include "idp/sso/second_factors.h"
#include "idp/sso/session_manager.h"
#include "idp/web/account_pages.h"
#include "idp/web/csrf.h"
#include "idp/web/http_util.h"
#include "idp/web/login_handler.h"
#include "idp/web/qr_svg.h"
#include "idp/web/respond.h"
#include "idp/web/sso_flow.h"
#include "idp/web/sso_handler.h"

namespace propusk::web {

namespace {

using HttpStatus = Poco::Net::HTTPResponse::HTTPStatus;
constexpr char kAccountCsrfCookie[] = "propusk_account_csrf";

void sendHtml(WebContext& ctx, Poco::Net::HTTPServerResponse& resp, HttpStatus status, const std::string& nonce,
              const std::string& body) {
  addSecurityHeaders(resp, ctx.https());
  resp.set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-" + nonce +
                                          "'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  resp.set("Cache-Control", "no-store");
  sendBody(resp, status, "text/html; charset=utf-8", body);
}

struct Account {
  WebContext& ctx;
  Poco::Net::HTTPServerRequest& req;
  Poco::Net::HTTPServerResponse& resp;
  store::Session session;
  store::User user;
  std::string csrf;
  sso::Client client;

  sso::SecondFactors& factors() { return *ctx.sso->factors; }

  AccountPage view(std::optional<Notice> notice = std::nullopt) {
    AccountPage p;
    p.csrf = csrf;
    p.displayName = user.surname + " " + user.givenName + (user.middleName ? " " + *user.middleName : "");
    p.login = user.login;
    p.status = std::string(policy::accountStatusName(user.status));
    if (user.snils) p.snils = maskSnils(*user.snils);
    if (user.inn) p.inn = maskInn(*user.inn);
    p.email = user.email.value_or("");
    p.phone = user.phone.value_or("");
    p.emailConfirmed = user.emailConfirmed;
    p.phoneConfirmed = user.phoneConfirmed;
    for (auto& f : ctx.store.listFactors(user.id)) {
      if (!f.confirmedAt) continue;
      if (f.kind == store::FactorKind::Totp) p.totp = true;
      if (f.kind == store::FactorKind::Email) p.emailFactor = true;
      if (f.kind == store::FactorKind::Sms) p.smsFactor = true;
    }
    p.emailFactorPossible = user.emailConfirmed && factors().channelAvailable(notify::Channel::Email);
    p.smsFactorPossible = user.phoneConfirmed && factors().channelAvailable(notify::Channel::Sms);
    p.recoveryLeft = ctx.store.countRecoveryCodes(user.id);
    for (auto& s : ctx.store.listSessions(user.login)) {
      AccountSessionLine l;
      l.handle = s.idHash.substr(0, 16);
      l.current = s.idHash == session.idHash;
      l.createdAt = s.createdAt;
      l.lastSeenAt = s.lastSeenAt;
      l.remote = s.remote;
      l.userAgent = s.userAgent;
      l.factors = sso::sessionFactors(s).encode();
      for (auto& part : ctx.store.listSessionParticipants(s.idHash)) {
        auto sp = ctx.sso->sps.find(part.spEntityId);
        l.services.push_back(sp ? saml::displayNameFor(sp->metadata) : part.spEntityId);
      }
      p.sessions.push_back(std::move(l));
    }
    for (auto& h : ctx.store.listLoginHistory(user.id, 20)) {
      std::string service;
      if (!h.sp.empty()) {
        auto sp = ctx.sso->sps.find(h.sp);
        service = sp ? saml::displayNameFor(sp->metadata) : h.sp;
      }
      p.history.push_back({h.at, h.ip, h.userAgent, service, h.factors, h.result});
    }
    p.notice = std::move(notice);
    return p;
  }

  void page(HttpStatus status, std::optional<Notice> notice = std::nullopt) {
    const std::string nonce = ctx.random.token(16);
    sendHtml(ctx, resp, status, nonce, renderAccountPage(view(std::move(notice)), nonce));
  }

  void audit(const std::string& action, const std::string& outcome, const std::string& details = "{}") {
    ctx.store.appendAudit({user.login, action, user.login, outcome, details});
  }

  // The current password, for changes that must not be one click away from a stolen session.
  bool passwordOk(const std::string& typed) {
    auto ok = ctx.sso->hasher->verify(typed, user.passwordHash);
    if (ok && *ok) return true;
    ctx.sso->logins.recordFailedSecondFactor(user, client, "password");
    return false;
  }
};

}  // namespace

void AccountHandler::handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
  if (!ctx_.sso->factors || !ctx_.sso->hasher)
    return sendErrorPage(ctx_, resp, HttpStatus::HTTP_NOT_FOUND, "Страница не найдена", "Page not found",
                         "/account without account security wired");
  sso::PendingRequest accountLogin;
  accountLogin.returnTo = "/account";
  accountLogin.createdAt = ctx_.clock.now();
  std::optional<store::Session> session;
  if (auto token = cookie(req, kSessionCookie)) session = ctx_.sso->sessions.resolve(*token);
  if (!session) {
    if (req.getMethod() == "POST") {
      ctx_.store.appendAudit({"web", "account.refused", "-", "refused", R"({"reason":"no-session"})"});
      return sendErrorPage(ctx_, resp, HttpStatus::HTTP_FORBIDDEN, "Сеанс завершён", "Your session has ended",
                           "POST /account without a session");
    }
    return redirectTo(ctx_, resp, std::string("/login?flow=") + kAccountFlow);
  }
  // The account page is reached only by a login this account's rules accept in full: with a
  // second factor enrolled, a password alone is not enough here either.
  LoginCheck check;
  if (!checkLogin(ctx_, req, resp, *session, accountLogin, check)) return;
  if (!check.result) {
    if (req.getMethod() == "POST") {
      ctx_.store.appendAudit({session->login, "account.refused", session->login, "refused",
                              R"({"reason":)" + jsonString(check.result.error().step) + "}"});
      return sendErrorPage(ctx_, resp, HttpStatus::HTTP_FORBIDDEN, "Нужно подтвердить вход",
                           "Verify your sign-in first", "POST /account from a session short of the account's rules");
    }
    return completeSso(ctx_, req, resp, *session, accountLogin);  // to /login/mfa, or the refusal
  }
  Account a{ctx_, req, resp, *session, *check.user, csrfToken(ctx_, req, resp, kAccountCsrfCookie, "/account"),
            clientOf(req, accountLogin)};
  if (req.getMethod() != "POST") return a.page(HttpStatus::HTTP_OK);

  auto form = parseForm(takeBody(req));
  if (!form) {
    a.audit("account.refused", "refused", R"({"reason":"form","detail":)" + jsonString(printable(form.error().detail, 200)) + "}");
    return a.page(HttpStatus::HTTP_BAD_REQUEST, Notice{"Некорректная форма.", "Invalid form."});
  }
  auto field = [&](const char* n) { return form->contains(n) ? form->at(n) : std::string(); };
  if (!csrfMatches(req, kAccountCsrfCookie, field("csrf"))) {
    a.audit("account.csrf-refused", "refused");
    return sendErrorPage(ctx_, resp, HttpStatus::HTTP_FORBIDDEN, "Форма устарела или подделана",
                         "The form is stale or forged", "CSRF token mismatch on /account");
  }
  const std::string action = field("action");
  const Notice wrongPassword{"Неверный текущий пароль.", "Wrong current password."};
  auto& factors = a.factors();

  if (action == "password") {
    if (!a.passwordOk(field("current_password"))) return a.page(HttpStatus::HTTP_UNAUTHORIZED, wrongPassword);
    const std::string pw = field("new_password");
    if (pw != field("new_password2"))
      return a.page(HttpStatus::HTTP_BAD_REQUEST, Notice{"Пароли не совпадают.", "The passwords do not match."});
    if (auto ok = auth::checkPassword(pw, a.user.login, ctx_.config.passwordPolicy); !ok)
      return a.page(HttpStatus::HTTP_BAD_REQUEST, Notice{"Пароль не подходит: " + ok.error().detail + ".",
                                                         "The password does not qualify: " + ok.error().detail + "."});
    auto hash = ctx_.sso->hasher->hash(pw, ctx_.random);
    if (!hash)
      return a.page(HttpStatus::HTTP_SERVICE_UNAVAILABLE, Notice{"Сервер перегружен, повторите.", "The server is busy, try again."});
    ctx_.store.setPasswordHash(a.user.id, *hash, {a.user.login, "user.password.change", a.user.login, "ok",
                                                   R"({"remote":)" + jsonString(a.client.remote) + "}"});
    // Other sessions of the account end: whoever else knew the old password is out.
    for (auto& s : ctx_.store.listSessions(a.user.login)) {
      if (s.idHash == a.session.idHash || !ctx_.sso->logout) continue;
      auto flow = ctx_.sso->logout->begin(s, std::nullopt, a.user.login, false, false);
      ctx_.sso->logout->finish(flow);
    }
    factors.notice(a.user, "password-changed", "Пароль изменён / Your password was changed",
                   "Пароль учётной записи " + a.user.login + " изменён в личном кабинете; другие сеансы завершены.\n\n"
                   "The password of " + a.user.login + " was changed on the account page; other sessions ended.\n");
    return a.page(HttpStatus::HTTP_OK, Notice{"Пароль изменён.", "Your password was changed.", false});
  }
  if (action == "totp-begin") {
    auto secret = factors.beginTotp(a.user, a.user.login);
    if (!secret) return a.page(HttpStatus::HTTP_CONFLICT, Notice{"Приложение уже подключено.", "An app is set up already."});
    auto svg = qrSvg(secret->uri, "QR-код для приложения / QR code for the app");
    const std::string nonce = ctx_.random.token(16);
    return sendHtml(ctx_, resp, HttpStatus::HTTP_OK, nonce,
                    renderTotpEnrol(a.csrf, svg.value_or(""), secret->uri, secret->secret, std::nullopt, nonce));
  }
  if (action == "totp-confirm") {
    auto codes = factors.confirmTotp(a.user, field("code"), a.user.login);
    if (!codes) {
      ctx_.sso->logins.recordFailedSecondFactor(a.user, a.client, "totp");
      return a.page(HttpStatus::HTTP_UNAUTHORIZED,
                    Notice{"Неверный код. Начните подключение заново.", "Wrong code. Start the set-up again."});
    }
    // The person just proved the new factor: this session has it now (a new id for the new privilege).
    if (auto renewed = ctx_.sso->sessions.addFactor(a.session, "totp", a.client.remote))
      setSessionCookie(ctx_, resp, renewed->token);
    factors.notice(a.user, "factor-added", "Подключён второй фактор / A second factor was set up",
                   "К учётной записи " + a.user.login + " подключено приложение-аутентификатор.\n\n"
                   "An authenticator app was set up for " + a.user.login + ".\n");
    const std::string nonce = ctx_.random.token(16);
    return sendHtml(ctx_, resp, HttpStatus::HTTP_OK, nonce, renderRecoveryCodes(*codes, nonce));
  }
  if (action == "contact-begin" || action == "contact-confirm") {
    auto kind = store::parseFactorKind(field("kind"));
    if (!kind || *kind == store::FactorKind::Totp) {
      a.audit("account.refused", "refused", R"({"reason":"kind"})");
      return a.page(HttpStatus::HTTP_BAD_REQUEST, Notice{"Неизвестный способ.", "Unknown kind of factor."});
    }
    if (action == "contact-begin") {
      auto sent = factors.beginContactFactor(a.user, *kind, a.session.idHash, a.user.login);
      if (!sent)
        return a.page(HttpStatus::HTTP_BAD_REQUEST, Notice{"Нельзя отправить код: нет подтверждённого контакта или "
                                                           "слишком много кодов.",
                                                           "Cannot send a code: no confirmed contact, or too many codes."});
      const std::string nonce = ctx_.random.token(16);
      return sendHtml(ctx_, resp, HttpStatus::HTTP_OK, nonce,
                      renderContactConfirm(a.csrf, field("kind"), sent->id, sent->maskedTo, std::nullopt, nonce));
    }
    auto codes = factors.confirmContactFactor(a.user, *kind, field("code_id"), field("code"), a.session.idHash,
                                              a.user.login);
    if (!codes) {
      ctx_.sso->logins.recordFailedSecondFactor(a.user, a.client, std::string(store::factorKindName(*kind)));
      return a.page(HttpStatus::HTTP_UNAUTHORIZED, Notice{"Неверный или устаревший код.", "Wrong or expired code."});
    }
    if (auto renewed = ctx_.sso->sessions.addFactor(a.session, store::factorKindName(*kind), a.client.remote))
      setSessionCookie(ctx_, resp, renewed->token);
    if (!codes->empty()) {
      const std::string nonce = ctx_.random.token(16);
      return sendHtml(ctx_, resp, HttpStatus::HTTP_OK, nonce, renderRecoveryCodes(*codes, nonce));
    }
    return a.page(HttpStatus::HTTP_OK, Notice{"Способ подключён.", "The factor was set up.", false});
  }
  if (action == "factor-remove") {
    auto kind = store::parseFactorKind(field("kind"));
    if (!kind) return a.page(HttpStatus::HTTP_BAD_REQUEST, Notice{"Неизвестный способ.", "Unknown kind of factor."});
    if (!a.passwordOk(field("current_password"))) return a.page(HttpStatus::HTTP_UNAUTHORIZED, wrongPassword);
    if (!factors.remove(a.user, *kind, a.user.login))
      return a.page(HttpStatus::HTTP_NOT_FOUND, Notice{"Этот способ не подключён.", "This factor is not set up."});
    factors.notice(a.user, "factor-removed", "Отключён второй фактор / A second factor was removed",
                   "У учётной записи " + a.user.login + " отключён второй фактор (" +
                       std::string(store::factorKindName(*kind)) + ").\n\nA second factor (" +
                       std::string(store::factorKindName(*kind)) + ") was removed from " + a.user.login + ".\n");
    return a.page(HttpStatus::HTTP_OK, Notice{"Способ отключён.", "The factor was removed.", false});
  }
  if (action == "recovery-new") {
    auto codes = factors.newRecoveryCodes(a.user, a.user.login);
    if (!codes) return a.page(HttpStatus::HTTP_BAD_REQUEST, Notice{"Сначала подключите второй фактор.", "Set up a second factor first."});
    const std::string nonce = ctx_.random.token(16);
    return sendHtml(ctx_, resp, HttpStatus::HTTP_OK, nonce, renderRecoveryCodes(*codes, nonce));
  }
  if (action == "session-end") {
    const std::string handle = field("session");
    for (auto& s : ctx_.store.listSessions(a.user.login)) {
      if (handle.size() != 16 || s.idHash.substr(0, 16) != handle || s.idHash == a.session.idHash) continue;
      if (ctx_.sso->logout) {
        auto flow = ctx_.sso->logout->begin(s, std::nullopt, a.user.login, false, false);
        ctx_.sso->logout->finish(flow);
      } else {
        ctx_.store.removeSession(s.idHash, {a.user.login, "session.end", handle, "ok", R"({"reason":"account page"})"});
      }
      return a.page(HttpStatus::HTTP_OK, Notice{"Сеанс завершён.", "The session was ended.", false});
    }
    a.audit("account.refused", "refused", R"({"reason":"no such session"})");
    return a.page(HttpStatus::HTTP_NOT_FOUND, Notice{"Такого сеанса нет.", "No such session."});
  }
  a.audit("account.refused", "refused", R"({"reason":"action","action":)" + jsonString(printable(action, 40)) + "}");
  return a.page(HttpStatus::HTTP_BAD_REQUEST, Notice{"Неизвестное действие.", "Unknown action."});
}

}  // namespace propusk::web
