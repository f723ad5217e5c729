#include "idp/web/account_pages.h"

#include "idp/core/base64.h"
#include "idp/web/pages.h"
#include "idp/web/respond.h"

namespace propusk::web {

namespace {

std::string e(const std::string& s) { return htmlEscape(s); }

std::string notice(const std::optional<Notice>& n) {
  if (!n) return {};
  return std::string("<p class=\"") + (n->error ? "err\" role=\"alert\"" : "ok\" role=\"status\"") + ">" + e(n->ru) +
         "<br><span class=\"en\">" + e(n->en) + "</span></p>\n";
}

// A POST form to `action` with the CSRF token and the hidden fields given, around `inner`.
std::string form(const std::string& action, const std::string& csrf,
                 std::initializer_list<std::pair<std::string, std::string>> fields, const std::string& inner) {
  std::string s = "<form method=\"post\" action=\"" + e(action) + "\">\n" + hiddenField("csrf", csrf);
  for (auto& [k, v] : fields) s += hiddenField(k, v);
  return s + inner + "</form>\n";
}

std::string codeInput(const std::string& name, const std::string& labelRu, const std::string& labelEn,
                      bool oneTime = true) {
  return "<label for=\"" + name + "\">" + e(labelRu) + " <span class=\"en\">/ " + e(labelEn) + "</span></label>\n" +
         "<input type=\"text\" id=\"" + name + "\" name=\"" + name + "\" " +
         (oneTime ? "inputmode=\"numeric\" autocomplete=\"one-time-code\" pattern=\"[0-9 ]*\" maxlength=\"8\""
                  : "autocomplete=\"off\" maxlength=\"20\"") +
         " required>\n";
}

std::string button(const std::string& ru, const std::string& en) {
  return "<button type=\"submit\">" + e(ru) + " / " + e(en) + "</button>\n";
}

std::string statusRu(const std::string& s) {
  if (s == "confirmed") return "подтверждённая";
  if (s == "standard") return "стандартная";
  return "упрощённая";
}

std::string when(TimePoint t) {
  std::string s = formatXsDateTime(t);  // 2026-12-07T10:00:00Z
  if (s.size() >= 16) s = s.substr(0, 10) + " " + s.substr(11, 5) + " UTC";
  return s;
}

std::string resultRu(const std::string& r) {
  if (r == "ok") return "успешно / ok";
  if (r == "wrong-password") return "неверный пароль / wrong password";
  if (r == "wrong-code") return "неверный код / wrong code";
  if (r == "locked") return "заблокирована / locked";
  if (r == "backoff") return "временная блокировка / temporarily locked";
  return r;
}

}  // namespace

std::string maskSnils(const std::string& d) {
  if (d.size() != 11) return "***";
  return "***-***-" + d.substr(6, 3) + " " + d.substr(9, 2);
}

std::string maskInn(const std::string& d) {
  if (d.size() < 4) return "***";
  return std::string(d.size() - 4, '*') + d.substr(d.size() - 4);
}

std::string renderMfaPage(const MfaPage& p, const std::string& nonce) {
  std::string s = pageHead("Подтверждение входа / Verify sign-in", nonce);
  s += "<h1>Подтверждение входа <span class=\"en\">/ Verify it is you</span></h1>\n";
  if (!p.serviceName.empty())
    s += "<p>Сервис <span class=\"en\">/ Service</span>: <b>" + e(p.serviceName) + "</b></p>\n";
  s += notice(p.notice);
  if (!p.codeId.empty())
    s += "<section><p>Код отправлен на " + e(p.codeTo) + ". <span class=\"en\">A code was sent to " + e(p.codeTo) +
         ".</span></p>\n" +
         form("/login/mfa", p.csrf, {{"flow", p.flow}, {"action", "code"}, {"code_id", p.codeId}},
              codeInput("code", "Код из сообщения", "Code from the message") + button("Подтвердить", "Verify")) +
         "</section>\n";
  if (p.totp)
    s += "<section><h2>Приложение-аутентификатор <span class=\"en\">/ Authenticator app</span></h2>\n" +
         form("/login/mfa", p.csrf, {{"flow", p.flow}, {"action", "totp"}},
              codeInput(p.codeId.empty() ? "code" : "totp_code", "Шестизначный код", "Six-digit code") +
                  button("Подтвердить", "Verify")) +
         "</section>\n";
  if (p.email)
    s += form("/login/mfa", p.csrf, {{"flow", p.flow}, {"action", "send-email"}},
              button("Прислать код на " + p.maskedEmail, "Send a code to " + p.maskedEmail));
  if (p.sms)
    s += form("/login/mfa", p.csrf, {{"flow", p.flow}, {"action", "send-sms"}},
              button("Прислать код в SMS на " + p.maskedPhone, "Text a code to " + p.maskedPhone));
  if (p.recovery)
    s += "<section><h2>Резервный код <span class=\"en\">/ Recovery code</span></h2>\n" +
         form("/login/mfa", p.csrf, {{"flow", p.flow}, {"action", "recovery"}},
              codeInput("recovery_code", "Один из резервных кодов", "One of your recovery codes", false) +
                  button("Войти с резервным кодом", "Use a recovery code")) +
         "</section>\n";
  return s + "</body></html>\n";
}

std::string renderEnrolNeeded(bool accountHasFactor, const std::string& action, std::string_view samlMessage,
                              const std::optional<std::string>& relayState, const std::string& nonce) {
  std::string s = pageHead("Нужен второй фактор / A second factor is needed", nonce);
  s += "<h1>Нужен второй фактор <span class=\"en\">/ A second factor is needed</span></h1>\n";
  if (accountHasFactor)
    s += "<p>Сервису нужен способ подтверждения входа, которого сейчас нет у вашей учётной записи (например, "
         "приложение-аутентификатор). Добавьте его в личном кабинете.</p>\n<p class=\"en\">The service needs a way of "
         "verifying your sign-in that your account cannot use now (for example an authenticator app). Add it on your "
         "account page.</p>\n";
  else
    s += "<p>Этот сервис требует двухфакторного входа. Подключите приложение-аутентификатор (или код по почте "
         "или SMS) в личном кабинете и войдите снова.</p>\n<p class=\"en\">This service requires two-factor sign-in. "
         "Set up an authenticator app (or codes by e-mail or SMS) on your account page, then sign in again.</p>\n";
  s += "<p><a href=\"/account\">Личный кабинет / Your account</a></p>\n";
  s += "<form method=\"post\" action=\"" + e(action) + "\">\n";
  std::string b64;
  appendBase64(b64, samlMessage);
  s += "<input type=\"hidden\" name=\"SAMLResponse\" value=\"" + b64 + "\">\n";
  if (relayState) s += hiddenField("RelayState", *relayState);
  s += button("Вернуться в сервис", "Return to the service") + "</form>\n</body></html>\n";
  return s;
}

std::string renderRecoverPage(const RecoverPage& p, const std::string& nonce) {
  std::string s = pageHead("Восстановление доступа / Account recovery", nonce);
  s += "<h1>Восстановление доступа <span class=\"en\">/ Account recovery</span></h1>\n" + notice(p.notice);
  switch (p.stage) {
    case RecoverPage::Stage::Start:
      s += "<p>Введите логин. Если учётная запись существует и у неё есть подтверждённая почта или телефон, туда "
           "придёт код.</p>\n<p class=\"en\">Enter your login. If the account exists and has a confirmed e-mail or "
           "phone, a code will be sent there.</p>\n" +
           form("/login/recover", p.csrf, {{"step", "start"}},
                "<label for=\"username\">Логин <span class=\"en\">/ Login</span></label>\n"
                "<input type=\"text\" id=\"username\" name=\"username\" autocomplete=\"username\" required value=\"" +
                    e(p.login) + "\">\n" + button("Получить код", "Get a code"));
      break;
    case RecoverPage::Stage::Code:
      s += "<p>Если учётная запись существует, код отправлен на её подтверждённую почту или телефон. Он действует 5 "
           "минут.</p>\n<p class=\"en\">If the account exists, a code was sent to its confirmed e-mail or phone. It is "
           "valid for 5 minutes.</p>\n" +
           form("/login/recover", p.csrf, {{"step", "finish"}, {"recovery", p.recoveryId}, {"username", p.login}},
                codeInput("code", "Код", "Code") +
                    "<label for=\"new_password\">Новый пароль <span class=\"en\">/ New password</span></label>\n"
                    "<input type=\"password\" id=\"new_password\" name=\"new_password\" autocomplete=\"new-password\" "
                    "required>\n<label for=\"new_password2\">Ещё раз <span class=\"en\">/ Again</span></label>\n"
                    "<input type=\"password\" id=\"new_password2\" name=\"new_password2\" autocomplete=\"new-password\" "
                    "required>\n" +
                    button("Сменить пароль", "Change the password"));
      break;
    case RecoverPage::Stage::Done:
      s += "<p>Пароль изменён, все сеансы учётной записи завершены. Войдите с новым паролем.</p>\n<p "
           "class=\"en\">The password was changed and every session of the account ended. Sign in with the new "
           "password.</p>\n";
      break;
  }
  return s + "</body></html>\n";
}

std::string renderAccountPage(const AccountPage& p, const std::string& nonce) {
  std::string s = pageHead("Личный кабинет / Your account", nonce);
  s += "<h1>Личный кабинет <span class=\"en\">/ Your account</span></h1>\n" + notice(p.notice);
  s += "<section id=\"profile\"><h2>Профиль <span class=\"en\">/ Profile</span></h2>\n<table>\n";
  auto row = [&](const std::string& ru, const std::string& en, const std::string& v) {
    s += "<tr><th>" + e(ru) + " <span class=\"en\">/ " + e(en) + "</span></th><td>" + v + "</td></tr>\n";
  };
  row("ФИО", "Name", e(p.displayName));
  row("Логин", "Login", e(p.login));
  row("Уровень", "Level", e(statusRu(p.status)) + " <span class=\"en\">/ " + e(p.status) + "</span>");
  if (!p.snils.empty()) row("СНИЛС", "SNILS", e(p.snils));
  if (!p.inn.empty()) row("ИНН", "INN", e(p.inn));
  auto contact = [&](const std::string& v, bool confirmed) {
    if (v.empty()) return std::string("—");
    return e(v) + (confirmed ? " (подтверждён / confirmed)" : " (не подтверждён / not confirmed)");
  };
  row("Почта", "E-mail", contact(p.email, p.emailConfirmed));
  row("Телефон", "Phone", contact(p.phone, p.phoneConfirmed));
  s += "</table></section>\n";

  s += "<section id=\"password\"><h2>Пароль <span class=\"en\">/ Password</span></h2>\n" +
       form("/account", p.csrf, {{"action", "password"}},
            "<label for=\"current_password\">Текущий пароль <span class=\"en\">/ Current password</span></label>\n"
            "<input type=\"password\" id=\"current_password\" name=\"current_password\" "
            "autocomplete=\"current-password\" required>\n"
            "<label for=\"new_password\">Новый пароль <span class=\"en\">/ New password</span></label>\n"
            "<input type=\"password\" id=\"new_password\" name=\"new_password\" autocomplete=\"new-password\" required>\n"
            "<label for=\"new_password2\">Ещё раз <span class=\"en\">/ Again</span></label>\n"
            "<input type=\"password\" id=\"new_password2\" name=\"new_password2\" autocomplete=\"new-password\" "
            "required>\n" +
                button("Сменить пароль", "Change password")) +
       "</section>\n";

  s += "<section id=\"factors\"><h2>Второй фактор <span class=\"en\">/ Second factor</span></h2>\n<table>\n";
  auto factorRow = [&](const std::string& ru, const std::string& en, bool on, const std::string& kind, bool possible) {
    s += "<tr><th>" + e(ru) + " <span class=\"en\">/ " + e(en) + "</span></th><td>";
    if (on)
      s += "подключён / on " + form("/account", p.csrf, {{"action", "factor-remove"}, {"kind", kind}},
                                    "<label for=\"pw-" + kind + "\">Пароль для подтверждения <span class=\"en\">/ "
                                    "Password to confirm</span></label>\n<input type=\"password\" id=\"pw-" + kind +
                                        "\" name=\"current_password\" autocomplete=\"current-password\" required>\n" +
                                        button("Отключить", "Remove"));
    else if (possible)
      s += form("/account", p.csrf, {{"action", kind == "totp" ? "totp-begin" : "contact-begin"}, {"kind", kind}},
                button("Подключить", "Set up"));
    else
      s += "недоступно / not available";
    s += "</td></tr>\n";
  };
  factorRow("Приложение-аутентификатор", "Authenticator app (TOTP)", p.totp, "totp", true);
  factorRow("Код по почте", "Code by e-mail", p.emailFactor, "email", p.emailFactorPossible);
  factorRow("Код в SMS", "Code by SMS", p.smsFactor, "sms", p.smsFactorPossible);
  s += "</table>\n";
  if (p.totp || p.emailFactor || p.smsFactor)
    s += "<p>Резервных кодов осталось: " + std::to_string(p.recoveryLeft) + " <span class=\"en\">/ Recovery codes left: " +
         std::to_string(p.recoveryLeft) + "</span></p>\n" +
         form("/account", p.csrf, {{"action", "recovery-new"}}, button("Новые резервные коды", "New recovery codes"));
  s += "</section>\n";

  s += "<section id=\"sessions\"><h2>Активные сеансы <span class=\"en\">/ Active sessions</span></h2>\n<table>\n"
       "<tr><th>Начат / Started</th><th>Адрес, браузер / Address, browser</th><th>Сервисы / Services</th><th></th></tr>\n";
  for (auto& l : p.sessions) {
    std::string services;
    for (auto& sv : l.services) services += (services.empty() ? "" : "<br>") + e(sv);
    s += "<tr><td>" + e(when(l.createdAt)) + "</td><td>" + e(l.remote) + "<br>" + e(l.userAgent) + "</td><td>" +
         (services.empty() ? "—" : services) + "</td><td>" +
         (l.current ? std::string("этот сеанс / this session")
                    : form("/account", p.csrf, {{"action", "session-end"}, {"session", l.handle}},
                           button("Завершить", "End"))) +
         "</td></tr>\n";
  }
  s += "</table></section>\n";

  s += "<section id=\"history\"><h2>История входов <span class=\"en\">/ Sign-in history</span></h2>\n<table>\n"
       "<tr><th>Время / Time</th><th>Адрес, браузер / Address, browser</th><th>Сервис / Service</th>"
       "<th>Способ / Factors</th><th>Итог / Result</th></tr>\n";
  for (auto& h : p.history)
    s += "<tr><td>" + e(when(h.at)) + "</td><td>" + e(h.ip) + "<br>" + e(h.userAgent) + "</td><td>" +
         (h.service.empty() ? std::string("личный кабинет / account") : e(h.service)) + "</td><td>" + e(h.factors) +
         "</td><td>" + e(resultRu(h.result)) + "</td></tr>\n";
  s += "</table></section>\n";
  s += "<p><a href=\"/logout\">Выйти <span class=\"en\">/ Sign out</span></a></p>\n";
  return s + "</body></html>\n";
}

std::string renderTotpEnrol(const std::string& csrf, const std::string& qrSvg, const std::string& uri,
                            const std::string& secret, const std::optional<Notice>& n, const std::string& nonce) {
  std::string s = pageHead("Приложение-аутентификатор / Authenticator app", nonce);
  s += "<h1>Приложение-аутентификатор <span class=\"en\">/ Authenticator app</span></h1>\n" + notice(n) +
       "<p>Отсканируйте код в приложении (Google Authenticator, FreeOTP, Яндекс Ключ…) или введите ключ вручную, "
       "затем введите шестизначный код из приложения.</p>\n<p class=\"en\">Scan the code with your app, or type the "
       "key in by hand, then enter the six-digit code the app shows.</p>\n" +
       qrSvg + "\n<p>Ключ <span class=\"en\">/ Key</span>: <code id=\"totp-secret\">" + e(secret) + "</code></p>\n" +
       "<p><a id=\"totp-uri\" href=\"" + e(uri) + "\">" + e(uri) + "</a></p>\n" +
       form("/account", csrf, {{"action", "totp-confirm"}},
            codeInput("code", "Код из приложения", "Code from the app") + button("Подключить", "Set up")) +
       "<p><a href=\"/account\">Отмена / Cancel</a></p>\n</body></html>\n";
  return s;
}

std::string renderContactConfirm(const std::string& csrf, const std::string& kind, const std::string& codeId,
                                 const std::string& maskedTo, const std::optional<Notice>& n,
                                 const std::string& nonce) {
  std::string s = pageHead("Подтверждение / Confirmation", nonce);
  s += "<h1>Подтверждение <span class=\"en\">/ Confirmation</span></h1>\n" + notice(n) + "<p>Код отправлен на " +
       e(maskedTo) + ". <span class=\"en\">A code was sent to " + e(maskedTo) + ".</span></p>\n" +
       form("/account", csrf, {{"action", "contact-confirm"}, {"kind", kind}, {"code_id", codeId}},
            codeInput("code", "Код", "Code") + button("Подтвердить", "Confirm")) +
       "<p><a href=\"/account\">Отмена / Cancel</a></p>\n</body></html>\n";
  return s;
}

std::string renderRecoveryCodes(const std::vector<std::string>& codes, const std::string& nonce) {
  std::string s = pageHead("Резервные коды / Recovery codes", nonce);
  s += "<h1>Резервные коды <span class=\"en\">/ Recovery codes</span></h1>\n"
       "<p class=\"ok\" role=\"status\">Второй фактор подключён. Сохраните эти коды: каждый можно использовать один "
       "раз, если телефона не будет под рукой. Больше они показаны не будут.<br><span class=\"en\">Keep these codes: "
       "each works once when your second factor is not at hand. They will not be shown again.</span></p>\n"
       "<ul id=\"recovery-codes\">\n";
  for (auto& c : codes) s += "<li><code>" + e(c) + "</code></li>\n";
  return s + "</ul>\n<p><a href=\"/account\">В личный кабинет / Back to your account</a></p>\n</body></html>\n";
}

}  // namespace propusk::web
