#include "idp/web/mfa_handler.h"

#include <algorithm>

#include "idp/core/json_text.h"
#include "idp/core/printable.h"
#include "idp/saml/sp_directory.h"
#include "idp/sso/login_service.h"
#include "idp/sso/second_factors.h"
#include "idp/sso/session_manager.h"
#include "idp/web/account_pages.h"
#include "idp/web/csrf.h"
#include "idp/web/http_util.h"
#include "idp/web/login_handler.h"
#include "idp/web/respond.h"
#include "idp/web/sso_flow.h"
#include "idp/web/sso_handler.h"

namespace propusk::web {

namespace {

using HttpStatus = Poco::Net::HTTPResponse::HTTPStatus;
using policy::Factor;

void sendMfaPage(WebContext& ctx, Poco::Net::HTTPServerResponse& resp, HttpStatus status, const MfaPage& page) {
  const std::string nonce = ctx.random.token(16);
  addSecurityHeaders(resp, ctx.https());
  resp.set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-" + nonce +
                                          "'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  sendBody(resp, status, "text/html; charset=utf-8", renderMfaPage(page, nonce));
}

bool offered(const sso::LoginContext& lc, Factor f) {
  return std::find(lc.secondFactorChoices.begin(), lc.secondFactorChoices.end(), f) != lc.secondFactorChoices.end();
}

MfaPage pageFor(WebContext& ctx, const LoginCheck& check, const std::string& flow, const std::string& csrf) {
  MfaPage p;
  p.flow = flow;
  p.csrf = csrf;
  p.serviceName = check.sp ? saml::displayNameFor(check.sp->metadata) : "Личный кабинет / Your account";
  p.totp = offered(check.lc, Factor::Totp);
  p.email = offered(check.lc, Factor::Email);
  p.sms = offered(check.lc, Factor::Sms);
  p.recovery = offered(check.lc, Factor::Recovery);
  p.maskedEmail = sso::maskedContact(*check.user, notify::Channel::Email);
  p.maskedPhone = sso::maskedContact(*check.user, notify::Channel::Sms);
  (void)ctx;
  return p;
}

}  // namespace

void MfaHandler::handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
  const bool post = req.getMethod() == "POST";
  Form form;
  if (post) {
    auto parsed = parseForm(takeBody(req));
    if (!parsed) {
      ctx_.store.appendAudit({"web", "login.refused", "-", "refused",
                              R"({"reason":"form","page":"mfa","detail":)" +
                                  jsonString(printable(parsed.error().detail, 200)) + "}"});
      return sendErrorPage(ctx_, resp, HttpStatus::HTTP_BAD_REQUEST, "Некорректная форма", "Invalid form",
                           parsed.error().detail);
    }
    form = std::move(*parsed);
  } else if (auto q = parseForm(rawQuery(req))) {
    form = std::move(*q);
  }
  auto field = [&](const char* n) { return form.contains(n) ? form.at(n) : std::string(); };
  if (post && !csrfMatches(req, kCsrfCookie, field("csrf"))) {
    ctx_.store.appendAudit({"web", "login.csrf-refused", "-", "refused", R"({"page":"mfa"})"});
    return sendErrorPage(ctx_, resp, HttpStatus::HTTP_FORBIDDEN, "Форма устарела или подделана",
                         "The form is stale or forged", "CSRF token mismatch on /login/mfa");
  }
  const std::string flow = field("flow");
  auto pending = pendingOf(ctx_, flow);
  if (!pending) return sendExpired(ctx_, resp);
  // The second factor belongs to the session that proved the first: no session, no page.
  std::optional<store::Session> session;
  if (auto token = cookie(req, kSessionCookie)) session = ctx_.sso->sessions.resolve(*token);
  if (!session) return sendExpired(ctx_, resp);

  LoginCheck check;
  if (!checkLogin(ctx_, req, resp, *session, *pending, check)) return;
  // Nothing (more) to ask — another tab finished, or a step other than the second factor
  // refuses: the login goes on where completeSso takes it.
  if (check.result || check.result.error().page != sso::LoginPage::SecondFactor) {
    ctx_.store.removePendingRequest(flow);
    return completeSso(ctx_, req, resp, *session, *pending);
  }
  const std::string csrf = csrfToken(ctx_, req, resp, kCsrfCookie, "/login");
  MfaPage page = pageFor(ctx_, check, flow, csrf);
  if (!post) return sendMfaPage(ctx_, resp, HttpStatus::HTTP_OK, page);

  const store::User& user = *check.user;
  const auto client = clientOf(req, *pending);
  auto& factors = *ctx_.sso->factors;
  // A blocked address or an account in backoff gets no attempt at all (nothing is counted).
  if (!ctx_.sso->logins.mayTryCode(user) ||
      (ctx_.sso->throttle && ctx_.sso->throttle->blockedUntil(client.remote))) {
    ctx_.store.appendAudit({user.login, "login.failure", user.login, "refused",
                            R"({"reason":"code-while-blocked","remote":)" + jsonString(client.remote) + "}"});
    page.notice = Notice{"Слишком много неудачных попыток. Повторите позже.", "Too many failed attempts. Try again later."};
    resp.set("Retry-After", "60");
    return sendMfaPage(ctx_, resp, HttpStatus::HTTP_TOO_MANY_REQUESTS, page);
  }
  const std::string action = field("action");
  auto succeed = [&](Factor f) {
    auto renewed = ctx_.sso->sessions.addFactor(*session, policy::factorName(f), client.remote);
    if (!renewed) return sendExpired(ctx_, resp);
    setSessionCookie(ctx_, resp, renewed->token);
    ctx_.store.removePendingRequest(flow);
    completeSso(ctx_, req, resp, renewed->session, *pending, nullptr, true);
  };
  auto wrong = [&](Factor f, Notice n) {
    ctx_.sso->logins.recordFailedSecondFactor(user, client, policy::factorName(f));
    page.notice = std::move(n);
    sendMfaPage(ctx_, resp, HttpStatus::HTTP_UNAUTHORIZED, page);
  };
  const Notice wrongCode{"Неверный код.", "Wrong code."};

  if (action == "totp" && page.totp) {
    std::string code = field("code").empty() ? field("totp_code") : field("code");
    if (factors.verifyTotp(user, code, user.login)) return succeed(Factor::Totp);
    return wrong(Factor::Totp, Notice{"Неверный или уже использованный код. Дождитесь следующего кода в приложении.",
                                      "Wrong or already used code. Wait for the next code in the app."});
  }
  if ((action == "send-email" && page.email) || (action == "send-sms" && page.sms)) {
    const auto channel = action == "send-email" ? notify::Channel::Email : notify::Channel::Sms;
    auto sent = factors.sendCode(&user, channel, "login", session->idHash, user.login);
    if (!sent) {
      page.notice = Notice{"Слишком много кодов отправлено. Подождите несколько минут.",
                           "Too many codes were sent. Wait a few minutes."};
      return sendMfaPage(ctx_, resp, HttpStatus::HTTP_TOO_MANY_REQUESTS, page);
    }
    page.codeId = sent->id;
    page.codeTo = sent->maskedTo;
    return sendMfaPage(ctx_, resp, HttpStatus::HTTP_OK, page);
  }
  if (action == "code" && (page.email || page.sms)) {
    const std::string codeId = field("code_id");
    auto row = codeId.size() <= 64 ? ctx_.store.findOneTimeCode(codeId) : std::nullopt;
    const Factor f = row && row->channel == "sms" ? Factor::Sms : Factor::Email;
    if ((f == Factor::Email && !page.email) || (f == Factor::Sms && !page.sms)) return wrong(f, wrongCode);
    page.codeId = codeId;
    page.codeTo = sso::maskedContact(user, f == Factor::Sms ? notify::Channel::Sms : notify::Channel::Email);
    switch (factors.checkCode(codeId, field("code"), &user, "login", session->idHash, user.login)) {
      case store::CodeCheck::Ok: return succeed(f);
      case store::CodeCheck::Expired:
        page.codeId.clear();
        return wrong(f, Notice{"Код устарел. Запросите новый.", "The code has expired. Ask for a new one."});
      case store::CodeCheck::TooManyAttempts:
      case store::CodeCheck::Unknown:
        page.codeId.clear();
        return wrong(f, Notice{"Код больше не действует. Запросите новый.", "The code is no longer valid. Ask for a new one."});
      case store::CodeCheck::Wrong: return wrong(f, wrongCode);
    }
  }
  if (action == "recovery" && page.recovery) {
    if (factors.useRecoveryCode(user, field("recovery_code"), user.login)) {
      factors.notice(user, "recovery-code-used", "Использован резервный код / A recovery code was used",
                     "Для входа в учётную запись " + user.login + " использован резервный код. Осталось: " +
                         std::to_string(factors.recoveryCodesLeft(user)) + ".\n\nA recovery code was used to sign in to " +
                         user.login + ". Codes left: " + std::to_string(factors.recoveryCodesLeft(user)) + ".\n");
      return succeed(Factor::Recovery);
    }
    return wrong(Factor::Recovery, Notice{"Неверный или уже использованный резервный код.",
                                          "Wrong or already used recovery code."});
  }
  // An action the page did not offer (a factor not allowed for this request, a forged field).
  ctx_.store.appendAudit({user.login, "login.refused", user.login, "refused",
                          R"({"reason":"factor-not-offered","action":)" + jsonString(printable(action, 40)) + "}"});
  page.notice = Notice{"Этот способ подтверждения недоступен.", "This way of verifying is not available."};
  return sendMfaPage(ctx_, resp, HttpStatus::HTTP_BAD_REQUEST, page);
}

}  // namespace propusk::web
