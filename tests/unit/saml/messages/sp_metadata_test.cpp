#include "idp/saml/messages/sp_metadata.h"

#include <catch2/catch.hpp>

#include "idp/crypto/keys.h"
#include "idp/crypto/xml_signature.h"
#include "idp/xml/dom.h"
#include "idp/xml/parser.h"

using namespace propusk;

namespace {

std::string spMetadata(const std::string& acsLocation = "https://sp.example.org/acs",
                       const std::string& rootAttrs = "", const std::string& extraAcs = "",
                       const std::string& keyDescriptor = "") {
  return R"(<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" ID="_md1" entityID="https://sp.example.org/sp")" +
         rootAttrs + R"(>
  <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" AuthnRequestsSigned="true">)" +
         keyDescriptor + R"(
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://sp.example.org/slo"/>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location=")" +
         acsLocation + R"(" index="0" isDefault="true"/>)" + extraAcs + R"(
  </md:SPSSODescriptor>
</md:EntityDescriptor>)";
}

saml::MetadataCheck at(const char* when) {
  saml::MetadataCheck c;
  c.now = *parseXsDateTime(when);
  return c;
}

std::string detailOf(const Result<saml::SpMetadata>& r) { return r ? std::string() : r.error().detail; }

}  // namespace

TEST_CASE("good SP metadata is parsed into endpoints and flags", "[saml][metadata]") {
  auto r = saml::parseSpMetadata(spMetadata(), at("2026-01-10T10:00:00Z"));
  INFO(detailOf(r));
  REQUIRE(r);
  CHECK(r->entityId == "https://sp.example.org/sp");
  CHECK(r->authnRequestsSigned);
  REQUIRE(r->assertionConsumerServices.size() == 1);
  CHECK(r->assertionConsumerServices[0].location == "https://sp.example.org/acs");
  CHECK(r->assertionConsumerServices[0].index == 0u);
  CHECK(r->assertionConsumerServices[0].isDefault == true);
  CHECK(r->singleLogoutServices.size() == 1);
  CHECK(r->nameIdFormats == std::vector<std::string>{"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"});
  CHECK_FALSE(r->signed_);
}

TEST_CASE("ACS that is not an absolute http(s) URL is refused", "[saml][metadata]") {
  for (const char* loc : {"/acs", "javascript:alert(1)", "ftp://sp.example.org/acs", "https:///acs",
                          "https://user@sp.example.org/acs", "https://sp.example.org/acs#frag"}) {
    INFO(loc);
    auto r = saml::parseSpMetadata(spMetadata(loc), at("2026-01-10T10:00:00Z"));
    REQUIRE_FALSE(r);
    CHECK(r.error().detail.find("AssertionConsumerService") != std::string::npos);
  }
}

TEST_CASE("expired validUntil is refused, a future one kept", "[saml][metadata]") {
  auto expired = saml::parseSpMetadata(spMetadata("https://sp.example.org/acs", R"( validUntil="2026-01-01T00:00:00Z")"),
                                       at("2026-01-10T10:00:00Z"));
  REQUIRE_FALSE(expired);
  CHECK(expired.error().detail.find("expired") != std::string::npos);
  auto ok = saml::parseSpMetadata(spMetadata("https://sp.example.org/acs", R"( validUntil="2027-01-01T00:00:00Z")"),
                                  at("2026-01-10T10:00:00Z"));
  REQUIRE(ok);
  CHECK(formatXsDateTime(*ok->validUntil) == "2027-01-01T00:00:00Z");
}

TEST_CASE("duplicate ACS index is refused", "[saml][metadata]") {
  auto r = saml::parseSpMetadata(
      spMetadata("https://sp.example.org/acs", "",
                 R"(<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example.org/acs2" index="0"/>)"),
      at("2026-01-10T10:00:00Z"));
  REQUIRE_FALSE(r);
  CHECK(r.error().detail.find("index 0") != std::string::npos);
}

TEST_CASE("wrong kinds of document are refused with the reason", "[saml][metadata]") {
  auto now = at("2026-01-10T10:00:00Z");
  CHECK(detailOf(saml::parseSpMetadata(R"(<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"/>)", now))
            .find("EntitiesDescriptor") != std::string::npos);
  std::string idpOnly = R"(<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.org"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example.org/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>)";
  CHECK(detailOf(saml::parseSpMetadata(idpOnly, now)).find("no SPSSODescriptor") != std::string::npos);
  CHECK(detailOf(saml::parseSpMetadata("<<<", now)).find("not well-formed") != std::string::npos);
  std::string xxe = "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>" + spMetadata();
  CHECK(detailOf(saml::parseSpMetadata(xxe, now)).find("DTD") != std::string::npos);
  std::string noIndex = spMetadata();
  noIndex.replace(noIndex.find(R"( index="0")"), 10, "");
  CHECK(detailOf(saml::parseSpMetadata(noIndex, now)).find("schema") != std::string::npos);
}

TEST_CASE("signing certificate from KeyDescriptor is read; garbage refused", "[saml][metadata]") {
  FixedClock clock("2026-01-10T10:00:00Z");
  auto kp = crypto::generateKeyPair(crypto::KeyAlgorithm::EcP256, "sp", 30, clock);
  std::string kd = R"(<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>)" +
                   crypto::certificateBase64Der(kp.cert.get()) +
                   R"(</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>)";
  auto r = saml::parseSpMetadata(spMetadata("https://sp.example.org/acs", "", "", kd), at("2026-01-10T10:00:00Z"));
  REQUIRE(r);
  REQUIRE(r->signingCertificates.size() == 1);
  CHECK(r->encryptionCertificates.empty());
  CHECK(crypto::certificateSha256Fingerprint(r->signingCertificates[0].get()) ==
        crypto::certificateSha256Fingerprint(kp.cert.get()));
  std::string bad = R"(<md:KeyDescriptor><ds:KeyInfo><ds:X509Data><ds:X509Certificate>AAAA</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>)";
  CHECK(detailOf(saml::parseSpMetadata(spMetadata("https://sp.example.org/acs", "", "", bad), at("2026-01-10T10:00:00Z")))
            .find("certificate") != std::string::npos);
}

TEST_CASE("signed metadata: verified with the trust anchor only", "[saml][metadata]") {
  FixedClock clock("2026-01-10T10:00:00Z");
  auto signer = crypto::generateKeyPair(crypto::KeyAlgorithm::Rsa2048, "federation", 30, clock);
  auto other = crypto::generateKeyPair(crypto::KeyAlgorithm::Rsa2048, "other", 30, clock);
  auto doc = xml::parseSecure(spMetadata());
  REQUIRE(doc);
  REQUIRE(crypto::signEnveloped(xmlDocGetRootElement(doc->get()), nullptr, signer.key.get(), signer.cert.get()));
  std::string signedXml = xml::serialize(doc->get());

  auto check = at("2026-01-10T10:00:00Z");
  X509* good[] = {signer.cert.get()};
  check.trustAnchors = good;
  auto r = saml::parseSpMetadata(signedXml, check);
  INFO(detailOf(r));
  REQUIRE(r);
  CHECK(r->signatureVerified);

  X509* wrong[] = {other.cert.get()};
  check.trustAnchors = wrong;
  CHECK(detailOf(saml::parseSpMetadata(signedXml, check)).find("signature") != std::string::npos);

  check.trustAnchors = good;
  std::string tampered = signedXml;
  tampered.replace(tampered.find("https://sp.example.org/acs"), 26, "https://evil.example.org/a");
  CHECK(detailOf(saml::parseSpMetadata(tampered, check)).find("signature") != std::string::npos);
  CHECK(detailOf(saml::parseSpMetadata(spMetadata(), check)).find("not signed") != std::string::npos);

  // Without a trust anchor the signature is noted, not checked.
  auto unchecked = saml::parseSpMetadata(signedXml, at("2026-01-10T10:00:00Z"));
  REQUIRE(unchecked);
  CHECK(unchecked->signed_);
  CHECK_FALSE(unchecked->signatureVerified);
}

TEST_CASE("xs:boolean and xs:dateTime are read the way the schema collapses them", "[saml][metadata]") {
  std::string md = spMetadata();
  md.replace(md.find(R"(AuthnRequestsSigned="true")"), 26, R"(AuthnRequestsSigned=" true ")");
  auto r = saml::parseSpMetadata(md, at("2026-01-10T10:00:00Z"));
  REQUIRE(r);
  CHECK(r->authnRequestsSigned);  // not silently false: unsigned requests would pass
  auto padded = saml::parseSpMetadata(spMetadata("https://sp.example.org/acs", R"( validUntil=" 2026-01-01T00:00:00Z ")"),
                                      at("2026-01-10T10:00:00Z"));
  CHECK_FALSE(padded);  // refused (by the schema or as expired), never stored as "no expiry"
  auto fraction = saml::parseSpMetadata(
      spMetadata("https://sp.example.org/acs", R"( validUntil="2001-01-01T00:00:00.5+00:00 ")"), at("2026-01-10T10:00:00Z"));
  CHECK_FALSE(fraction);
  auto negative = saml::parseSpMetadata(spMetadata("https://sp.example.org/acs", R"( validUntil="-2001-01-01T00:00:00Z")"),
                                        at("2026-01-10T10:00:00Z"));
  REQUIRE_FALSE(negative);
  CHECK(negative.error().detail.find("validUntil") != std::string::npos);
}

TEST_CASE("isAbsoluteHttpUrl", "[saml][metadata]") {
  CHECK(saml::isAbsoluteHttpUrl("https://sp.example.org/acs?x=1"));
  CHECK(saml::isAbsoluteHttpUrl("http://127.0.0.1:8080/acs"));
  CHECK(saml::isAbsoluteHttpUrl("HTTPS://SP.EXAMPLE.ORG"));
  CHECK_FALSE(saml::isAbsoluteHttpUrl("https://sp.example.org/a cs"));
  CHECK_FALSE(saml::isAbsoluteHttpUrl("https://:443/acs"));
  CHECK_FALSE(saml::isAbsoluteHttpUrl("data:text/html,x"));
  CHECK(saml::isAbsoluteHttpUrl("https://[::1]:8443/acs"));
  CHECK_FALSE(saml::isAbsoluteHttpUrl("https://[::1/acs"));
  CHECK_FALSE(saml::isAbsoluteHttpUrl("https://sp.example.org:99999999/acs"));
  CHECK_FALSE(saml::isAbsoluteHttpUrl("https://sp.example.org:0/acs"));
  CHECK_FALSE(saml::isAbsoluteHttpUrl("https://sp.example.org:/acs"));
  CHECK_FALSE(saml::isAbsoluteHttpUrl("https://\xd1\x81p.example.org/acs"));  // Cyrillic look-alike
  CHECK_FALSE(saml::isAbsoluteHttpUrl("https://sp.example.org/\xe2\x80\xae" "acs"));  // bidi override
  CHECK_FALSE(saml::isAbsoluteHttpUrl("https:/\\sp.example.org/acs"));
  CHECK_FALSE(saml::isAbsoluteHttpUrl("https://sp;evil.example.org/acs"));
}

TEST_CASE("mdui:DisplayName: Russian first, then English, else the entityID", "[saml][metadata]") {
  auto withNames = [](const std::string& names) {
    std::string md = spMetadata();
    md.replace(md.find("<md:SingleLogoutService"), 0,
               R"(<md:Extensions><mdui:UIInfo xmlns:mdui="urn:oasis:names:tc:SAML:metadata:ui">)" + names +
                   "</mdui:UIInfo></md:Extensions>");
    auto r = saml::parseSpMetadata(md, at("2026-01-10T10:00:00Z"));
    INFO(detailOf(r));
    REQUIRE(r);
    return saml::displayNameFor(*r);
  };
  CHECK(withNames(R"(<mdui:DisplayName xml:lang="en">Portal</mdui:DisplayName><mdui:DisplayName xml:lang="ru">Портал</mdui:DisplayName>)") == "Портал");
  CHECK(withNames(R"(<mdui:DisplayName xml:lang="de">Portal DE</mdui:DisplayName><mdui:DisplayName xml:lang="en">Portal</mdui:DisplayName>)") == "Portal");
  CHECK(withNames(R"(<mdui:DisplayName xml:lang="de">Portal DE</mdui:DisplayName>)") == "Portal DE");
  auto plain = saml::parseSpMetadata(spMetadata(), at("2026-01-10T10:00:00Z"));
  REQUIRE(plain);
  CHECK(saml::displayNameFor(*plain) == "https://sp.example.org/sp");
}
