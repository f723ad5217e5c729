#include "idp/sso/login_steps.h"

#include "idp/saml/validation/request_context.h"

namespace propusk::sso {

namespace {

// Which page a step's refusal leads to; the step table names the step.
LoginPage pageOf(std::string_view step, const Error& e) {
  if (step == "account-locked") return LoginPage::Locked;
  if (step == "ip-allowed") return LoginPage::AddressRefused;
  if (step == "account-status") return LoginPage::StatusTooLow;
  if (step == "second-factor") return e.second == status::kNoAuthnContext ? LoginPage::EnrolFactor : LoginPage::SecondFactor;
  return LoginPage::SamlError;
}

// Whether `f` meets every rule of this login: the account's (a confirmed factor means a second
// factor always), the SP's --require-mfa, and a class for the SP's RequestedAuthnContext.
bool enough(const LoginContext& ctx, const policy::Factors& f) {
  const bool needSecond = ctx.factors.anyEnrolled || (ctx.sp && ctx.sp->requireMfa);
  // An upstream that reports a token or multi-factor class did the second factor itself.
  const bool upstreamDidSecond =
      f.has(policy::Factor::Upstream) && policy::authnContextRank(ctx.upstreamClass) >= 2;
  if (needSecond && !f.hasSecondFactor() && !upstreamDidSecond) return false;
  if (ctx.sp && !policy::chooseClass(f, ctx.pending->requested(), ctx.upstreamClass)) return false;
  return true;
}

}  // namespace

policy::Factors sessionFactors(const store::Session& s) {
  auto f = policy::Factors::decode(s.factors);
  if (f.empty()) f.add(s.upstream.empty() ? policy::Factor::Password : policy::Factor::Upstream);
  return f;
}

Status checkAccountUsable(LoginContext& ctx) {
  if (ctx.user->locked) return requestDenied("account " + ctx.user->login + " is locked by an administrator");
  return {};
}

Status checkAddressAllowed(LoginContext& ctx) {
  if (!ctx.sp || anyContains(ctx.sp->allowIp, ctx.remote)) return {};
  return withRemedy(requestDenied("client address " + ctx.remote + " is not in the SP's allowed ranges"),
                    "the person signs in from outside `sp set --allow-ip`: widen the list if this address is theirs");
}

Status checkAccountStatus(LoginContext& ctx) {
  if (!ctx.sp || ctx.status >= ctx.sp->minStatus) return {};
  return requestDenied("account status " + std::string(policy::accountStatusName(ctx.status)) +
                       " below the SP minimum " + std::string(policy::accountStatusName(ctx.sp->minStatus)));
}

Status checkSecondFactor(LoginContext& ctx) {
  const auto have = sessionFactors(*ctx.session);
  if (enough(ctx, have)) return {};
  using policy::Factor;
  // A request no second factor could satisfy is not this step's to refuse: authn-context says so.
  if (ctx.sp && !policy::chooseClass(have.with(Factor::Totp).with(Factor::Email), ctx.pending->requested(),
                                     ctx.upstreamClass))
    return {};
  const std::pair<Factor, bool> candidates[] = {{Factor::Totp, ctx.factors.totp},
                                                {Factor::Email, ctx.factors.email},
                                                {Factor::Sms, ctx.factors.sms},
                                                {Factor::Recovery, ctx.factors.recovery}};
  ctx.secondFactorChoices.clear();
  for (auto [f, usable] : candidates)
    if (usable && !have.has(f) && enough(ctx, have.with(f))) ctx.secondFactorChoices.push_back(f);
  if (!ctx.secondFactorChoices.empty())
    return fail(StatusCode::Responder, status::kNone, "a second factor is needed (" + have.encode() + " so far)");
  std::string why = ctx.factors.anyEnrolled ? "no enrolled second factor that can be used now meets the request"
                    : ctx.sp && ctx.sp->requireMfa ? "the SP requires a second factor and the account has none"
                                                   : "the RequestedAuthnContext needs a second factor the account has not enrolled";
  return withRemedy(fail(StatusCode::Responder, status::kNoAuthnContext, why),
                    "the person can enrol a second factor on /account (or an administrator with "
                    "`propuskctl user totp enroll`)");
}

Status checkNameId(LoginContext& ctx) {
  if (!ctx.sp || ctx.pending->nameIdFormat != saml::kNameIdEmail) return {};
  if (ctx.user->email && ctx.user->emailConfirmed) return {};
  return fail(StatusCode::Requester, status::kInvalidNameIDPolicy, "account has no confirmed e-mail for an emailAddress NameID");
}

Status chooseAuthnContext(LoginContext& ctx) {
  if (!ctx.sp) return {};
  auto have = sessionFactors(*ctx.session);
  auto chosen = policy::chooseClass(have, ctx.pending->requested(), ctx.upstreamClass);
  if (!chosen)
    return withRemedy(fail(StatusCode::Responder, status::kNoAuthnContext,
                           "what the person proved (" + have.encode() +
                               (ctx.upstreamClass.empty() ? std::string() : " " + ctx.upstreamClass) +
                               ") supports no class the SP's RequestedAuthnContext accepts"),
                      "the SP asks for an authentication context this login did not give");
  ctx.authnContextClassRef = *chosen;
  return {};
}

std::expected<void, LoginStop> runLoginSteps(LoginContext& ctx) {
  for (const LoginStep& s : kLoginSteps)
    if (auto st = s.fn(ctx); !st) return std::unexpected(LoginStop{s.name, pageOf(s.name, st.error()), st.error()});
  return {};
}

}  // namespace propusk::sso
