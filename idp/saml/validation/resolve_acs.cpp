#include "idp/saml/validation/steps.h"

namespace propusk::saml {

namespace {
constexpr std::string_view kAcsRemedy =
    "the SP asks for an AssertionConsumerService its registered metadata does not list: register its current "
    "metadata (`propuskctl sp add FILE --replace`)";
constexpr std::string_view kPostRemedy =
    "configure the SP to receive Responses over HTTP-POST (the only binding this IdP sends them with)";

bool supported(const Endpoint& e) { return e.binding == kBindingPost; }

// metadata §2.2.3: the default is the first with isDefault="true", else the first without
// isDefault="false", else the first.
const Endpoint* defaultEndpoint(const std::vector<Endpoint>& eps) {
  const Endpoint* firstUnmarked = nullptr;
  const Endpoint* first = nullptr;
  for (auto& e : eps) {
    if (!supported(e)) continue;
    if (e.isDefault == true) return &e;
    if (!first) first = &e;
    if (!e.isDefault && !firstUnmarked) firstUnmarked = &e;
  }
  return firstUnmarked ? firstUnmarked : first;
}
}  // namespace

const Endpoint* defaultPostAcs(const SpMetadata& md) { return defaultEndpoint(md.assertionConsumerServices); }

// profiles §4.1.4.1: the ACS comes from metadata only — by exact URL, by index, or the
// default. A URL that metadata does not list is refused: an assertion is never sent to it.
Status resolveAcs(const AuthnRequest& req, RequestContext& ctx) {
  const auto& eps = ctx.sp->metadata.assertionConsumerServices;
  if (req.assertionConsumerServiceUrl && req.assertionConsumerServiceIndex)
    return withRemedy(requestDenied("both AssertionConsumerServiceURL and AssertionConsumerServiceIndex given"),
                      "configure the SP to name its ACS by URL or by index, not both (core §3.4.1)");
  if (req.protocolBinding && *req.protocolBinding != kBindingPost)
    return withRemedy(fail(StatusCode::Requester, status::kUnsupportedBinding,
                           "ProtocolBinding " + *req.protocolBinding + " not supported (HTTP-POST only)"),
                      std::string(kPostRemedy));
  const Endpoint* chosen = nullptr;
  if (req.assertionConsumerServiceUrl) {
    for (auto& e : eps)
      if (e.location == *req.assertionConsumerServiceUrl && supported(e)) chosen = &e;
    if (!chosen)
      return withRemedy(requestDenied("AssertionConsumerServiceURL '" + *req.assertionConsumerServiceUrl +
                                      "' is not an HTTP-POST ACS in the SP's metadata"),
                        std::string(kAcsRemedy));
  } else if (req.assertionConsumerServiceIndex) {
    for (auto& e : eps)
      if (e.index == *req.assertionConsumerServiceIndex) chosen = &e;
    if (!chosen)
      return withRemedy(requestDenied("no ACS with index " + std::to_string(*req.assertionConsumerServiceIndex)),
                        std::string(kAcsRemedy));
    if (!supported(*chosen))
      return withRemedy(
          fail(StatusCode::Requester, status::kUnsupportedBinding, "ACS index uses binding " + chosen->binding),
          std::string(kPostRemedy));
  } else {
    chosen = defaultEndpoint(eps);
    if (!chosen)
      return withRemedy(requestDenied("the SP's metadata has no HTTP-POST ACS"),
                        "register metadata with an HTTP-POST AssertionConsumerService for the SP");
  }
  ctx.acs = *chosen;
  return {};
}

}  // namespace propusk::saml
