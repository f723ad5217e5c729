#include "idp/saml/build/response.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>

#include "idp/crypto/keys.h"
#include "idp/crypto/query_signature.h"
#include "idp/crypto/xml_signature.h"
#include "idp/saml/validation/request_context.h"
#include "idp/xml/dom.h"
#include "idp/xml/namespaces.h"
#include "idp/xml/parser.h"
#include "idp/xml/schema.h"
#include "support.h"

using namespace propusk;
using namespace std::chrono_literals;
namespace ns = propusk::xml::ns;

namespace {

const crypto::KeyPair& rsaKey() {
  static const crypto::KeyPair kp =
      crypto::generateKeyPair(crypto::KeyAlgorithm::Rsa2048, "idp.example.ru", 30, SystemClock());
  return kp;
}
const crypto::KeyPair& ecKey() {
  static const crypto::KeyPair kp =
      crypto::generateKeyPair(crypto::KeyAlgorithm::EcP256, "idp-ec.example.ru", 30, SystemClock());
  return kp;
}
const crypto::KeyPair& otherKey() {
  static const crypto::KeyPair kp =
      crypto::generateKeyPair(crypto::KeyAlgorithm::Rsa2048, "attacker.example", 30, SystemClock());
  return kp;
}

constexpr char kIdp[] = "https://idp.example.ru/saml/metadata";
constexpr char kSp[] = "https://sp.example.org/metadata";
constexpr char kAcs[] = "https://sp.example.org/saml/acs";
constexpr char kSpecial[] = "a <b> & \"c\" 'd'";

saml::AssertionInput sampleInput() {
  const FixedClock clock("2026-01-10T10:00:00Z");
  saml::AssertionInput in;
  in.issuer = kIdp;
  in.audience = kSp;
  in.recipient = kAcs;
  in.inResponseTo = "_req-42";
  in.nameId = "61AtaolXGQHRHlZSxVmVg3pVHECnrkajCj4wqf9tt7c";
  in.nameIdFormat = std::string(saml::kNameIdPersistent);
  in.nameQualifier = kIdp;
  in.spNameQualifier = kSp;
  in.now = clock.now();
  in.authnInstant = clock.now() - 30s;
  in.sessionIndex = "_sess-7";
  in.authnContextClassRef = std::string(saml::kAcPasswordProtectedTransport);
  in.sessionNotOnOrAfter = clock.now() + 8h;
  in.attributes = {
      {"urn:oid:2.16.840.1.113730.3.1.241", "displayName", {"Иванов Иван Иванович"}},
      {"urn:oid:2.5.4.4", "sn", {kSpecial}},
      {"urn:oid:1.3.6.1.4.1.5923.1.1.1.11", "eduPersonAssurance",
       {"https://refeds.org/assurance", "https://refeds.org/assurance/IAP/low"}},
  };
  return in;
}

saml::SigningOptions signingWith(const crypto::KeyPair& kp, bool assertion, bool response) {
  saml::SigningOptions s;
  s.signAssertion = assertion;
  s.signResponse = response;
  s.key = kp.key.get();
  s.cert = kp.cert.get();
  s.algorithm = crypto::defaultAlgorithmFor(kp.key.get());
  return s;
}

xml::XmlDocPtr parseValid(const std::string& text) {
  INFO(text);
  auto doc = xml::parseSecure(text);
  REQUIRE(doc);
  auto valid = xml::SchemaSet::shared()->validate(doc->get());
  INFO((valid ? std::string() : valid.error().detail));
  REQUIRE(valid);
  return std::move(*doc);
}

std::vector<std::string> localNames(const xmlNode* n) {
  std::vector<std::string> out;
  for (xmlNode* c : xml::childElements(n)) out.emplace_back(reinterpret_cast<const char*>(c->name));
  return out;
}

std::string replaceFirst(std::string s, const std::string& from, const std::string& to) {
  auto pos = s.find(from);
  REQUIRE(pos != std::string::npos);
  return s.replace(pos, from.size(), to);
}

std::string xsiType(xmlNode* n) {
  xmlAttr* a = xmlHasNsProp(n, BAD_CAST "type", BAD_CAST ns::kXsi);
  return a && a->children ? reinterpret_cast<const char*>(a->children->content) : "";
}

xmlNode* path(xmlNode* n, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    REQUIRE(n);
    n = xml::child(n, ns::kSaml, name);
  }
  REQUIRE(n);
  return n;
}

}  // namespace

TEST_CASE("success Response: content, timestamps and schema", "[saml][build]") {
  SequenceRandom rnd;
  auto in = sampleInput();
  auto text = saml::buildSuccessResponse(in, signingWith(rsaKey(), true, true), rnd);
  INFO((text ? std::string() : text.error().detail));
  REQUIRE(text);
  auto doc = parseValid(*text);
  xmlNode* root = xmlDocGetRootElement(doc.get());

  REQUIRE(xml::isElement(root, ns::kSamlp, "Response"));
  CHECK(localNames(root) == std::vector<std::string>{"Issuer", "Signature", "Status", "Assertion"});
  CHECK(xml::attr(root, "Version") == "2.0");
  CHECK(xml::attr(root, "IssueInstant") == "2026-01-10T10:00:00Z");
  CHECK(xml::attr(root, "Destination") == kAcs);
  CHECK(xml::attr(root, "InResponseTo") == "_req-42");
  CHECK(xml::trimmedText(xml::child(root, ns::kSaml, "Issuer")) == kIdp);
  CHECK_FALSE(xml::attr(xml::child(root, ns::kSaml, "Issuer"), "Format"));
  xmlNode* status = xml::child(root, ns::kSamlp, "Status");
  REQUIRE(status);
  xmlNode* code = xml::child(status, ns::kSamlp, "StatusCode");
  REQUIRE(code);
  CHECK(xml::attr(code, "Value") == "urn:oasis:names:tc:SAML:2.0:status:Success");
  CHECK(xml::childElements(code).empty());

  auto assertions = xml::children(root, ns::kSaml, "Assertion");
  REQUIRE(assertions.size() == 1);
  xmlNode* a = assertions[0];
  CHECK(localNames(a) == std::vector<std::string>{"Issuer", "Signature", "Subject", "Conditions", "AuthnStatement",
                                                  "AttributeStatement"});
  auto responseId = xml::attr(root, "ID");
  auto assertionId = xml::attr(a, "ID");
  REQUIRE(responseId);
  REQUIRE(assertionId);
  CHECK(responseId->starts_with("_"));
  CHECK(assertionId->starts_with("_"));
  CHECK(*responseId != *assertionId);
  CHECK(xml::attr(a, "Version") == "2.0");
  CHECK(xml::attr(a, "IssueInstant") == "2026-01-10T10:00:00Z");
  CHECK(xml::trimmedText(path(a, {"Issuer"})) == kIdp);

  xmlNode* nameId = path(a, {"Subject", "NameID"});
  CHECK(xml::text(nameId) == in.nameId);
  CHECK(xml::attr(nameId, "Format") == saml::kNameIdPersistent);
  CHECK(xml::attr(nameId, "NameQualifier") == kIdp);
  CHECK(xml::attr(nameId, "SPNameQualifier") == kSp);
  xmlNode* confirmation = path(a, {"Subject", "SubjectConfirmation"});
  CHECK(xml::attr(confirmation, "Method") == "urn:oasis:names:tc:SAML:2.0:cm:bearer");
  xmlNode* data = path(confirmation, {"SubjectConfirmationData"});
  CHECK(xml::attr(data, "Recipient") == kAcs);
  CHECK(xml::attr(data, "NotOnOrAfter") == "2026-01-10T10:05:00Z");
  CHECK(xml::attr(data, "InResponseTo") == "_req-42");
  CHECK_FALSE(xml::attr(data, "NotBefore"));  // profiles §4.1.4.2

  xmlNode* conditions = path(a, {"Conditions"});
  CHECK(xml::attr(conditions, "NotBefore") == "2026-01-10T09:57:00Z");
  CHECK(xml::attr(conditions, "NotOnOrAfter") == "2026-01-10T10:05:00Z");
  CHECK(xml::trimmedText(path(conditions, {"AudienceRestriction", "Audience"})) == kSp);

  xmlNode* authn = path(a, {"AuthnStatement"});
  CHECK(xml::attr(authn, "AuthnInstant") == "2026-01-10T09:59:30Z");
  CHECK(xml::attr(authn, "SessionIndex") == "_sess-7");
  CHECK(xml::attr(authn, "SessionNotOnOrAfter") == "2026-01-10T18:00:00Z");
  CHECK(xml::trimmedText(path(authn, {"AuthnContext", "AuthnContextClassRef"})) ==
        saml::kAcPasswordProtectedTransport);

  auto attributes = xml::children(path(a, {"AttributeStatement"}), ns::kSaml, "Attribute");
  REQUIRE(attributes.size() == in.attributes.size());
  for (std::size_t i = 0; i < attributes.size(); ++i) {
    const auto& want = in.attributes[i];
    INFO(want.friendlyName);
    CHECK(xml::attr(attributes[i], "Name") == want.name);
    CHECK(xml::attr(attributes[i], "FriendlyName") == want.friendlyName);
    CHECK(xml::attr(attributes[i], "NameFormat") == "urn:oasis:names:tc:SAML:2.0:attrname-format:uri");
    auto values = xml::children(attributes[i], ns::kSaml, "AttributeValue");
    REQUIRE(values.size() == want.values.size());
    for (std::size_t j = 0; j < values.size(); ++j) {
      CHECK(xml::text(values[j]) == want.values[j]);
      CHECK(xsiType(values[j]) == "xs:string");
    }
  }
  // The serializer escaped markup in values; Cyrillic is written as UTF-8, not as references.
  CHECK(text->find("a &lt;b&gt; &amp;") != std::string::npos);
  CHECK(text->find("Иванов Иван Иванович") != std::string::npos);
  // Written in exclusive-c14n form: samlp declared once (on the Response), saml where
  // exc-c14n renders it (the Response's Issuer and the Assertion), nothing self-closed.
  CHECK(text->find("xmlns:samlp=") == text->rfind("xmlns:samlp="));
  CHECK(text->find("/>") == std::string::npos);
  // xs/xsi are declared on the Assertion itself, so an SP that lifts the Assertion out of
  // the Response can still resolve xsi:type="xs:string".
  auto reparsed = xml::parseSecure(*text);
  REQUIRE(reparsed);
  xmlNode* assertionNode = xml::child(xmlDocGetRootElement(reparsed->get()), xml::ns::kSaml, "Assertion");
  REQUIRE(assertionNode);
  std::string lifted = xml::serializeNode(assertionNode);
  CHECK(lifted.find("xmlns:xs=\"http://www.w3.org/2001/XMLSchema\"") != std::string::npos);
  CHECK(lifted.find("xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"") != std::string::npos);
}

TEST_CASE("success Response without InResponseTo, attributes or optional fields", "[saml][build]") {
  SequenceRandom rnd;
  auto in = sampleInput();
  in.inResponseTo.reset();
  in.attributes.clear();
  in.nameQualifier.reset();
  in.spNameQualifier.reset();
  in.sessionNotOnOrAfter.reset();
  in.nameIdFormat = std::string(saml::kNameIdTransient);
  in.validity = 90s;
  in.clockSkew = 0s;
  auto text = saml::buildSuccessResponse(in, signingWith(ecKey(), true, false), rnd);
  INFO((text ? std::string() : text.error().detail));
  REQUIRE(text);
  auto doc = parseValid(*text);
  xmlNode* root = xmlDocGetRootElement(doc.get());
  CHECK_FALSE(xml::attr(root, "InResponseTo"));
  xmlNode* a = xml::child(root, ns::kSaml, "Assertion");
  REQUIRE(a);
  CHECK(localNames(a) == std::vector<std::string>{"Issuer", "Signature", "Subject", "Conditions", "AuthnStatement"});
  xmlNode* data = path(a, {"Subject", "SubjectConfirmation", "SubjectConfirmationData"});
  CHECK_FALSE(xml::attr(data, "InResponseTo"));
  CHECK_FALSE(xml::attr(data, "NotBefore"));
  CHECK(xml::attr(data, "NotOnOrAfter") == "2026-01-10T10:01:30Z");
  xmlNode* nameId = path(a, {"Subject", "NameID"});
  CHECK(xml::attr(nameId, "Format") == saml::kNameIdTransient);
  CHECK_FALSE(xml::attr(nameId, "NameQualifier"));
  CHECK_FALSE(xml::attr(nameId, "SPNameQualifier"));
  CHECK(xml::attr(path(a, {"Conditions"}), "NotBefore") == "2026-01-10T10:00:00Z");
  CHECK(xml::attr(path(a, {"Conditions"}), "NotOnOrAfter") == "2026-01-10T10:01:30Z");
  CHECK_FALSE(xml::attr(path(a, {"AuthnStatement"}), "SessionNotOnOrAfter"));
  CHECK(text->find("InResponseTo") == std::string::npos);
}

TEST_CASE("success Response names the AuthenticatingAuthorities after the AuthnContextClassRef", "[saml][build][gateway]") {
  SequenceRandom rnd;
  auto in = sampleInput();
  in.authenticatingAuthorities = {"https://upstream.example/idp", "https://proxy.example/idp?a=1&b=2"};
  auto text = saml::buildSuccessResponse(in, signingWith(rsaKey(), true, true), rnd);
  INFO((text ? std::string() : text.error().detail));
  REQUIRE(text);
  auto doc = parseValid(*text);  // schema order: AuthenticatingAuthority after the class ref
  xmlNode* context = path(xml::child(xmlDocGetRootElement(doc.get()), ns::kSaml, "Assertion"), {"AuthnStatement", "AuthnContext"});
  CHECK(localNames(context) ==
        std::vector<std::string>{"AuthnContextClassRef", "AuthenticatingAuthority", "AuthenticatingAuthority"});
  auto authorities = xml::children(context, ns::kSaml, "AuthenticatingAuthority");
  REQUIRE(authorities.size() == 2);
  CHECK(xml::text(authorities[0]) == in.authenticatingAuthorities[0]);
  CHECK(xml::text(authorities[1]) == in.authenticatingAuthorities[1]);
  // Written in c14n form, so both signatures still verify.
  X509* trusted[] = {rsaKey().cert.get()};
  xmlNode* root = xmlDocGetRootElement(doc.get());
  CHECK(crypto::verifyEnveloped(root, trusted));
  CHECK(crypto::verifyEnveloped(xml::child(root, ns::kSaml, "Assertion"), trusted));

  in.authenticatingAuthorities.clear();
  auto plain = saml::buildSuccessResponse(in, signingWith(rsaKey(), true, true), rnd);
  REQUIRE(plain);
  CHECK(plain->find("AuthenticatingAuthority") == std::string::npos);
}

TEST_CASE("success Response signatures for every key and signing combination", "[saml][build]") {
  test::TempDir dir;
  const std::string ids = " --id-attr:ID urn:oasis:names:tc:SAML:2.0:protocol:Response"
                          " --id-attr:ID urn:oasis:names:tc:SAML:2.0:assertion:Assertion ";
  const std::string responseSig = " --node-xpath \"/*/*[local-name()='Signature']\" ";
  const std::string assertionSig = " --node-xpath \"/*/*[local-name()='Assertion']/*[local-name()='Signature']\" ";

  for (const crypto::KeyPair* kp : {&rsaKey(), &ecKey()}) {
    const bool ec = kp == &ecKey();
    test::writeFile(dir / "cert.pem", crypto::certificatePem(kp->cert.get()));
    const std::string verify = "xmlsec1 --verify --pubkey-cert-pem " + (dir / "cert.pem").string() + ids;
    X509* trusted[] = {kp->cert.get()};
    X509* wrong[] = {otherKey().cert.get()};

    for (auto [signAssertion, signResponse] : {std::pair{true, true}, std::pair{true, false},
                                               std::pair{false, true}, std::pair{false, false}}) {
      INFO((ec ? "EC P-256" : "RSA-2048") << " assertion=" << signAssertion << " response=" << signResponse);
      SystemRandom rnd;
      auto text = saml::buildSuccessResponse(sampleInput(), signingWith(*kp, signAssertion, signResponse), rnd);
      INFO((text ? std::string() : text.error().detail));
      REQUIRE(text);
      auto doc = parseValid(*text);
      xmlNode* root = xmlDocGetRootElement(doc.get());
      xmlNode* assertion = xml::child(root, ns::kSaml, "Assertion");
      REQUIRE(assertion);
      const auto expectedAlg = ec ? crypto::SignatureAlgorithm::EcdsaSha256 : crypto::SignatureAlgorithm::RsaSha256;

      if (signAssertion) {
        // core §5.4.1: right after the Issuer.
        REQUIRE(xml::childElements(assertion).size() > 1);
        CHECK(xml::childElements(assertion)[1] == crypto::signatureChild(assertion));
        auto v = crypto::verifyEnveloped(assertion, trusted);
        INFO((v ? std::string() : v.error().detail));
        REQUIRE(v);
        CHECK(v->signedElement == assertion);
        CHECK(v->algorithm == expectedAlg);
        CHECK_FALSE(crypto::verifyEnveloped(assertion, wrong));
      } else {
        CHECK(crypto::signatureChild(assertion) == nullptr);
      }
      if (signResponse) {
        REQUIRE(xml::childElements(root).size() > 1);
        CHECK(xml::childElements(root)[1] == crypto::signatureChild(root));
        auto v = crypto::verifyEnveloped(root, trusted);
        INFO((v ? std::string() : v.error().detail));
        REQUIRE(v);
        CHECK(v->signedElement == root);
        CHECK(v->algorithm == expectedAlg);
        CHECK_FALSE(crypto::verifyEnveloped(root, wrong));
      } else {
        CHECK(crypto::signatureChild(root) == nullptr);
      }
      if (!signAssertion && !signResponse) {
        CHECK(text->find("Signature") == std::string::npos);
        continue;
      }

      // Independently, with the xmlsec1 command line tool; then with a value changed.
      test::writeFile(dir / "resp.xml", *text);
      test::writeFile(dir / "tampered.xml", replaceFirst(*text, "Иванов Иван Иванович", "Петров Пётр Петрович"));
      for (const std::string& which : {signResponse ? responseSig : std::string(),
                                       signAssertion ? assertionSig : std::string()}) {
        if (which.empty()) continue;
        INFO(which);
        std::string out;
        int rc = test::run(verify + which + (dir / "resp.xml").string(), &out);
        INFO(out);
        CHECK(rc == 0);
        CHECK(out.find("OK") != std::string::npos);
        CHECK(test::run(verify + which + (dir / "tampered.xml").string(), &out) != 0);
      }
    }
  }
}

TEST_CASE("canonical writer: c14n escaping edge cases still verify (ours and xmlsec1)", "[saml][build]") {
  // The Response is written in exclusive-c14n form by hand: CR, TAB, LF, quotes and markup
  // characters in text and attribute values must be escaped exactly as c14n §2.3 says, or
  // every verifier would compute another digest.
  auto in = sampleInput();
  in.issuer = "https://idp.example.ru/saml/metadata?a=1&b=\"2\"";
  in.recipient = "https://sp.example.org/acs?x=<1>&y='2'";
  in.attributes = {{"urn:oid:2.5.4.4", "sn", {"line1\r\nline2\ttab \"q\" 'a' <&>", "", "Ёжиков"}}};
  SystemRandom rnd;
  auto text = saml::buildSuccessResponse(in, signingWith(rsaKey(), true, true), rnd);
  REQUIRE(text);
  auto doc = parseValid(*text);
  xmlNode* root = xmlDocGetRootElement(doc.get());
  xmlNode* assertion = xml::child(root, ns::kSaml, "Assertion");
  X509* trusted[] = {rsaKey().cert.get()};
  auto va = crypto::verifyEnveloped(assertion, trusted);
  INFO((va ? std::string() : va.error().detail));
  CHECK(va);
  auto vr = crypto::verifyEnveloped(root, trusted);
  INFO((vr ? std::string() : vr.error().detail));
  CHECK(vr);
  // The parsed values are what was put in (CR survives as &#xD;, not normalised away).
  auto values = xml::children(path(assertion, {"AttributeStatement", "Attribute"}), ns::kSaml, "AttributeValue");
  REQUIRE(values.size() == 3);
  CHECK(xml::text(values[0]) == "line1\r\nline2\ttab \"q\" 'a' <&>");
  CHECK(xml::text(values[1]).empty());
  CHECK(xml::attr(root, "Destination") == in.recipient);

  test::TempDir dir;
  test::writeFile(dir / "cert.pem", crypto::certificatePem(rsaKey().cert.get()));
  test::writeFile(dir / "resp.xml", *text);
  std::string out;
  int rc = test::run("xmlsec1 --verify --pubkey-cert-pem " + (dir / "cert.pem").string() +
                         " --id-attr:ID urn:oasis:names:tc:SAML:2.0:protocol:Response"
                         " --id-attr:ID urn:oasis:names:tc:SAML:2.0:assertion:Assertion"
                         " --node-xpath \"/*/*[local-name()='Assertion']/*[local-name()='Signature']\" " +
                         (dir / "resp.xml").string(),
                     &out);
  INFO(out);
  CHECK(rc == 0);
}

TEST_CASE("a prepared signer and certificate text give the same Response as the key itself", "[saml][build]") {
  // RSA PKCS#1 v1.5 signatures are deterministic: the same input gives the same bytes.
  auto plain = signingWith(rsaKey(), true, true);
  crypto::DetachedSigner signer(rsaKey().key.get(), plain.algorithm);
  const std::string certText = crypto::certificateBase64Der(rsaKey().cert.get());
  auto prepared = plain;
  prepared.key = signer.key();
  prepared.signer = &signer;
  prepared.certBase64 = certText;
  SequenceRandom r1, r2;
  auto a = saml::buildSuccessResponse(sampleInput(), plain, r1);
  auto b = saml::buildSuccessResponse(sampleInput(), prepared, r2);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*a == *b);
  SequenceRandom r3;
  auto again = saml::buildSuccessResponse(sampleInput(), prepared, r3);  // the context is reused
  REQUIRE(again);
  CHECK(*again == *a);

  // A signer for another algorithm than the one named is refused, not used.
  auto otherAlg = prepared;
  otherAlg.algorithm = crypto::SignatureAlgorithm::RsaSha512;
  SequenceRandom r5;
  CHECK_FALSE(saml::buildSuccessResponse(sampleInput(), otherAlg, r5));

  // A signer for another key than the one named is refused, not used.
  auto wrong = prepared;
  wrong.key = rsaKey().key.get();
  SequenceRandom r4;
  auto refused = saml::buildSuccessResponse(sampleInput(), wrong, r4);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().top == StatusCode::Responder);
}

TEST_CASE("success Response refuses to sign without a usable key", "[saml][build]") {
  SequenceRandom rnd;
  auto noKey = signingWith(rsaKey(), true, true);
  noKey.key = nullptr;
  noKey.cert = nullptr;
  auto r = saml::buildSuccessResponse(sampleInput(), noKey, rnd);
  REQUIRE_FALSE(r);
  CHECK(r.error().top == StatusCode::Responder);

  auto mismatch = signingWith(ecKey(), false, true);
  mismatch.algorithm = crypto::SignatureAlgorithm::RsaSha256;
  r = saml::buildSuccessResponse(sampleInput(), mismatch, rnd);
  REQUIRE_FALSE(r);
  CHECK(r.error().top == StatusCode::Responder);

  // Not signing needs no key.
  noKey.signAssertion = noKey.signResponse = false;
  CHECK(saml::buildSuccessResponse(sampleInput(), noKey, rnd));
}

TEST_CASE("error Response: status codes, no Assertion, signed when asked", "[saml][build]") {
  const FixedClock clock("2026-01-10T10:00:00Z");
  X509* trusted[] = {rsaKey().cert.get()};

  saml::ErrorResponseInput in;
  in.issuer = kIdp;
  in.destination = kAcs;
  in.inResponseTo = "_req-42";
  in.top = StatusCode::Requester;
  in.second = status::kRequestDenied;
  in.now = clock.now();

  SECTION("signed, with a second-level code") {
    SequenceRandom rnd;
    auto text = saml::buildErrorResponse(in, signingWith(rsaKey(), true, true), rnd);
    INFO((text ? std::string() : text.error().detail));
    REQUIRE(text);
    auto doc = parseValid(*text);
    xmlNode* root = xmlDocGetRootElement(doc.get());
    CHECK(localNames(root) == std::vector<std::string>{"Issuer", "Signature", "Status"});
    CHECK(xml::attr(root, "Destination") == kAcs);
    CHECK(xml::attr(root, "InResponseTo") == "_req-42");
    CHECK(xml::attr(root, "IssueInstant") == "2026-01-10T10:00:00Z");
    xmlNode* code = xml::child(xml::child(root, ns::kSamlp, "Status"), ns::kSamlp, "StatusCode");
    REQUIRE(code);
    CHECK(xml::attr(code, "Value") == "urn:oasis:names:tc:SAML:2.0:status:Requester");
    auto nested = xml::children(code, ns::kSamlp, "StatusCode");
    REQUIRE(nested.size() == 1);
    CHECK(xml::attr(nested[0], "Value") == status::kRequestDenied);
    CHECK(xml::child(root, ns::kSaml, "Assertion") == nullptr);
    auto v = crypto::verifyEnveloped(root, trusted);
    INFO((v ? std::string() : v.error().detail));
    REQUIRE(v);
    CHECK(v->signedElement == root);
  }
  SECTION("unsigned without a key or when the Response is not to be signed, top-level code only") {
    in.top = StatusCode::Responder;
    in.second = status::kNone;
    in.inResponseTo.reset();
    for (auto signing : {saml::SigningOptions{}, signingWith(rsaKey(), true, false)}) {
      SequenceRandom rnd;
      auto text = saml::buildErrorResponse(in, signing, rnd);
      REQUIRE(text);
      auto doc = parseValid(*text);
      xmlNode* root = xmlDocGetRootElement(doc.get());
      CHECK(localNames(root) == std::vector<std::string>{"Issuer", "Status"});
      CHECK_FALSE(xml::attr(root, "InResponseTo"));
      xmlNode* code = xml::child(xml::child(root, ns::kSamlp, "Status"), ns::kSamlp, "StatusCode");
      REQUIRE(code);
      CHECK(xml::attr(code, "Value") == "urn:oasis:names:tc:SAML:2.0:status:Responder");
      CHECK(xml::childElements(code).empty());
    }
  }
}

TEST_CASE("buildSuccessResponse timing, both signatures, RSA-2048", "[.bench]") {
  SystemRandom rnd;
  auto in = sampleInput();
  auto signing = signingWith(rsaKey(), true, true);
  REQUIRE(saml::buildSuccessResponse(in, signing, rnd));  // warm up (xmlsec init, schema-free)
  std::vector<double> ms;
  for (int i = 0; i < 200; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = saml::buildSuccessResponse(in, signing, rnd);
    auto t1 = std::chrono::steady_clock::now();
    REQUIRE(r);
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::ranges::sort(ms);
  WARN("median " << ms[ms.size() / 2] << " ms, min " << ms.front() << " ms, max " << ms.back() << " ms");
}
