#include "idp/saml/bindings/redirect.h"

#include <catch2/catch.hpp>

#include "idp/core/base64.h"
#include "idp/core/inflate.h"
#include "idp/crypto/keys.h"
#include "idp/crypto/query_signature.h"

using namespace propusk;
using crypto::SignatureAlgorithm;

namespace {
const std::string kXml = R"(<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r1" Version="2.0"/>)";
}

TEST_CASE("signed Redirect message round trips and verifies with the SP key only", "[saml][bindings]") {
  FixedClock clock("2026-01-10T10:00:00Z");
  for (auto [alg, keyAlg] : {std::pair{SignatureAlgorithm::RsaSha256, crypto::KeyAlgorithm::Rsa2048},
                             {SignatureAlgorithm::EcdsaSha256, crypto::KeyAlgorithm::EcP256}}) {
    auto sp = crypto::generateKeyPair(keyAlg, "sp", 30, clock);
    auto other = crypto::generateKeyPair(keyAlg, "other", 30, clock);
    auto q = saml::encodeRedirect("SAMLRequest", kXml, std::string("state & more=ü"), sp.key.get(), alg);
    REQUIRE(q);
    auto m = saml::decodeRedirect(*q);
    REQUIRE(m);
    CHECK(m->xml == kXml);
    CHECK(m->relayState == "state & more=ü");
    CHECK(m->sigAlg == std::string(crypto::signatureAlgorithmUri(alg)));
    CHECK(m->signedOctets == q->substr(0, q->find("&Signature=")));
    X509* good[] = {sp.cert.get()};
    X509* bad[] = {other.cert.get()};
    CHECK(crypto::verifyDetached(m->signedOctets, *m->signature, alg, good, false));
    CHECK_FALSE(crypto::verifyDetached(m->signedOctets, *m->signature, alg, bad, false));
    // Tampered RelayState: the octets change, the signature no longer verifies.
    std::string tampered = *q;
    tampered.replace(tampered.find("RelayState=") + 11, 5, "STATE");
    auto t = saml::decodeRedirect(tampered);
    REQUIRE(t);
    CHECK_FALSE(crypto::verifyDetached(t->signedOctets, *t->signature, alg, good, false));
  }
}

TEST_CASE("SHA-1 query signatures are refused unless allowed", "[saml][bindings]") {
  FixedClock clock("2026-01-10T10:00:00Z");
  auto sp = crypto::generateKeyPair(crypto::KeyAlgorithm::Rsa2048, "sp", 30, clock);
  auto q = saml::encodeRedirect("SAMLRequest", kXml, std::nullopt, sp.key.get(), SignatureAlgorithm::RsaSha1);
  REQUIRE(q);
  auto m = saml::decodeRedirect(*q);
  REQUIRE(m);
  X509* good[] = {sp.cert.get()};
  auto refused = crypto::verifyDetached(m->signedOctets, *m->signature, SignatureAlgorithm::RsaSha1, good, false);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().detail.find("SHA-1") != std::string::npos);
  CHECK(crypto::verifyDetached(m->signedOctets, *m->signature, SignatureAlgorithm::RsaSha1, good, true));
}

TEST_CASE("malformed Redirect queries are refused with the reason", "[saml][bindings]") {
  std::string ok = "SAMLRequest=" + saml::urlEncode(base64Encode(deflateRaw(kXml)));
  CHECK(saml::decodeRedirect(ok));
  auto why = [](std::string q) {
    auto r = saml::decodeRedirect(q);
    return r ? std::string("accepted") : r.error().detail;
  };
  CHECK(why("RelayState=x").find("no SAMLRequest") != std::string::npos);
  CHECK(why(ok + "&" + ok).find("twice") != std::string::npos);
  CHECK(why(ok + "&SAMLResponse=abc").find("both") != std::string::npos);
  CHECK(why(ok + "&SigAlg=x").find("together") != std::string::npos);
  CHECK(why("SAMLRequest=%ZZ").find("URL encoding") != std::string::npos);
  CHECK(why("SAMLRequest=!!!!").find("base64") != std::string::npos);
  CHECK(why("SAMLRequest=" + saml::urlEncode(base64Encode("plain text"))).find("DEFLATE") != std::string::npos);
  std::string bomb = "SAMLRequest=" + saml::urlEncode(base64Encode(deflateRaw(std::string(8 << 20, ' '))));
  CHECK(why(bomb).find("larger than") != std::string::npos);
}

TEST_CASE("query strings split into raw pairs, in order", "[saml][bindings]") {
  using P = std::pair<std::string_view, std::string_view>;
  CHECK(saml::splitQuery("").empty());
  CHECK(saml::splitQuery("a=1&&b=%20x&flag&c=") ==
        std::vector<P>{{"a", "1"}, {"b", "%20x"}, {"flag", ""}, {"c", ""}});
  CHECK(saml::splitQuery("x=a=b&x=2") == std::vector<P>{{"x", "a=b"}, {"x", "2"}});
}
