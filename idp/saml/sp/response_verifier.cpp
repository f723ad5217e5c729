#include "idp/saml/sp/response_verifier.h"

#include <algorithm>
#include <charconv>
#include <limits>

#include "idp/crypto/keys.h"
#include "idp/crypto/xml_encryption.h"
#include "idp/crypto/xml_signature.h"
#include "idp/xml/builder.h"
#include "idp/xml/dom.h"
#include "idp/xml/namespaces.h"
#include "idp/xml/parser.h"
#include "idp/xml/schema.h"

namespace propusk::saml::sp {

namespace {

namespace ns = xml::ns;
constexpr std::string_view kSuccess = "urn:oasis:names:tc:SAML:2.0:status:Success";
constexpr std::string_view kBearer = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
constexpr std::string_view kEntityFormat = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity";

struct State {
  const ResponseExpectations& expect;
  ResponseVerification& out;
  std::string_view text;         // the message as received
  xml::XmlDocPtr doc{};
  xmlNode* response = nullptr;   // nullptr when a bare Assertion was given
  xmlNode* assertion = nullptr;  // the one Assertion used
  xmlNode* encryptedAssertion = nullptr;  // until the decrypt step replaces it
  xmlNode* bearerData = nullptr; // the SubjectConfirmationData the checks are about
  bool responseSigned = false;
  // The Response as received, when its EncryptedAssertion was decrypted in `doc`: its
  // signature covers the EncryptedAssertion, not what it held (parsed again from `text`).
  xml::XmlDocPtr received{};
  // The NameID of an EncryptedID, decrypted in a document of its own: in place it would
  // change the Assertion under the Assertion's signature, which covers the EncryptedID.
  xml::XmlDocPtr nameIdDoc{};
  xmlNode* decryptedNameId = nullptr;
};

struct Outcome {
  bool skipped = false;
  std::string note;
};
using StepResult = std::expected<Outcome, std::string>;
using StepFn = StepResult (*)(State&);

Outcome passed(std::string note = {}) { return {false, std::move(note)}; }
Outcome skipped(std::string why) { return {true, std::move(why)}; }
std::unexpected<std::string> failed(std::string why) { return std::unexpected(std::move(why)); }

std::string quote(std::string_view s) {
  constexpr std::size_t kMax = 200;  // from the message: keep lines short
  std::string out = "\"";
  out += s.substr(0, kMax);
  if (s.size() > kMax) out += "...";
  return out + "\"";
}

std::optional<TimePoint> timeAttr(xmlNode* n, const char* name, std::string& error) {
  auto v = xml::collapsedAttr(n, name);
  if (!v) return std::nullopt;
  auto t = parseXsDateTime(*v);
  if (!t) error = std::string(name) + " " + quote(*v) + " is not a readable xs:dateTime";
  return t;
}

// xs:nonNegativeInteger (schema-checked); beyond `unsigned` is no limit in practice.
unsigned nonNegativeInteger(std::string_view v) {
  if (!v.empty() && (v[0] == '+' || v[0] == '-')) v.remove_prefix(1);  // "-0" is the only negative
  unsigned out = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec == std::errc::result_out_of_range) return std::numeric_limits<unsigned>::max();
  return ec == std::errc() && end == v.data() + v.size() ? out : 0;
}

// ---------------------------------------------------------------- steps

// The EncryptedID's element copied into a document of its own with every namespace in scope
// where it stood, then decrypted there (crypto::decryptElement needs a parent to replace it in).
std::expected<std::pair<xml::XmlDocPtr, xmlNode*>, std::string> decryptAside(xmlNode* encrypted,
                                                                           std::span<const EVP_PKEY* const> keys) {
  xml::XmlDocPtr doc(xmlNewDoc(BAD_CAST "1.0"));
  xmlNode* copy = doc ? xmlDocCopyNode(encrypted, doc.get(), 1) : nullptr;
  if (!copy) return std::unexpected(std::string("copying the EncryptedID failed"));
  xmlDocSetRootElement(doc.get(), copy);
  for (const xmlNode* n = encrypted; n && n->type == XML_ELEMENT_NODE; n = n->parent)
    for (const xmlNs* ns = n->nsDef; ns; ns = ns->next)
      if (!xmlSearchNs(doc.get(), copy, ns->prefix)) xmlNewNs(copy, ns->href, ns->prefix);
  auto d = crypto::decryptElement(copy, keys, responseParseLimits());
  if (!d) return std::unexpected(d.error().detail);
  return std::pair{std::move(doc), d->element};
}

StepResult decryptStep(State& s) {
  const bool keys = !s.expect.decryptionKeys.empty();
  std::string note;
  if (s.encryptedAssertion) {
    // With no keys the parse step refused it already.
    if (s.response && crypto::signatureChild(s.response)) {
      auto received = xml::parseSecure(s.text, responseParseLimits());
      if (!received) return failed("parsing the Response again: " + received.error().detail);
      s.received = std::move(*received);
    }
    auto d = crypto::decryptElement(s.encryptedAssertion, s.expect.decryptionKeys, responseParseLimits());
    if (!d) return failed("EncryptedAssertion: " + d.error().detail);
    s.encryptedAssertion = nullptr;
    if (!xml::isElement(d->element, ns::kSaml, "Assertion"))
      return failed("the EncryptedAssertion holds a " + quote(reinterpret_cast<const char*>(d->element->name)) +
                    ", not a saml:Assertion");
    s.assertion = d->element;
    s.out.assertionEncrypted = true;
    s.out.assertionId = xml::attr(s.assertion, "ID").value_or("");
    // What was encrypted was never schema-checked: it is, as a document of its own. (Not the
    // message as it now stands: pysaml2 gives the Assertion's and the Response's signatures the
    // same Id, "Signature1", which only collides once both are in one document; the IDs that
    // references resolve, ID attributes, were checked unique when the Assertion went in.)
    auto alone = xml::copyToOwnDocument(s.assertion);
    if (!alone) return failed("copying the decrypted Assertion failed");
    if (auto st = xml::SchemaSet::shared()->validate(alone.get()); !st)
      return failed("the decrypted Assertion: " + st.error().detail);
    if (auto v = xml::attr(s.assertion, "Version"); v != "2.0")
      return failed("Assertion Version " + quote(v.value_or("")) + " is not 2.0");
    note = "EncryptedAssertion decrypted: Assertion " + s.out.assertionId;
  }
  xmlNode* encryptedId =
      s.assertion ? xml::child(xml::child(s.assertion, ns::kSaml, "Subject"), ns::kSaml, "EncryptedID") : nullptr;
  if (encryptedId && keys) {
    auto d = decryptAside(encryptedId, s.expect.decryptionKeys);
    if (!d) return failed("EncryptedID: " + d.error());
    if (!xml::isElement(d->second, ns::kSaml, "NameID"))
      return failed("the EncryptedID holds a " + quote(reinterpret_cast<const char*>(d->second->name)) +
                    ", not a saml:NameID");
    if (auto st = xml::SchemaSet::shared()->validate(d->first.get()); !st)
      return failed("the decrypted NameID: " + st.error().detail);
    s.nameIdDoc = std::move(d->first);
    s.decryptedNameId = d->second;
    note += std::string(note.empty() ? "" : "; ") + "EncryptedID decrypted";
  }
  if (note.empty())
    return skipped(encryptedId ? "an EncryptedID, but no decryption key" : "nothing encrypted");
  return passed(note);
}

StepResult issuerStep(State& s) {
  bool responseIssuer = false;
  if (s.response) {
    if (xmlNode* iss = xml::child(s.response, ns::kSaml, "Issuer")) {
      responseIssuer = true;
      auto format = xml::collapsedAttr(iss, "Format");
      if (format && *format != kEntityFormat)
        return failed("Response Issuer Format " + quote(*format) + " is not " + std::string(kEntityFormat) +
                      " (profiles §4.1.4.2)");
      std::string v = xml::trimmedText(iss);
      if (s.expect.idpEntityId && v != *s.expect.idpEntityId)
        return failed("Response Issuer " + quote(v) + " is not the IdP " + quote(*s.expect.idpEntityId));
    }
  }
  if (s.assertion) {
    std::string v = xml::trimmedText(xml::child(s.assertion, ns::kSaml, "Issuer"));
    s.out.issuer = v;
    if (s.expect.idpEntityId && v != *s.expect.idpEntityId)
      return failed("Assertion Issuer " + quote(v) + " is not the IdP " + quote(*s.expect.idpEntityId));
  } else if (s.response) {
    s.out.issuer = xml::trimmedText(xml::child(s.response, ns::kSaml, "Issuer"));
  }
  // profiles §4.1.4.2: the Response's Issuer MAY be omitted (the Assertion's may not).
  std::string none = s.response && s.assertion && !responseIssuer ? " (the Response names none)" : "";
  if (!s.expect.idpEntityId) return skipped("no IdP entityID given; Issuer is " + quote(s.out.issuer) + none);
  return passed("Issuer " + s.out.issuer + none);
}

StepResult signatureStep(State& s) {
  if (s.expect.idpCertificates.empty()) return failed("no IdP certificate to verify signatures with");
  crypto::VerifyOptions opts;
  opts.allowSha1 = s.expect.allowSha1;
  std::string note;
  auto who = [&](std::size_t i) {
    return crypto::describeCertificate(s.expect.idpCertificates[i]).subject;
  };
  if (s.response && crypto::signatureChild(s.response)) {
    // It covers the EncryptedAssertion as received, and through it what was decrypted.
    xmlNode* signedResponse = s.received ? xmlDocGetRootElement(s.received.get()) : s.response;
    auto v = crypto::verifyEnveloped(signedResponse, s.expect.idpCertificates, opts);
    if (!v) return failed("Response signature: " + v.error().detail);
    s.responseSigned = true;
    note = "Response signed by " + who(v->trustedIndex) + (s.received ? " (over the EncryptedAssertion)" : "");
  }
  bool assertionSigned = false;
  if (s.assertion && crypto::signatureChild(s.assertion)) {
    // The signature must cover this very Assertion, the one whose contents are used: a
    // signed Assertion moved elsewhere in the document proves nothing (signature wrapping).
    auto v = crypto::verifyEnveloped(s.assertion, s.expect.idpCertificates, opts);
    if (!v) return failed("Assertion signature: " + v.error().detail);
    assertionSigned = true;
    note += std::string(note.empty() ? "" : "; ") + "Assertion signed by " + who(v->trustedIndex);
  }
  s.out.signatureVerified = s.responseSigned || assertionSigned;
  if (s.assertion && !s.responseSigned && !assertionSigned)
    return failed(s.response ? "neither the Response nor the Assertion is signed" : "the Assertion is not signed");
  if (!s.assertion && !s.responseSigned) return passed("unsigned Response without an Assertion");
  return passed(note);
}

StepResult destinationStep(State& s) {
  if (!s.response) return skipped("a bare Assertion has no Destination");
  auto dest = xml::collapsedAttr(s.response, "Destination");
  if (!s.expect.acsUrl) return skipped("no ACS URL given");
  if (!dest) {
    // bindings §3.5.5.2: a signed POST message must name where it was meant to go.
    if (s.responseSigned) return failed("the Response is signed but has no Destination (bindings §3.5.5.2)");
    return passed("no Destination (unsigned Response)");
  }
  if (*dest != *s.expect.acsUrl)
    return failed("Response Destination " + quote(*dest) + " is not our ACS " + quote(*s.expect.acsUrl));
  return passed("Destination " + *dest);
}

StepResult statusStep(State& s) {
  if (!s.response) return skipped("a bare Assertion has no Status");
  if (s.out.statusCodes.empty()) return failed("no StatusCode");
  if (s.out.statusCodes[0] != kSuccess) {
    std::string codes;
    for (auto& c : s.out.statusCodes) codes += (codes.empty() ? "" : " / ") + c;
    return failed("the IdP answered " + codes +
                  (s.out.statusMessage ? " (StatusMessage: " + quote(*s.out.statusMessage) + ")" : std::string()));
  }
  return passed(std::string(kSuccess));
}

StepResult assertionStep(State& s) {
  if (!s.assertion) return failed("a Success Response without an Assertion");
  return passed("Assertion " + s.out.assertionId);
}

StepResult subjectStep(State& s) {
  xmlNode* subject = xml::child(s.assertion, ns::kSaml, "Subject");
  if (!subject) return failed("the Assertion has no Subject");
  xmlNode* nameId = s.decryptedNameId;
  if (!nameId && xml::child(subject, ns::kSaml, "EncryptedID"))
    return failed("EncryptedID is not supported (samlflow holds no decryption key)");
  if (!nameId) nameId = xml::child(subject, ns::kSaml, "NameID");
  if (!nameId) return failed("the Subject has no NameID");
  s.out.nameId = xml::trimmedText(nameId);
  s.out.nameIdFormat = xml::collapsedAttr(nameId, "Format").value_or("urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified");
  s.out.nameQualifier = xml::attr(nameId, "NameQualifier");
  s.out.spNameQualifier = xml::attr(nameId, "SPNameQualifier");
  std::size_t bearers = 0;
  for (xmlNode* sc : xml::children(subject, ns::kSaml, "SubjectConfirmation")) {
    if (xml::collapsedAttr(sc, "Method") != kBearer) continue;
    ++bearers;
    xmlNode* data = xml::child(sc, ns::kSaml, "SubjectConfirmationData");
    if (!data) continue;
    // profiles §4.1.4.2: bearer SubjectConfirmationData MUST NOT carry NotBefore.
    if (xml::attr(data, "NotBefore")) return failed("bearer SubjectConfirmationData has a NotBefore (profiles §4.1.4.2)");
    if (!s.bearerData) s.bearerData = data;
  }
  if (bearers == 0) return failed("no bearer SubjectConfirmation (profiles §4.1.4.2)");
  if (!s.bearerData) return failed("the bearer SubjectConfirmation has no SubjectConfirmationData");
  return passed("NameID " + s.out.nameId);
}

StepResult recipientStep(State& s) {
  if (!s.expect.acsUrl) return skipped("no ACS URL given");
  std::vector<std::string> seen;
  xmlNode* subject = xml::child(s.assertion, ns::kSaml, "Subject");
  for (xmlNode* sc : xml::children(subject, ns::kSaml, "SubjectConfirmation")) {
    if (xml::collapsedAttr(sc, "Method") != kBearer) continue;
    xmlNode* data = xml::child(sc, ns::kSaml, "SubjectConfirmationData");
    auto r = xml::collapsedAttr(data, "Recipient");
    if (r == *s.expect.acsUrl) {
      s.bearerData = data;
      return passed("Recipient " + *r);
    }
    seen.push_back(r ? quote(*r) : "none");
  }
  std::string list;
  for (auto& r : seen) list += (list.empty() ? "" : ", ") + r;
  return failed("bearer SubjectConfirmationData Recipient " + list + " is not our ACS " + quote(*s.expect.acsUrl));
}

StepResult inResponseToStep(State& s) {
  auto bearer = xml::collapsedAttr(s.bearerData, "InResponseTo");
  if (!s.expect.requestId) {
    return skipped(s.out.inResponseTo || bearer ? "no request ID given; InResponseTo " + quote(s.out.inResponseTo.value_or(bearer.value_or(""))) +
                                                      " not compared"
                                                : "no request ID given (the message is unsolicited)");
  }
  const std::string& want = *s.expect.requestId;
  if (s.response) {
    if (!s.out.inResponseTo) return failed("the Response has no InResponseTo (unsolicited); we sent " + quote(want));
    if (*s.out.inResponseTo != want)
      return failed("Response InResponseTo " + quote(*s.out.inResponseTo) + " is not our request ID " + quote(want));
  }
  if (s.bearerData) {
    if (!bearer) return failed("the bearer SubjectConfirmationData has no InResponseTo; we sent " + quote(want));
    if (*bearer != want)
      return failed("SubjectConfirmationData InResponseTo " + quote(*bearer) + " is not our request ID " + quote(want));
  }
  return passed("InResponseTo " + want);
}

StepResult timeWindowStep(State& s) {
  if (!s.expect.checkTime) return skipped("time not checked (asked so)");
  const auto now = s.expect.now;
  const auto skew = s.expect.clockSkew;
  std::string error;
  auto fmt = [&](TimePoint t) { return formatXsDateTime(t); };
  auto context = [&] { return " (now " + fmt(now) + ", skew " + std::to_string(skew.count()) + " s)"; };

  auto bearerUntil = timeAttr(s.bearerData, "NotOnOrAfter", error);
  if (!error.empty()) return failed("SubjectConfirmationData " + error);
  if (!bearerUntil) return failed("the bearer SubjectConfirmationData has no NotOnOrAfter (profiles §4.1.4.2)");
  if (now - skew >= *bearerUntil)
    return failed("expired: SubjectConfirmationData NotOnOrAfter " + fmt(*bearerUntil) + " has passed" + context());
  s.out.notOnOrAfter = bearerUntil;

  if (xmlNode* cond = xml::child(s.assertion, ns::kSaml, "Conditions")) {
    auto notBefore = timeAttr(cond, "NotBefore", error);
    if (!error.empty()) return failed("Conditions " + error);
    auto notOnOrAfter = timeAttr(cond, "NotOnOrAfter", error);
    if (!error.empty()) return failed("Conditions " + error);
    if (notBefore && now + skew < *notBefore)
      return failed("not yet valid: Conditions NotBefore " + fmt(*notBefore) + " is in the future" + context());
    if (notOnOrAfter && now - skew >= *notOnOrAfter)
      return failed("expired: Conditions NotOnOrAfter " + fmt(*notOnOrAfter) + " has passed" + context());
    if (notOnOrAfter && *notOnOrAfter < *s.out.notOnOrAfter) s.out.notOnOrAfter = notOnOrAfter;
  }
  return passed("valid until " + fmt(*s.out.notOnOrAfter));
}

StepResult audienceStep(State& s) {
  xmlNode* cond = xml::child(s.assertion, ns::kSaml, "Conditions");
  auto restrictions = xml::children(cond, ns::kSaml, "AudienceRestriction");
  if (!s.expect.spEntityId) return skipped("no SP entityID given");
  // profiles §4.1.4.2 requires one naming the SP; core §2.5.1.4: every one must be met.
  if (restrictions.empty()) return failed("the Assertion has no AudienceRestriction (profiles §4.1.4.2)");
  for (xmlNode* r : restrictions) {
    std::vector<std::string> audiences;
    for (xmlNode* a : xml::children(r, ns::kSaml, "Audience")) audiences.push_back(xml::trimmedText(a));
    if (std::find(audiences.begin(), audiences.end(), *s.expect.spEntityId) == audiences.end()) {
      std::string list;
      for (auto& a : audiences) list += (list.empty() ? "" : ", ") + quote(a);
      return failed("Audience " + (list.empty() ? std::string("(none)") : list) + " does not name our entityID " +
                    quote(*s.expect.spEntityId));
    }
  }
  return passed("Audience " + *s.expect.spEntityId);
}

StepResult authnStatementStep(State& s) {
  xmlNode* st = xml::child(s.assertion, ns::kSaml, "AuthnStatement");
  if (!st) return failed("the Assertion has no AuthnStatement (profiles §4.1.4.2)");
  s.out.sessionIndex = xml::attr(st, "SessionIndex");
  if (xmlNode* ctx = xml::child(st, ns::kSaml, "AuthnContext")) {
    if (xmlNode* ref = xml::child(ctx, ns::kSaml, "AuthnContextClassRef")) s.out.authnContextClassRef = xml::trimmedText(ref);
    for (xmlNode* a : xml::children(ctx, ns::kSaml, "AuthenticatingAuthority"))
      s.out.authenticatingAuthorities.push_back(xml::trimmedText(a));
  }
  std::string error;
  s.out.authnInstant = timeAttr(st, "AuthnInstant", error);
  if (!error.empty()) return failed("AuthnStatement " + error);
  auto sessionEnd = timeAttr(st, "SessionNotOnOrAfter", error);
  if (!error.empty()) return failed("AuthnStatement " + error);
  s.out.sessionNotOnOrAfter = sessionEnd;
  if (s.expect.checkTime && sessionEnd && s.expect.now - s.expect.clockSkew >= *sessionEnd)
    return failed("the IdP session ended at " + formatXsDateTime(*sessionEnd) + " (SessionNotOnOrAfter)");
  return passed(s.out.authnContextClassRef ? "AuthnContext " + *s.out.authnContextClassRef : std::string());
}

StepResult proxyStep(State& s) {
  // core §2.5.1.6: at most one ProxyRestriction; should there be several, the least Count.
  xmlNode* cond = xml::child(s.assertion, ns::kSaml, "Conditions");
  for (xmlNode* r : xml::children(cond, ns::kSaml, "ProxyRestriction"))
    if (auto count = xml::collapsedAttr(r, "Count")) {
      unsigned n = nonNegativeInteger(*count);
      if (!s.out.proxyCount || n < *s.out.proxyCount) s.out.proxyCount = n;
    }
  std::string what = s.out.proxyCount ? "ProxyRestriction Count=\"" + std::to_string(*s.out.proxyCount) + "\""
                                      : std::string("no ProxyRestriction Count");
  if (!s.expect.willProxy) return skipped("not proxying; " + what);
  if (s.out.proxyCount == 0u)
    return failed(what + ": the IdP forbids issuing assertions on the strength of this one (core §2.5.1.6)");
  return passed(what);
}

StepResult replayStep(State& s) {
  if (!s.expect.seenIds && !s.expect.rememberOnce) return skipped("no replay cache");
  if (s.expect.seenIds) {
    if (s.response && s.expect.seenIds->contains(s.out.responseId))
      return failed("Response ID " + quote(s.out.responseId) + " was accepted before (replay)");
    if (s.expect.seenIds->contains(s.out.assertionId))
      return failed("Assertion ID " + quote(s.out.assertionId) + " was accepted before (replay)");
  }
  if (s.expect.rememberOnce) {
    // Reached only when every other step passed (the last step): a forged or expired message
    // burns no ID. Remembered for as long as the time-window step would accept the Assertion;
    // without a time check (there is then no NotOnOrAfter read), an hour.
    TimePoint until = s.out.notOnOrAfter ? *s.out.notOnOrAfter + s.expect.clockSkew
                                         : s.expect.now + std::chrono::hours(1);
    if (!s.expect.rememberOnce(s.out.assertionId, until))
      return failed("Assertion ID " + quote(s.out.assertionId) + " was accepted before (replay)");
    if (s.response && !s.expect.rememberOnce(s.out.responseId, until))
      return failed("Response ID " + quote(s.out.responseId) + " was accepted before (replay)");
  }
  return passed("IDs not seen before");
}

struct Step {
  std::string_view name;
  StepFn fn;
  bool needsAssertion;  // steps about the Assertion run only once one is known
};

constexpr Step kSteps[] = {
    {"decrypt", decryptStep, false},
    {"issuer", issuerStep, false},           {"signature", signatureStep, false},
    {"destination", destinationStep, false}, {"status", statusStep, false},
    {"assertion", assertionStep, false},     {"subject", subjectStep, true},
    {"recipient", recipientStep, true},      {"in-response-to", inResponseToStep, true},
    {"time-window", timeWindowStep, true},   {"audience", audienceStep, true},
    {"authn-statement", authnStatementStep, true}, {"proxy", proxyStep, true},
    {"replay", replayStep, true},
};

// The "parse" step: secure parse, schema, shape. Fills s.response / s.assertion.
std::expected<std::string, std::string> parseMessage(std::string_view xmlText, State& s) {
  auto doc = xml::parseSecure(xmlText, responseParseLimits());
  if (!doc) return std::unexpected(doc.error().detail);
  s.doc = std::move(*doc);
  xmlNode* root = xmlDocGetRootElement(s.doc.get());
  if (xml::isElement(root, ns::kSamlp, "Response")) {
    s.response = root;
    s.out.isResponse = true;
  } else if (xml::isElement(root, ns::kSaml, "Assertion")) {
    if (s.expect.requireResponse) return std::unexpected(std::string("a bare saml:Assertion, not a samlp:Response"));
    s.assertion = root;
  } else {
    return std::unexpected(std::string("root element is neither samlp:Response nor saml:Assertion"));
  }
  if (auto st = xml::SchemaSet::shared()->validate(s.doc.get()); !st) return std::unexpected(st.error().detail);
  if (auto v = xml::attr(root, "Version"); v != "2.0")
    return std::unexpected("Version " + quote(v.value_or("")) + " is not 2.0");
  if (s.response) {
    s.out.responseId = xml::attr(s.response, "ID").value_or("");
    s.out.inResponseTo = xml::collapsedAttr(s.response, "InResponseTo");
    auto encrypted = xml::children(s.response, ns::kSaml, "EncryptedAssertion");
    if (!encrypted.empty() && s.expect.decryptionKeys.empty())
      return std::unexpected(std::string("EncryptedAssertion is not supported (samlflow holds no decryption key)"));
    auto assertions = xml::children(s.response, ns::kSaml, "Assertion");
    // Wrapping defence: one Assertion in all, plain or encrypted, never one of each.
    if (assertions.size() + encrypted.size() > 1)
      return std::unexpected(encrypted.empty() ? "the Response carries " + std::to_string(assertions.size()) +
                                                     " Assertions; a strict SP accepts exactly one"
                                               : "the Response carries " + std::to_string(assertions.size()) +
                                                     " Assertions and " + std::to_string(encrypted.size()) +
                                                     " EncryptedAssertions; a strict SP accepts exactly one of either");
    if (!assertions.empty()) s.assertion = assertions[0];
    if (!encrypted.empty()) s.encryptedAssertion = encrypted[0];
    xmlNode* status = xml::child(s.response, ns::kSamlp, "Status");
    for (xmlNode* code = xml::child(status, ns::kSamlp, "StatusCode"); code;
         code = xml::child(code, ns::kSamlp, "StatusCode"))
      s.out.statusCodes.push_back(xml::collapsedAttr(code, "Value").value_or(""));
    if (xmlNode* msg = xml::child(status, ns::kSamlp, "StatusMessage")) s.out.statusMessage = xml::trimmedText(msg);
  }
  if (s.assertion) {
    s.out.assertionId = xml::attr(s.assertion, "ID").value_or("");
    if (auto v = xml::attr(s.assertion, "Version"); v != "2.0")
      return std::unexpected("Assertion Version " + quote(v.value_or("")) + " is not 2.0");
  }
  return s.response ? "samlp:Response " + s.out.responseId : "saml:Assertion " + s.out.assertionId;
}

void readAttributes(State& s) {
  for (xmlNode* st : xml::children(s.assertion, ns::kSaml, "AttributeStatement"))
    for (xmlNode* a : xml::children(st, ns::kSaml, "Attribute")) {
      SamlAttribute attr;
      attr.name = xml::attr(a, "Name").value_or("");
      attr.nameFormat = xml::attr(a, "NameFormat").value_or("");
      attr.friendlyName = xml::attr(a, "FriendlyName").value_or("");
      for (xmlNode* v : xml::children(a, ns::kSaml, "AttributeValue")) {
        auto elements = xml::childElements(v);
        if (elements.empty()) {
          attr.values.push_back(xml::text(v));
        } else {  // structured value (e.g. a NameID): keep its XML
          std::string x;
          for (xmlNode* e : elements) x += xml::serializeNode(e);
          attr.values.push_back(std::move(x));
        }
      }
      s.out.attributes.push_back(std::move(attr));
    }
}

}  // namespace

xml::ParseLimits responseParseLimits() {
  xml::ParseLimits limits;
  limits.maxNamespacesPerDocument = 4096;
  return limits;
}

std::vector<std::string_view> responseStepNames() {
  std::vector<std::string_view> names{"parse"};
  for (auto& st : kSteps) names.push_back(st.name);
  return names;
}

ResponseVerification verifyResponse(std::string_view xmlText, const ResponseExpectations& expect) {
  ResponseVerification out;
  State s{expect, out, xmlText};
  auto parsed = parseMessage(xmlText, s);
  if (!parsed) {
    out.failedStep = "parse";
    out.failure = parsed.error();
    return out;
  }
  out.checks.push_back({"parse", false, *parsed});
  for (const Step& step : kSteps) {
    if (step.needsAssertion && !s.assertion) break;  // an error Response stops at status
    if (!s.response && (step.name == "status" || step.name == "assertion")) {
      out.checks.push_back({step.name, true, "a bare Assertion"});
      continue;
    }
    auto r = step.fn(s);
    if (!r) {
      out.failedStep = step.name;
      out.failure = r.error();
      return out;
    }
    out.checks.push_back({step.name, r->skipped, r->note});
  }
  if (s.assertion) readAttributes(s);
  return out;
}

}  // namespace propusk::saml::sp
