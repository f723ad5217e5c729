#include "idp/saml/messages/idp_metadata.h"

#include <functional>

#include "idp/crypto/keys.h"
#include "idp/crypto/xml_signature.h"
#include "idp/xml/dom.h"
#include "idp/xml/namespaces.h"
#include "idp/xml/parser.h"

namespace propusk::saml {

namespace {

namespace ns = xml::ns;

xmlNode* idpDescriptor(xmlNode* entity) {
  for (xmlNode* d : xml::children(entity, ns::kMd, "IDPSSODescriptor"))
    if (supportsSaml2(xml::attr(d, "protocolSupportEnumeration").value_or(""))) return d;
  return nullptr;
}

// A validUntil we cannot read must not pass as "no expiry".
Status readValidUntil(xmlNode* e, std::optional<TimePoint>& into) {
  auto v = xml::collapsedAttr(e, "validUntil");
  if (!v) return {};
  auto t = parseXsDateTime(*v);
  if (!t) return invalid("validUntil '" + *v + "' is not a time samlflow can read");
  if (!into || *t < *into) into = t;
  return {};
}

Result<std::vector<Endpoint>> readEndpoints(xmlNode* role, const char* name) {
  std::vector<Endpoint> out;
  for (xmlNode* e : xml::children(role, ns::kMd, name)) {
    auto ep = readEndpoint(e, false, name);
    if (!ep) return std::unexpected(ep.error());
    out.push_back(std::move(*ep));
  }
  return out;
}

}  // namespace

const Endpoint* findEndpoint(const std::vector<Endpoint>& endpoints, std::string_view binding) {
  for (auto& e : endpoints)
    if (e.binding == binding) return &e;
  return nullptr;
}

Result<IdpMetadata> parseIdpMetadata(std::string_view xmlText, const IdpMetadataCheck& check) {
  xml::ParseLimits limits;
  limits.maxBytes = 1 << 20;
  auto doc = xml::parseSecure(xmlText, limits);
  if (!doc) return std::unexpected(doc.error());
  xmlNode* root = xmlDocGetRootElement(doc->get());
  bool aggregate = xml::isElement(root, ns::kMd, "EntitiesDescriptor");
  if (!aggregate && !xml::isElement(root, ns::kMd, "EntityDescriptor"))
    return invalid("root element is neither md:EntityDescriptor nor md:EntitiesDescriptor");

  IdpMetadata md;
  auto sig = checkMetadataDocument(doc->get(), check.trustAnchors, check.schemas);
  if (!sig) return std::unexpected(sig.error());
  md.signed_ = sig->present;
  md.signatureVerified = sig->verified;

  // The IdP entities, each with the validUntil of the aggregates above it.
  struct Candidate {
    xmlNode* entity;
    std::optional<TimePoint> validUntil;
  };
  std::vector<Candidate> found;
  std::function<Status(xmlNode*, std::optional<TimePoint>)> walk = [&](xmlNode* n, std::optional<TimePoint> until) -> Status {
    if (auto st = readValidUntil(n, until); !st) return st;
    if (xml::isElement(n, ns::kMd, "EntityDescriptor")) {
      if (idpDescriptor(n)) found.push_back({n, until});
      return {};
    }
    for (xmlNode* c : xml::childElements(n))
      if (xml::isElement(c, ns::kMd, "EntityDescriptor") || xml::isElement(c, ns::kMd, "EntitiesDescriptor"))
        if (auto st = walk(c, until); !st) return st;
    return {};
  };
  if (auto st = walk(root, std::nullopt); !st) return std::unexpected(st.error());

  const Candidate* chosen = nullptr;
  if (check.entityId) {
    for (auto& c : found)
      if (xml::attr(c.entity, "entityID") == *check.entityId) chosen = &c;
    if (!chosen) return invalid("no IdP with entityID '" + *check.entityId + "' in the metadata");
  } else if (found.size() == 1) {
    chosen = &found[0];
  } else if (found.empty()) {
    return invalid("no IDPSSODescriptor supporting SAML 2.0 (this is not IdP metadata)");
  } else {
    return invalid("the metadata describes " + std::to_string(found.size()) + " IdPs; name one by its entityID");
  }

  xmlNode* entity = chosen->entity;
  xmlNode* idp = idpDescriptor(entity);
  md.entityId = xml::attr(entity, "entityID").value_or("");
  if (md.entityId.empty()) return invalid("EntityDescriptor without an entityID");
  md.validUntil = chosen->validUntil;
  if (auto st = readValidUntil(idp, md.validUntil); !st) return std::unexpected(st.error());
  if (md.validUntil && *md.validUntil <= check.now)
    return invalid("metadata expired at " + formatXsDateTime(*md.validUntil) + " (validUntil)");
  md.wantAuthnRequestsSigned = xml::boolAttr(idp, "WantAuthnRequestsSigned").value_or(false);

  auto sso = readEndpoints(idp, "SingleSignOnService");
  if (!sso) return std::unexpected(sso.error());
  if (sso->empty()) return invalid("the IDPSSODescriptor has no SingleSignOnService");
  md.singleSignOnServices = std::move(*sso);
  auto slo = readEndpoints(idp, "SingleLogoutService");
  if (!slo) return std::unexpected(slo.error());
  md.singleLogoutServices = std::move(*slo);
  for (xmlNode* f : xml::children(idp, ns::kMd, "NameIDFormat")) md.nameIdFormats.push_back(xml::trimmedText(f));

  for (xmlNode* kd : xml::children(idp, ns::kMd, "KeyDescriptor")) {
    std::string use = xml::attr(kd, "use").value_or("");
    if (!use.empty() && use != "signing") continue;
    for (xmlNode* data : xml::children(xml::child(kd, ns::kDs, "KeyInfo"), ns::kDs, "X509Data"))
      for (xmlNode* c : xml::children(data, ns::kDs, "X509Certificate")) {
        auto cert = crypto::loadCertificateBase64Der(xml::trimmedText(c));
        if (!cert) return invalid("KeyDescriptor certificate is unreadable: " + cert.error().detail);
        md.signingCertificates.push_back(std::move(*cert));
      }
  }
  if (md.signingCertificates.empty())
    return invalid("the IDPSSODescriptor has no signing certificate (KeyDescriptor use=\"signing\")");
  return md;
}

}  // namespace propusk::saml
