#include "idp/saml/build/authn_request.h"

#include "idp/xml/builder.h"
#include "idp/xml/dom.h"
#include "idp/xml/ids.h"
#include "idp/xml/namespaces.h"

namespace propusk::saml {

namespace {
constexpr std::pair<AuthnContextComparison, std::string_view> kComparisons[] = {
    {AuthnContextComparison::Exact, "exact"},
    {AuthnContextComparison::Minimum, "minimum"},
    {AuthnContextComparison::Better, "better"},
    {AuthnContextComparison::Maximum, "maximum"},
};
}  // namespace

std::string_view comparisonName(AuthnContextComparison c) {
  for (auto& [v, name] : kComparisons)
    if (v == c) return name;
  return "exact";
}

std::optional<AuthnContextComparison> parseComparison(std::string_view s) {
  for (auto& [v, name] : kComparisons)
    if (name == s) return v;
  return std::nullopt;
}

Result<std::string> buildAuthnRequest(const AuthnRequestInput& in, const EVP_PKEY* key, const X509* cert,
                                      crypto::SignatureAlgorithm alg) {
  if (in.acsUrl && in.acsIndex)
    return invalid("AssertionConsumerServiceURL and AssertionConsumerServiceIndex are mutually exclusive (core §3.4.1)");
  if (in.id.empty()) return invalid("AuthnRequest needs an ID");
  if (in.requestedAuthnContext && in.requestedAuthnContext->classRefs.empty())
    return invalid("RequestedAuthnContext needs at least one AuthnContextClassRef");
  if (in.scoping)
    for (const IdpEntry& e : in.scoping->idpList)
      if (e.providerId.empty()) return invalid("Scoping IDPEntry needs a ProviderID (core §3.4.1.3.1)");
  using namespace xml;
  xmlNode* root = nullptr;
  auto doc = newDocument(ns::kSamlp, "samlp", "AuthnRequest", &root);
  xmlNs* samlp = root->ns;
  xmlNs* saml = declareNs(root, ns::kSaml, "saml");
  setAttr(root, "ID", in.id);
  setAttr(root, "Version", "2.0");
  setAttr(root, "IssueInstant", formatXsDateTime(in.issueInstant));
  if (in.destination) setAttr(root, "Destination", *in.destination);
  if (in.providerName) setAttr(root, "ProviderName", *in.providerName);
  if (in.forceAuthn) setAttr(root, "ForceAuthn", "true");
  if (in.isPassive) setAttr(root, "IsPassive", "true");
  if (in.acsUrl) setAttr(root, "AssertionConsumerServiceURL", *in.acsUrl);
  if (in.acsIndex) setAttr(root, "AssertionConsumerServiceIndex", std::to_string(*in.acsIndex));
  if (in.protocolBinding) setAttr(root, "ProtocolBinding", *in.protocolBinding);
  if (in.attributeConsumingServiceIndex)
    setAttr(root, "AttributeConsumingServiceIndex", std::to_string(*in.attributeConsumingServiceIndex));

  // Schema order (core §3.4.1): Issuer, Signature, Extensions, Subject, NameIDPolicy,
  // Conditions, RequestedAuthnContext, Scoping.
  xmlNode* issuer = addChild(root, saml, "Issuer", in.issuer);
  if (in.nameIdPolicy) {
    xmlNode* p = addChild(root, samlp, "NameIDPolicy");
    if (in.nameIdPolicy->format) setAttr(p, "Format", *in.nameIdPolicy->format);
    if (in.nameIdPolicy->spNameQualifier) setAttr(p, "SPNameQualifier", *in.nameIdPolicy->spNameQualifier);
    setAttr(p, "AllowCreate", in.nameIdPolicy->allowCreate ? "true" : "false");
  }
  if (in.requestedAuthnContext) {
    xmlNode* r = addChild(root, samlp, "RequestedAuthnContext");
    setAttr(r, "Comparison", comparisonName(in.requestedAuthnContext->comparison));
    for (auto& ref : in.requestedAuthnContext->classRefs) addChild(r, saml, "AuthnContextClassRef", ref);
  }
  if (in.scoping) {
    // core §3.4.1.2: ProxyCount, then IDPList (IDPEntry+), then RequesterID*.
    xmlNode* s = addChild(root, samlp, "Scoping");
    if (in.scoping->proxyCount) setAttr(s, "ProxyCount", std::to_string(*in.scoping->proxyCount));
    if (!in.scoping->idpList.empty()) {
      xmlNode* list = addChild(s, samlp, "IDPList");
      for (const IdpEntry& e : in.scoping->idpList) {
        xmlNode* entry = addChild(list, samlp, "IDPEntry");
        setAttr(entry, "ProviderID", e.providerId);
        if (e.name) setAttr(entry, "Name", *e.name);
        if (e.loc) setAttr(entry, "Loc", *e.loc);
      }
    }
    for (const std::string& id : in.scoping->requesterIds) addChild(s, samlp, "RequesterID", id);
  }
  if (key) {
    if (!in.destination) return invalid("a signed AuthnRequest needs a Destination (bindings §3.5.5.2)");
    if (auto st = markId(root); !st) return std::unexpected(st.error());
    crypto::SignOptions opts;
    opts.algorithm = alg;
    opts.includeCertificate = cert != nullptr;
    if (auto st = crypto::signEnveloped(root, issuer, key, cert, opts); !st) return std::unexpected(st.error());
  }
  return serialize(doc.get());
}

}  // namespace propusk::saml
