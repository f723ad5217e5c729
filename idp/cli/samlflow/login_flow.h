// The SP-initiated Web Browser SSO flow (profiles §4.1) driven without a browser: send the
// AuthnRequest, follow the IdP's redirects, fill its login form, take the SAMLResponse from
// its auto-POST form and verify it as a strict SP.
#pragma once

#include <chrono>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "idp/cli/samlflow/browser.h"
#include "idp/cli/samlflow/idp_source.h"
#include "idp/cli/samlflow/request_builder.h"
#include "idp/cli/samlflow/sp_identity.h"
#include "idp/saml/sp/response_verifier.h"

namespace propusk::cli::samlflow {

enum class LoginResult { Success, Status, Verification, LoginRefused, Error };

int exitCodeFor(LoginResult r);
std::string_view loginResultName(LoginResult r);  // success, status, verification-failed, login-refused, error

struct LoginInput {
  const IdpSource* idp = nullptr;
  const SpIdentity* sp = nullptr;
  SentRequest request;
  std::string username;
  std::string password;
  std::optional<std::string> totpKey;  // raw TOTP secret: answers a one-time-code form
  std::chrono::seconds clockSkew{60};
  bool allowSha1 = false;
  web::HttpClientOptions http;
};

struct LoginOutcome {
  LoginResult result = LoginResult::Error;
  std::string detail;  // the one-line "field: reason" for anything but success
  std::optional<std::string> responseXml;
  std::optional<std::string> returnedRelayState;
  std::optional<std::string> formAction;  // where the IdP's form would post the Response
  saml::sp::ResponseVerification verification;
  std::vector<Exchange> exchanges;
  std::optional<std::size_t> responseExchange;  // the exchange whose page carried the Response
};

LoginOutcome runLogin(const LoginInput& in, const Clock& clock);

// The expectations a strict SP holds for the Response to `request`.
saml::sp::ResponseExpectations expectationsFor(const IdpSource& idp, const SpIdentity& sp, const SentRequest& request,
                                               std::span<X509* const> certs, TimePoint now,
                                               std::chrono::seconds skew, bool allowSha1);

// The checks runLogin makes around the verifier's: "form-action" (the IdP's form posts to
// our ACS) before it, "relay-state" (bindings §3.5.3: the RelayState comes back as sent)
// after it. The failure is the reason, without the check's name.
std::expected<saml::sp::CheckReport, std::string> checkFormAction(std::string_view action, std::string_view acsUrl);
std::expected<saml::sp::CheckReport, std::string> checkRelayState(const std::optional<std::string>& sent,
                                                                  const std::optional<std::string>& returned);

// The charset parameter of a Content-Type header, if any.
std::optional<std::string> charsetOf(const web::HttpHeaders& headers);

}  // namespace propusk::cli::samlflow
