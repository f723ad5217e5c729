#include "idp/web/pages.h"

#include "idp/web/respond.h"

#include "idp/core/base64.h"

namespace propusk::web {

std::string pageHead(const std::string& title, const std::string& styleNonce) {
  std::string h = "<!DOCTYPE html>\n<html lang=\"ru\"><head><meta charset=\"utf-8\">"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>" +
                  htmlEscape(title) + "</title>";
  if (!styleNonce.empty())
    h += "<style nonce=\"" + styleNonce +
         "\">body{font-family:sans-serif;max-width:40em;margin:3em auto;padding:0 1em;color:#222}"
         "label{display:block;margin-top:1em}input[type=text],input[type=password]{width:100%;padding:.5em;"
         "box-sizing:border-box}button{margin-top:1.5em;padding:.6em 1.5em}.err{color:#a00;border:1px solid #a00;"
         "padding:.5em}.en{color:#666}.ok{color:#060;border:1px solid #060;padding:.5em}table{border-collapse:collapse;"
         "width:100%}td,th{border-bottom:1px solid #ddd;padding:.3em;text-align:left;vertical-align:top;font-size:.9em}"
         "section{margin-top:2em}code{font-size:1.1em}</style>";
  return h + "</head><body>\n";
}

namespace {
std::string head(const std::string& title, const std::string& styleNonce = "") { return pageHead(title, styleNonce); }

// A hidden field: its value is `value` escaped, or (Base64Of) the base64 of `value`, whose
// alphabet needs no escaping.
enum class Hidden { Text, Base64Of };
void appendHidden(std::string& out, std::string_view name, std::string_view value, Hidden kind = Hidden::Text) {
  out += "<input type=\"hidden\" name=\"";
  appendHtmlEscaped(out, name);
  out += "\" value=\"";
  if (kind == Hidden::Base64Of)
    appendBase64(out, value);
  else
    appendHtmlEscaped(out, value);
  out += "\">\n";
}
}  // namespace

std::string hiddenField(const std::string& name, const std::string& value) {
  std::string out;
  appendHidden(out, name, value);
  return out;
}

namespace {
std::string hidden(const std::string& name, const std::string& value) { return hiddenField(name, value); }
}  // namespace

std::string renderLoginPage(const LoginPage& p, const std::string& styleNonce) {
  std::string s = head("Вход / Sign in", styleNonce);
  s += "<h1>Вход <span class=\"en\">/ Sign in</span></h1>\n";
  if (!p.serviceName.empty())
    s += "<p>Сервис <span class=\"en\">/ Service</span>: <b>" + htmlEscape(p.serviceName) + "</b></p>\n";
  if (p.errorRu) s += "<p class=\"err\" role=\"alert\">" + htmlEscape(*p.errorRu) + "<br><span class=\"en\">" + htmlEscape(p.errorEn.value_or("")) + "</span></p>\n";
  if (p.localLogin)
    s += "<form method=\"post\" action=\"/login\">\n" + hidden("flow", p.flow) + hidden("csrf", p.csrf) +
         "<label for=\"username\">Логин <span class=\"en\">/ Login</span></label>\n"
         "<input type=\"text\" id=\"username\" name=\"username\" autocomplete=\"username\" required autofocus value=\"" +
         htmlEscape(p.username) +
         "\">\n<label for=\"password\">Пароль <span class=\"en\">/ Password</span></label>\n"
         "<input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\" required>\n"
         "<button type=\"submit\">Войти / Sign in</button>\n</form>\n";
  if (!p.upstreams.empty()) {
    s += p.localLogin ? "<p>Или <span class=\"en\">/ Or</span>:</p>\n" : "";
    for (auto& [name, display] : p.upstreams)
      s += "<form method=\"post\" action=\"/login/upstream\">\n" + hidden("flow", p.flow) + hidden("csrf", p.csrf) +
           hidden("upstream", name) + "<button type=\"submit\">Войти через " + htmlEscape(display) +
           " / Log in with " + htmlEscape(display) + "</button>\n</form>\n";
  }
  s += "</body></html>\n";
  return s;
}

std::string renderAutoPost(const std::string& action, const std::string& field, std::string_view samlMessage,
                           const std::optional<std::string>& relayState, const std::string& scriptNonce) {
  std::string s = head("Возврат в сервис / Returning to the service");
  s.reserve(s.size() + samlMessage.size() / 3 * 4 + 1024);  // one allocation for the ~13 KB of base64
  s += "<form method=\"post\" action=\"";
  appendHtmlEscaped(s, action);
  s += "\">\n";
  appendHidden(s, field, samlMessage, Hidden::Base64Of);
  if (relayState) appendHidden(s, "RelayState", *relayState);
  s += "<noscript><p>Нажмите кнопку, чтобы вернуться в сервис. / Press the button to return to the service.</p>"
       "<button type=\"submit\">Продолжить / Continue</button></noscript>\n</form>\n"
       "<script nonce=\"" + scriptNonce + "\">document.forms[0].submit();</script>\n</body></html>\n";
  return s;
}

std::string renderStatusTooLow(const std::string& have, const std::string& need, const std::string& action,
                               std::string_view samlMessage, const std::optional<std::string>& relayState) {
  std::string s = head("Недостаточный уровень учётной записи / Account level too low");
  s += "<h1>Недостаточный уровень учётной записи</h1>\n<p>Сервису нужна учётная запись уровня «" + htmlEscape(need) +
       "», у вас — «" + htmlEscape(have) +
       "». Чтобы повысить уровень, подтвердите СНИЛС и паспортные данные (стандартная) или личность — "
       "в центре обслуживания, квалифицированной электронной подписью или через банк (подтверждённая).</p>\n"
       "<h1 lang=\"en\">Account level too low</h1>\n<p lang=\"en\">This service requires a <b>" + htmlEscape(need) +
       "</b> account; yours is <b>" + htmlEscape(have) +
       "</b>. To raise it, have your SNILS and passport checked (standard), or prove your identity in person, with a "
       "qualified e-signature or through a bank (confirmed).</p>\n"
       "<form method=\"post\" action=\"" + htmlEscape(action) + "\">\n";
  appendHidden(s, "SAMLResponse", samlMessage, Hidden::Base64Of);
  if (relayState) s += hidden("RelayState", *relayState);
  s += "<button type=\"submit\">Вернуться в сервис / Return to the service</button>\n</form>\n</body></html>\n";
  return s;
}

std::string renderLogoutConfirm(const std::string& csrf, const std::string& styleNonce) {
  return head("Выход / Sign out", styleNonce) +
         "<h1>Выход <span class=\"en\">/ Sign out</span></h1>\n"
         "<p>Выйти из учётной записи и из всех сервисов, в которые вы вошли через неё?<br>"
         "<span class=\"en\">Sign out of your account and of every service you signed in to with it?</span></p>\n"
         "<form method=\"post\" action=\"/logout\">\n" +
         hidden("csrf", csrf) + "<button type=\"submit\">Выйти / Sign out</button>\n</form>\n</body></html>\n";
}

std::string renderLogoutWaiting(const std::string& service, const std::string& csrf, const std::string& styleNonce) {
  return head("Выход / Sign out", styleNonce) +
         "<h1>Выход не завершён <span class=\"en\">/ Sign-out not finished</span></h1>\n"
         "<p>Сервис <b>" + htmlEscape(service) + "</b> не подтвердил выход. Продолжить без него?<br>"
         "<span class=\"en\">The service did not confirm the sign-out. Go on without it?</span></p>\n"
         "<form method=\"post\" action=\"/logout\">\n" + hidden("csrf", csrf) + hidden("continue", "1") +
         "<button type=\"submit\">Продолжить / Continue</button>\n</form>\n</body></html>\n";
}

std::string renderLoggedOut(const std::vector<LogoutResultLine>& lines, const std::string& styleNonce) {
  bool all = true;
  for (auto& l : lines) all = all && l.reached;
  std::string s = head("Вы вышли / Signed out", styleNonce);
  s += "<h1>Вы вышли <span class=\"en\">/ You are signed out</span></h1>\n";
  if (!all)
    s += "<p class=\"err\">Не все сервисы подтвердили выход: закройте браузер, чтобы завершить их сеансы.<br>"
         "<span class=\"en\">Not every service confirmed the sign-out: close the browser to end their sessions.</span></p>\n";
  if (!lines.empty()) {
    s += "<ul>\n";
    for (auto& l : lines)
      s += "<li>" + htmlEscape(l.service) + " — " +
           (l.reached ? "выход выполнен <span class=\"en\">/ signed out</span>"
                      : "<b>не подтвердил выход</b> <span class=\"en\">/ did not confirm</span>") +
           "</li>\n";
    s += "</ul>\n";
  }
  return s + "</body></html>\n";
}

std::string renderMessagePage(const std::string& titleRu, const std::string& titleEn, const std::string& textRu,
                              const std::string& textEn) {
  return head(titleRu + " / " + titleEn) + "<h1>" + htmlEscape(titleRu) + "</h1>\n<p>" + htmlEscape(textRu) +
         "</p>\n<h1 lang=\"en\">" + htmlEscape(titleEn) + "</h1>\n<p lang=\"en\">" + htmlEscape(textEn) +
         "</p>\n</body></html>\n";
}

}  // namespace propusk::web
