// policy/authn_context: which classes a login's factors support, and which one an assertion
// states for each comparison (core §3.3.2.2.1).
#include "idp/policy/authn_context.h"

#include <catch2/catch.hpp>

using namespace propusk::policy;

namespace {
const std::string kPw(kAcPassword), kPpt(kAcPasswordProtectedTransport), kTst(kAcTimeSyncToken), kMfa(kAcRefedsMfa);
const std::string kKerberos = "urn:oasis:names:tc:SAML:2.0:ac:classes:Kerberos";

RequestedContext asking(Comparison c, std::vector<std::string> refs) { return {c, std::move(refs)}; }
}  // namespace

TEST_CASE("what each set of factors supports, strongest first", "[policy][authn-context]") {
  CHECK(supportedClasses({Factor::Password}) == std::vector<std::string>{kPpt, kPw});
  CHECK(supportedClasses({Factor::Password, Factor::Totp}) == std::vector<std::string>{kMfa, kTst, kPpt, kPw});
  CHECK(supportedClasses({Factor::Password, Factor::Email}) == std::vector<std::string>{kMfa, kPpt, kPw});
  CHECK(supportedClasses({Factor::Password, Factor::Recovery}) == std::vector<std::string>{kMfa, kPpt, kPw});
  // An upstream: its own class only, and MFA once a factor of ours is added.
  CHECK(supportedClasses({Factor::Upstream}, kKerberos) == std::vector<std::string>{kKerberos});
  CHECK(supportedClasses({Factor::Upstream, Factor::Totp}, kPpt) == std::vector<std::string>{kMfa, kTst, kPpt});
  // A code without a first factor proves nothing of two factors.
  CHECK(supportedClasses({Factor::Totp}) == std::vector<std::string>{kTst});
}

TEST_CASE("the assertion states the strongest supported class the request accepts", "[policy][authn-context]") {
  const Factors pw{Factor::Password};
  const Factors totp{Factor::Password, Factor::Totp};
  const Factors email{Factor::Password, Factor::Email};
  CHECK(chooseClass(pw, {}) == kPpt);
  CHECK(chooseClass(totp, {}) == kMfa);
  CHECK(chooseClass(email, {}) == kMfa);
  CHECK(chooseClass(totp, asking(Comparison::Exact, {kPpt})) == kPpt);  // true, and what was asked
  CHECK(chooseClass(totp, asking(Comparison::Exact, {kTst})) == kTst);
  CHECK_FALSE(chooseClass(email, asking(Comparison::Exact, {kTst})));  // an e-mail code is not a token
  CHECK(chooseClass(email, asking(Comparison::Minimum, {kTst})) == kMfa);
  CHECK_FALSE(chooseClass(pw, asking(Comparison::Minimum, {kMfa})));
  CHECK(chooseClass(totp, asking(Comparison::Minimum, {kMfa})) == kMfa);
  CHECK(chooseClass(totp, asking(Comparison::Better, {kPpt})) == kMfa);
  CHECK_FALSE(chooseClass(pw, asking(Comparison::Better, {kPpt})));
  CHECK(chooseClass(totp, asking(Comparison::Maximum, {kPpt})) == kPpt);
  CHECK(chooseClass(pw, asking(Comparison::Maximum, {kPw})) == kPw);
  CHECK_FALSE(chooseClass(totp, asking(Comparison::Exact, {kKerberos})));
  CHECK(chooseClass({Factor::Upstream}, asking(Comparison::Exact, {kKerberos}), kKerberos) == kKerberos);
  CHECK_FALSE(chooseClass({Factor::Upstream}, asking(Comparison::Minimum, {kPpt}), kKerberos));
}

TEST_CASE("comparisons follow core 3.3.2.2.1", "[policy][authn-context]") {
  CHECK(satisfies(kPpt, {}));
  CHECK(satisfies(kPpt, asking(Comparison::Exact, {kPw, kPpt})));
  CHECK_FALSE(satisfies(kMfa, asking(Comparison::Exact, {kPpt})));
  CHECK(satisfies(kMfa, asking(Comparison::Minimum, {kPpt})));
  CHECK_FALSE(satisfies(kPpt, asking(Comparison::Better, {kPpt})));  // listed is not better than itself
  CHECK(satisfies(kTst, asking(Comparison::Better, {kPpt})));
  CHECK(satisfies(kPw, asking(Comparison::Maximum, {kPpt})));
  CHECK_FALSE(satisfies(kMfa, asking(Comparison::Maximum, {kPpt})));
  CHECK(satisfies(kKerberos, asking(Comparison::Minimum, {kKerberos})));
  CHECK_FALSE(satisfies(kKerberos, asking(Comparison::Minimum, {kPw})));  // unranked: only itself
}

TEST_CASE("factors survive their stored form; unknown names prove nothing", "[policy][authn-context]") {
  Factors f{Factor::Password, Factor::Totp};
  CHECK(f.encode() == "password,totp");
  CHECK(Factors::decode("password,totp") == f);
  CHECK(Factors::decode("totp,password") == f);
  CHECK(Factors::decode("password,fingerprint") == Factors{Factor::Password});
  CHECK(Factors::decode("").empty());
  CHECK(f.hasSecondFactor());
  CHECK_FALSE(Factors{Factor::Password}.hasSecondFactor());
  CHECK_FALSE(Factors{Factor::Upstream}.hasSecondFactor());
}
