#include "idp/cli/samlflow/login_flow.h"

#include "idp/auth/totp.h"

#include <algorithm>
#include <cctype>

#include "idp/cli/samlflow/html_forms.h"
#include "idp/core/base64.h"
#include "idp/core/printable.h"
#include "idp/web/url.h"

namespace propusk::cli::samlflow {

namespace {

constexpr int kMaxPages = 8;  // login form, maybe an intermediate page or two, the auto-POST form

std::string describePage(const Landing& l, const Page* page) {
  std::string s = "HTTP " + std::to_string(l.response.status) + " from " + l.url;
  if (page && !page->title.empty()) s += " (\"" + printable(page->title, 120) + "\")";
  if (page && !page->alertText.empty()) s += ": " + printable(page->alertText, 300);
  return s;
}

// A page whose only form has nothing for a person to fill in: what a JavaScript auto-submit
// (or a noscript "Continue" button) would send on.
const HtmlForm* autoSubmitForm(const Page& page) {
  if (page.forms.size() != 1) return nullptr;
  const HtmlForm& f = page.forms[0];
  for (auto& c : f.controls) {
    if (c.disabled || c.name.empty()) continue;
    bool passive = c.type == "hidden" || c.type == "submit" || c.tag == "button";
    if (!passive) return nullptr;
  }
  return f.controls.empty() ? nullptr : &f;
}

bool isHtml(const web::HttpHeaders& headers) {
  auto ct = web::headerValue(headers, "Content-Type").value_or("text/html");
  std::transform(ct.begin(), ct.end(), ct.begin(), [](unsigned char c) { return std::tolower(c); });
  return ct.find("html") != std::string::npos;
}

}  // namespace

int exitCodeFor(LoginResult r) {
  switch (r) {
    case LoginResult::Success: return kExitOk;
    case LoginResult::Status: return kExitStatus;
    case LoginResult::Verification: return kExitVerify;
    case LoginResult::LoginRefused: return kExitLoginRefused;
    case LoginResult::Error: return kExitError;
  }
  return kExitError;
}

std::string_view loginResultName(LoginResult r) {
  switch (r) {
    case LoginResult::Success: return "success";
    case LoginResult::Status: return "status";
    case LoginResult::Verification: return "verification-failed";
    case LoginResult::LoginRefused: return "login-refused";
    case LoginResult::Error: return "error";
  }
  return "error";
}

std::optional<std::string> charsetOf(const web::HttpHeaders& headers) {
  auto ct = web::headerValue(headers, "Content-Type");
  if (!ct) return std::nullopt;
  std::string lower = *ct;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  auto pos = lower.find("charset=");
  if (pos == std::string::npos) return std::nullopt;
  std::string cs = ct->substr(pos + 8);
  cs = cs.substr(0, cs.find_first_of("; \t"));
  if (cs.size() >= 2 && cs.front() == '"' && cs.back() == '"') cs = cs.substr(1, cs.size() - 2);
  if (cs.empty() || cs.size() > 40) return std::nullopt;
  return cs;
}

std::expected<saml::sp::CheckReport, std::string> checkFormAction(std::string_view action, std::string_view acsUrl) {
  if (action == acsUrl) return saml::sp::CheckReport{"form-action", false, "posts to " + std::string(action)};
  // readPage resolved the action as a browser does (scheme and host lowercased, the default
  // port dropped, dot segments removed: RFC 3986 §6.2.2, §6.2.3); our ACS URL as written in
  // our metadata, which the IdP copies, is compared in the same form.
  if (web::resolveUrl(acsUrl, acsUrl) == action)
    return saml::sp::CheckReport{"form-action", false,
                                 "posts to " + std::string(action) + " (our ACS " + std::string(acsUrl) + ")"};
  return std::unexpected("the IdP posts the Response to \"" + printable(action, 300) + "\", not our ACS \"" +
                         std::string(acsUrl) + "\"");
}

std::expected<saml::sp::CheckReport, std::string> checkRelayState(const std::optional<std::string>& sent,
                                                                  const std::optional<std::string>& returned) {
  // An empty RelayState field carries no state: IdPs that render the POST form themselves
  // post RelayState="" when the request had none (djangosaml2idp; pysaml2 before 4.6), and
  // pysaml2's own form drops an empty one. So empty and absent are the same on both sides;
  // a value we never sent still fails.
  const bool noneSent = !sent || sent->empty();
  const bool noneReturned = !returned || returned->empty();
  if (noneSent && noneReturned) {
    if (sent && returned) return saml::sp::CheckReport{"relay-state", false, "returned unchanged (empty)"};
    std::string note = returned ? "none sent; the IdP posted an empty RelayState, taken as none"
                       : sent   ? "an empty RelayState sent, none returned"
                                : "none sent, none returned";
    return saml::sp::CheckReport{"relay-state", true, std::move(note)};
  }
  if (noneSent)
    return std::unexpected("the IdP returned a RelayState we never sent: \"" + printable(*returned, 200) + "\"");
  if (!returned) return std::unexpected("the IdP returned no RelayState, we sent \"" + printable(*sent, 200) + "\"");
  if (*returned != *sent)
    return std::unexpected("the IdP returned RelayState \"" + printable(*returned, 200) + "\", we sent \"" +
                           printable(*sent, 200) + "\"");
  return saml::sp::CheckReport{"relay-state", false, "returned unchanged"};
}

saml::sp::ResponseExpectations expectationsFor(const IdpSource& idp, const SpIdentity& sp, const SentRequest& request,
                                               std::span<X509* const> certs, TimePoint now, std::chrono::seconds skew,
                                               bool allowSha1) {
  saml::sp::ResponseExpectations e;
  e.idpEntityId = idp.metadata.entityId;
  e.idpCertificates = certs;
  e.spEntityId = sp.metadata.entityId;
  e.acsUrl = request.acsUrl;
  e.requestId = request.id;
  e.now = now;
  e.clockSkew = skew;
  e.allowSha1 = allowSha1;
  return e;
}

LoginOutcome runLogin(const LoginInput& in, const Clock& clock) {
  LoginOutcome out;
  Browser browser(in.http, clock);
  auto finish = [&](LoginResult r, std::string detail) {
    out.result = r;
    out.detail = std::move(detail);
    out.exchanges = browser.exchanges();
    return out;
  };

  Result<Landing> landing = in.request.binding == Binding::Redirect
                                ? browser.go("GET", in.request.url, "", "", "authn-request")
                                : browser.go("POST", in.request.url, encodeFormData(in.request.fields),
                                             "application/x-www-form-urlencoded", "authn-request");
  bool loginSubmitted = false, codeSubmitted = false;
  for (int pageNo = 0;; ++pageNo) {
    if (!landing) return finish(LoginResult::Error, "http: " + httpFailure(landing.error().detail, in.http));
    const Landing& l = *landing;
    if (pageNo >= kMaxPages) return finish(LoginResult::Error, "flow: no SAMLResponse after " + std::to_string(kMaxPages) + " pages, last " + describePage(l, nullptr));
    if (!isHtml(l.response.headers)) {
      if (l.response.status >= 400) return finish(LoginResult::Error, "idp: " + describePage(l, nullptr));
      return finish(LoginResult::Error, "idp: " + describePage(l, nullptr) + " is not an HTML page");
    }
    auto page = readPage(l.response.body, l.url, charsetOf(l.response.headers));
    if (!page) return finish(LoginResult::Error, "html: " + describePage(l, nullptr) + ": " + page.error().detail);

    if (const HtmlForm* f = findFormWith(*page, "SAMLResponse")) {
      out.responseExchange = browser.exchanges().size() - 1;
      out.formAction = f->action;
      out.returnedRelayState = f->value("RelayState");
      auto xml = base64Decode(f->value("SAMLResponse").value_or(""));
      if (!xml) return finish(LoginResult::Error, "response: the SAMLResponse field is not base64: " + xml.error().detail);
      out.responseXml = *xml;
      auto formAction = checkFormAction(f->action, in.request.acsUrl);
      if (!formAction) {
        out.verification.failedStep = "form-action";
        out.verification.failure = formAction.error();
        return finish(LoginResult::Verification, "form-action: " + out.verification.failure);
      }
      auto certs = in.idp->certificates();
      auto expect = expectationsFor(*in.idp, *in.sp, in.request, certs, clock.now(), in.clockSkew, in.allowSha1);
      out.verification = saml::sp::verifyResponse(*xml, expect);
      out.verification.checks.insert(out.verification.checks.begin(), *formAction);
      if (out.verification.statusNotSuccess())
        return finish(LoginResult::Status, "status: " + out.verification.failure);
      if (!out.verification.ok())
        return finish(LoginResult::Verification, std::string(*out.verification.failedStep) + ": " + out.verification.failure);
      auto relayState = checkRelayState(in.request.relayState, out.returnedRelayState);
      if (!relayState) {
        out.verification.failedStep = "relay-state";
        out.verification.failure = relayState.error();
        return finish(LoginResult::Verification, "relay-state: " + out.verification.failure);
      }
      out.verification.checks.push_back(*relayState);
      return finish(LoginResult::Success, "");
    }

    if (auto choice = findLoginForm(*page)) {
      if (loginSubmitted) {
        std::string why = page->alertText.empty() ? std::string("no reason shown") : printable(page->alertText, 300);
        return finish(LoginResult::LoginRefused, "login: the IdP showed its login form again (" + why + ")");
      }
      const HtmlForm& form = page->forms[choice->form];
      if (form.enctype == "multipart/form-data") return finish(LoginResult::Error, "login: multipart login forms are not supported");
      auto fields = fillLoginForm(form, *choice, in.username, in.password);
      std::string body = encodeFormData(fields);
      const std::string& passwordField = form.controls[choice->password].name;
      loginSubmitted = true;
      if (form.method == "GET") {
        // A password in a URL is wrong, but it is what the page asks for; the record masks it.
        return finish(LoginResult::Error, "login: the login form uses GET; samlflow refuses to put a password in a URL");
      }
      landing = browser.go("POST", form.action, body, "application/x-www-form-urlencoded", "login", passwordField);
      continue;
    }
    if (auto otp = loginSubmitted ? findOneTimeCodeForm(*page) : std::nullopt) {
      if (!in.totpKey)
        return finish(LoginResult::Error, "second-factor: the IdP asks for a one-time code; give --totp-secret");
      if (codeSubmitted) {
        std::string why = page->alertText.empty() ? std::string("no reason shown") : printable(page->alertText, 300);
        return finish(LoginResult::LoginRefused, "second-factor: the IdP asked for the one-time code again (" + why + ")");
      }
      const HtmlForm& form = page->forms[otp->form];
      auto fields = formData(form);
      const std::string& codeField = form.controls[otp->code].name;
      for (auto& [name, value] : fields)
        if (name == codeField) value = auth::totp(*in.totpKey, clock.now());
      codeSubmitted = true;
      if (form.method == "GET") return finish(LoginResult::Error, "second-factor: the code form uses GET; not supported");
      landing = browser.go("POST", form.action, encodeFormData(fields), "application/x-www-form-urlencoded",
                           "second-factor", codeField);
      continue;
    }
    if (l.response.status >= 400) return finish(LoginResult::Error, "idp: " + describePage(l, &*page));
    if (const HtmlForm* f = autoSubmitForm(*page)) {
      std::string body = encodeFormData(formData(*f));
      if (f->method == "GET") {
        std::string url = f->action.substr(0, f->action.find('?')) + (body.empty() ? "" : "?" + body);
        landing = browser.go("GET", url, "", "", "auto-submit");
      } else {
        landing = browser.go("POST", f->action, body, "application/x-www-form-urlencoded", "auto-submit");
      }
      continue;
    }
    return finish(LoginResult::Error, "idp: " + describePage(l, &*page) + " has neither a login form nor a SAMLResponse form");
  }
}

}  // namespace propusk::cli::samlflow
