#include "idp/saml/build/logout.h"

#include <catch2/catch.hpp>

#include <chrono>

#include "idp/crypto/keys.h"
#include "idp/crypto/query_signature.h"
#include "idp/crypto/xml_signature.h"
#include "idp/saml/bindings/redirect.h"
#include "idp/saml/bindings/soap.h"
#include "idp/saml/messages/logout_response.h"
#include "idp/xml/dom.h"
#include "idp/xml/namespaces.h"
#include "saml/validation/logout_fixture.h"
#include "support.h"

using namespace propusk;
using namespace std::chrono_literals;
using saml::Binding;

namespace {

constexpr char kIdp[] = "https://idp.example.ru/saml/metadata";

const crypto::KeyPair& idpRsa() {
  static const crypto::KeyPair kp = crypto::generateKeyPair(crypto::KeyAlgorithm::Rsa2048, "idp.example.ru", 30, SystemClock());
  return kp;
}
const crypto::KeyPair& idpEc() {
  static const crypto::KeyPair kp = crypto::generateKeyPair(crypto::KeyAlgorithm::EcP256, "idp-ec.example.ru", 30, SystemClock());
  return kp;
}

saml::MessageSigning signingWith(const crypto::KeyPair& kp) {
  return {kp.key.get(), kp.cert.get(), crypto::defaultAlgorithmFor(kp.key.get())};
}

const FixedClock& testClock() {
  static const FixedClock c("2026-01-10T10:00:00Z");
  return c;
}

saml::LogoutRequestInput requestInput(const std::string& destination = test::kSpSlo) {
  saml::LogoutRequestInput in;
  in.issuer = kIdp;
  in.destination = destination;
  in.nameId = {"pairwise-42", std::string("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"), std::string(kIdp),
               std::string(test::kSpId)};
  in.sessionIndexes = {"_sess-7"};
  in.now = testClock().now();
  return in;
}

saml::LogoutResponseInput responseInput() {
  saml::LogoutResponseInput in;
  in.issuer = kIdp;
  in.destination = test::kSpSlo;
  in.inResponseTo = "_sp-req-1";
  in.now = testClock().now();
  return in;
}

// The receiving side, as an SP would check what we sent: our entity registered with our
// certificate, the steps of logout_steps.h run over the message (same verifier as ours).
struct Receiver {
  test::LogoutFixture f;
  explicit Receiver(const crypto::KeyPair& idp, Binding binding, const std::string& endpoint = test::kSpSlo)
      : f(true, binding) {
    f.directory.sps[kIdp] = test::registeredSp(test::logoutSpMetadata(kIdp, idp.cert.get()));
    f.ctx.now = testClock().now() + 10s;
    f.ctx.sloUrl = endpoint;
  }
};

template <class Run>
void passes(Run&& r) {
  auto ok = r();
  INFO((ok ? std::string() : std::string(ok.error().step) + ": " + ok.error().error.detail));
  CHECK(ok);
}

}  // namespace

TEST_CASE("LogoutRequest (POST): content, schema, enveloped signature", "[saml][build][logout]") {
  for (const crypto::KeyPair* kp : {&idpRsa(), &idpEc()}) {
    SequenceRandom rnd;
    auto in = requestInput();
    in.reason = saml::kLogoutReasonAdmin;
    in.relayState = "state-1";
    auto out = saml::buildLogoutRequest(in, Binding::Post, signingWith(*kp), rnd);
    INFO((out ? std::string() : out.error().detail));
    REQUIRE(out);
    CHECK(out->binding == Binding::Post);
    CHECK(out->formField == "SAMLRequest");
    CHECK(out->relayState == "state-1");
    CHECK(out->redirectUrl.empty());

    auto req = saml::parseLogoutRequest(out->xml, *xml::SchemaSet::shared());
    INFO(out->xml);
    INFO((req ? std::string() : req.error().detail));
    REQUIRE(req);
    CHECK(req->id == out->id);
    CHECK(req->issuer == kIdp);
    CHECK(req->destination == test::kSpSlo);
    CHECK(req->issueInstant == testClock().now());
    CHECK(req->notOnOrAfter == testClock().now() + saml::kLogoutRequestLifetime);
    CHECK(req->reason == saml::kLogoutReasonAdmin);
    REQUIRE(req->nameId);
    CHECK(req->nameId->value == "pairwise-42");
    CHECK(req->nameId->format == "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent");
    CHECK(req->nameId->nameQualifier == kIdp);
    CHECK(req->nameId->spNameQualifier == test::kSpId);
    CHECK(req->sessionIndexes == std::vector<std::string>{"_sess-7"});
    // core §5.4.1: the signature right after the Issuer.
    auto kids = xml::childElements(req->root);
    REQUIRE(kids.size() >= 2);
    CHECK(kids[1] == crypto::signatureChild(req->root));

    X509* trusted[] = {kp->cert.get()};
    X509* wrong[] = {test::attackerKey().cert.get()};
    auto v = crypto::verifyEnveloped(req->root, trusted);
    REQUIRE(v);
    CHECK(v->signedElement == req->root);
    CHECK_FALSE(crypto::verifyEnveloped(req->root, wrong));

    Receiver r(*kp, Binding::Post);
    passes([&] { return saml::runLogoutRequestSteps(*req, r.f.ctx); });
    CHECK(r.f.ctx.signatureVerified);
  }
}

TEST_CASE("LogoutRequest (Redirect): unsigned XML, signed query, URL joined with ? or &", "[saml][build][logout]") {
  SequenceRandom rnd;
  auto in = requestInput();
  in.relayState = "rs";
  auto out = saml::buildLogoutRequest(in, Binding::Redirect, signingWith(idpRsa()), rnd);
  REQUIRE(out);
  CHECK(out->xml.find("Signature") == std::string::npos);
  CHECK(out->xml.find("<?xml") == std::string::npos);
  REQUIRE(out->redirectUrl.starts_with(std::string(test::kSpSlo) + "?SAMLRequest="));
  auto m = saml::decodeRedirect(out->redirectUrl.substr(out->redirectUrl.find('?') + 1));
  REQUIRE(m);
  CHECK(m->xml == out->xml);
  CHECK(m->relayState == "rs");
  CHECK(m->sigAlg == std::string(crypto::signatureAlgorithmUri(crypto::SignatureAlgorithm::RsaSha256)));

  Receiver r(idpRsa(), Binding::Redirect);
  r.f.useQuery(*m);
  auto req = test::LogoutFixture::parseRequest(m->xml);
  passes([&] { return saml::runLogoutRequestSteps(req, r.f.ctx); });
  CHECK(r.f.ctx.signatureVerified);

  auto withQuery = saml::buildLogoutRequest(requestInput("https://sp.example.org/slo?x=1"), Binding::Redirect,
                                            signingWith(idpRsa()), rnd);
  REQUIRE(withQuery);
  CHECK(withQuery->redirectUrl.starts_with("https://sp.example.org/slo?x=1&SAMLRequest="));
  auto trailing = saml::buildLogoutRequest(requestInput("https://sp.example.org/slo?"), Binding::Redirect,
                                           signingWith(idpRsa()), rnd);
  REQUIRE(trailing);
  CHECK(trailing->redirectUrl.starts_with("https://sp.example.org/slo?SAMLRequest="));
}

TEST_CASE("LogoutRequest (SOAP): wrapped, unwrapped, verified", "[saml][build][logout]") {
  SequenceRandom rnd;
  auto out = saml::buildLogoutRequest(requestInput("https://sp.example.org/soap"), Binding::Soap, signingWith(idpEc()), rnd);
  REQUIRE(out);
  auto body = saml::unwrapSoap(saml::wrapSoap(out->xml));
  REQUIRE(body);
  auto req = test::LogoutFixture::parseRequest(body->xml);
  Receiver r(idpEc(), Binding::Soap, "https://sp.example.org/soap");
  passes([&] { return saml::runLogoutRequestSteps(req, r.f.ctx); });
  CHECK(r.f.ctx.signatureVerified);
}

TEST_CASE("LogoutResponse: Success, PartialLogout and refusals, on each binding", "[saml][build][logout]") {
  SequenceRandom rnd;
  for (auto [top, second] : {std::pair{StatusCode::Success, std::string_view{}},
                             std::pair{StatusCode::Success, status::kPartialLogout},
                             std::pair{StatusCode::Requester, status::kRequestDenied}}) {
    auto in = responseInput();
    in.top = top;
    in.second = second;
    auto post = saml::buildLogoutResponse(in, Binding::Post, signingWith(idpRsa()), rnd);
    REQUIRE(post);
    CHECK(post->formField == "SAMLResponse");
    auto resp = test::LogoutFixture::parseResponse(post->xml);
    CHECK(resp.id == post->id);
    CHECK(resp.inResponseTo == "_sp-req-1");
    CHECK(resp.destination == test::kSpSlo);
    CHECK(resp.issuer == kIdp);
    CHECK(resp.status == top);
    CHECK(resp.partialLogout() == (second == status::kPartialLogout));
    CHECK(resp.secondLevelStatus.value_or("") == second);
    Receiver r(idpRsa(), Binding::Post);
    passes([&] { return saml::runLogoutResponseSteps(resp, r.f.ctx); });
    CHECK(r.f.ctx.signatureVerified);
  }

  auto in = responseInput();
  in.relayState = "sp-state";
  auto redirect = saml::buildLogoutResponse(in, Binding::Redirect, signingWith(idpRsa()), rnd);
  REQUIRE(redirect);
  REQUIRE(redirect->redirectUrl.starts_with(std::string(test::kSpSlo) + "?SAMLResponse="));
  auto m = saml::decodeRedirect(redirect->redirectUrl.substr(redirect->redirectUrl.find('?') + 1));
  REQUIRE(m);
  CHECK(m->relayState == "sp-state");
  Receiver r(idpRsa(), Binding::Redirect);
  r.f.useQuery(*m);
  auto resp = test::LogoutFixture::parseResponse(m->xml);
  passes([&] { return saml::runLogoutResponseSteps(resp, r.f.ctx); });
}

TEST_CASE("logout builders refuse to send unsigned, and RelayState on SOAP", "[saml][build][logout]") {
  SequenceRandom rnd;
  for (Binding b : {Binding::Redirect, Binding::Post, Binding::Soap}) {
    auto r = saml::buildLogoutRequest(requestInput(), b, {}, rnd);
    REQUIRE_FALSE(r);
    CHECK(r.error().top == StatusCode::Responder);
    auto s = saml::buildLogoutResponse(responseInput(), b, {}, rnd);
    REQUIRE_FALSE(s);
    CHECK(s.error().top == StatusCode::Responder);
  }
  auto in = requestInput();
  in.relayState = "x";
  auto soap = saml::buildLogoutRequest(in, Binding::Soap, signingWith(idpRsa()), rnd);
  REQUIRE_FALSE(soap);
  CHECK(soap.error().top == StatusCode::Responder);
  // An RSA algorithm with an EC key is a signing failure, not a crash.
  saml::MessageSigning mismatched = signingWith(idpEc());
  mismatched.algorithm = crypto::SignatureAlgorithm::RsaSha256;
  for (Binding b : {Binding::Redirect, Binding::Post}) {
    auto bad = saml::buildLogoutRequest(requestInput(), b, mismatched, rnd);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().top == StatusCode::Responder);
  }
}

TEST_CASE("LogoutRequest for a tester (samlflow): given ID, no Reason, unsigned only when allowed", "[saml][build][logout]") {
  SequenceRandom rnd;
  auto in = requestInput();
  in.id = "_sp-chosen-1";
  in.reason = {};
  auto out = saml::buildLogoutRequest(in, Binding::Post, signingWith(idpRsa()), rnd);
  REQUIRE(out);
  CHECK(out->id == "_sp-chosen-1");
  auto req = test::LogoutFixture::parseRequest(out->xml);
  CHECK(req.id == "_sp-chosen-1");
  CHECK_FALSE(req.reason);
  X509* trusted[] = {idpRsa().cert.get()};
  CHECK(crypto::verifyEnveloped(req.root, trusted));

  // allowUnsigned and no key: the message goes out unsigned on every binding.
  in = requestInput();
  in.allowUnsigned = true;
  for (Binding b : {Binding::Post, Binding::Soap}) {
    auto u = saml::buildLogoutRequest(in, b, {}, rnd);
    REQUIRE(u);
    CHECK_FALSE(crypto::signatureChild(test::LogoutFixture::parseRequest(u->xml).root));
  }
  auto redirect = saml::buildLogoutRequest(in, Binding::Redirect, {}, rnd);
  REQUIRE(redirect);
  auto m = saml::decodeRedirect(redirect->redirectUrl.substr(redirect->redirectUrl.find('?') + 1));
  REQUIRE(m);
  CHECK_FALSE(m->sigAlg);
  CHECK_FALSE(m->signature);
  // ... and a receiver that knows a key for us refuses it.
  Receiver r(idpRsa(), Binding::Redirect);
  r.f.useQuery(*m);
  auto refused = saml::runLogoutRequestSteps(test::LogoutFixture::parseRequest(m->xml), r.f.ctx);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().error.second == status::kRequestDenied);
  // With a key, allowUnsigned changes nothing: it is signed.
  auto keyed = saml::buildLogoutRequest(in, Binding::Post, signingWith(idpRsa()), rnd);
  REQUIRE(keyed);
  CHECK(crypto::signatureChild(test::LogoutFixture::parseRequest(keyed->xml).root));
}

TEST_CASE("logout messages verify with the xmlsec1 command line tool", "[saml][build][logout][interop]") {
  test::TempDir dir;
  SequenceRandom rnd;
  for (const crypto::KeyPair* kp : {&idpRsa(), &idpEc()}) {
    test::writeFile(dir / "cert.pem", crypto::certificatePem(kp->cert.get()));
    auto req = saml::buildLogoutRequest(requestInput(), Binding::Post, signingWith(*kp), rnd);
    auto in = responseInput();
    in.second = status::kPartialLogout;
    auto resp = saml::buildLogoutResponse(in, Binding::Post, signingWith(*kp), rnd);
    REQUIRE(req);
    REQUIRE(resp);
    for (auto [text, name] : {std::pair{req->xml, "LogoutRequest"}, std::pair{resp->xml, "LogoutResponse"}}) {
      INFO(name);
      test::writeFile(dir / "msg.xml", text);
      std::string tampered = text;
      tampered.replace(tampered.find(kIdp), 5, "http:");
      test::writeFile(dir / "tampered.xml", tampered);
      const std::string verify = "xmlsec1 --verify --pubkey-cert-pem " + (dir / "cert.pem").string() +
                                 " --id-attr:ID urn:oasis:names:tc:SAML:2.0:protocol:" + name + " ";
      std::string out;
      int rc = test::run(verify + (dir / "msg.xml").string(), &out);
      INFO(out);
      CHECK(rc == 0);
      CHECK(out.find("OK") != std::string::npos);
      CHECK(test::run(verify + (dir / "tampered.xml").string(), &out) != 0);
    }
  }
}

TEST_CASE("SingleLogoutService lookup and ResponseLocation", "[saml][build][logout]") {
  auto sp = test::registeredSp(test::logoutSpMetadata(test::kSpId, nullptr));
  const saml::Endpoint* redirect = saml::findSingleLogoutService(sp->metadata, Binding::Redirect);
  REQUIRE(redirect);
  CHECK(redirect->location == test::kSpSlo);
  CHECK(saml::responseLocationOf(*redirect) == "https://sp.example.org/slo-response");
  const saml::Endpoint* post = saml::findSingleLogoutService(sp->metadata, Binding::Post);
  REQUIRE(post);
  CHECK(saml::responseLocationOf(*post) == test::kSpSlo);
  const saml::Endpoint* soap = saml::findSingleLogoutService(sp->metadata, Binding::Soap);
  REQUIRE(soap);
  CHECK(soap->location == "https://sp.example.org/soap");

  auto none = test::registeredSp(
      R"(<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://bare.example.org"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://bare.example.org/acs" index="0"/></md:SPSSODescriptor></md:EntityDescriptor>)");
  CHECK(saml::findSingleLogoutService(none->metadata, Binding::Post) == nullptr);
}
