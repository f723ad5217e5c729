#include "idp/cli/samlflow/request_builder.h"

#include <catch2/catch.hpp>

#include <sstream>

#include "idp/core/base64.h"
#include "idp/crypto/keys.h"
#include "idp/crypto/query_signature.h"
#include "idp/crypto/xml_signature.h"
#include "idp/saml/bindings/redirect.h"
#include "idp/saml/bindings/soap.h"
#include "idp/saml/build/logout.h"
#include "idp/saml/build/sp_metadata.h"
#include "idp/saml/messages/authn_request.h"
#include "idp/saml/validation/request_context.h"
#include "idp/xml/schema.h"
#include "saml/validation/logout_fixture.h"

using namespace propusk;
using namespace propusk::cli;
using namespace propusk::cli::samlflow;

namespace {

struct Setup {
  std::stringstream in, out, err;
  FixedClock clock{"2026-01-10T10:00:00Z"};
  SequenceRandom random;
  Env env{{in, out, err, false}, clock, random, false};
  crypto::KeyPair kp = crypto::generateKeyPair(crypto::KeyAlgorithm::Rsa2048, "sp", 5, SystemClock());
  SpIdentity sp;

  Setup() {
    saml::SpMetadataInput md;
    md.entityId = "https://sp.example/md";
    md.acsUrl = "https://sp.example/acs";
    md.certificate = kp.cert.get();
    sp.metadataXml = *saml::buildSpMetadata(md);
    saml::MetadataCheck check;
    check.now = clock.now();
    sp.metadata = std::move(*saml::parseSpMetadata(sp.metadataXml, check));
    sp.key.reset(EVP_PKEY_dup(kp.key.get()));
    sp.cert.reset(X509_dup(kp.cert.get()));
  }

  SentRequest build(std::vector<std::pair<std::string, std::string>> options) {
    ParsedArgs args;
    args.options.emplace("destination", "https://idp.example/sso?tenant=1");
    for (auto& [k, v] : options) args.options[k] = v;
    return buildRequestFromOptions(env, args, sp, nullptr);
  }
};

}  // namespace

TEST_CASE("authn-request options: Redirect binding, query signed over the exact octets", "[cli][samlflow]") {
  Setup s;
  auto r = s.build({{"relay-state", "rs/1"}, {"nameid-format", "persistent"}, {"force-authn", ""}});
  CHECK(r.binding == Binding::Redirect);
  CHECK(r.acsUrl == "https://sp.example/acs");
  CHECK(r.signedRequest);
  REQUIRE(r.url.starts_with("https://idp.example/sso?tenant=1&SAMLRequest="));
  auto m = saml::decodeRedirect(r.url.substr(r.url.find('?') + 1));
  REQUIRE(m);
  CHECK(m->xml == r.xml);
  CHECK(m->relayState == "rs/1");
  X509* trusted[] = {s.kp.cert.get()};
  auto alg = crypto::signatureAlgorithmFromUri(*m->sigAlg);
  REQUIRE(alg);
  CHECK(crypto::verifyDetached(m->signedOctets, *m->signature, *alg, trusted, false));
  auto req = saml::parseAuthnRequest(r.xml, *xml::SchemaSet::shared());
  REQUIRE(req);
  CHECK(req->id == r.id);
  CHECK(req->forceAuthn);
  CHECK(req->nameIdPolicy->format == saml::kNameIdPersistent);
  CHECK(req->assertionConsumerServiceUrl == "https://sp.example/acs");
  CHECK(req->destination == "https://idp.example/sso?tenant=1");
}

TEST_CASE("authn-request options: POST binding, enveloped signature, fields", "[cli][samlflow]") {
  Setup s;
  auto r = s.build({{"binding", "post"}, {"relay-state", "x"}, {"id", "_mine"}, {"authn-context", "urn:a,urn:b"},
                    {"comparison", "better"}});
  CHECK(r.binding == Binding::Post);
  CHECK(r.url == "https://idp.example/sso?tenant=1");
  REQUIRE(r.fields.size() == 2);
  CHECK(r.fields[0].first == "SAMLRequest");
  CHECK(*base64Decode(r.fields[0].second) == r.xml);
  CHECK(r.fields[1] == std::pair<std::string, std::string>{"RelayState", "x"});
  auto req = saml::parseAuthnRequest(r.xml, *xml::SchemaSet::shared());
  REQUIRE(req);
  CHECK(req->id == "_mine");
  CHECK(req->requestedAuthnContext->classRefs == std::vector<std::string>{"urn:a", "urn:b"});
  X509* trusted[] = {s.kp.cert.get()};
  CHECK(crypto::verifyEnveloped(req->root, trusted));
}

TEST_CASE("authn-request options: refusals and unsigned requests", "[cli][samlflow]") {
  Setup s;
  CHECK_THROWS_AS(s.build({{"binding", "artifact"}}), UsageError);
  CHECK_THROWS_AS(s.build({{"acs-url", "https://sp.example/acs"}, {"acs-index", "0"}}), UsageError);
  CHECK_THROWS_AS(s.build({{"acs-index", "7"}}), CliError);
  CHECK_THROWS_AS(s.build({{"nameid-format", "bogus"}}), UsageError);
  CHECK_THROWS_AS(s.build({{"comparison", "exact"}}), UsageError);
  CHECK_THROWS_AS(s.build({{"sig-alg", "md5"}}), UsageError);
  auto unsignedReq = s.build({{"no-sign", ""}});
  CHECK_FALSE(unsignedReq.signedRequest);
  CHECK(unsignedReq.url.find("Signature=") == std::string::npos);
  auto byIndex = s.build({{"acs-index", "0"}});
  CHECK(byIndex.acsUrl == "https://sp.example/acs");
  CHECK(byIndex.xml.find("AssertionConsumerServiceIndex=\"0\"") != std::string::npos);
}

// -- logout-request

namespace {

// The SP of the logout step fixture (signing key logoutSpKey()), so that the IdP's own
// LogoutRequest steps (logout_steps.h) can judge what samlflow builds.
struct LogoutSetup {
  std::stringstream in, out, err;
  FixedClock clock{"2026-01-10T10:00:30Z"};
  SequenceRandom random;
  Env env{{in, out, err, false}, clock, random, false};
  SpIdentity sp;
  saml::IdpMetadata idp;

  LogoutSetup() {
    sp.metadataXml = test::logoutSpMetadata(test::kSpId, test::logoutSpKey().cert.get());
    saml::MetadataCheck check;
    check.now = clock.now();
    sp.metadata = std::move(*saml::parseSpMetadata(sp.metadataXml, check));
    sp.key.reset(EVP_PKEY_dup(test::logoutSpKey().key.get()));
    sp.cert.reset(X509_dup(test::logoutSpKey().cert.get()));
    idp.entityId = test::kIdpEntity;
    idp.singleLogoutServices = {{std::string(saml::kBindingRedirect), test::kSlo, {}, {}, {}},
                                {std::string(saml::kBindingPost), test::kSlo, {}, {}, {}},
                                {std::string(saml::kBindingSoap), test::kSoapSlo, {}, {}, {}}};
  }

  SentRequest build(std::vector<std::pair<std::string, std::string>> options, bool withIdp = true) {
    ParsedArgs args;
    args.options.emplace("name-id", "pairwise-42");
    for (auto& [k, v] : options) args.options[k] = v;
    return buildLogoutRequestFromOptions(env, args, sp, withIdp ? &idp : nullptr);
  }
};

// The IdP's steps over the request as it would arrive at `binding`.
void acceptedByIdp(const SentRequest& r, saml::Binding binding) {
  test::LogoutFixture f(true, binding);
  saml::LogoutRequest req = test::LogoutFixture::parseRequest(r.xml);
  if (binding == saml::Binding::Redirect) {
    auto m = saml::decodeRedirect(r.url.substr(r.url.find('?') + 1));
    REQUIRE(m);
    CHECK(m->xml == r.xml);
    f.useQuery(*m);
  }
  auto ok = saml::runLogoutRequestSteps(req, f.ctx);
  INFO((ok ? std::string() : std::string(ok.error().step) + ": " + ok.error().error.detail));
  CHECK(ok);
  CHECK(f.ctx.signatureVerified);
}

}  // namespace

TEST_CASE("logout-request options: Redirect to the IdP's SLO, NameID as issued, query signed", "[cli][samlflow][logout]") {
  LogoutSetup s;
  auto r = s.build({{"name-id-format", "persistent"}, {"name-qualifier", test::kIdpEntity},
                    {"sp-name-qualifier", test::kSpId}, {"session-index", "_s1,_s2"}, {"relay-state", "rs/1"}});
  CHECK(r.binding == Binding::Redirect);
  CHECK(r.signedRequest);
  REQUIRE(r.url.starts_with(std::string(test::kSlo) + "?SAMLRequest="));
  CHECK(r.url.find("&RelayState=rs%2F1&SigAlg=") != std::string::npos);
  auto req = test::LogoutFixture::parseRequest(r.xml);
  CHECK(req.id == r.id);
  CHECK(req.issuer == test::kSpId);
  CHECK(req.destination == test::kSlo);
  CHECK(req.issueInstant == s.clock.now());
  CHECK(req.notOnOrAfter == s.clock.now() + saml::kLogoutRequestLifetime);
  CHECK(req.reason == saml::kLogoutReasonUser);
  REQUIRE(req.nameId);
  CHECK(req.nameId->value == "pairwise-42");
  CHECK(req.nameId->format == saml::kNameIdPersistent);
  CHECK(req.nameId->nameQualifier == test::kIdpEntity);
  CHECK(req.nameId->spNameQualifier == test::kSpId);
  CHECK(req.sessionIndexes == std::vector<std::string>{"_s1", "_s2"});
  CHECK_FALSE(crypto::signatureChild(req.root));  // bindings §3.4.4.1: the query carries it
  acceptedByIdp(r, saml::Binding::Redirect);
}

TEST_CASE("logout-request options: POST and SOAP carry an enveloped signature", "[cli][samlflow][logout]") {
  LogoutSetup s;
  auto post = s.build({{"binding", "post"}, {"relay-state", "x"}, {"id", "_lo-mine"}, {"reason", "admin"}});
  CHECK(post.binding == Binding::Post);
  CHECK(post.id == "_lo-mine");
  CHECK(post.url == test::kSlo);
  REQUIRE(post.fields.size() == 2);
  CHECK(post.fields[0].first == "SAMLRequest");
  CHECK(*base64Decode(post.fields[0].second) == post.xml);
  CHECK(post.fields[1] == std::pair<std::string, std::string>{"RelayState", "x"});
  auto req = test::LogoutFixture::parseRequest(post.xml);
  CHECK(req.id == "_lo-mine");
  CHECK(req.reason == saml::kLogoutReasonAdmin);
  CHECK_FALSE(req.nameId->format);
  CHECK(req.sessionIndexes.empty());
  X509* trusted[] = {test::logoutSpKey().cert.get()};
  auto v = crypto::verifyEnveloped(req.root, trusted);
  REQUIRE(v);
  CHECK(v->signedElement == req.root);
  acceptedByIdp(post, saml::Binding::Post);

  auto soap = s.build({{"binding", "soap"}, {"session-index", "_s1"}, {"reason", ""}});
  CHECK(soap.binding == Binding::Soap);
  CHECK(soap.url == test::kSoapSlo);
  CHECK(soap.fields.empty());
  auto body = saml::unwrapSoap(saml::wrapSoap(soap.xml));
  REQUIRE(body);
  CHECK(body->localName == "LogoutRequest");
  auto inner = test::LogoutFixture::parseRequest(body->xml);
  CHECK(inner.destination == test::kSoapSlo);
  CHECK_FALSE(inner.reason);  // --reason '': none
  REQUIRE(crypto::verifyEnveloped(inner.root, trusted));
  acceptedByIdp(soap, saml::Binding::Soap);
}

TEST_CASE("logout-request options: --destination, --issuer, --no-sign, refusals", "[cli][samlflow][logout]") {
  LogoutSetup s;
  auto d = s.build({{"destination", "https://other.example/slo?x=1"}, {"issuer", "https://someone.else/md"}}, false);
  CHECK(d.url.starts_with("https://other.example/slo?x=1&SAMLRequest="));
  auto dreq = test::LogoutFixture::parseRequest(d.xml);
  CHECK(dreq.destination == "https://other.example/slo?x=1");
  CHECK(dreq.issuer == "https://someone.else/md");

  auto unsignedRedirect = s.build({{"no-sign", ""}});
  CHECK_FALSE(unsignedRedirect.signedRequest);
  CHECK_FALSE(unsignedRedirect.algorithm);
  CHECK(unsignedRedirect.url.find("Signature=") == std::string::npos);
  CHECK(unsignedRedirect.url.find("SigAlg=") == std::string::npos);
  auto unsignedPost = s.build({{"no-sign", ""}, {"binding", "post"}});
  CHECK_FALSE(crypto::signatureChild(test::LogoutFixture::parseRequest(unsignedPost.xml).root));
  // The IdP refuses it: the SP's metadata has a signing key.
  test::LogoutFixture f(true, saml::Binding::Post);
  auto refused = saml::runLogoutRequestSteps(test::LogoutFixture::parseRequest(unsignedPost.xml), f.ctx);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().step == "signature");
  CHECK(refused.error().error.second == status::kRequestDenied);

  auto sha512 = s.build({{"sig-alg", "rsa-sha512"}, {"binding", "post"}});
  CHECK(sha512.algorithm == crypto::SignatureAlgorithm::RsaSha512);

  CHECK_THROWS_AS(s.build({{"name-id", ""}}), UsageError);
  ParsedArgs noNameId;
  CHECK_THROWS_AS(buildLogoutRequestFromOptions(s.env, noNameId, s.sp, &s.idp), UsageError);
  CHECK_THROWS_AS(s.build({{"binding", "artifact"}}), UsageError);
  CHECK_THROWS_AS(s.build({{"binding", "soap"}, {"relay-state", "x"}}), UsageError);
  CHECK_THROWS_AS(s.build({{"reason", "bored"}}), UsageError);
  CHECK_THROWS_AS(s.build({{"session-index", ","}}), UsageError);
  CHECK_THROWS_AS(s.build({{"name-id-format", "bogus"}}), UsageError);
  CHECK_THROWS_AS(s.build({{"sig-alg", "md5"}}), UsageError);
  CHECK_THROWS_AS(s.build({}, false), UsageError);  // neither metadata nor --destination
  CHECK_THROWS_AS(s.build({{"destination", "ftp://x/slo"}}, false), UsageError);
  s.idp.singleLogoutServices.pop_back();  // an IdP without SOAP SLO
  CHECK_THROWS_AS(s.build({{"binding", "soap"}}), CliError);
  // An EC algorithm with an RSA key: a signing failure, not a crash.
  CHECK_THROWS_AS(s.build({{"sig-alg", "ecdsa-sha256"}, {"binding", "post"}}), CliError);
}
