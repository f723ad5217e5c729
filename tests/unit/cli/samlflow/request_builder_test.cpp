#include "idp/cli/samlflow/request_builder.h"

#include <catch2/catch.hpp>

#include <sstream>

#include "idp/core/base64.h"
#include "idp/crypto/keys.h"
#include "idp/crypto/query_signature.h"
#include "idp/saml/bindings/redirect.h"
#include "idp/saml/build/sp_metadata.h"
#include "idp/saml/messages/authn_request.h"
#include "idp/saml/validation/request_context.h"
#include "idp/xml/schema.h"

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
