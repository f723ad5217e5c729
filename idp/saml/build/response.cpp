#include "idp/saml/build/response.h"

#include <algorithm>
#include <array>
#include <initializer_list>
#include <stdexcept>

#include "idp/core/base64.h"
#include "idp/core/escape.h"
#include "idp/crypto/keys.h"
#include "idp/crypto/query_signature.h"
#include "idp/saml/build/message_parts.h"

#include "idp/xml/builder.h"
#include "idp/xml/dom.h"
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

}  // namespace

// ---- The success Response is written as text in its exclusive-c14n form (xml-exc-c14n,
// c14n §2.3 escaping, attributes sorted, no empty-element tags, every namespace declared
// where exc-c14n renders it), so the digests are taken over the very bytes we emit and the
// SignedInfo is signed directly: no DOM, no xmlsec on the hottest path (issuance is one
// Response per login at every SP). Verified by the same tests that verify any signature:
// our verifier, the xmlsec1 CLI, pysaml2, Lasso and mod_auth_mellon.
namespace {

constexpr std::string_view kNsSamlp = "urn:oasis:names:tc:SAML:2.0:protocol";
constexpr std::string_view kNsSaml = "urn:oasis:names:tc:SAML:2.0:assertion";
constexpr std::string_view kNsDs = "http://www.w3.org/2000/09/xmldsig#";
constexpr std::string_view kNsXs = "http://www.w3.org/2001/XMLSchema";
constexpr std::string_view kNsXsi = "http://www.w3.org/2001/XMLSchema-instance";

// c14n §2.3: text escapes & < > and CR; attribute values escape & < " TAB LF CR.
constexpr EntityTable kTextEntities = makeEntityTable({{'&', "&amp;"}, {'<', "&lt;"}, {'>', "&gt;"}, {'\r', "&#xD;"}});
constexpr EntityTable kAttrEntities = makeEntityTable(
    {{'&', "&amp;"}, {'<', "&lt;"}, {'"', "&quot;"}, {'\t', "&#x9;"}, {'\n', "&#xA;"}, {'\r', "&#xD;"}});

void appendText(std::string& o, std::string_view s) { appendEscaped(o, s, kTextEntities); }
void appendAttr(std::string& o, std::string_view name, std::string_view value) {
  o += ' ';
  o += name;
  o += "=\"";
  appendEscaped(o, value, kAttrEntities);
  o += '"';
}

// The pieces joined in one allocation (the Response is ~10 KB, built from a few large parts).
std::string concat(std::initializer_list<std::string_view> parts) {
  std::size_t n = 0;
  for (auto p : parts) n += p.size();
  std::string out;
  out.reserve(n);
  for (auto p : parts) out += p;
  return out;
}

// The attributes of one element, on the stack (the builder opened ~40 elements per Response,
// each with a vector of its own before).
class Attrs {
 public:
  using Attr = std::pair<std::string_view, std::string_view>;
  Attrs() = default;
  Attrs(std::initializer_list<Attr> list) {
    for (const Attr& a : list) emplace_back(a.first, a.second);
  }
  void emplace_back(std::string_view name, std::string_view value) {
    if (n_ == items_.size()) throw std::logic_error("too many attributes on one element");
    items_[n_++] = {name, value};
  }
  Attr* begin() { return items_.data(); }
  Attr* end() { return items_.data() + n_; }

 private:
  std::array<Attr, 8> items_{};
  std::size_t n_ = 0;
};

// <qname [xmlns:p="uri"] a="v"...> with unqualified attributes sorted by name (exc-c14n
// orders namespace declarations first, then attributes by namespace URI and local name;
// unqualified ones have the empty URI).
void open(std::string& o, std::string_view qname, Attrs attrs = {}, std::string_view nsPrefix = {},
          std::string_view nsUri = {}) {
  o += '<';
  o += qname;
  if (!nsPrefix.empty()) {
    o += " xmlns:";
    o += nsPrefix;
    o += "=\"";
    appendEscaped(o, nsUri, kAttrEntities);
    o += '"';
  }
  std::sort(attrs.begin(), attrs.end());
  for (auto& [n, v] : attrs) appendAttr(o, n, v);
  o += '>';
}
void close(std::string& o, std::string_view qname) {
  o += "</";
  o += qname;
  o += '>';
}
void leaf(std::string& o, std::string_view qname, std::string_view text, Attrs attrs = {}) {
  open(o, qname, attrs);
  appendText(o, text);
  close(o, qname);
}

// The enveloped ds:Signature over `canonical` (the signed element without this signature,
// already in exc-c14n form). Its own exc-c14n form is the text returned: ds is declared on
// ds:Signature, where exc-c14n renders it.
Result<std::string> signatureFor(std::string_view id, std::string_view canonical, const SigningOptions& s) {
  if (!s.key) return responderError("signing requested without a key");
  std::string inner;
  open(inner, "ds:CanonicalizationMethod", {{"Algorithm", crypto::kExcC14nUri}});
  close(inner, "ds:CanonicalizationMethod");
  open(inner, "ds:SignatureMethod", {{"Algorithm", crypto::signatureAlgorithmUri(s.algorithm)}});
  close(inner, "ds:SignatureMethod");
  std::string uri = "#" + std::string(id);
  open(inner, "ds:Reference", {{"URI", uri}});
  open(inner, "ds:Transforms", {});
  open(inner, "ds:Transform", {{"Algorithm", crypto::kEnvelopedSignatureUri}});
  close(inner, "ds:Transform");
  open(inner, "ds:Transform", {{"Algorithm", crypto::kExcC14nUri}});
  close(inner, "ds:Transform");
  close(inner, "ds:Transforms");
  open(inner, "ds:DigestMethod", {{"Algorithm", crypto::digestUriFor(s.algorithm)}});
  close(inner, "ds:DigestMethod");
  open(inner, "ds:DigestValue", {});
  appendBase64(inner, crypto::digestFor(s.algorithm, canonical));  // base64 needs no escaping
  close(inner, "ds:DigestValue");
  close(inner, "ds:Reference");

  std::string signedInfo;  // exc-c14n of SignedInfo: the apex renders xmlns:ds itself
  open(signedInfo, "ds:SignedInfo", {}, "ds", kNsDs);
  signedInfo += inner;
  close(signedInfo, "ds:SignedInfo");
  auto value = s.signer ? s.signer->sign(signedInfo) : crypto::signDetached(signedInfo, s.key, s.algorithm);
  if (!value) return std::unexpected(value.error());

  std::string sig;
  open(sig, "ds:Signature", {}, "ds", kNsDs);
  open(sig, "ds:SignedInfo", {});
  sig += inner;
  close(sig, "ds:SignedInfo");
  open(sig, "ds:SignatureValue", {});
  appendBase64(sig, *value);
  close(sig, "ds:SignatureValue");
  if (s.cert) {
    open(sig, "ds:KeyInfo", {});
    open(sig, "ds:X509Data", {});
    open(sig, "ds:X509Certificate", {});
    if (s.certBase64.empty())
      sig += crypto::certificateBase64Der(s.cert);
    else
      sig += s.certBase64;
    close(sig, "ds:X509Certificate");
    close(sig, "ds:X509Data");
    close(sig, "ds:KeyInfo");
  }
  close(sig, "ds:Signature");
  return sig;
}

}  // namespace

Result<std::string> buildSuccessResponse(const AssertionInput& in, const SigningOptions& signing, Random& random) {
  if ((signing.signAssertion || signing.signResponse) &&
      (!signing.key ||
       (signing.signer && (signing.signer->key() != signing.key || signing.signer->algorithm() != signing.algorithm)) ||
       (!signing.signer && signing.cert && !crypto::keyMatchesCertificate(signing.key, signing.cert))))
    return responderError("signing key missing or not matching its certificate");
  const std::string issueInstant = formatXsDateTime(in.now);
  const std::string notOnOrAfter = formatXsDateTime(in.now + in.validity);
  const std::string assertionId = in.assertionId.empty() ? random.samlId() : in.assertionId;
  const std::string responseId = in.responseId.empty() ? random.samlId() : in.responseId;

  // The Assertion: `head` is the start tag and Issuer, `body` the rest; the signature (if
  // any) goes between them, and the digest is over head + body (enveloped transform).
  std::string head, body;
  open(head, "saml:Assertion", {{"ID", assertionId}, {"IssueInstant", issueInstant}, {"Version", "2.0"}}, "saml", kNsSaml);
  leaf(head, "saml:Issuer", in.issuer);

  open(body, "saml:Subject", {});
  Attrs nameIdAttrs;
  if (!in.nameIdFormat.empty()) nameIdAttrs.emplace_back("Format", in.nameIdFormat);
  if (in.nameQualifier) nameIdAttrs.emplace_back("NameQualifier", *in.nameQualifier);
  if (in.spNameQualifier) nameIdAttrs.emplace_back("SPNameQualifier", *in.spNameQualifier);
  leaf(body, "saml:NameID", in.nameId, nameIdAttrs);
  open(body, "saml:SubjectConfirmation", {{"Method", kBearer}});
  // profiles §4.1.4.2: Recipient, NotOnOrAfter and InResponseTo; no NotBefore for bearer.
  Attrs scd{{"NotOnOrAfter", notOnOrAfter}, {"Recipient", in.recipient}};
  if (in.inResponseTo) scd.emplace_back("InResponseTo", *in.inResponseTo);
  open(body, "saml:SubjectConfirmationData", scd);
  close(body, "saml:SubjectConfirmationData");
  close(body, "saml:SubjectConfirmation");
  close(body, "saml:Subject");

  const std::string notBefore = formatXsDateTime(in.now - in.clockSkew);
  open(body, "saml:Conditions", {{"NotBefore", notBefore}, {"NotOnOrAfter", notOnOrAfter}});
  open(body, "saml:AudienceRestriction", {});
  leaf(body, "saml:Audience", in.audience);
  close(body, "saml:AudienceRestriction");
  if (in.proxyRestrictionCount) {
    open(body, "saml:ProxyRestriction", {{"Count", std::to_string(*in.proxyRestrictionCount)}});
    close(body, "saml:ProxyRestriction");
  }
  close(body, "saml:Conditions");

  const std::string authnInstant = formatXsDateTime(in.authnInstant);
  std::string sessionEnd = in.sessionNotOnOrAfter ? formatXsDateTime(*in.sessionNotOnOrAfter) : std::string();
  Attrs authnAttrs{{"AuthnInstant", authnInstant}};
  if (!in.sessionIndex.empty()) authnAttrs.emplace_back("SessionIndex", in.sessionIndex);
  if (in.sessionNotOnOrAfter) authnAttrs.emplace_back("SessionNotOnOrAfter", sessionEnd);
  open(body, "saml:AuthnStatement", authnAttrs);
  open(body, "saml:AuthnContext", {});
  leaf(body, "saml:AuthnContextClassRef", in.authnContextClassRef);
  // core §2.7.2.2: after the class reference, the authorities that took part, in order.
  for (const std::string& authority : in.authenticatingAuthorities) leaf(body, "saml:AuthenticatingAuthority", authority);
  close(body, "saml:AuthnContext");
  close(body, "saml:AuthnStatement");

  // Each AttributeValue declares xs and xsi itself, so an Assertion lifted out of the
  // Response still resolves xsi:type="xs:string". exc-c14n renders xsi there (xsi:type uses
  // it) but not xs (a QName inside a value is not a visible use), hence two forms.
  std::string bodyEmitted = body;
  if (!in.attributes.empty()) {
    std::string canon, emitted;
    for (std::string* o : {&canon, &emitted}) open(*o, "saml:AttributeStatement", {});
    for (const AttributeOut& a : in.attributes) {
      Attrs attrs{{"Name", a.name}, {"NameFormat", kAttrNameFormatUri}};
      if (!a.friendlyName.empty()) attrs.emplace_back("FriendlyName", a.friendlyName);
      for (std::string* o : {&canon, &emitted}) open(*o, "saml:Attribute", attrs);
      for (const std::string& v : a.values) {
        canon += "<saml:AttributeValue xmlns:xsi=\"" + std::string(kNsXsi) + "\" xsi:type=\"xs:string\">";
        emitted += "<saml:AttributeValue xmlns:xs=\"" + std::string(kNsXs) + "\" xmlns:xsi=\"" + std::string(kNsXsi) +
                   "\" xsi:type=\"xs:string\">";
        for (std::string* o : {&canon, &emitted}) {
          appendText(*o, v);
          close(*o, "saml:AttributeValue");
        }
      }
      for (std::string* o : {&canon, &emitted}) close(*o, "saml:Attribute");
    }
    for (std::string* o : {&canon, &emitted}) close(*o, "saml:AttributeStatement");
    body += canon;
    bodyEmitted += emitted;
  }

  std::string assertionSig;
  if (signing.signAssertion) {
    auto sig = signatureFor(assertionId, concat({head, body, "</saml:Assertion>"}), signing);
    if (!sig) return std::unexpected(sig.error());
    assertionSig = std::move(*sig);
  }
  // Canonical and emitted Assertion, each with its signature after the Issuer.
  std::string assertionCanon = concat({head, assertionSig, body, "</saml:Assertion>"});
  std::string assertionEmitted = concat({head, assertionSig, bodyEmitted, "</saml:Assertion>"});

  std::string rhead, rtail;
  Attrs rattrs{{"Destination", in.recipient}, {"ID", responseId}, {"IssueInstant", issueInstant}, {"Version", "2.0"}};
  if (in.inResponseTo) rattrs.emplace_back("InResponseTo", *in.inResponseTo);
  open(rhead, "samlp:Response", rattrs, "samlp", kNsSamlp);
  open(rhead, "saml:Issuer", {}, "saml", kNsSaml);  // exc-c14n renders saml here, not on Response
  appendText(rhead, in.issuer);
  close(rhead, "saml:Issuer");
  open(rtail, "samlp:Status", {});
  open(rtail, "samlp:StatusCode", {{"Value", statusCodeUri(StatusCode::Success)}});
  close(rtail, "samlp:StatusCode");
  close(rtail, "samlp:Status");

  std::string responseSig;
  if (signing.signResponse) {
    auto sig = signatureFor(responseId, concat({rhead, rtail, assertionCanon, "</samlp:Response>"}), signing);
    if (!sig) return std::unexpected(sig.error());
    responseSig = std::move(*sig);
  }
  return concat({"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", rhead, responseSig, rtail, assertionEmitted,
                 "</samlp:Response>"});
}

Result<std::string> buildErrorResponse(const ErrorResponseInput& in, const SigningOptions& signing, Random& random) {
  xmlNode* root = nullptr;
  xmlNode* issuer = nullptr;
  Namespaces ns{};
  auto doc = newResponse(in.issuer, in.destination, in.inResponseTo, in.now, random, &root, &issuer, ns);
  addStatus(root, ns.samlp, in.top, in.second);
  if (signing.key && signing.signResponse)
    if (auto st = signAfterIssuer(root, issuer, {signing.key, signing.cert, signing.algorithm}); !st)
      return std::unexpected(st.error());
  return xml::serialize(doc.get());
}

}  // namespace propusk::saml
