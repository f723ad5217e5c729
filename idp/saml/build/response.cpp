#include "idp/saml/build/response.h"

#include "idp/xml/builder.h"
#include "idp/xml/dom.h"
#include "idp/xml/ids.h"
#include "idp/xml/namespaces.h"

namespace propusk::saml {

namespace {
constexpr std::string_view kBearer = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
constexpr std::string_view kAttrNameFormatUri = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri";

struct Namespaces {
  xmlNs* samlp;
  xmlNs* saml;
  xmlNs* xs;
  xmlNs* xsi;
};

// The Response root with every prefix declared once on it, its Issuer and nothing else yet.
xml::XmlDocPtr newResponse(const std::string& issuer, const std::string& destination,
                           const std::optional<std::string>& inResponseTo, TimePoint now, Random& random,
                           xmlNode** root, xmlNode** issuerNode, Namespaces& ns) {
  auto doc = xml::newDocument(xml::ns::kSamlp, "samlp", "Response", root);
  ns.samlp = (*root)->ns;
  ns.saml = xml::declareNs(*root, xml::ns::kSaml, "saml");
  ns.xs = xml::declareNs(*root, xml::ns::kXs, "xs");
  ns.xsi = xml::declareNs(*root, xml::ns::kXsi, "xsi");
  xml::setAttr(*root, "ID", random.samlId());
  xml::setAttr(*root, "Version", "2.0");
  xml::setAttr(*root, "IssueInstant", formatXsDateTime(now));
  xml::setAttr(*root, "Destination", destination);
  if (inResponseTo) xml::setAttr(*root, "InResponseTo", *inResponseTo);
  *issuerNode = xml::addChild(*root, ns.saml, "Issuer", issuer);
  return doc;
}

void addStatus(xmlNode* root, xmlNs* samlp, StatusCode top, std::string_view second) {
  xmlNode* status = xml::addChild(root, samlp, "Status");
  xmlNode* code = xml::addChild(status, samlp, "StatusCode");
  xml::setAttr(code, "Value", statusCodeUri(top));
  if (!second.empty()) xml::setAttr(xml::addChild(code, samlp, "StatusCode"), "Value", second);
}

// core §5.4.1: the ds:Signature follows the element's Issuer.
Status sign(xmlNode* element, xmlNode* issuer, const SigningOptions& signing) {
  if (auto st = xml::markId(element); !st) return st;
  crypto::SignOptions opts;
  opts.algorithm = signing.algorithm;
  opts.includeCertificate = signing.cert != nullptr;
  return crypto::signEnveloped(element, issuer, signing.key, signing.cert, opts);
}

void addAttributeStatement(xmlNode* assertion, const Namespaces& ns, const std::vector<AttributeOut>& attributes) {
  xmlNode* statement = xml::addChild(assertion, ns.saml, "AttributeStatement");
  for (const AttributeOut& a : attributes) {
    xmlNode* attr = xml::addChild(statement, ns.saml, "Attribute");
    xml::setAttr(attr, "Name", a.name);
    xml::setAttr(attr, "NameFormat", kAttrNameFormatUri);
    if (!a.friendlyName.empty()) xml::setAttr(attr, "FriendlyName", a.friendlyName);
    for (const std::string& v : a.values) {
      // An empty string is still a value: keep the element, with no text child.
      xmlNode* value = xml::addChild(attr, ns.saml, "AttributeValue", v);
      xmlSetNsProp(value, ns.xsi, BAD_CAST "type", BAD_CAST "xs:string");
    }
  }
}
}  // namespace

Result<std::string> buildSuccessResponse(const AssertionInput& in, const SigningOptions& signing, Random& random) {
  using xml::addChild;
  using xml::setAttr;
  xmlNode* root = nullptr;
  xmlNode* responseIssuer = nullptr;
  Namespaces ns{};
  auto doc = newResponse(in.issuer, in.recipient, in.inResponseTo, in.now, random, &root, &responseIssuer, ns);
  addStatus(root, ns.samlp, StatusCode::Success, status::kNone);

  const std::string issueInstant = formatXsDateTime(in.now);
  const std::string notOnOrAfter = formatXsDateTime(in.now + in.validity);
  xmlNode* assertion = addChild(root, ns.saml, "Assertion");
  // "xs:string" inside xsi:type is not a visible use of the prefix, so exclusive c14n drops
  // an ancestor's xmlns:xs; an SP that lifts the Assertion out of the Response must still
  // resolve it. Declaring both on the Assertion keeps it self-contained (as OpenSAML does).
  ns.xs = xml::declareNs(assertion, xml::ns::kXs, "xs");
  ns.xsi = xml::declareNs(assertion, xml::ns::kXsi, "xsi");
  setAttr(assertion, "ID", random.samlId());
  setAttr(assertion, "Version", "2.0");
  setAttr(assertion, "IssueInstant", issueInstant);
  xmlNode* assertionIssuer = addChild(assertion, ns.saml, "Issuer", in.issuer);

  xmlNode* subject = addChild(assertion, ns.saml, "Subject");
  xmlNode* nameId = addChild(subject, ns.saml, "NameID", in.nameId);
  if (in.nameQualifier) setAttr(nameId, "NameQualifier", *in.nameQualifier);
  if (in.spNameQualifier) setAttr(nameId, "SPNameQualifier", *in.spNameQualifier);
  if (!in.nameIdFormat.empty()) setAttr(nameId, "Format", in.nameIdFormat);
  xmlNode* confirmation = addChild(subject, ns.saml, "SubjectConfirmation");
  setAttr(confirmation, "Method", kBearer);
  // profiles §4.1.4.2: Recipient, NotOnOrAfter and InResponseTo; no NotBefore for bearer.
  xmlNode* data = addChild(confirmation, ns.saml, "SubjectConfirmationData");
  setAttr(data, "NotOnOrAfter", notOnOrAfter);
  setAttr(data, "Recipient", in.recipient);
  if (in.inResponseTo) setAttr(data, "InResponseTo", *in.inResponseTo);

  xmlNode* conditions = addChild(assertion, ns.saml, "Conditions");
  setAttr(conditions, "NotBefore", formatXsDateTime(in.now - in.clockSkew));
  setAttr(conditions, "NotOnOrAfter", notOnOrAfter);
  addChild(addChild(conditions, ns.saml, "AudienceRestriction"), ns.saml, "Audience", in.audience);

  xmlNode* authn = addChild(assertion, ns.saml, "AuthnStatement");
  setAttr(authn, "AuthnInstant", formatXsDateTime(in.authnInstant));
  if (!in.sessionIndex.empty()) setAttr(authn, "SessionIndex", in.sessionIndex);
  if (in.sessionNotOnOrAfter) setAttr(authn, "SessionNotOnOrAfter", formatXsDateTime(*in.sessionNotOnOrAfter));
  addChild(addChild(authn, ns.saml, "AuthnContext"), ns.saml, "AuthnContextClassRef", in.authnContextClassRef);

  if (!in.attributes.empty()) addAttributeStatement(assertion, ns, in.attributes);

  // The Assertion first, so that the Response digest covers its signature.
  if (signing.signAssertion)
    if (auto st = sign(assertion, assertionIssuer, signing); !st) return std::unexpected(st.error());
  if (signing.signResponse)
    if (auto st = sign(root, responseIssuer, signing); !st) return std::unexpected(st.error());
  return xml::serialize(doc.get());
}

Result<std::string> buildErrorResponse(const ErrorResponseInput& in, const SigningOptions& signing, Random& random) {
  xmlNode* root = nullptr;
  xmlNode* issuer = nullptr;
  Namespaces ns{};
  auto doc = newResponse(in.issuer, in.destination, in.inResponseTo, in.now, random, &root, &issuer, ns);
  addStatus(root, ns.samlp, in.top, in.second);
  if (signing.key && signing.signResponse)
    if (auto st = sign(root, issuer, signing); !st) return std::unexpected(st.error());
  return xml::serialize(doc.get());
}

}  // namespace propusk::saml
