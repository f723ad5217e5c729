// One TEST_CASE group per step of kAuthnRequestSteps: a pass and refusals asserting the status.
#include <catch2/catch.hpp>

#include "idp/crypto/query_signature.h"
#include "saml/validation/fixture.h"

using namespace propusk;
using test::RequestFields;
using test::StepFixture;

TEST_CASE("version: 2.0 passes, anything else is VersionMismatch at parse", "[saml][validation]") {
  StepFixture f;
  RequestFields rf;
  auto req = f.parse(test::authnRequestXml(rf));
  CHECK(saml::checkVersion(req, f.ctx));
  std::string v1 = test::authnRequestXml(rf);
  v1.replace(v1.find("Version=\"2.0\""), 13, "Version=\"1.1\"");
  auto r = saml::parseAuthnRequest(v1, *xml::SchemaSet::shared());
  REQUIRE_FALSE(r);
  CHECK(r.error().top == StatusCode::VersionMismatch);
}

TEST_CASE("issuer: registered SP resolves, unknown or missing is RequestDenied", "[saml][validation]") {
  StepFixture f;
  RequestFields rf;
  auto ok = f.parse(test::authnRequestXml(rf));
  REQUIRE(saml::resolveIssuer(ok, f.ctx));
  CHECK(f.ctx.sp->metadata.entityId == test::kSpId);
  rf.issuer = "https://evil.example.org/sp";
  auto unknown = saml::resolveIssuer(f.parse(test::authnRequestXml(rf)), f.ctx);
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().second == status::kRequestDenied);
  rf.issuer = "";
  CHECK(saml::resolveIssuer(f.parse(test::authnRequestXml(rf)), f.ctx).error().second == status::kRequestDenied);
}

TEST_CASE("signature (POST): valid enveloped signature by the metadata key passes", "[saml][validation]") {
  StepFixture f(true);
  auto req = f.parse(f.signXml(test::authnRequestXml({}), f.spKey));
  REQUIRE(f.runThrough(req, "signature"));
  CHECK(f.ctx.signatureVerified);
}

TEST_CASE("signature (POST): unsigned when required, foreign key, tampered, wrapped are refused", "[saml][validation]") {
  StepFixture f(true);
  auto unsignedReq = f.parse(test::authnRequestXml({}));
  CHECK(f.runThrough(unsignedReq, "signature").error().second == status::kRequestDenied);

  auto attacker = crypto::generateKeyPair(crypto::KeyAlgorithm::Rsa2048, "attacker", 30, f.clock);
  auto foreign = f.parse(f.signXml(test::authnRequestXml({}), attacker));  // KeyInfo carries the attacker cert
  CHECK(f.runThrough(foreign, "signature").error().second == status::kRequestDenied);

  std::string signedXml = f.signXml(test::authnRequestXml({}), f.spKey);
  std::string tampered = signedXml;
  tampered.replace(tampered.find("_req1\" Version"), 5, "_req2");
  // The ID changed, so the Reference no longer resolves or the digest fails: refused either way.
  CHECK(f.runThrough(f.parse(tampered), "signature").error().second == status::kRequestDenied);

  // Wrapping: a signed request hidden in Extensions, an unsigned one around it carrying a
  // Signature copied from the inner one (its Reference points at the inner element).
  std::string inner = signedXml.substr(signedXml.find("<samlp:AuthnRequest"));
  std::string sig = inner.substr(inner.find("<ds:Signature"), inner.find("</ds:Signature>") + 15 - inner.find("<ds:Signature"));
  RequestFields outer;
  outer.id = "_evil";
  outer.body = sig + "<samlp:Extensions>" + inner + "</samlp:Extensions>";
  auto wrapped = saml::parseAuthnRequest(test::authnRequestXml(outer), *xml::SchemaSet::shared());
  if (wrapped) CHECK(f.runThrough(*wrapped, "signature").error().second == status::kRequestDenied);
  else CHECK(wrapped.error().top == StatusCode::Requester);  // refused even earlier (schema/duplicate IDs)
}

TEST_CASE("signature (Redirect): detached signature over the query octets", "[saml][validation]") {
  StepFixture f(true);
  std::string xml = test::authnRequestXml({});
  auto q = saml::encodeRedirect("SAMLRequest", xml, std::string("rs"), f.spKey.key.get(), crypto::SignatureAlgorithm::RsaSha256);
  REQUIRE(q);
  auto m = saml::decodeRedirect(*q);
  REQUIRE(m);
  saml::QuerySignature qs{m->sigAlg, m->signature, m->signedOctets};
  f.ctx.binding = saml::Binding::Redirect;
  f.ctx.querySignature = &qs;
  REQUIRE(f.runThrough(f.parse(m->xml), "signature"));
  CHECK(f.ctx.signatureVerified);

  StepFixture g(true);
  saml::QuerySignature forged = qs;
  forged.signedOctets += "x";
  g.ctx.binding = saml::Binding::Redirect;
  g.ctx.querySignature = &forged;
  CHECK(g.runThrough(g.parse(m->xml), "signature").error().second == status::kRequestDenied);

  StepFixture h(true);
  saml::QuerySignature sha1 = qs;
  sha1.sigAlg = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
  h.ctx.binding = saml::Binding::Redirect;
  h.ctx.querySignature = &sha1;
  // A SigAlg changed to rsa-sha1 over a SHA-256 signature: it does not verify, so it is a bad
  // signature (the SHA-1 remedy is only for what the SP really signed with SHA-1).
  auto changed = h.runThrough(h.parse(m->xml), "signature");
  REQUIRE_FALSE(changed);
  CHECK(changed.error().second == status::kRequestDenied);
  CHECK_THAT(changed.error().remedy, Catch::Contains("--replace"));
  CHECK_FALSE(h.ctx.senderAuthenticated);
}

TEST_CASE("destination: ours passes; foreign refused; signed without Destination refused", "[saml][validation]") {
  StepFixture f;
  RequestFields rf;
  CHECK(f.runThrough(f.parse(test::authnRequestXml(rf)), "destination"));
  rf.destination = "https://other-idp.example.org/sso";
  CHECK(StepFixture{}.runThrough(StepFixture{}.parse(test::authnRequestXml(rf)), "destination").error().second ==
        status::kRequestDenied);
  StepFixture s(true);
  RequestFields nodest;
  nodest.destination = "";
  auto req = s.parse(s.signXml(test::authnRequestXml(nodest), s.spKey));
  CHECK(s.runThrough(req, "destination").error().second == status::kRequestDenied);
}

TEST_CASE("freshness: inside the window passes; future and stale refused", "[saml][validation]") {
  RequestFields rf;
  StepFixture ok;
  CHECK(ok.runThrough(ok.parse(test::authnRequestXml(rf)), "freshness"));
  rf.issueInstant = "2026-01-10T10:05:00Z";  // now + 4 min > skew 3 min
  StepFixture future;
  CHECK(future.runThrough(future.parse(test::authnRequestXml(rf)), "freshness").error().second == status::kRequestDenied);
  rf.issueInstant = "2026-01-10T09:52:00Z";  // 9 min old > 5 min lifetime + 3 min skew
  StepFixture stale;
  CHECK(stale.runThrough(stale.parse(test::authnRequestXml(rf)), "freshness").error().second == status::kRequestDenied);
}

TEST_CASE("replay: the same ID from the same SP is refused the second time", "[saml][validation]") {
  StepFixture f;
  auto req = f.parse(test::authnRequestXml({}));
  REQUIRE(f.runThrough(req, "replay"));
  auto again = f.runThrough(f.parse(test::authnRequestXml({})), "replay");
  REQUIRE_FALSE(again);
  CHECK(again.error().second == status::kRequestDenied);
}

TEST_CASE("replay: a full replay cache refuses as the IdP's own limit, not as a replay", "[saml][validation]") {
  StepFixture f;
  store::MemoryReplayCache full(0);
  f.ctx.replay = &full;
  auto st = f.runThrough(f.parse(test::authnRequestXml({})), "replay");
  REQUIRE_FALSE(st);
  CHECK(st.error().top == StatusCode::Responder);
  CHECK_THAT(st.error().detail, Catch::Contains("replay cache full"));
}

TEST_CASE("acs: metadata URL, index or default; unknown URL never accepted", "[saml][validation]") {
  std::string second = R"(<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example.org/acs2" index="2" isDefault="true"/>
<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact" Location="https://sp.example.org/art" index="3"/>)";
  auto acsFor = [&](const std::string& attrs) {
    StepFixture f(false, second);
    RequestFields rf;
    rf.extraAttrs = attrs;
    auto st = f.runThrough(f.parse(test::authnRequestXml(rf)), "acs");
    return std::pair{st, f.ctx.acs};
  };
  CHECK(acsFor("").second->location == "https://sp.example.org/acs2");  // isDefault
  CHECK(acsFor(R"(AssertionConsumerServiceIndex="1")").second->location == test::kAcs);
  CHECK(acsFor(R"(AssertionConsumerServiceURL="https://sp.example.org/acs")").second->location == test::kAcs);

  auto evil = acsFor(R"(AssertionConsumerServiceURL="https://evil.example.org/acs")");
  REQUIRE_FALSE(evil.first);
  CHECK(evil.first.error().second == status::kRequestDenied);
  CHECK_FALSE(evil.second);  // nowhere safe to answer: error page, not a POST to the evil URL
  CHECK(acsFor(R"(AssertionConsumerServiceIndex="9")").first.error().second == status::kRequestDenied);
  CHECK(acsFor(R"(AssertionConsumerServiceIndex="3")").first.error().second == status::kUnsupportedBinding);
  CHECK(acsFor(R"(ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact")").first.error().second ==
        status::kUnsupportedBinding);
  CHECK(acsFor(R"(AssertionConsumerServiceIndex="1" AssertionConsumerServiceURL="https://sp.example.org/acs")")
            .first.error().second == status::kRequestDenied);
}

TEST_CASE("nameid-policy: supported formats, SP default, unsupported is InvalidNameIDPolicy", "[saml][validation]") {
  auto formatFor = [](const std::string& body, const std::string& mdFormats = "") {
    StepFixture f(false, "", mdFormats);
    RequestFields rf;
    rf.body = body;
    auto st = f.runThrough(f.parse(test::authnRequestXml(rf)), "nameid-policy");
    return std::pair{st, f.ctx.nameIdFormat};
  };
  CHECK(formatFor("").second == saml::kNameIdPersistent);
  CHECK(formatFor("", "<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>").second ==
        saml::kNameIdTransient);
  CHECK(formatFor(R"(<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" AllowCreate="true"/>)")
            .second == saml::kNameIdEmail);
  auto bad = formatFor(R"(<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName"/>)");
  REQUIRE_FALSE(bad.first);
  CHECK(bad.first.error().second == status::kInvalidNameIDPolicy);
  auto qual = formatFor(R"(<samlp:NameIDPolicy SPNameQualifier="https://affiliation.example.org"/>)");
  CHECK(qual.first.error().second == status::kInvalidNameIDPolicy);
}

TEST_CASE("authn-context: a request this IdP can satisfy with some login passes, any other is NoAuthnContext",
          "[saml][validation]") {
  auto run = [](const std::string& cmp, const std::string& ref) {
    StepFixture f;
    RequestFields rf;
    rf.body = R"(<samlp:RequestedAuthnContext Comparison=")" + cmp + R"("><saml:AuthnContextClassRef>)" + ref +
              "</saml:AuthnContextClassRef></samlp:RequestedAuthnContext>";
    return f.runThrough(f.parse(test::authnRequestXml(rf)), "authn-context");
  };
  const std::string ppt(saml::kAcPasswordProtectedTransport), pw(saml::kAcPassword);
  const std::string tst(policy::kAcTimeSyncToken), mfa(policy::kAcRefedsMfa);
  for (auto& ref : {ppt, pw, tst, mfa}) CHECK(run("exact", ref));
  CHECK(run("minimum", pw));
  CHECK(run("minimum", mfa));
  CHECK(run("better", ppt));  // a second factor makes it better
  CHECK(run("maximum", pw));
  auto better = run("better", mfa);  // nothing this IdP knows is stronger than REFEDS MFA
  REQUIRE_FALSE(better);
  CHECK(better.error().second == status::kNoAuthnContext);
  CHECK(run("exact", "urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard").error().second == status::kNoAuthnContext);
  CHECK(run("minimum", "urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard").error().second == status::kNoAuthnContext);
}

TEST_CASE("the runner stops at the first failure and says whether the ACS is known", "[saml][validation]") {
  StepFixture f;
  RequestFields rf;
  rf.body = R"(<samlp:NameIDPolicy Format="urn:example:bogus"/>)";
  auto r = saml::runAuthnRequestSteps(f.parse(test::authnRequestXml(rf)), f.ctx);
  REQUIRE_FALSE(r);
  CHECK(r.error().step == "nameid-policy");
  CHECK(r.error().acsKnown);
  StepFixture g;
  RequestFields unknown;
  unknown.issuer = "https://nobody.example.org";
  auto u = saml::runAuthnRequestSteps(g.parse(test::authnRequestXml(unknown)), g.ctx);
  REQUIRE_FALSE(u);
  CHECK(u.error().step == "issuer");
  CHECK_FALSE(u.error().acsKnown);
}

TEST_CASE("signature (Redirect): an XML signature beside a verified query signature is ignored, alone refused",
          "[saml][validation]") {
  StepFixture f(true);
  std::string xmlSigned = f.signXml(test::authnRequestXml({}), f.spKey);
  auto q = saml::encodeRedirect("SAMLRequest", xmlSigned, std::nullopt, f.spKey.key.get(), crypto::SignatureAlgorithm::RsaSha256);
  REQUIRE(q);
  auto m = saml::decodeRedirect(*q);
  REQUIRE(m);
  saml::QuerySignature qs{m->sigAlg, m->signature, m->signedOctets};
  f.ctx.binding = saml::Binding::Redirect;
  f.ctx.querySignature = &qs;
  REQUIRE(f.runThrough(f.parse(m->xml), "signature"));
  CHECK(f.ctx.signatureVerified);
  CHECK(f.ctx.xmlSignatureIgnored);

  StepFixture g(true);
  auto bare = saml::encodeRedirect("SAMLRequest", xmlSigned, std::nullopt, nullptr, crypto::SignatureAlgorithm::RsaSha256);
  REQUIRE(bare);
  auto bm = saml::decodeRedirect(*bare);
  REQUIRE(bm);
  saml::QuerySignature none{bm->sigAlg, bm->signature, bm->signedOctets};
  g.ctx.binding = saml::Binding::Redirect;
  g.ctx.querySignature = &none;
  auto st = g.runThrough(g.parse(bm->xml), "signature");
  REQUIRE_FALSE(st);
  CHECK(st.error().second == status::kRequestDenied);
  CHECK_FALSE(g.ctx.signatureVerified);
}

TEST_CASE("refusals an SP causes carry the administrator's remedy", "[saml][validation]") {
  // SHA-1, query signature: the remedy names the SP and the switch.
  {
    StepFixture f(true);
    auto q = saml::encodeRedirect("SAMLRequest", test::authnRequestXml({}), std::nullopt, f.spKey.key.get(),
                                  crypto::SignatureAlgorithm::RsaSha1);
    REQUIRE(q);
    auto m = saml::decodeRedirect(*q);
    REQUIRE(m);
    saml::QuerySignature qs{m->sigAlg, m->signature, m->signedOctets};
    f.ctx.binding = saml::Binding::Redirect;
    f.ctx.querySignature = &qs;
    auto st = f.runThrough(f.parse(m->xml), "signature");
    REQUIRE_FALSE(st);
    CHECK(st.error().second == status::kRequestDenied);
    CHECK_THAT(st.error().remedy, Catch::Contains(std::string("propuskctl sp set ") + test::kSpId + " --allow-sha1"));
    CHECK(f.ctx.senderAuthenticated);  // the SP itself signed it: shown as its doing
    CHECK_FALSE(f.ctx.signatureVerified);
    CHECK_THAT(st.error().remedy, Catch::Contains("SHA256"));
  }
  // SHA-1, enveloped signature (POST): the same remedy, not "wrong key".
  {
    StepFixture f(true);
    auto doc = xml::parseSecure(test::authnRequestXml({}));
    xmlNode* root = xmlDocGetRootElement(doc->get());
    crypto::SignOptions sha1;
    sha1.algorithm = crypto::SignatureAlgorithm::RsaSha1;
    REQUIRE(crypto::signEnveloped(root, xml::child(root, xml::ns::kSaml, "Issuer"), f.spKey.key.get(),
                                  f.spKey.cert.get(), sha1));
    auto st = f.runThrough(f.parse(xml::serialize(doc->get())), "signature");
    REQUIRE_FALSE(st);
    CHECK_THAT(st.error().remedy, Catch::Contains("--allow-sha1"));
    // Allowed for this SP (the fixture made the SP mutable; the directory hands it out as
    // const): the same request passes.
    std::const_pointer_cast<saml::RegisteredSp>(f.directory.sps[test::kSpId])->allowSha1 = true;
    CHECK(f.runThrough(f.parse(xml::serialize(doc->get())), "signature"));
  }
  // A foreign key: the remedy is about the registered metadata, not SHA-1.
  {
    StepFixture f(true);
    auto attacker = crypto::generateKeyPair(crypto::KeyAlgorithm::Rsa2048, "attacker", 30, f.clock);
    auto st = f.runThrough(f.parse(f.signXml(test::authnRequestXml({}), attacker)), "signature");
    REQUIRE_FALSE(st);
    CHECK_THAT(st.error().remedy, Catch::Contains("--replace"));
    CHECK_THAT(st.error().remedy, !Catch::Contains("allow-sha1"));
  }
  // Destination, freshness, replay, ACS: each says what to change.
  {
    StepFixture f;
    RequestFields rf;
    rf.destination = "https://other-idp.example.org/sso";
    CHECK_THAT(f.runThrough(f.parse(test::authnRequestXml(rf)), "destination").error().remedy,
               Catch::Contains("public_url"));
  }
  {
    StepFixture f;
    RequestFields rf;
    rf.issueInstant = "2026-01-10T10:05:00Z";
    CHECK_THAT(f.runThrough(f.parse(test::authnRequestXml(rf)), "freshness").error().remedy, Catch::Contains("NTP"));
  }
  {
    StepFixture f;
    REQUIRE(f.runThrough(f.parse(test::authnRequestXml({})), "replay"));
    CHECK_THAT(f.runThrough(f.parse(test::authnRequestXml({})), "replay").error().remedy,
               Catch::Contains("fresh ID"));
  }
  {
    StepFixture f;
    RequestFields rf;
    rf.extraAttrs = R"(AssertionConsumerServiceURL="https://evil.example.org/acs")";
    CHECK_THAT(f.runThrough(f.parse(test::authnRequestXml(rf)), "acs").error().remedy,
               Catch::Contains("propuskctl sp add"));
  }
}
