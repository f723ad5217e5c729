#include "idp/saml/bindings/soap.h"

#include <catch2/catch.hpp>

#include "idp/crypto/keys.h"
#include "idp/crypto/xml_signature.h"
#include "idp/saml/messages/logout_request.h"
#include "idp/xml/dom.h"
#include "idp/xml/namespaces.h"
#include "idp/xml/parser.h"
#include "saml/validation/logout_fixture.h"
#include "support.h"

using namespace propusk;
using saml::SoapFaultCode;

namespace {

constexpr char kEnvOpen[] = R"(<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/">)";

// A LogoutRequest whose prefixes are all declared on the envelope, not on itself.
const std::string kBareRequest =
    R"(<samlp:LogoutRequest ID="_soap1" Version="2.0" IssueInstant="2026-01-10T10:00:00Z" Destination="https://idp.example.ru/saml/soap">)"
    R"(<saml:Issuer>https://sp.example.org/sp</saml:Issuer>)"
    R"(<saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">pairwise-42</saml:NameID>)"
    R"(<samlp:SessionIndex>_sess-1</samlp:SessionIndex></samlp:LogoutRequest>)";

std::string inheritingEnvelope(const std::string& header = "") {
  return R"(<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/" xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" )"
         R"(xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:unused="urn:example:unused">)" +
         header + "<S:Body>\n  " + kBareRequest + "\n</S:Body></S:Envelope>";
}

SoapFaultCode faultOf(const std::string& envelope) {
  auto r = saml::unwrapSoap(envelope);
  INFO(envelope);
  REQUIRE_FALSE(r);
  return r.error().code;
}

X509* const* trusted() {
  static X509* certs[] = {test::logoutSpKey().cert.get()};
  return certs;
}

}  // namespace

TEST_CASE("SOAP unwrap: the Body's element, standalone with its inherited namespaces", "[saml][bindings][soap]") {
  auto body = saml::unwrapSoap(inheritingEnvelope(R"(<S:Header><x:Trace xmlns:x="urn:example:x" S:mustUnderstand="0">t</x:Trace></S:Header>)"));
  INFO((body ? std::string() : body.error().detail));
  REQUIRE(body);
  CHECK(body->localName == "LogoutRequest");
  CHECK(body->namespaceUri == xml::ns::kSamlp);
  auto req = saml::parseLogoutRequest(body->xml, *xml::SchemaSet::shared());
  INFO(body->xml);
  INFO((req ? std::string() : req.error().detail));
  REQUIRE(req);
  CHECK(req->id == "_soap1");
  CHECK(req->nameId->value == "pairwise-42");
  CHECK(body->xml.find("Envelope") == std::string::npos);
}

TEST_CASE("SOAP unwrap: an enveloped signature made inside the envelope still verifies", "[saml][bindings][soap]") {
  // Signed in place, with samlp/saml declared only on the Envelope (exclusive c14n).
  auto doc = xml::parseSecure(inheritingEnvelope());
  REQUIRE(doc);
  xmlNode* body = xml::child(xmlDocGetRootElement(doc->get()), xml::ns::kSoap, "Body");
  xmlNode* inner = xml::child(body, xml::ns::kSamlp, "LogoutRequest");
  REQUIRE(inner);
  REQUIRE(crypto::signEnveloped(inner, xml::child(inner, xml::ns::kSaml, "Issuer"), test::logoutSpKey().key.get(),
                                test::logoutSpKey().cert.get()));
  auto unwrapped = saml::unwrapSoap(xml::serialize(doc->get()));
  REQUIRE(unwrapped);
  auto req = saml::parseLogoutRequest(unwrapped->xml, *xml::SchemaSet::shared());
  INFO((req ? std::string() : req.error().detail));
  REQUIRE(req);
  auto v = crypto::verifyEnveloped(req->root, std::span(trusted(), 1));
  INFO((v ? std::string() : v.error().detail));
  CHECK(v);
}

TEST_CASE("SOAP unwrap: inclusive-c14n SignedInfo signed by xmlsec1 inside the envelope still verifies", "[saml][bindings][soap][interop]") {
  // Inclusive c14n renders every namespace in scope at SignedInfo, the envelope's included
  // (xmlns:S, xmlns:unused): the standalone copy must keep them all.
  test::TempDir dir;
  test::writeFile(dir / "key.pem", crypto::privateKeyPem(test::logoutSpKey().key.get()));
  test::writeFile(dir / "cert.pem", crypto::certificatePem(test::logoutSpKey().cert.get()));
  std::string tmpl = inheritingEnvelope();
  tmpl.replace(tmpl.find("</saml:Issuer>") + 14, 0,
               R"(<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>)"
               R"(<ds:CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>)"
               R"(<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>)"
               R"(<ds:Reference URI="#_soap1"><ds:Transforms>)"
               R"(<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>)"
               R"(<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>)"
               R"(<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/>)"
               R"(</ds:Reference></ds:SignedInfo><ds:SignatureValue/></ds:Signature>)");
  test::writeFile(dir / "tmpl.xml", tmpl);
  std::string out;
  int rc = test::run("xmlsec1 --sign --privkey-pem " + (dir / "key.pem").string() + "," + (dir / "cert.pem").string() +
                         " --id-attr:ID urn:oasis:names:tc:SAML:2.0:protocol:LogoutRequest --output " +
                         (dir / "signed.xml").string() + " " + (dir / "tmpl.xml").string(),
                     &out);
  INFO(out);
  REQUIRE(rc == 0);
  auto unwrapped = saml::unwrapSoap(test::readFile(dir / "signed.xml"));
  REQUIRE(unwrapped);
  INFO(unwrapped->xml);
  auto req = saml::parseLogoutRequest(unwrapped->xml, *xml::SchemaSet::shared());
  REQUIRE(req);
  auto v = crypto::verifyEnveloped(req->root, std::span(trusted(), 1));
  INFO((v ? std::string() : v.error().detail));
  CHECK(v);
}

TEST_CASE("SOAP wrap: the message goes in untouched and comes out verifiable", "[saml][bindings][soap]") {
  std::string signedXml = test::LogoutFixture::signXml(test::logoutRequestXml({}), test::logoutSpKey());
  REQUIRE(signedXml.starts_with("<?xml"));
  std::string env = saml::wrapSoap(signedXml);
  CHECK(env.find("<?xml", 1) == std::string::npos);  // only the envelope's own declaration
  CHECK(env.find(signedXml.substr(signedXml.find("<samlp:LogoutRequest"))) != std::string::npos);
  auto body = saml::unwrapSoap(env);
  REQUIRE(body);
  auto req = saml::parseLogoutRequest(body->xml, *xml::SchemaSet::shared());
  REQUIRE(req);
  CHECK(crypto::verifyEnveloped(req->root, std::span(trusted(), 1)));
}

TEST_CASE("SOAP unwrap: mustUnderstand headers are refused, optional ones ignored", "[saml][bindings][soap]") {
  for (std::string value : {"1", "true", " 1 "}) {
    std::string header = R"(<S:Header><w:Security xmlns:w="urn:example:wsse" S:mustUnderstand=")" + value + R"("/></S:Header>)";
    CHECK(faultOf(inheritingEnvelope(header)) == SoapFaultCode::MustUnderstand);
  }
  for (std::string value : {"0", "false"}) {
    std::string header = R"(<S:Header><w:Security xmlns:w="urn:example:wsse" S:mustUnderstand=")" + value + R"("/></S:Header>)";
    CHECK(saml::unwrapSoap(inheritingEnvelope(header)));
  }
  // Unqualified mustUnderstand is not SOAP's attribute.
  CHECK(saml::unwrapSoap(inheritingEnvelope(R"(<S:Header><w:T xmlns:w="urn:w" mustUnderstand="1"/></S:Header>)")));
  CHECK(faultOf(inheritingEnvelope(R"(<S:Header><w:T xmlns:w="urn:w" S:mustUnderstand="maybe"/></S:Header>)")) ==
        SoapFaultCode::Client);
}

TEST_CASE("SOAP unwrap: structure refusals", "[saml][bindings][soap]") {
  const std::string two = std::string(kEnvOpen) + "<S:Body>" + test::logoutRequestXml({}) +
                          test::logoutResponseXml({}) + "</S:Body></S:Envelope>";
  CHECK(faultOf(two) == SoapFaultCode::Client);
  CHECK(faultOf(std::string(kEnvOpen) + "<S:Body/></S:Envelope>") == SoapFaultCode::Client);
  CHECK(faultOf(std::string(kEnvOpen) + "<S:Body>text<x/></S:Body></S:Envelope>") == SoapFaultCode::Client);
  CHECK(faultOf(std::string(kEnvOpen) + "</S:Envelope>") == SoapFaultCode::Client);
  CHECK(faultOf(std::string(kEnvOpen) + "<S:Body><x/></S:Body><S:Body><y/></S:Body></S:Envelope>") ==
        SoapFaultCode::Client);
  CHECK(faultOf(std::string(kEnvOpen) + "<S:Header/><S:Header/><S:Body><x/></S:Body></S:Envelope>") ==
        SoapFaultCode::Client);
  CHECK(faultOf(std::string(kEnvOpen) + "<S:Body><x/></S:Body><y:Z xmlns:y=\"urn:y\"/></S:Envelope>") ==
        SoapFaultCode::Client);
  CHECK(faultOf(R"(<E:Envelope xmlns:E="http://www.w3.org/2003/05/soap-envelope"><E:Body><x/></E:Body></E:Envelope>)") ==
        SoapFaultCode::VersionMismatch);
  CHECK(faultOf(test::logoutRequestXml({})) == SoapFaultCode::Client);  // no envelope at all
  CHECK(faultOf("not xml") == SoapFaultCode::Client);
  CHECK(faultOf(R"(<!DOCTYPE S:Envelope [<!ENTITY x "y">]>)" + std::string(kEnvOpen) + "<S:Body><x/></S:Body></S:Envelope>") ==
        SoapFaultCode::Client);
  // Comments and whitespace around the message are fine.
  auto ok = saml::unwrapSoap(std::string(kEnvOpen) + "\n <!-- c --> <S:Body> <!-- c --> <x/> </S:Body>\n</S:Envelope>");
  REQUIRE(ok);
  CHECK(ok->localName == "x");
  CHECK(ok->namespaceUri.empty());
}

TEST_CASE("SOAP fault: one per code, a well-formed SOAP 1.1 envelope", "[saml][bindings][soap]") {
  for (auto [code, name] : {std::pair{SoapFaultCode::VersionMismatch, "SOAP-ENV:VersionMismatch"},
                            {SoapFaultCode::MustUnderstand, "SOAP-ENV:MustUnderstand"},
                            {SoapFaultCode::Client, "SOAP-ENV:Client"},
                            {SoapFaultCode::Server, "SOAP-ENV:Server"}}) {
    std::string text = saml::buildSoapFault(code);
    auto body = saml::unwrapSoap(text);
    REQUIRE(body);
    CHECK(body->localName == "Fault");
    CHECK(body->namespaceUri == xml::ns::kSoap);
    auto doc = xml::parseSecure(body->xml);
    REQUIRE(doc);
    xmlNode* fault = xmlDocGetRootElement(doc->get());
    CHECK(xml::trimmedText(xml::child(fault, nullptr, "faultcode")) == name);
    CHECK_FALSE(xml::trimmedText(xml::child(fault, nullptr, "faultstring")).empty());
    CHECK(xml::SchemaSet::shared()->validate(xml::parseSecure(text)->get()));
  }
}
