#include "idp/web/recover_handler.h"

#include "idp/auth/password_hasher.h"
#include "idp/auth/password_policy.h"
#include "idp/core/json_text.h"
#include "idp/core/printable.h"
#include "idp/crypto/digest.h"
#include "idp/identity/validators.h"
#include "idp/sso/address_throttle.h"
#include "idp/sso/logout_service.h"
#include "idp/sso/second_factors.h"
#include "idp/web/account_pages.h"
#include "idp/web/csrf.h"
#include "idp/web/http_util.h"
#include "idp/web/respond.h"
#include "idp/web/sso_handler.h"

namespace propusk::web {

namespace {

using HttpStatus = Poco::Net::HTTPResponse::HTTPStatus;
constexpr char kRecoverCookie[] = "propusk_recover";

void sendPage(WebContext& ctx, Poco::Net::HTTPServerResponse& resp, HttpStatus status, const RecoverPage& page) {
  const std::string nonce = ctx.random.token(16);
  addSecurityHeaders(resp, ctx.https());
  resp.set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-" + nonce +
                                          "'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  sendBody(resp, status, "text/html; charset=utf-8", renderRecoverPage(page, nonce));
}

// The code is bound to this browser: the hash of a cookie only it has.
std::string bindingOf(const std::string& token) { return crypto::toHex(crypto::sha256("recover:" + token)); }

}  // namespace

void RecoverHandler::handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
  RecoverPage page;
  page.csrf = csrfToken(ctx_, req, resp, kCsrfCookie, "/login");
  if (req.getMethod() != "POST" || !ctx_.sso->factors) {
    if (!ctx_.sso->factors)
      page.notice = Notice{"Восстановление недоступно: обратитесь в службу поддержки.",
                           "Recovery is not available: contact support."};
    return sendPage(ctx_, resp, HttpStatus::HTTP_OK, page);
  }
  auto form = parseForm(takeBody(req));
  if (!form) {
    ctx_.store.appendAudit({"web", "recovery.refused", "-", "refused",
                            R"({"reason":"form","detail":)" + jsonString(printable(form.error().detail, 200)) + "}"});
    return sendErrorPage(ctx_, resp, HttpStatus::HTTP_BAD_REQUEST, "Некорректная форма", "Invalid form",
                         form.error().detail);
  }
  auto field = [&](const char* n) { return form->contains(n) ? form->at(n) : std::string(); };
  if (!csrfMatches(req, kCsrfCookie, field("csrf"))) {
    ctx_.store.appendAudit({"web", "recovery.csrf-refused", "-", "refused", "{}"});
    return sendErrorPage(ctx_, resp, HttpStatus::HTTP_FORBIDDEN, "Форма устарела или подделана",
                         "The form is stale or forged", "CSRF token mismatch on /login/recover");
  }
  const std::string remote = remoteAddress(req);
  if (ctx_.sso->throttle) {
    if (auto until = ctx_.sso->throttle->blockedUntil(remote)) {
      ctx_.store.appendAudit({"web", "recovery.refused", "-", "refused",
                              R"({"reason":"throttled","remote":)" + jsonString(remote) + "}"});
      resp.set("Retry-After", std::to_string(std::max<long long>(1, (*until - ctx_.clock.now()).count())));
      page.notice = Notice{"Слишком много попыток с вашего адреса. Повторите позже.",
                           "Too many attempts from your address. Try again later."};
      return sendPage(ctx_, resp, HttpStatus::HTTP_TOO_MANY_REQUESTS, page);
    }
  }
  auto& factors = *ctx_.sso->factors;
  std::string typedLogin = field("username");
  if (typedLogin.size() > 256) typedLogin.resize(256);
  auto login = identity::normalizeLogin(typedLogin);
  std::optional<store::User> user = login ? ctx_.store.findUser(*login) : std::nullopt;
  page.login = login.value_or("");

  if (field("step") == "start") {
    std::string token = cookie(req, kRecoverCookie).value_or("");
    if (token.size() != 32) token = ctx_.random.token(24);
    setCookie(resp, kRecoverCookie, token, {"/login/recover", ctx_.https(), "Strict", 900L});
    // The account's confirmed e-mail, else its phone; an account with neither (or none at
    // all) gets the same work and the same page, and no message.
    const store::User* who = user ? &*user : nullptr;
    notify::Channel channel = notify::Channel::Email;
    if (who && !(who->email && who->emailConfirmed && factors.channelAvailable(notify::Channel::Email))) {
      channel = notify::Channel::Sms;
      if (!(who->phone && who->phoneConfirmed && factors.channelAvailable(notify::Channel::Sms))) who = nullptr;
    }
    auto sent = factors.sendCode(who, channel, "recovery", bindingOf(token), "web");
    if (!sent) sent = factors.sendCode(nullptr, channel, "recovery", bindingOf(token), "web");  // rate-limited: same page
    ctx_.store.appendAudit({"web", "recovery.start", user ? user->login : std::string("(unknown)"), "ok",
                            R"({"remote":)" + jsonString(remote) + R"(,"code_sent":)" + (who ? "true" : "false") + "}"});
    page.stage = RecoverPage::Stage::Code;
    page.recoveryId = sent ? sent->id : "";
    return sendPage(ctx_, resp, HttpStatus::HTTP_OK, page);
  }

  // step=finish
  page.stage = RecoverPage::Stage::Code;
  page.recoveryId = field("recovery");
  const std::string token = cookie(req, kRecoverCookie).value_or("");
  const std::string password = field("new_password");
  if (password != field("new_password2")) {
    page.notice = Notice{"Пароли не совпадают.", "The passwords do not match."};
    return sendPage(ctx_, resp, HttpStatus::HTTP_BAD_REQUEST, page);
  }
  if (auto ok = auth::checkPassword(password, page.login, ctx_.config.passwordPolicy); !ok) {
    page.notice = Notice{"Пароль не подходит: " + ok.error().detail + ".", "The password does not qualify: " +
                                                                               ok.error().detail + "."};
    return sendPage(ctx_, resp, HttpStatus::HTTP_BAD_REQUEST, page);
  }
  auto result = token.size() == 32 ? factors.checkCode(page.recoveryId, field("code"), user ? &*user : nullptr,
                                                       "recovery", bindingOf(token), "web")
                                   : store::CodeCheck::Unknown;
  if (result != store::CodeCheck::Ok || !user) {
    if (ctx_.sso->throttle) ctx_.sso->throttle->failure(remote, "recovery-code");
    ctx_.store.appendAudit({"web", "recovery.refused", user ? user->login : std::string("(unknown)"), "refused",
                            R"({"reason":"code","remote":)" + jsonString(remote) + "}"});
    if (result == store::CodeCheck::Wrong) {
      page.notice = Notice{"Неверный код.", "Wrong code."};
    } else {
      page.stage = RecoverPage::Stage::Start;
      page.notice = Notice{"Код больше не действует. Запросите новый.", "The code is no longer valid. Ask for a new one."};
    }
    return sendPage(ctx_, resp, HttpStatus::HTTP_UNAUTHORIZED, page);
  }
  // Ok means the code row belonged to this account: `user` is set.
  auto hash = ctx_.sso->hasher->hash(password, ctx_.random);
  if (!hash) {
    page.notice = Notice{"Сервер перегружен. Повторите через несколько секунд.", "The server is busy. Try again in a few seconds."};
    resp.set("Retry-After", "5");
    return sendPage(ctx_, resp, HttpStatus::HTTP_SERVICE_UNAVAILABLE, page);
  }
  ctx_.store.setPasswordHash(user->id, *hash, {user->login, "user.password.reset", user->login, "ok",
                                                R"({"by":"recovery","remote":)" + jsonString(remote) + "}"});
  // Whoever had a session of this account (the password may have been known to someone) is out.
  std::size_t ended = 0;
  for (auto& s : ctx_.store.listSessions(user->login)) {
    if (ctx_.sso->logout) {
      auto flow = ctx_.sso->logout->begin(s, std::nullopt, user->login, false, false);
      ctx_.sso->logout->finish(flow);
    } else {
      ctx_.store.removeSession(s.idHash, {user->login, "session.end", s.idHash.substr(0, 16), "ok",
                                          R"({"reason":"password reset"})"});
    }
    ++ended;
  }
  setCookie(resp, kRecoverCookie, "", {"/login/recover", ctx_.https(), "Strict", 0L});
  factors.notice(*user, "password-changed", "Пароль изменён / Your password was changed",
                 "Пароль учётной записи " + user->login + " изменён через восстановление доступа; все сеансы "
                 "завершены (" + std::to_string(ended) + "). Если это были не вы, обратитесь в службу поддержки.\n\n"
                 "The password of " + user->login + " was changed through account recovery and every session ended. "
                 "If this was not you, contact support.\n");
  page.stage = RecoverPage::Stage::Done;
  page.notice.reset();
  return sendPage(ctx_, resp, HttpStatus::HTTP_OK, page);
}

}  // namespace propusk::web
