#include "idp/saml/messages/authn_request.h"

#include "idp/xml/dom.h"
#include "idp/xml/namespaces.h"
#include "idp/xml/parser.h"

namespace propusk::saml {

namespace {
namespace ns = xml::ns;
std::optional<unsigned> xsUnsigned(const std::optional<std::string>& v) {
  if (!v) return std::nullopt;
  return static_cast<unsigned>(std::stoul(*v));  // schema-checked unsignedShort
}
}  // namespace

Result<AuthnRequest> parseAuthnRequest(std::string_view text, const xml::SchemaSet& schemas) {
  auto doc = xml::parseSecure(text);
  if (!doc) return std::unexpected(doc.error());
  xmlNode* root = xmlDocGetRootElement(doc->get());
  if (!xml::isElement(root, ns::kSamlp, "AuthnRequest")) return invalid("message is not a samlp:AuthnRequest");
  // Version first: a SAML 1.x or 3.0 request gets VersionMismatch, not a schema complaint.
  auto version = xml::attr(root, "Version").value_or("");
  if (version != "2.0")
    return fail(StatusCode::VersionMismatch, status::kNone, "Version is '" + version + "', not 2.0");
  if (auto st = schemas.validate(doc->get()); !st) return std::unexpected(st.error());

  AuthnRequest r;
  r.root = root;
  r.id = *xml::attr(root, "ID");
  r.version = version;
  auto instant = parseXsDateTime(*xml::collapsedAttr(root, "IssueInstant"));
  if (!instant) return invalid("IssueInstant is not a valid time");
  r.issueInstant = *instant;
  r.destination = xml::attr(root, "Destination");
  r.assertionConsumerServiceUrl = xml::attr(root, "AssertionConsumerServiceURL");
  r.assertionConsumerServiceIndex = xsUnsigned(xml::collapsedAttr(root, "AssertionConsumerServiceIndex"));
  r.attributeConsumingServiceIndex = xsUnsigned(xml::collapsedAttr(root, "AttributeConsumingServiceIndex"));
  r.protocolBinding = xml::attr(root, "ProtocolBinding");
  r.forceAuthn = xml::boolAttr(root, "ForceAuthn").value_or(false);
  r.isPassive = xml::boolAttr(root, "IsPassive").value_or(false);
  if (xmlNode* issuer = xml::child(root, ns::kSaml, "Issuer")) {
    r.issuer = xml::trimmedText(issuer);
    r.issuerFormat = xml::attr(issuer, "Format");
  }
  r.hasSubject = xml::child(root, ns::kSaml, "Subject") != nullptr;
  r.hasScoping = xml::child(root, ns::kSamlp, "Scoping") != nullptr;
  if (xmlNode* p = xml::child(root, ns::kSamlp, "NameIDPolicy")) {
    NameIDPolicy pol;
    pol.format = xml::attr(p, "Format");
    pol.spNameQualifier = xml::attr(p, "SPNameQualifier");
    pol.allowCreate = xml::boolAttr(p, "AllowCreate").value_or(false);
    r.nameIdPolicy = pol;
  }
  if (xmlNode* rac = xml::child(root, ns::kSamlp, "RequestedAuthnContext")) {
    RequestedAuthnContext c;
    auto cmp = xml::collapsedAttr(rac, "Comparison").value_or("exact");
    if (cmp == "minimum") c.comparison = AuthnContextComparison::Minimum;
    else if (cmp == "better") c.comparison = AuthnContextComparison::Better;
    else if (cmp == "maximum") c.comparison = AuthnContextComparison::Maximum;
    for (xmlNode* ref : xml::children(rac, ns::kSaml, "AuthnContextClassRef")) c.classRefs.push_back(xml::trimmedText(ref));
    r.requestedAuthnContext = std::move(c);
  }
  r.doc = std::move(*doc);
  return r;
}

}  // namespace propusk::saml
