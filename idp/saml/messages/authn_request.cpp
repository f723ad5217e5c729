#include "idp/saml/messages/authn_request.h"

#include <charconv>
#include <limits>

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

// xs:nonNegativeInteger (schema-checked: digits, perhaps a sign) has no upper bound; a count
// beyond `unsigned` is no limit in practice, so it saturates rather than throws.
unsigned nonNegativeInteger(std::string_view v) {
  if (!v.empty() && (v[0] == '+' || v[0] == '-')) v.remove_prefix(1);  // "-0" is the only negative
  unsigned out = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec == std::errc::result_out_of_range) return std::numeric_limits<unsigned>::max();
  return ec == std::errc() && end == v.data() + v.size() ? out : 0;
}

// samlp:Scoping (core §3.4.1.2), already schema-valid.
Scoping readScoping(xmlNode* scoping) {
  Scoping s;
  if (auto count = xml::collapsedAttr(scoping, "ProxyCount")) s.proxyCount = nonNegativeInteger(*count);
  if (xmlNode* list = xml::child(scoping, ns::kSamlp, "IDPList"))
    for (xmlNode* e : xml::children(list, ns::kSamlp, "IDPEntry"))
      s.idpList.push_back({xml::collapsedAttr(e, "ProviderID").value_or(""), xml::attr(e, "Name"), xml::collapsedAttr(e, "Loc")});
  for (xmlNode* r : xml::children(scoping, ns::kSamlp, "RequesterID")) s.requesterIds.push_back(xml::trimmedText(r));
  return s;
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
  if (xmlNode* scoping = xml::child(root, ns::kSamlp, "Scoping")) {
    r.hasScoping = true;
    r.scoping = readScoping(scoping);
  }
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
