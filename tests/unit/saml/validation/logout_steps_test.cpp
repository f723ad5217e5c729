// One TEST_CASE group per step of kLogoutRequestSteps and kLogoutResponseSteps: a pass and
// refusals asserting the status, not the text.
#include <catch2/catch.hpp>

#include "idp/saml/bindings/redirect.h"
#include "idp/saml/bindings/soap.h"
#include "saml/validation/logout_fixture.h"

using namespace propusk;
using saml::Binding;
using test::LogoutFixture;
using test::LogoutRequestFields;
using test::LogoutResponseFields;

namespace {

std::string signedRequest(const LogoutRequestFields& f = {}, const crypto::KeyPair& key = test::logoutSpKey()) {
  return LogoutFixture::signXml(test::logoutRequestXml(f), key);
}

bool deniedAt(const Status& st) { return !st && st.error().top == StatusCode::Requester && st.error().second == status::kRequestDenied; }

// The Redirect query for a message, decoded as the web layer would.
saml::RedirectMessage redirect(const std::string& param, const std::string& xml, const EVP_PKEY* key) {
  auto q = saml::encodeRedirect(param, xml, std::string("rs"), key, crypto::SignatureAlgorithm::RsaSha256);
  REQUIRE(q);
  auto m = saml::decodeRedirect(*q);
  REQUIRE(m);
  return std::move(*m);
}

}  // namespace

// ---- LogoutRequest

TEST_CASE("logout version: 2.0 passes, anything else is VersionMismatch at parse", "[saml][validation][logout]") {
  LogoutFixture f;
  auto req = f.parseRequest(test::logoutRequestXml({}));
  CHECK(saml::checkVersion(req, f.ctx));
  std::string v1 = test::logoutRequestXml({});
  v1.replace(v1.find("Version=\"2.0\""), 13, "Version=\"1.1\"");
  auto r = saml::parseLogoutRequest(v1, *xml::SchemaSet::shared());
  REQUIRE_FALSE(r);
  CHECK(r.error().top == StatusCode::VersionMismatch);
}

TEST_CASE("logout issuer: registered SP resolves; unregistered or missing is RequestDenied", "[saml][validation][logout]") {
  LogoutFixture f;
  REQUIRE(saml::resolveIssuer(f.parseRequest(test::logoutRequestXml({})), f.ctx));
  CHECK(f.ctx.sp->metadata.entityId == test::kSpId);

  LogoutRequestFields evil;
  evil.issuer = "https://evil.example.org/sp";
  LogoutFixture g;
  CHECK(deniedAt(saml::resolveIssuer(g.parseRequest(test::logoutRequestXml(evil)), g.ctx)));
  CHECK_FALSE(g.ctx.sp);
  LogoutRequestFields none;
  none.issuer = "";
  CHECK(deniedAt(saml::resolveIssuer(g.parseRequest(test::logoutRequestXml(none)), g.ctx)));
  LogoutRequestFields format;
  format.issuer = test::kSpId;
  auto withFormat = test::logoutRequestXml(format);
  withFormat.replace(withFormat.find("<saml:Issuer>"), 13,
                     "<saml:Issuer Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress\">");
  CHECK(deniedAt(saml::resolveIssuer(g.parseRequest(withFormat), g.ctx)));
}

TEST_CASE("logout signature (POST): enveloped signature by the metadata key passes", "[saml][validation][logout]") {
  LogoutFixture f;
  REQUIRE(f.runThrough(f.parseRequest(signedRequest()), "signature"));
  CHECK(f.ctx.signatureVerified);
}

TEST_CASE("logout signature (POST): unsigned while the SP has a key, foreign key, tampered: refused", "[saml][validation][logout]") {
  LogoutFixture unsignedReq;
  CHECK(deniedAt(unsignedReq.runThrough(unsignedReq.parseRequest(test::logoutRequestXml({})), "signature")));

  LogoutFixture foreign;  // KeyInfo carries the attacker's certificate: never consulted
  CHECK(deniedAt(foreign.runThrough(foreign.parseRequest(signedRequest({}, test::attackerKey())), "signature")));

  std::string tampered = signedRequest();
  tampered.replace(tampered.find("pairwise-42"), 11, "pairwise-43");
  LogoutFixture t;
  CHECK(deniedAt(t.runThrough(t.parseRequest(tampered), "signature")));
}

TEST_CASE("logout signature: unsigned passes only front-channel from an SP without a signing key", "[saml][validation][logout]") {
  std::string plain = test::logoutRequestXml({});
  LogoutFixture post(false, Binding::Post);
  REQUIRE(post.runThrough(post.parseRequest(plain), "signature"));
  CHECK_FALSE(post.ctx.signatureVerified);

  LogoutFixture viaRedirect(false);
  auto m = redirect("SAMLRequest", plain, nullptr);
  viaRedirect.useQuery(m);
  CHECK(viaRedirect.runThrough(viaRedirect.parseRequest(m.xml), "signature"));

  LogoutFixture soap(false, Binding::Soap);  // the back channel always needs a signature
  CHECK(deniedAt(soap.runThrough(soap.parseRequest(plain), "signature")));

  LogoutFixture configured(false, Binding::Post);  // the IdP requires signed requests
  configured.ctx.requireSignedRequests = true;
  CHECK(deniedAt(configured.runThrough(configured.parseRequest(plain), "signature")));

  // A signature the SP's metadata has no key for is refused, not ignored.
  LogoutFixture keyless(false, Binding::Post);
  CHECK(deniedAt(keyless.runThrough(keyless.parseRequest(signedRequest()), "signature")));
}

TEST_CASE("logout signature: wrapping — a signed LogoutRequest hidden in Extensions of an unsigned one", "[saml][validation][logout]") {
  LogoutRequestFields innerFields;
  innerFields.id = "_inner";
  std::string signedInner = signedRequest(innerFields);
  std::string inner = signedInner.substr(signedInner.find("<samlp:LogoutRequest"));
  // Extensions only admits other namespaces (core §3.2.1), so the moved request sits in a
  // foreign element that the schema lets through laxly.
  LogoutRequestFields outer;
  outer.id = "_outer";
  outer.identifier = R"(<saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">victim</saml:NameID>)";
  outer.extensions = "<x:Wrap xmlns:x=\"urn:example:wrap\">" + inner + "</x:Wrap>";

  // (a) The outer request carries no signature of its own.
  auto wrapped = saml::parseLogoutRequest(test::logoutRequestXml(outer), *xml::SchemaSet::shared());
  INFO((wrapped ? std::string() : wrapped.error().detail));
  REQUIRE(wrapped);
  LogoutFixture a;
  CHECK(deniedAt(a.runThrough(*wrapped, "signature")));
  CHECK_FALSE(a.ctx.signatureVerified);

  // (b) The inner request's Signature copied onto the outer one: its Reference covers the
  // inner element, not the root being processed.
  std::string sig = inner.substr(inner.find("<ds:Signature"), inner.find("</ds:Signature>") + 15 - inner.find("<ds:Signature"));
  std::string outerXml = test::logoutRequestXml(outer);
  outerXml.insert(outerXml.find("</saml:Issuer>") + 14, sig);
  auto copied = saml::parseLogoutRequest(outerXml, *xml::SchemaSet::shared());
  INFO((copied ? std::string() : copied.error().detail));
  REQUIRE(copied);
  LogoutFixture b;
  CHECK(deniedAt(b.runThrough(*copied, "signature")));
  CHECK_FALSE(b.ctx.signatureVerified);
}

TEST_CASE("logout signature (Redirect): the detached query signature", "[saml][validation][logout]") {
  std::string plain = test::logoutRequestXml({});
  auto m = redirect("SAMLRequest", plain, test::logoutSpKey().key.get());
  LogoutFixture ok;
  ok.useQuery(m);
  REQUIRE(ok.runThrough(ok.parseRequest(m.xml), "signature"));
  CHECK(ok.ctx.signatureVerified);

  auto forged = m;
  forged.signedOctets += "x";
  LogoutFixture f;
  f.useQuery(forged);
  CHECK(deniedAt(f.runThrough(f.parseRequest(m.xml), "signature")));

  auto other = redirect("SAMLRequest", plain, test::attackerKey().key.get());
  LogoutFixture o;
  o.useQuery(other);
  CHECK(deniedAt(o.runThrough(o.parseRequest(other.xml), "signature")));

  LogoutFixture unsignedQuery;  // the SP has a key: an unsigned query is refused
  auto bare = redirect("SAMLRequest", plain, nullptr);
  unsignedQuery.useQuery(bare);
  CHECK(deniedAt(unsignedQuery.runThrough(unsignedQuery.parseRequest(bare.xml), "signature")));
}

TEST_CASE("logout signature (Redirect): an XML signature beside a verified query signature is ignored", "[saml][validation][logout]") {
  // pysaml2 signs the XML and the query (bindings §3.4.4.1 says to drop the XML signature).
  std::string xmlSigned = signedRequest();
  auto both = redirect("SAMLRequest", xmlSigned, test::logoutSpKey().key.get());
  LogoutFixture f;
  f.useQuery(both);
  REQUIRE(f.runThrough(f.parseRequest(both.xml), "signature"));
  CHECK(f.ctx.signatureVerified);
  CHECK(f.ctx.xmlSignatureIgnored);

  // The query signature is what counts: forged or by another key, refused as always.
  auto forged = both;
  forged.signedOctets += "x";
  LogoutFixture g;
  g.useQuery(forged);
  CHECK(deniedAt(g.runThrough(g.parseRequest(both.xml), "signature")));
  CHECK_FALSE(g.ctx.signatureVerified);
  auto attacker = redirect("SAMLRequest", xmlSigned, test::attackerKey().key.get());
  LogoutFixture a;
  a.useQuery(attacker);
  CHECK(deniedAt(a.runThrough(a.parseRequest(attacker.xml), "signature")));

  // An XML signature with no query signature is never the proof on this binding.
  auto xmlOnly = redirect("SAMLRequest", xmlSigned, nullptr);
  LogoutFixture x;
  x.useQuery(xmlOnly);
  CHECK(deniedAt(x.runThrough(x.parseRequest(xmlOnly.xml), "signature")));
  CHECK_FALSE(x.ctx.signatureVerified);
}

TEST_CASE("logout signature (SOAP): signed request out of an envelope passes", "[saml][validation][logout]") {
  LogoutRequestFields fields;
  fields.destination = test::kSoapSlo;
  auto body = saml::unwrapSoap(saml::wrapSoap(signedRequest(fields)));
  REQUIRE(body);
  LogoutFixture f(true, Binding::Soap);
  REQUIRE(f.runThrough(f.parseRequest(body->xml), "signature"));
  CHECK(f.ctx.signatureVerified);
  LogoutFixture g(true, Binding::Soap);
  auto unsignedBody = saml::unwrapSoap(saml::wrapSoap(test::logoutRequestXml(fields)));
  REQUIRE(unsignedBody);
  CHECK(deniedAt(g.runThrough(g.parseRequest(unsignedBody->xml), "signature")));
}

TEST_CASE("logout destination: ours passes; foreign refused; signed front-channel without one refused", "[saml][validation][logout]") {
  LogoutFixture ok;
  CHECK(ok.runThrough(ok.parseRequest(signedRequest()), "destination"));

  LogoutRequestFields foreign;
  foreign.destination = "https://other-idp.example.org/slo";
  LogoutFixture f;
  CHECK(deniedAt(f.runThrough(f.parseRequest(signedRequest(foreign)), "destination")));
  LogoutFixture sso;  // our SSO URL is not our SLO URL
  foreign.destination = test::kSso;
  CHECK(deniedAt(sso.runThrough(sso.parseRequest(signedRequest(foreign)), "destination")));

  LogoutRequestFields none;
  none.destination = "";
  LogoutFixture s;
  CHECK(deniedAt(s.runThrough(s.parseRequest(signedRequest(none)), "destination")));
  LogoutFixture unsignedNone(false);  // unsigned and without Destination: nothing to check
  CHECK(unsignedNone.runThrough(unsignedNone.parseRequest(test::logoutRequestXml(none)), "destination"));

  // SOAP (bindings §3.2) has no Destination rule: absent passes, present must be our SOAP URL.
  LogoutFixture soapNone(true, Binding::Soap);
  CHECK(soapNone.runThrough(soapNone.parseRequest(signedRequest(none)), "destination"));
  LogoutFixture soapFront(true, Binding::Soap);
  CHECK(deniedAt(soapFront.runThrough(soapFront.parseRequest(signedRequest()), "destination")));
}

TEST_CASE("logout freshness: inside the window passes; future and stale refused", "[saml][validation][logout]") {
  LogoutRequestFields rf;
  LogoutFixture ok;
  CHECK(ok.runThrough(ok.parseRequest(signedRequest(rf)), "freshness"));
  rf.issueInstant = "2026-01-10T10:05:00Z";  // now + 4 min > skew 3 min
  LogoutFixture future;
  CHECK(deniedAt(future.runThrough(future.parseRequest(signedRequest(rf)), "freshness")));
  rf.issueInstant = "2026-01-10T09:52:00Z";  // 9 min old > 5 min lifetime + 3 min skew
  LogoutFixture stale;
  CHECK(deniedAt(stale.runThrough(stale.parseRequest(signedRequest(rf)), "freshness")));
}

TEST_CASE("logout not-on-or-after: absent or ahead passes; passed (beyond skew) refused", "[saml][validation][logout]") {
  auto run = [](const std::string& notOnOrAfter) {
    LogoutRequestFields rf;
    if (!notOnOrAfter.empty()) rf.extraAttrs = "NotOnOrAfter=\"" + notOnOrAfter + "\"";
    LogoutFixture f;  // now is 10:01:00, skew 3 min
    return f.runThrough(f.parseRequest(signedRequest(rf)), "not-on-or-after");
  };
  CHECK(run(""));
  CHECK(run("2026-01-10T10:06:00Z"));
  CHECK(run("2026-01-10T09:59:00Z"));  // passed by 2 min: within the skew
  CHECK(deniedAt(run("2026-01-10T09:58:00Z")));
  CHECK(deniedAt(run("2026-01-10T09:30:00Z")));
}

TEST_CASE("logout replay: the same ID from the same SP is refused the second time", "[saml][validation][logout]") {
  LogoutFixture f;
  std::string text = signedRequest();
  REQUIRE(f.runThrough(f.parseRequest(text), "replay"));
  CHECK(deniedAt(f.runThrough(f.parseRequest(text), "replay")));
}

TEST_CASE("logout name-id: a NameID passes; EncryptedID is RequestUnsupported; BaseID does not parse", "[saml][validation][logout]") {
  LogoutFixture ok;
  CHECK(ok.runThrough(ok.parseRequest(signedRequest()), "name-id"));

  LogoutRequestFields enc;
  enc.identifier = R"(<saml:EncryptedID><xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#"><xenc:CipherData><xenc:CipherValue>AAAA</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData></saml:EncryptedID>)";
  LogoutFixture e;
  auto st = e.runThrough(e.parseRequest(signedRequest(enc)), "name-id");
  REQUIRE_FALSE(st);
  CHECK(st.error().top == StatusCode::Responder);
  CHECK(st.error().second == status::kRequestUnsupported);
  CHECK(e.ctx.sp);  // known SP: the refusal can be answered with a LogoutResponse

  LogoutRequestFields base;
  base.identifier = R"(<saml:BaseID xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="saml:BaseIDAbstractType"/>)";
  auto b = saml::parseLogoutRequest(test::logoutRequestXml(base), *xml::SchemaSet::shared());
  if (b) {
    LogoutFixture g(false);
    auto bs = saml::checkNameId(*b, g.ctx);
    REQUIRE_FALSE(bs);
    CHECK(bs.error().second == status::kRequestUnsupported);
  } else {
    CHECK(b.error().top == StatusCode::Requester);  // abstract type: refused by the schema
  }
}

TEST_CASE("logout request runner: every step passes, or the first failure names its step", "[saml][validation][logout]") {
  LogoutFixture f;
  auto ok = saml::runLogoutRequestSteps(f.parseRequest(signedRequest()), f.ctx);
  INFO((ok ? std::string() : std::string(ok.error().step) + ": " + ok.error().error.detail));
  CHECK(ok);

  LogoutFixture g;
  LogoutRequestFields stale;
  stale.extraAttrs = "NotOnOrAfter=\"2026-01-10T09:00:00Z\"";
  auto r = saml::runLogoutRequestSteps(g.parseRequest(signedRequest(stale)), g.ctx);
  REQUIRE_FALSE(r);
  CHECK(r.error().step == "not-on-or-after");
  CHECK_FALSE(r.error().acsKnown);

  LogoutFixture h;
  LogoutRequestFields unknown;
  unknown.issuer = "https://nobody.example.org";
  auto u = saml::runLogoutRequestSteps(h.parseRequest(test::logoutRequestXml(unknown)), h.ctx);
  REQUIRE_FALSE(u);
  CHECK(u.error().step == "issuer");
  CHECK_FALSE(h.ctx.sp);
}

// ---- LogoutResponse

namespace {
std::string signedResponse(const LogoutResponseFields& f = {}, const crypto::KeyPair& key = test::logoutSpKey()) {
  return LogoutFixture::signXml(test::logoutResponseXml(f), key);
}
}  // namespace

TEST_CASE("logout response version and issuer", "[saml][validation][logout]") {
  LogoutFixture f;
  auto resp = f.parseResponse(test::logoutResponseXml({}));
  CHECK(saml::checkVersion(resp, f.ctx));
  REQUIRE(saml::resolveIssuer(resp, f.ctx));
  CHECK(f.ctx.sp->metadata.entityId == test::kSpId);

  std::string v = test::logoutResponseXml({});
  v.replace(v.find("Version=\"2.0\""), 13, "Version=\"3.0\"");
  auto bad = saml::parseLogoutResponse(v, *xml::SchemaSet::shared());
  REQUIRE_FALSE(bad);
  CHECK(bad.error().top == StatusCode::VersionMismatch);

  LogoutResponseFields unknown;
  unknown.issuer = "https://evil.example.org/sp";
  LogoutFixture g;
  CHECK(deniedAt(saml::resolveIssuer(g.parseResponse(test::logoutResponseXml(unknown)), g.ctx)));
  LogoutResponseFields none;
  none.issuer = "";
  CHECK(deniedAt(saml::resolveIssuer(g.parseResponse(test::logoutResponseXml(none)), g.ctx)));
}

TEST_CASE("logout response signature: metadata key passes; unsigned, foreign key, wrapped refused", "[saml][validation][logout]") {
  LogoutFixture ok;
  REQUIRE(ok.runThrough(ok.parseResponse(signedResponse()), "signature"));
  CHECK(ok.ctx.signatureVerified);

  LogoutFixture unsignedResp;
  CHECK(deniedAt(unsignedResp.runThrough(unsignedResp.parseResponse(test::logoutResponseXml({})), "signature")));
  LogoutFixture foreign;
  CHECK(deniedAt(foreign.runThrough(foreign.parseResponse(signedResponse({}, test::attackerKey())), "signature")));

  LogoutFixture frontNoKey(false);  // SP without a key, front channel: unsigned passes
  CHECK(frontNoKey.runThrough(frontNoKey.parseResponse(test::logoutResponseXml({})), "signature"));
  LogoutFixture soapNoKey(false, Binding::Soap);
  CHECK(deniedAt(soapNoKey.runThrough(soapNoKey.parseResponse(test::logoutResponseXml({})), "signature")));

  // Redirect: the query signature verifies; an XML signature as well is ignored (pysaml2's
  // handle_logout_request(sign=True)), but not in place of the query signature.
  auto m = redirect("SAMLResponse", test::logoutResponseXml({}), test::logoutSpKey().key.get());
  LogoutFixture q;
  q.useQuery(m);
  CHECK(q.runThrough(q.parseResponse(m.xml), "signature"));
  auto both = redirect("SAMLResponse", signedResponse(), test::logoutSpKey().key.get());
  LogoutFixture b;
  b.useQuery(both);
  CHECK(b.runThrough(b.parseResponse(both.xml), "signature"));
  CHECK(b.ctx.xmlSignatureIgnored);
  auto xmlOnly = redirect("SAMLResponse", signedResponse(), nullptr);
  LogoutFixture x;
  x.useQuery(xmlOnly);
  CHECK(deniedAt(x.runThrough(x.parseResponse(xmlOnly.xml), "signature")));

  // Wrapping: the SP's signed response inside Extensions, its Signature copied outside.
  std::string inner = signedResponse();
  inner = inner.substr(inner.find("<samlp:LogoutResponse"));
  std::string sig = inner.substr(inner.find("<ds:Signature"), inner.find("</ds:Signature>") + 15 - inner.find("<ds:Signature"));
  LogoutResponseFields outer;
  outer.id = "_outer";
  std::string outerXml = test::logoutResponseXml(outer);
  outerXml.insert(outerXml.find("</saml:Issuer>") + 14,
                  sig + "<samlp:Extensions><x:Wrap xmlns:x=\"urn:example:wrap\">" +
                      inner + "</x:Wrap></samlp:Extensions>");
  auto wrapped = saml::parseLogoutResponse(outerXml, *xml::SchemaSet::shared());
  INFO((wrapped ? std::string() : wrapped.error().detail));
  REQUIRE(wrapped);
  LogoutFixture w;
  CHECK(deniedAt(w.runThrough(*wrapped, "signature")));
}

TEST_CASE("logout response destination, freshness and replay", "[saml][validation][logout]") {
  LogoutFixture ok;
  auto good = ok.parseResponse(signedResponse());
  CHECK(ok.runThrough(good, "replay"));
  CHECK(deniedAt(saml::checkNotReplayed(good, ok.ctx)));  // the same ID again

  LogoutResponseFields foreign;
  foreign.destination = "https://other.example.org/slo";
  LogoutFixture d;
  CHECK(deniedAt(d.runThrough(d.parseResponse(signedResponse(foreign)), "destination")));
  LogoutResponseFields none;
  none.destination = "";
  LogoutFixture n;
  CHECK(deniedAt(n.runThrough(n.parseResponse(signedResponse(none)), "destination")));

  LogoutResponseFields future;
  future.issueInstant = "2026-01-10T10:05:00Z";
  LogoutFixture fu;
  CHECK(deniedAt(fu.runThrough(fu.parseResponse(signedResponse(future)), "freshness")));
  LogoutResponseFields stale;
  stale.issueInstant = "2026-01-10T09:52:00Z";
  LogoutFixture st;
  CHECK(deniedAt(st.runThrough(st.parseResponse(signedResponse(stale)), "freshness")));
}

TEST_CASE("logout response runner", "[saml][validation][logout]") {
  LogoutFixture f;
  auto ok = saml::runLogoutResponseSteps(f.parseResponse(signedResponse()), f.ctx);
  INFO((ok ? std::string() : std::string(ok.error().step) + ": " + ok.error().error.detail));
  CHECK(ok);
  LogoutFixture g;
  auto r = saml::runLogoutResponseSteps(g.parseResponse(test::logoutResponseXml({})), g.ctx);
  REQUIRE_FALSE(r);
  CHECK(r.error().step == "signature");
}
