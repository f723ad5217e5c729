// sso/login_steps: each after-login step, a pass and its refusals (status, page), and the order.
#include "idp/sso/login_steps.h"

#include <catch2/catch.hpp>

#include "idp/saml/validation/request_context.h"

using namespace propusk;
using policy::Factor;

namespace {

const std::string kPpt(policy::kAcPasswordProtectedTransport), kTst(policy::kAcTimeSyncToken),
    kMfa(policy::kAcRefedsMfa);

struct Fixture {
  store::User user;
  store::Session session;
  sso::PendingRequest pending;
  saml::RegisteredSp sp;
  sso::LoginContext ctx;

  Fixture() {
    user.login = "ivanov";
    user.status = policy::AccountStatus::Standard;
    user.email = "ivanov@example.ru";
    user.emailConfirmed = true;
    session.factors = "password";
    pending.spEntityId = "https://sp.example.org";
    pending.nameIdFormat = std::string(saml::kNameIdPersistent);
    ctx.user = &user;
    ctx.session = &session;
    ctx.pending = &pending;
    ctx.sp = &sp;
    ctx.remote = "192.0.2.10";
    ctx.status = user.status;
  }
  auto run() { return sso::runLoginSteps(ctx); }
};

}  // namespace

TEST_CASE("a password login with nothing more asked passes, stating PasswordProtectedTransport", "[sso][steps]") {
  Fixture f;
  REQUIRE(f.run());
  CHECK(f.ctx.authnContextClassRef == kPpt);
}

TEST_CASE("account-locked: an administrator's lock refuses first", "[sso][steps]") {
  Fixture f;
  f.user.locked = true;
  f.sp.minStatus = policy::AccountStatus::Confirmed;  // later steps would refuse too
  auto r = f.run();
  REQUIRE_FALSE(r);
  CHECK(r.error().step == "account-locked");
  CHECK(r.error().page == sso::LoginPage::Locked);
}

TEST_CASE("ip-allowed: the SP's ranges", "[sso][steps]") {
  Fixture f;
  f.sp.allowIp = *parseCidrList("10.0.0.0/8");
  auto r = f.run();
  REQUIRE_FALSE(r);
  CHECK(r.error().step == "ip-allowed");
  CHECK(r.error().page == sso::LoginPage::AddressRefused);
  CHECK(r.error().error.second == status::kRequestDenied);
  f.ctx.remote = "10.1.2.3";
  CHECK(f.run());
  f.ctx.sp = nullptr;  // the IdP's own pages: no SP ranges
  f.ctx.remote = "192.0.2.10";
  CHECK(f.run());
}

TEST_CASE("account-status: below the SP's minimum, the upstream's cap counts", "[sso][steps]") {
  Fixture f;
  f.sp.minStatus = policy::AccountStatus::Confirmed;
  auto r = f.run();
  REQUIRE_FALSE(r);
  CHECK(r.error().step == "account-status");
  CHECK(r.error().page == sso::LoginPage::StatusTooLow);
  CHECK(r.error().error.second == status::kRequestDenied);
  f.user.status = policy::AccountStatus::Confirmed;
  f.ctx.status = policy::AccountStatus::Standard;  // an upstream vouching for standard only
  CHECK_FALSE(f.run());
  f.ctx.status = policy::AccountStatus::Confirmed;
  CHECK(f.run());
}

TEST_CASE("second-factor: an enrolled account needs one, and the choices are what it has", "[sso][steps]") {
  Fixture f;
  f.ctx.factors.anyEnrolled = f.ctx.factors.totp = f.ctx.factors.recovery = true;
  auto r = f.run();
  REQUIRE_FALSE(r);
  CHECK(r.error().step == "second-factor");
  CHECK(r.error().page == sso::LoginPage::SecondFactor);
  CHECK(f.ctx.secondFactorChoices == std::vector<Factor>{Factor::Totp, Factor::Recovery});
  f.session.factors = "password,totp";
  REQUIRE(f.run());
  CHECK(f.ctx.authnContextClassRef == kMfa);
  // The account page (no SP) asks for it as well.
  f.session.factors = "password";
  f.ctx.sp = nullptr;
  CHECK_FALSE(f.run());
}

TEST_CASE("second-factor: --require-mfa and the request's context decide which factors do", "[sso][steps]") {
  Fixture f;
  f.sp.requireMfa = true;
  auto none = f.run();
  REQUIRE_FALSE(none);
  CHECK(none.error().page == sso::LoginPage::EnrolFactor);  // nothing enrolled to offer
  CHECK(none.error().error.second == status::kNoAuthnContext);
  f.ctx.factors.anyEnrolled = f.ctx.factors.email = f.ctx.factors.totp = true;
  CHECK_FALSE(f.run());
  CHECK(f.ctx.secondFactorChoices == std::vector<Factor>{Factor::Totp, Factor::Email});
  // Exactly TimeSyncToken: an e-mail code would not make it true, so only TOTP is offered.
  f.pending.requestedComparison = "exact";
  f.pending.requestedClassRefs = {kTst};
  CHECK_FALSE(f.run());
  CHECK(f.ctx.secondFactorChoices == std::vector<Factor>{Factor::Totp});
  f.session.factors = "password,email";  // the session has a second factor, but not that one
  CHECK_FALSE(f.run());
  CHECK(f.ctx.secondFactorChoices == std::vector<Factor>{Factor::Totp});
  f.session.factors = "password,totp";
  REQUIRE(f.run());
  CHECK(f.ctx.authnContextClassRef == kTst);
  // An account with only an e-mail factor asked for TimeSyncToken: the enrol page.
  f.ctx.factors.totp = false;
  f.session.factors = "password";
  auto enrol = f.run();
  REQUIRE_FALSE(enrol);
  CHECK(enrol.error().page == sso::LoginPage::EnrolFactor);
}

TEST_CASE("second-factor: an upstream that did MFA itself is enough; one that did not is not", "[sso][steps]") {
  Fixture f;
  f.session.upstream = "bank";
  f.session.factors = "upstream";
  f.sp.requireMfa = true;
  f.ctx.upstreamClass = kPpt;
  auto r = f.run();
  REQUIRE_FALSE(r);
  CHECK(r.error().page == sso::LoginPage::EnrolFactor);
  f.ctx.upstreamClass = kMfa;
  REQUIRE(f.run());
  CHECK(f.ctx.authnContextClassRef == kMfa);
  // With a local TOTP added to a password-level upstream session: REFEDS MFA, stated as such.
  f.ctx.upstreamClass = kPpt;
  f.session.factors = "upstream,totp";
  REQUIRE(f.run());
  CHECK(f.ctx.authnContextClassRef == kMfa);
}

TEST_CASE("name-id: emailAddress needs a confirmed e-mail", "[sso][steps]") {
  Fixture f;
  f.pending.nameIdFormat = std::string(saml::kNameIdEmail);
  CHECK(f.run());
  f.user.emailConfirmed = false;
  auto r = f.run();
  REQUIRE_FALSE(r);
  CHECK(r.error().step == "name-id");
  CHECK(r.error().page == sso::LoginPage::SamlError);
  CHECK(r.error().error.second == status::kInvalidNameIDPolicy);
}

TEST_CASE("authn-context: nothing the session proved satisfies the request", "[sso][steps]") {
  Fixture f;
  f.session.factors = "password,totp";
  f.pending.requestedComparison = "exact";
  f.pending.requestedClassRefs = {"urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard"};
  auto r = f.run();
  REQUIRE_FALSE(r);
  CHECK(r.error().step == "authn-context");
  CHECK(r.error().error.second == status::kNoAuthnContext);
  // An old session row without factors: a password (local) or the upstream (gateway).
  store::Session legacy;
  CHECK(sso::sessionFactors(legacy) == policy::Factors{Factor::Password});
  legacy.upstream = "bank";
  CHECK(sso::sessionFactors(legacy) == policy::Factors{Factor::Upstream});
}
