#include "idp/saml/validation/steps.h"

#include <algorithm>

namespace propusk::saml {

namespace {
constexpr std::string_view kSupported[] = {kNameIdPersistent, kNameIdTransient, kNameIdEmail, kNameIdUnspecified};
bool isSupported(std::string_view f) { return std::find(std::begin(kSupported), std::end(kSupported), f) != std::end(kSupported); }
}  // namespace

std::string defaultNameIdFormat(const SpMetadata& md) {
  for (auto& f : md.nameIdFormats)
    if (isSupported(f) && f != kNameIdUnspecified) return f;
  return std::string(kNameIdPersistent);
}

// core §3.4.1.1. Without a requested format (or "unspecified"): the first format the SP's
// metadata lists that we support, else persistent (pairwise, DESIGN.md).
Status checkNameIdPolicy(const AuthnRequest& req, RequestContext& ctx) {
  std::optional<std::string> requested;
  if (req.nameIdPolicy) {
    if (req.nameIdPolicy->spNameQualifier && *req.nameIdPolicy->spNameQualifier != ctx.sp->metadata.entityId)
      return withRemedy(fail(StatusCode::Requester, status::kInvalidNameIDPolicy,
                             "SPNameQualifier names another entity (affiliations unsupported)"),
                        "configure the SP to leave SPNameQualifier out of NameIDPolicy, or to name itself there");
    requested = req.nameIdPolicy->format;
  }
  if (requested && *requested != kNameIdUnspecified) {
    if (!isSupported(*requested))
      return withRemedy(
          fail(StatusCode::Requester, status::kInvalidNameIDPolicy, "NameID format " + *requested + " not supported"),
          "configure the SP to ask for a persistent, transient or emailAddress NameID (or none)");
    ctx.nameIdFormat = *requested;
    return {};
  }
  ctx.nameIdFormat = defaultNameIdFormat(ctx.sp->metadata);
  return {};
}

}  // namespace propusk::saml
