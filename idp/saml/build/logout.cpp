#include "idp/saml/build/logout.h"

#include "idp/saml/bindings/redirect.h"
#include "idp/xml/builder.h"
#include "idp/xml/dom.h"
#include "idp/xml/namespaces.h"

namespace propusk::saml {

// PartialLogout is a second-level code (core §3.2.2.2: the session authority "was not able to
// propagate logout to all other session participants"), sent under a top-level Success.
// core §3.7.3.2: a session authority that ended the principal's session at itself answers
// the requester with a top-level Success, and when not every other participant confirmed
// the logout it adds the second-level PartialLogout. Lasso's IdP
// (lasso_saml20_logout_build_response_msg), SimpleSAMLphp's IdP
// (sspmod_saml_IdP_SAML2::sendLogoutResponse) and CA SiteMinder encode it the same way, and
// Shibboleth SP reads it as partial ("Success, but still need to check for partial").
// Shibboleth SP as a *responder* writes Responder + PartialLogout; LogoutResponse::
// partialLogout() accepts both. LogoutResponseInput carries top and second as given.

namespace {

namespace ns = xml::ns;

std::string_view bindingName(Binding b) {
  switch (b) {
    case Binding::Redirect: return kBindingRedirect;
    case Binding::Post: return kBindingPost;
    case Binding::Soap: return kBindingSoap;
  }
  return {};
}

struct Built {
  xml::XmlDocPtr doc;
  xmlNode* root = nullptr;
  xmlNode* issuer = nullptr;
  std::string id;
};

// The message root with samlp and saml declared on it, the attributes every samlp message
// has (core §3.2.1, §3.2.2) and its Issuer.
Built start(const char* name, const std::string& issuer, const std::string& destination, TimePoint now,
            Random& random, const std::optional<std::string>& id = std::nullopt) {
  Built b;
  b.doc = xml::newDocument(ns::kSamlp, "samlp", name, &b.root);
  xmlNs* saml = xml::declareNs(b.root, ns::kSaml, "saml");
  b.id = id ? *id : random.samlId();
  xml::setAttr(b.root, "ID", b.id);
  xml::setAttr(b.root, "Version", "2.0");
  xml::setAttr(b.root, "IssueInstant", formatXsDateTime(now));
  if (!destination.empty()) xml::setAttr(b.root, "Destination", destination);  // none on a SOAP answer
  b.issuer = xml::addChild(b.root, saml, "Issuer", issuer);
  return b;
}

// Signs and serialises for `binding`: enveloped on POST/SOAP; on Redirect the XML stays
// unsigned and the query is signed (bindings §3.4.4.1). Without a key: refused, unless
// `allowUnsigned` (then nothing is signed).
Result<OutgoingMessage> deliver(Built b, std::string_view param, const std::string& destination,
                                const std::optional<std::string>& relayState, Binding binding,
                                const MessageSigning& signing, bool allowUnsigned = false) {
  if (!signing.key && !allowUnsigned)
    return responderError("logout messages are always signed, but no signing key was given");
  if (binding == Binding::Soap && relayState)
    return responderError("RelayState has no place on the SOAP binding");
  OutgoingMessage out;
  out.id = b.id;
  out.binding = binding;
  out.formField = param;
  if (binding == Binding::Redirect) {
    out.xml = xml::serialize(b.doc.get(), false);
    auto query = encodeRedirect(param, out.xml, relayState, signing.key, signing.algorithm);
    if (!query) return std::unexpected(query.error());
    char sep = destination.find('?') == std::string::npos ? '?' : '&';
    out.redirectUrl = destination;
    if (!destination.ends_with('?') && !destination.ends_with('&')) out.redirectUrl += sep;
    out.redirectUrl += *query;
    return out;
  }
  if (signing.key)
    if (auto st = signAfterIssuer(b.root, b.issuer, signing); !st) return std::unexpected(st.error());
  out.xml = xml::serialize(b.doc.get());
  out.relayState = relayState;
  return out;
}

}  // namespace

Result<OutgoingMessage> buildLogoutRequest(const LogoutRequestInput& in, Binding binding,
                                           const MessageSigning& signing, Random& random) {
  Built b = start("LogoutRequest", in.issuer, in.destination, in.now, random, in.id);
  // core §3.7.1 attribute and element order: ... NotOnOrAfter, Reason; Issuer, Signature,
  // Extensions, NameID, SessionIndex*.
  xml::setAttr(b.root, "NotOnOrAfter", formatXsDateTime(in.now + in.lifetime));
  if (!in.reason.empty()) xml::setAttr(b.root, "Reason", in.reason);
  xmlNs* saml = b.issuer->ns;
  xmlNode* nameId = xml::addChild(b.root, saml, "NameID", in.nameId.value);
  if (in.nameId.format) xml::setAttr(nameId, "Format", *in.nameId.format);
  if (in.nameId.nameQualifier) xml::setAttr(nameId, "NameQualifier", *in.nameId.nameQualifier);
  if (in.nameId.spNameQualifier) xml::setAttr(nameId, "SPNameQualifier", *in.nameId.spNameQualifier);
  for (const std::string& s : in.sessionIndexes) xml::addChild(b.root, b.root->ns, "SessionIndex", s);
  return deliver(std::move(b), "SAMLRequest", in.destination, in.relayState, binding, signing, in.allowUnsigned);
}

Result<OutgoingMessage> buildLogoutResponse(const LogoutResponseInput& in, Binding binding,
                                            const MessageSigning& signing, Random& random) {
  Built b = start("LogoutResponse", in.issuer, in.destination, in.now, random);
  if (in.inResponseTo) xml::setAttr(b.root, "InResponseTo", *in.inResponseTo);
  addStatus(b.root, b.root->ns, in.top, in.second);
  return deliver(std::move(b), "SAMLResponse", in.destination, in.relayState, binding, signing);
}

const Endpoint* findSingleLogoutService(const SpMetadata& md, Binding binding) {
  for (const Endpoint& e : md.singleLogoutServices)
    if (e.binding == bindingName(binding)) return &e;
  return nullptr;
}

std::string_view responseLocationOf(const Endpoint& e) {
  return e.responseLocation.empty() ? std::string_view(e.location) : std::string_view(e.responseLocation);
}

}  // namespace propusk::saml
