#include "idp/crypto/xml_signature.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "idp/core/base64.h"
#include "idp/crypto/keys.h"
#include "idp/xml/dom.h"
#include "idp/xml/ids.h"
#include "idp/xml/namespaces.h"
#include "idp/xml/parser.h"
#include "support.h"

using namespace propusk;
using namespace propusk::crypto;
namespace ns = propusk::xml::ns;

namespace {

const KeyPair& rsaKey() {
  static const KeyPair kp = generateKeyPair(KeyAlgorithm::Rsa2048, "idp.test", 30, SystemClock());
  return kp;
}
const KeyPair& otherRsaKey() {
  static const KeyPair kp = generateKeyPair(KeyAlgorithm::Rsa2048, "attacker.test", 30, SystemClock());
  return kp;
}
const KeyPair& ecKey() {
  static const KeyPair kp = generateKeyPair(KeyAlgorithm::EcP256, "idp-ec.test", 30, SystemClock());
  return kp;
}

constexpr char kResponse[] =
    R"(<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" )"
    R"(xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_resp1" Version="2.0" )"
    R"(IssueInstant="2026-01-10T10:00:00Z" Destination="https://sp.example.org/acs">)"
    R"(<saml:Issuer>https://idp.example.org/saml/metadata</saml:Issuer>)"
    R"(<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>)"
    R"(<saml:Assertion ID="_assert1" Version="2.0" IssueInstant="2026-01-10T10:00:00Z">)"
    R"(<saml:Issuer>https://idp.example.org/saml/metadata</saml:Issuer>)"
    R"(<saml:Subject><saml:NameID>alice</saml:NameID></saml:Subject>)"
    R"(</saml:Assertion></samlp:Response>)";

constexpr char kMetadata[] =
    R"(<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" ID="_md1" )"
    R"(entityID="https://idp.example.org/saml/metadata"><md:IDPSSODescriptor )"
    R"(protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">)"
    R"(<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" )"
    R"(Location="https://idp.example.org/saml/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>)";

xml::XmlDocPtr parse(const std::string& text) {
  auto doc = xml::parseSecure(text);
  INFO(text);
  REQUIRE(doc);
  return std::move(*doc);
}

xmlNode* root(const xml::XmlDocPtr& doc) { return xmlDocGetRootElement(doc.get()); }
xmlNode* assertionOf(const xml::XmlDocPtr& doc) { return xml::child(root(doc), ns::kSaml, "Assertion"); }
xmlNode* issuerOf(xmlNode* n) { return xml::child(n, ns::kSaml, "Issuer"); }

std::vector<X509*> trust(std::initializer_list<const KeyPair*> kps) {
  std::vector<X509*> out;
  for (auto* kp : kps) out.push_back(kp->cert.get());
  return out;
}

// Signs the Response (signature after its Issuer) and returns it as a peer receives it.
std::string signedResponse(const KeyPair& kp, SignOptions options = {}) {
  auto doc = parse(kResponse);
  auto st = signEnveloped(root(doc), issuerOf(root(doc)), kp.key.get(), kp.cert.get(), options);
  INFO((st ? std::string() : st.error().detail));
  REQUIRE(st);
  return xml::serialize(doc.get());
}

Result<VerifiedSignature> verifyRoot(const std::string& text, std::vector<X509*> trusted,
                                     VerifyOptions options = {}) {
  auto doc = parse(text);
  return verifyEnveloped(root(doc), trusted, options);
}

bool refused(const Result<VerifiedSignature>& r, const std::string& needle) {
  if (r) return false;
  INFO("detail: " << r.error().detail);
  CHECK(r.error().top == StatusCode::Requester);
  return r.error().detail.find(needle) != std::string::npos;
}

xmlNode* signedInfoOf(xmlNode* signature) { return xml::child(signature, ns::kDs, "SignedInfo"); }
xmlNode* referenceOf(xmlNode* signature) { return xml::child(signedInfoOf(signature), ns::kDs, "Reference"); }

std::string replaceFirst(std::string s, const std::string& from, const std::string& to) {
  auto pos = s.find(from);
  REQUIRE(pos != std::string::npos);
  return s.replace(pos, from.size(), to);
}

}  // namespace

TEST_CASE("signature algorithm URIs", "[crypto]") {
  CHECK(signatureAlgorithmUri(SignatureAlgorithm::RsaSha256) ==
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256");
  CHECK(signatureAlgorithmUri(SignatureAlgorithm::EcdsaSha256) ==
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256");
  CHECK(signatureAlgorithmUri(SignatureAlgorithm::RsaSha1) == "http://www.w3.org/2000/09/xmldsig#rsa-sha1");
  for (auto a : {SignatureAlgorithm::RsaSha256, SignatureAlgorithm::RsaSha512, SignatureAlgorithm::EcdsaSha256,
                 SignatureAlgorithm::RsaSha1, SignatureAlgorithm::EcdsaSha1})
    CHECK(signatureAlgorithmFromUri(signatureAlgorithmUri(a)) == a);
  CHECK_FALSE(signatureAlgorithmFromUri("http://www.w3.org/2000/09/xmldsig#dsa-sha1"));
  CHECK(isSha1(SignatureAlgorithm::RsaSha1));
  CHECK(isSha1(SignatureAlgorithm::EcdsaSha1));
  CHECK_FALSE(isSha1(SignatureAlgorithm::RsaSha256));
  CHECK(defaultAlgorithmFor(rsaKey().key.get()) == SignatureAlgorithm::RsaSha256);
  CHECK(defaultAlgorithmFor(ecKey().key.get()) == SignatureAlgorithm::EcdsaSha256);
}

TEST_CASE("xmlsec initialisation keeps our external entity loader", "[crypto]") {
  xml::initialize();
  xmlExternalEntityLoader before = xmlGetExternalEntityLoader();
  initializeXmlsec();
  initializeXmlsec();
  CHECK(xmlGetExternalEntityLoader() == before);
}

TEST_CASE("sign and verify round trip after serialising and re-parsing", "[crypto]") {
  struct Case {
    const KeyPair* kp;
    SignatureAlgorithm alg;
    const char* digest;
  };
  for (auto c : {Case{&rsaKey(), SignatureAlgorithm::RsaSha256, "http://www.w3.org/2001/04/xmlenc#sha256"},
                 Case{&rsaKey(), SignatureAlgorithm::RsaSha512, "http://www.w3.org/2001/04/xmlenc#sha512"},
                 Case{&ecKey(), SignatureAlgorithm::EcdsaSha256, "http://www.w3.org/2001/04/xmlenc#sha256"}}) {
    INFO(signatureAlgorithmUri(c.alg));
    std::string text = signedResponse(*c.kp, {.algorithm = c.alg});
    auto doc = parse(text);

    // Placement (core §5.4.1) and shape of what we wrote.
    xmlNode* sig = signatureChild(root(doc));
    REQUIRE(sig);
    CHECK((sig->ns && xmlStrEqual(sig->ns->prefix, BAD_CAST "ds")));
    xmlNode* afterIssuer = issuerOf(root(doc))->next;
    while (afterIssuer && afterIssuer->type != XML_ELEMENT_NODE) afterIssuer = afterIssuer->next;
    CHECK(afterIssuer == sig);
    xmlNode* si = signedInfoOf(sig);
    CHECK(xml::attr(xml::child(si, ns::kDs, "CanonicalizationMethod"), "Algorithm") ==
          "http://www.w3.org/2001/10/xml-exc-c14n#");
    CHECK(xml::attr(xml::child(si, ns::kDs, "SignatureMethod"), "Algorithm") ==
          std::string(signatureAlgorithmUri(c.alg)));
    xmlNode* ref = referenceOf(sig);
    CHECK(xml::attr(ref, "URI") == "#_resp1");
    auto transforms = xml::children(xml::child(ref, ns::kDs, "Transforms"), ns::kDs, "Transform");
    REQUIRE(transforms.size() == 2);
    CHECK(xml::attr(transforms[0], "Algorithm") == "http://www.w3.org/2000/09/xmldsig#enveloped-signature");
    CHECK(xml::attr(transforms[1], "Algorithm") == "http://www.w3.org/2001/10/xml-exc-c14n#");
    CHECK(xml::attr(xml::child(ref, ns::kDs, "DigestMethod"), "Algorithm") == c.digest);
    xmlNode* certNode = xml::child(xml::child(xml::child(sig, ns::kDs, "KeyInfo"), ns::kDs, "X509Data"),
                                   ns::kDs, "X509Certificate");
    CHECK(xml::text(certNode) == certificateBase64Der(c.kp->cert.get()));
    if (c.alg == SignatureAlgorithm::EcdsaSha256) {
      // xmldsig-more §3.3.1: raw r||s, 32 bytes each for P-256, not DER.
      auto value = base64Decode(xml::text(xml::child(sig, ns::kDs, "SignatureValue")));
      REQUIRE(value);
      CHECK(value->size() == 64);
    }

    auto r = verifyEnveloped(root(doc), trust({c.kp}));
    INFO((r ? std::string() : r.error().detail));
    REQUIRE(r);
    CHECK(r->signedElement == root(doc));
    CHECK(r->algorithm == c.alg);
    CHECK(r->trustedIndex == 0);
    auto direct = verifySignature(sig, trust({c.kp}));
    REQUIRE(direct);
    CHECK(direct->signedElement == root(doc));
  }
}

TEST_CASE("signed assertion inside a response, and metadata signed as first child", "[crypto]") {
  auto doc = parse(kResponse);
  xmlNode* assertion = assertionOf(doc);
  REQUIRE(signEnveloped(assertion, issuerOf(assertion), rsaKey().key.get(), rsaKey().cert.get()));
  auto again = parse(xml::serialize(doc.get()));
  auto r = verifyEnveloped(assertionOf(again), trust({&rsaKey()}));
  REQUIRE(r);
  CHECK(r->signedElement == assertionOf(again));
  CHECK(refused(verifyEnveloped(root(again), trust({&rsaKey()})), "no ds:Signature"));

  auto md = parse(kMetadata);
  REQUIRE(signEnveloped(root(md), nullptr, ecKey().key.get(), ecKey().cert.get(),
                        {.algorithm = SignatureAlgorithm::EcdsaSha256, .includeCertificate = false}));
  auto mdAgain = parse(xml::serialize(md.get()));
  xmlNode* first = xml::childElements(root(mdAgain)).front();
  CHECK(first == signatureChild(root(mdAgain)));
  CHECK_FALSE(xml::child(first, ns::kDs, "KeyInfo"));
  CHECK(verifyEnveloped(root(mdAgain), trust({&ecKey()})));
}

TEST_CASE("signing refuses what it cannot sign safely", "[crypto]") {
  // Built without ID registration: xml::markId is needed first.
  xml::ParseLimits noIds;
  noIds.idAttribute = nullptr;
  auto parsed = xml::parseSecure(kMetadata, noIds);
  REQUIRE(parsed);
  xmlNode* md = xmlDocGetRootElement(parsed->get());
  auto st = signEnveloped(md, nullptr, rsaKey().key.get(), rsaKey().cert.get());
  REQUIRE_FALSE(st);
  CHECK(st.error().top == StatusCode::Responder);
  CHECK(xml::childElements(md).size() == 1);  // nothing inserted
  REQUIRE(xml::markId(md));
  REQUIRE(signEnveloped(md, nullptr, rsaKey().key.get(), rsaKey().cert.get()));
  // Already signed.
  CHECK_FALSE(signEnveloped(md, nullptr, rsaKey().key.get(), rsaKey().cert.get()));

  auto doc = parse(kResponse);
  // Algorithm that does not fit the key, certificate of another key, `after` elsewhere.
  CHECK_FALSE(signEnveloped(root(doc), nullptr, rsaKey().key.get(), rsaKey().cert.get(),
                            {.algorithm = SignatureAlgorithm::EcdsaSha256}));
  CHECK_FALSE(signEnveloped(root(doc), nullptr, ecKey().key.get(), ecKey().cert.get(),
                            {.algorithm = SignatureAlgorithm::RsaSha256}));
  CHECK_FALSE(signEnveloped(root(doc), nullptr, rsaKey().key.get(), otherRsaKey().cert.get()));
  CHECK_FALSE(signEnveloped(root(doc), issuerOf(assertionOf(doc)), rsaKey().key.get(), rsaKey().cert.get()));
  CHECK_FALSE(signatureChild(root(doc)));
}

TEST_CASE("tampered content or signature value is refused", "[crypto]") {
  std::string text = signedResponse(rsaKey());
  CHECK(verifyRoot(text, trust({&rsaKey()})));
  CHECK(refused(verifyRoot(replaceFirst(text, ">alice<", ">mallory<"), trust({&rsaKey()})),
                "digest mismatch"));
  CHECK(refused(verifyRoot(replaceFirst(text, "Destination=\"https://sp.example.org/acs\"",
                                        "Destination=\"https://evil.example/acs\""),
                           trust({&rsaKey()})),
                "digest mismatch"));

  auto doc = parse(text);
  xmlNode* value = xml::child(signatureChild(root(doc)), ns::kDs, "SignatureValue");
  std::string b64 = xml::trimmedText(value);
  b64[10] = b64[10] == 'A' ? 'B' : 'A';
  xmlNodeSetContent(value, BAD_CAST b64.c_str());
  CHECK(refused(verifyEnveloped(root(doc), trust({&rsaKey()})), "signature invalid"));
}

TEST_CASE("only the trusted certificates count, never KeyInfo", "[crypto]") {
  std::string text = signedResponse(rsaKey());
  CHECK(refused(verifyRoot(text, trust({&otherRsaKey()})), "no trusted key matched"));
  CHECK(refused(verifyRoot(text, trust({&ecKey()})), "no trusted key matched"));
  CHECK(refused(verifyRoot(text, {}), "no trusted certificate"));

  auto several = verifyRoot(text, trust({&ecKey(), &otherRsaKey(), &rsaKey()}));
  REQUIRE(several);
  CHECK(several->trustedIndex == 2);

  // The attacker signs with their own key and ships their certificate in KeyInfo.
  std::string forged = signedResponse(otherRsaKey());
  CHECK(refused(verifyRoot(forged, trust({&rsaKey()})), "no trusted key matched"));

  // A genuine signature whose KeyInfo was swapped for the attacker's certificate still
  // verifies with the trusted key: KeyInfo plays no part.
  std::string swapped = replaceFirst(text, certificateBase64Der(rsaKey().cert.get()),
                                     certificateBase64Der(otherRsaKey().cert.get()));
  CHECK(verifyRoot(swapped, trust({&rsaKey()})));
  CHECK_FALSE(verifyRoot(swapped, trust({&otherRsaKey()})));
}

TEST_CASE("signature wrapping: the signature must cover the element processed", "[crypto]") {
  // The IdP signed the assertion for alice.
  auto doc = parse(kResponse);
  xmlNode* good = assertionOf(doc);
  REQUIRE(signEnveloped(good, issuerOf(good), rsaKey().key.get(), rsaKey().cert.get()));
  std::string signedAssertion = xml::serializeNode(good);
  auto sigStart = signedAssertion.find("<ds:Signature");
  auto sigEnd = signedAssertion.find("</ds:Signature>") + std::string("</ds:Signature>").size();
  std::string signature = signedAssertion.substr(sigStart, sigEnd - sigStart);
  std::string unsignedGood = signedAssertion.substr(0, sigStart) + signedAssertion.substr(sigEnd);

  // The attacker moves the signed assertion into Extensions and puts an evil one first,
  // carrying the original signature (whose Reference still says "#_assert1").
  std::string evil =
      R"(<saml:Assertion ID="_evil" Version="2.0" IssueInstant="2026-01-10T10:00:00Z">)"
      R"(<saml:Issuer>https://idp.example.org/saml/metadata</saml:Issuer>)" +
      signature + R"(<saml:Subject><saml:NameID>admin</saml:NameID></saml:Subject></saml:Assertion>)";
  std::string attack =
      R"(<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" )"
      R"(xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_resp1" Version="2.0" )"
      R"(IssueInstant="2026-01-10T10:00:00Z"><saml:Issuer>https://idp.example.org/saml/metadata</saml:Issuer>)"
      R"(<samlp:Extensions>)" + unsignedGood + R"(</samlp:Extensions>)" + evil + R"(</samlp:Response>)";

  auto attacked = parse(attack);
  xmlNode* evilNode = assertionOf(attacked);
  REQUIRE(xml::attr(evilNode, "ID") == "_evil");
  xmlNode* moved = xml::child(xml::child(root(attacked), ns::kSamlp, "Extensions"), ns::kSaml, "Assertion");
  REQUIRE(moved);

  // The signature itself is valid, but over the moved assertion.
  auto r = verifySignature(signatureChild(evilNode), trust({&rsaKey()}));
  INFO((r ? std::string() : r.error().detail));
  REQUIRE(r);
  CHECK(r->signedElement == moved);
  CHECK(refused(verifyEnveloped(evilNode, trust({&rsaKey()})), "covers another element"));
}

TEST_CASE("References: exactly one, same-document \"#id\" only", "[crypto]") {
  std::string text = signedResponse(rsaKey());
  auto mutate = [&](auto&& change) {
    auto doc = parse(text);
    change(referenceOf(signatureChild(root(doc))));
    return verifyEnveloped(root(doc), trust({&rsaKey()}));
  };

  CHECK(refused(mutate([](xmlNode* ref) { xmlAddNextSibling(ref, xmlCopyNode(ref, 1)); }),
                "2 References"));
  CHECK(refused(mutate([](xmlNode* ref) { xmlSetProp(ref, BAD_CAST "URI", BAD_CAST ""); }),
                "whole document"));
  CHECK(refused(mutate([](xmlNode* ref) { xmlUnsetProp(ref, BAD_CAST "URI"); }), "without a URI"));
  CHECK(refused(mutate([](xmlNode* ref) {
                  xmlSetProp(ref, BAD_CAST "URI", BAD_CAST "https://evil.example/doc.xml#_resp1");
                }),
                "not same-document"));
  CHECK(refused(mutate([](xmlNode* ref) { xmlSetProp(ref, BAD_CAST "URI", BAD_CAST "#xpointer(/)"); }),
                "bare"));
  CHECK(refused(mutate([](xmlNode* ref) { xmlSetProp(ref, BAD_CAST "URI", BAD_CAST "#_nowhere"); }),
                "resolves to no element"));
  // An ID crafted to break out of xmlsec's xpointer(id('...')) is not an NCName.
  std::string injected = replaceFirst(replaceFirst(text, "ID=\"_resp1\"", "ID=\"a') | id('b\""),
                                      "URI=\"#_resp1\"", "URI=\"#a') | id('b\"");
  CHECK(refused(verifyRoot(injected, trust({&rsaKey()})), "bare"));
  CHECK(refused(mutate([](xmlNode* ref) {
                  xmlNode* t = xml::child(xml::child(ref, ns::kDs, "Transforms"), ns::kDs, "Transform");
                  xmlSetProp(t, BAD_CAST "Algorithm", BAD_CAST "http://www.w3.org/TR/1999/REC-xslt-19991116");
                }),
                "transform not allowed"));
  CHECK(refused(mutate([](xmlNode* ref) {
                  xmlNode* t = xml::child(xml::child(ref, ns::kDs, "Transforms"), ns::kDs, "Transform");
                  for (int i = 0; i < 5; ++i) xmlAddNextSibling(t, xmlCopyNode(t, 1));
                }),
                "7 transforms"));
  CHECK(refused(mutate([](xmlNode* ref) {
                  xmlSetProp(xml::child(ref, ns::kDs, "DigestMethod"), BAD_CAST "Algorithm",
                             BAD_CAST "http://www.w3.org/2001/04/xmldsig-more#md5");
                }),
                "unknown digest algorithm"));
}

TEST_CASE("SHA-1 is refused unless allowed", "[crypto]") {
  std::string text = signedResponse(rsaKey(), {.algorithm = SignatureAlgorithm::RsaSha1});
  CHECK(text.find("http://www.w3.org/2000/09/xmldsig#sha1") != std::string::npos);
  CHECK(refused(verifyRoot(text, trust({&rsaKey()})), "SHA-1"));
  auto allowed = verifyRoot(text, trust({&rsaKey()}), {.allowSha1 = true});
  INFO((allowed ? std::string() : allowed.error().detail));
  REQUIRE(allowed);
  CHECK(allowed->algorithm == SignatureAlgorithm::RsaSha1);

  std::string ec = signedResponse(ecKey(), {.algorithm = SignatureAlgorithm::EcdsaSha1});
  CHECK(refused(verifyRoot(ec, trust({&ecKey()})), "SHA-1"));
  CHECK(verifyRoot(ec, trust({&ecKey()}), {.allowSha1 = true}));

  // RSA-SHA256 over a SHA-1 digest is SHA-1 all the same.
  auto doc = parse(signedResponse(rsaKey()));
  xmlSetProp(xml::child(referenceOf(signatureChild(root(doc))), ns::kDs, "DigestMethod"),
             BAD_CAST "Algorithm", BAD_CAST "http://www.w3.org/2000/09/xmldsig#sha1");
  CHECK(refused(verifyEnveloped(root(doc), trust({&rsaKey()})), "SHA-1 digest"));

  // An algorithm we do not know at all.
  auto dsa = parse(signedResponse(rsaKey()));
  xmlSetProp(xml::child(signedInfoOf(signatureChild(root(dsa))), ns::kDs, "SignatureMethod"),
             BAD_CAST "Algorithm", BAD_CAST "http://www.w3.org/2000/09/xmldsig#dsa-sha1");
  CHECK(refused(verifyEnveloped(root(dsa), trust({&rsaKey()})), "unknown signature algorithm"));
}

TEST_CASE("unsigned element and two signatures are refused", "[crypto]") {
  CHECK(refused(verifyRoot(kResponse, trust({&rsaKey()})), "not signed"));

  auto doc = parse(signedResponse(rsaKey()));
  xmlNode* sig = signatureChild(root(doc));
  xmlAddNextSibling(sig, xmlCopyNode(sig, 1));
  CHECK(refused(verifyEnveloped(root(doc), trust({&rsaKey()})), "2 ds:Signature children"));

  CHECK(refused(verifySignature(root(doc), trust({&rsaKey()})), "not a ds:Signature"));
}

TEST_CASE("signing and verifying concurrently on separate documents", "[crypto]") {
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      const KeyPair& kp = t % 2 ? ecKey() : rsaKey();
      for (int i = 0; i < 8; ++i) {
        auto doc = xml::parseSecure(kResponse);
        if (!doc) return;
        xmlNode* r = xmlDocGetRootElement(doc->get());
        if (!signEnveloped(r, nullptr, kp.key.get(), kp.cert.get(),
                           {.algorithm = defaultAlgorithmFor(kp.key.get())}))
          return;
        auto again = xml::parseSecure(xml::serialize(doc->get()));
        if (!again) return;
        std::vector<X509*> trusted{rsaKey().cert.get(), ecKey().cert.get()};
        auto v = verifyEnveloped(xmlDocGetRootElement(again->get()), trusted);
        if (v && v->trustedIndex == static_cast<std::size_t>(t % 2)) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(ok == 6 * 8);
}

TEST_CASE("interop with the xmlsec1 command line tool", "[crypto][interop]") {
  test::TempDir dir;
  const std::string idAttr = " --id-attr:ID urn:oasis:names:tc:SAML:2.0:protocol:Response ";

  for (const KeyPair* kp : {&rsaKey(), &ecKey()}) {
    const bool ec = kp == &ecKey();
    INFO((ec ? "EC" : "RSA"));
    test::writeFile(dir / "cert.pem", certificatePem(kp->cert.get()));
    test::writeFile(dir / "key.pem", privateKeyPem(kp->key.get()));

    // (a) Ours, verified by xmlsec1 with the certificate given on the command line.
    std::string text = signedResponse(*kp, {.algorithm = defaultAlgorithmFor(kp->key.get())});
    test::writeFile(dir / "ours.xml", text);
    test::writeFile(dir / "ours-tampered.xml", replaceFirst(text, ">alice<", ">mallory<"));
    std::string out;
    std::string verify = "xmlsec1 --verify --pubkey-cert-pem " + (dir / "cert.pem").string() + idAttr;
    CHECK(test::run(verify + (dir / "ours.xml").string(), &out) == 0);
    INFO(out);
    CHECK(test::run(verify + (dir / "ours-tampered.xml").string(), &out) != 0);

    // (b) A template signed by xmlsec1, verified by us.
    std::string method = std::string(signatureAlgorithmUri(defaultAlgorithmFor(kp->key.get())));
    std::string tmpl = replaceFirst(
        kResponse, "</saml:Issuer>",
        "</saml:Issuer><ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo>"
        "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>"
        "<ds:SignatureMethod Algorithm=\"" + method + "\"/><ds:Reference URI=\"#_resp1\"><ds:Transforms>"
        "<ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>"
        "<ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/></ds:Transforms>"
        "<ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/><ds:DigestValue/>"
        "</ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo>"
        "</ds:Signature>");
    test::writeFile(dir / "tmpl.xml", tmpl);
    int rc = test::run("xmlsec1 --sign --privkey-pem " + (dir / "key.pem").string() + "," +
                           (dir / "cert.pem").string() + idAttr + "--output " +
                           (dir / "theirs.xml").string() + " " + (dir / "tmpl.xml").string(),
                       &out);
    INFO(out);
    REQUIRE(rc == 0);
    std::string theirs = test::readFile(dir / "theirs.xml");
    CHECK(theirs.find("<ds:X509Certificate>") != std::string::npos);
    auto r = verifyRoot(theirs, trust({kp}));
    INFO((r ? std::string() : r.error().detail));
    REQUIRE(r);
    CHECK(r->algorithm == defaultAlgorithmFor(kp->key.get()));
    CHECK(refused(verifyRoot(replaceFirst(theirs, ">alice<", ">mallory<"), trust({kp})),
                  "digest mismatch"));
    CHECK_FALSE(verifyRoot(theirs, trust({&otherRsaKey()})));
  }
}
