#include "idp/cli/samlflow/html_forms.h"

#include <catch2/catch.hpp>

using namespace propusk::cli::samlflow;

namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

// Propusk's own login page, trimmed (web/pages.cpp).
constexpr char kPropuskLogin[] = R"HTML(<!DOCTYPE html>
<html lang="ru"><head><meta charset="utf-8"><title>Вход / Sign in</title></head><body>
<h1>Вход <span class="en">/ Sign in</span></h1>
<p class="err" role="alert">Неверный логин или пароль.<br><span class="en">Wrong login or password.</span></p>
<form method="post" action="/login">
<input type="hidden" name="flow" value="F1">
<input type="hidden" name="csrf" value="C&amp;1">
<label for="username">Логин</label>
<input type="text" id="username" name="username" autocomplete="username" required autofocus value="">
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">Войти / Sign in</button>
</form></body></html>)HTML";

// Another IdP's page: a search box before the login form, other names and order,
// password first, extra hidden fields, a select, checkboxes, a named submit button.
constexpr char kOtherLogin[] = R"HTML(<html><head><title>Portal</title></head><body>
<form action="https://search.example/q" method="get"><input type="text" name="q"></form>
<table><tr><td>
<form id="f" action="do-login?x=1" method="POST">
  <input type="hidden" name="SAMLRequestState" value="st-42">
  <input name="j_secret" type="PASSWORD">
  <input type="text" name="hint" value="nothing">
  <input type="email" name="j_principal">
  <input type="hidden" name="lt" value="LT-1">
  <select name="domain"><option value="a">A</option><option value="b" selected>B</option></select>
  <input type="checkbox" name="remember" checked>
  <input type="checkbox" name="publicpc">
  <input type="hidden" name="off" value="x" disabled>
  <input type="submit" name="_eventId_proceed" value="Login">
  <input type="submit" name="cancel" value="Cancel">
</form></td></tr></table></body></html>)HTML";

}  // namespace

TEST_CASE("login form: Propusk's page", "[cli][samlflow][html]") {
  auto page = readPage(kPropuskLogin, "https://idp.example:8443/login?flow=F1");
  REQUIRE(page);
  CHECK(page->title == "Вход / Sign in");
  CHECK(page->alertText == "Неверный логин или пароль. Wrong login or password.");
  auto choice = findLoginForm(*page);
  REQUIRE(choice);
  const HtmlForm& form = page->forms[choice->form];
  CHECK(form.action == "https://idp.example:8443/login");
  CHECK(form.method == "POST");
  CHECK(form.controls[choice->username].name == "username");
  CHECK(form.controls[choice->password].name == "password");
  auto fields = fillLoginForm(form, *choice, "ivanov", "p@ss word");
  CHECK(fields == Fields{{"flow", "F1"}, {"csrf", "C&1"}, {"username", "ivanov"}, {"password", "p@ss word"}});
  CHECK(encodeFormData(fields) == "flow=F1&csrf=C%261&username=ivanov&password=p%40ss+word");
  CHECK_FALSE(findFormWith(*page, "SAMLResponse"));
}

TEST_CASE("login form: another IdP's markup, found by type and name", "[cli][samlflow][html]") {
  auto page = readPage(kOtherLogin, "https://idp.other/auth/start");
  REQUIRE(page);
  REQUIRE(page->forms.size() == 2);
  auto choice = findLoginForm(*page);
  REQUIRE(choice);
  CHECK(choice->form == 1);
  const HtmlForm& form = page->forms[1];
  CHECK(form.action == "https://idp.other/auth/do-login?x=1");
  CHECK(form.controls[choice->username].name == "j_principal");  // by name, not by position
  CHECK(form.controls[choice->password].name == "j_secret");
  auto fields = fillLoginForm(form, *choice, "petrov", "pw");
  CHECK(fields == Fields{{"SAMLRequestState", "st-42"},
                         {"j_secret", "pw"},
                         {"hint", "nothing"},
                         {"j_principal", "petrov"},
                         {"lt", "LT-1"},
                         {"domain", "b"},
                         {"remember", "on"},
                         {"_eventId_proceed", "Login"}});
}

TEST_CASE("login form: the first text input when no name says user", "[cli][samlflow][html]") {
  auto page = readPage(R"HTML(<form method=post><input name="a"><input name="b" type="password"></form>)HTML",
                       "http://127.0.0.1:9000/sso");
  REQUIRE(page);
  auto choice = findLoginForm(*page);
  REQUIRE(choice);
  CHECK(page->forms[0].controls[choice->username].name == "a");
  CHECK(page->forms[0].action == "http://127.0.0.1:9000/sso");  // no action: the page itself
}

TEST_CASE("not login forms: password change, no text input, no form", "[cli][samlflow][html]") {
  auto change = readPage(R"HTML(<form><input name="u"><input type="password" name="p1"><input type="password" name="p2"></form>)HTML",
                         "https://x.example/");
  REQUIRE(change);
  CHECK_FALSE(findLoginForm(*change));
  auto noUser = readPage(R"HTML(<form><input type="password" name="pin"></form>)HTML", "https://x.example/");
  REQUIRE(noUser);
  CHECK_FALSE(findLoginForm(*noUser));
  auto none = readPage("<p>Hello</p>", "https://x.example/");
  REQUIRE(none);
  CHECK(none->forms.empty());
}

TEST_CASE("auto-POST form carrying a SAMLResponse", "[cli][samlflow][html]") {
  auto page = readPage(R"HTML(<!DOCTYPE html><html><body onload="document.forms[0].submit()">
<form method="post" action="https://sp.example/saml/acs?a=1&amp;b=2">
<input type="hidden" name="SAMLResponse" value="PHNhbWxwOlJlc3BvbnNlLz4=">
<input type="hidden" name="RelayState" value="/app?x=&quot;1&quot;">
<noscript><button type="submit">Continue</button></noscript></form>
<script>document.forms[0].submit();</script></body></html>)HTML",
                       "https://idp.example/login");
  REQUIRE(page);
  const HtmlForm* f = findFormWith(*page, "SAMLResponse");
  REQUIRE(f);
  CHECK(f->action == "https://sp.example/saml/acs?a=1&b=2");
  CHECK(f->value("SAMLResponse") == "PHNhbWxwOlJlc3BvbnNlLz4=");
  CHECK(f->value("RelayState") == "/app?x=\"1\"");
  CHECK_FALSE(findLoginForm(*page));
  CHECK(formData(*f) == Fields{{"SAMLResponse", "PHNhbWxwOlJlc3BvbnNlLz4="}, {"RelayState", "/app?x=\"1\""}});
}

TEST_CASE("controls outside the form element but tied by form=", "[cli][samlflow][html]") {
  auto page = readPage(R"HTML(<form id="login" action="/in" method="post"></form>
<input form="login" name="user"><input form="login" type="password" name="pass">)HTML",
                       "https://x.example/a/b");
  REQUIRE(page);
  auto choice = findLoginForm(*page);
  REQUIRE(choice);
  CHECK(page->forms[0].action == "https://x.example/in");
}

TEST_CASE("second-factor form: the one-time-code input", "[cli][samlflow][html]") {
  auto page = readPage(R"HTML(<html><body>
<form action="/search"><input type="text" name="q"></form>
<form method="post" action="/mfa"><input type="hidden" name="ticket" value="T">
<input type="text" name="remember_label" value="">
<input type="text" name="c" inputmode="numeric" autocomplete="one-time-code">
<button type="submit">OK</button></form></body></html>)HTML",
                       "https://idp.example/sso");
  REQUIRE(page);
  auto choice = findOneTimeCodeForm(*page);
  REQUIRE(choice);
  CHECK(choice->form == 1);
  CHECK(page->forms[1].controls[choice->code].name == "c");  // autocomplete beats other inputs

  auto byName = readPage(R"HTML(<form method="post" action="/x"><input type="text" name="otp_code"></form>)HTML",
                         "https://idp.example/");
  REQUIRE(byName);
  REQUIRE(findOneTimeCodeForm(*byName));
  CHECK(byName->forms[0].controls[findOneTimeCodeForm(*byName)->code].name == "otp_code");

  // A login form (a real password input) or a form with nothing code-like is not one.
  auto login = readPage(kPropuskLogin, "https://idp.example/login");
  REQUIRE(login);
  CHECK_FALSE(findOneTimeCodeForm(*login));
  auto plain = readPage(R"HTML(<form method="post"><input type="text" name="comment"></form>)HTML", "https://idp.example/");
  REQUIRE(plain);
  CHECK_FALSE(findOneTimeCodeForm(*plain));
}
