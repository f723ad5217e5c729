#include "idp/saml/validation/steps.h"

namespace propusk::saml {

namespace {
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
    return requestDenied("both AssertionConsumerServiceURL and AssertionConsumerServiceIndex given");
  if (req.protocolBinding && *req.protocolBinding != kBindingPost)
    return fail(StatusCode::Requester, status::kUnsupportedBinding,
                "ProtocolBinding " + *req.protocolBinding + " not supported (HTTP-POST only)");
  const Endpoint* chosen = nullptr;
  if (req.assertionConsumerServiceUrl) {
    for (auto& e : eps)
      if (e.location == *req.assertionConsumerServiceUrl && supported(e)) chosen = &e;
    if (!chosen)
      return requestDenied("AssertionConsumerServiceURL '" + *req.assertionConsumerServiceUrl +
                           "' is not an HTTP-POST ACS in the SP's metadata");
  } else if (req.assertionConsumerServiceIndex) {
    for (auto& e : eps)
      if (e.index == *req.assertionConsumerServiceIndex) chosen = &e;
    if (!chosen) return requestDenied("no ACS with index " + std::to_string(*req.assertionConsumerServiceIndex));
    if (!supported(*chosen))
      return fail(StatusCode::Requester, status::kUnsupportedBinding, "ACS index uses binding " + chosen->binding);
  } else {
    chosen = defaultEndpoint(eps);
    if (!chosen) return requestDenied("the SP's metadata has no HTTP-POST ACS");
  }
  ctx.acs = *chosen;
  return {};
}

}  // namespace propusk::saml
