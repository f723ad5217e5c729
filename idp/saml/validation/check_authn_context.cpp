#include "idp/saml/validation/steps.h"

#include <algorithm>

namespace propusk::saml {

namespace {
// What this IdP can assert, weakest first (a password over TLS today; second factors will
// add stronger classes). Unknown classes have no rank.
constexpr std::string_view kRanked[] = {kAcPassword, kAcPasswordProtectedTransport};
constexpr int kOffered = 1;  // index in kRanked of the strongest class we can do

int rank(std::string_view ref) {
  auto it = std::find(std::begin(kRanked), std::end(kRanked), ref);
  return it == std::end(kRanked) ? -1 : static_cast<int>(it - std::begin(kRanked));
}
}  // namespace

// core §3.3.2.2.1: exact — one of the classes; minimum — at least as strong as one;
// better — stronger than all(one) of them; maximum — no stronger than one. We pick the
// strongest class we can offer that satisfies the comparison.
Status checkAuthnContext(const AuthnRequest& req, RequestContext& ctx) {
  ctx.authnContextClassRef = std::string(kAcPasswordProtectedTransport);
  if (!req.requestedAuthnContext || req.requestedAuthnContext->classRefs.empty()) return {};
  const auto& rac = *req.requestedAuthnContext;
  for (int offer = kOffered; offer >= 0; --offer) {
    for (const auto& ref : rac.classRefs) {
      int r = rank(ref);
      if (r < 0) continue;
      bool ok = false;
      switch (rac.comparison) {
        case AuthnContextComparison::Exact: ok = offer == r; break;
        case AuthnContextComparison::Minimum: ok = offer >= r; break;
        case AuthnContextComparison::Better: ok = offer > r; break;
        case AuthnContextComparison::Maximum: ok = offer <= r; break;
      }
      if (ok) {
        ctx.authnContextClassRef = std::string(kRanked[offer]);
        return {};
      }
    }
  }
  return withRemedy(
      fail(StatusCode::Responder, status::kNoAuthnContext, "no authentication context satisfies the request"),
      "the SP's RequestedAuthnContext asks for what this IdP does not offer (PasswordProtectedTransport): change "
      "it at the SP");
}

}  // namespace propusk::saml
