// What decides what happens once a person is authenticated and before an assertion (or the
// IdP's own page) is reached: named steps in one order, like the request checks of
// saml/validation/steps.h (docs/account-security.md). Every path to an assertion — a fresh
// password login, a session answering a new request, a login through an upstream IdP, a
// second factor just given — runs this one table; the web handlers only render its answer.
#pragma once

#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "idp/core/clock.h"
#include "idp/core/result.h"
#include "idp/policy/authn_context.h"
#include "idp/saml/sp_directory.h"
#include "idp/sso/pending_request.h"
#include "idp/store/records.h"

namespace propusk::sso {

// The second factors an account can use now: its confirmed factors whose channel works, and
// recovery codes when it has any left.
struct AvailableFactors {
  bool totp = false;
  bool email = false;   // a confirmed e-mail factor and an e-mail channel ([notify])
  bool sms = false;
  bool recovery = false;
  bool anyEnrolled = false;  // a confirmed factor of any kind (even one whose channel is down)
};

struct LoginContext {
  // Inputs
  TimePoint now{};
  const store::User* user = nullptr;
  const store::Session* session = nullptr;
  const PendingRequest* pending = nullptr;
  const saml::RegisteredSp* sp = nullptr;  // nullptr: a login for the IdP's own pages (/account)
  std::string remote;                      // the client address
  AvailableFactors factors;
  policy::AccountStatus status = policy::AccountStatus::Simplified;  // effectiveStatus (upstream cap)
  std::string upstreamClass;  // an upstream session: the class the upstream reported

  // Outputs
  std::vector<policy::Factor> secondFactorChoices;  // second-factor: the factors that would do
  std::string authnContextClassRef;                 // authn-context: what the assertion states
};

// Where a refusing step sends the person. Error: what the SP is told (when it is told), and the
// detail for the audit.
enum class LoginPage {
  Locked,        // error page
  AddressRefused,  // error page (the SP's --allow-ip)
  StatusTooLow,  // the "raise your level" page, then RequestDenied to the SP
  SecondFactor,  // /login/mfa (or NoPassive for IsPassive)
  EnrolFactor,   // "set up a second factor" page, then NoAuthnContext to the SP
  SamlError,     // straight back to the SP with Error (InvalidNameIDPolicy, NoAuthnContext)
};

struct LoginStop {
  std::string_view step;
  LoginPage page;
  Error error;
};

using LoginStepFn = Status (*)(LoginContext&);
struct LoginStep {
  std::string_view name;
  LoginStepFn fn;
};

Status checkAccountUsable(LoginContext&);   // not locked by an administrator
Status checkAddressAllowed(LoginContext&);  // the SP's --allow-ip
Status checkAccountStatus(LoginContext&);   // the SP's --min-status
Status checkSecondFactor(LoginContext&);    // sets secondFactorChoices when it refuses
Status checkNameId(LoginContext&);          // emailAddress needs a confirmed e-mail
Status chooseAuthnContext(LoginContext&);   // sets authnContextClassRef

inline constexpr LoginStep kLoginSteps[] = {
    {"account-locked", checkAccountUsable}, {"ip-allowed", checkAddressAllowed},
    {"account-status", checkAccountStatus}, {"second-factor", checkSecondFactor},
    {"name-id", checkNameId},               {"authn-context", chooseAuthnContext},
};

// Runs kLoginSteps in order; the first refusal is returned with its step and page. Steps that
// concern an SP pass when ctx.sp is null.
std::expected<void, LoginStop> runLoginSteps(LoginContext& ctx);

// What a session has proved: its recorded factors, or, for a session from before they were
// recorded, a password (local) or the upstream's authentication.
policy::Factors sessionFactors(const store::Session& s);

}  // namespace propusk::sso
