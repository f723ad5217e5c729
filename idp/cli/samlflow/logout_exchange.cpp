#include "idp/cli/samlflow/logout_exchange.h"

#include "idp/cli/args.h"
#include "idp/cli/samlflow/idp_source.h"
#include "idp/core/printable.h"
#include "idp/crypto/xml_signature.h"
#include "idp/saml/bindings/soap.h"
#include "idp/saml/messages/logout_response.h"
#include "idp/saml/validation/request_context.h"
#include "idp/xml/dom.h"
#include "idp/xml/parser.h"
#include "idp/xml/schema.h"

namespace propusk::cli::samlflow {

namespace {

std::string quote(std::string_view s) { return "\"" + printable(s, 200) + "\""; }

// SOAP 1.1 §4.4: faultcode and faultstring are unqualified children of soap:Fault.
std::string faultText(const std::string& faultXml) {
  auto doc = xml::parseSecure(faultXml);
  if (!doc) return "unreadable";
  xmlNode* fault = xmlDocGetRootElement(doc->get());
  std::string code = xml::trimmedText(xml::child(fault, nullptr, "faultcode"));
  std::string text = xml::trimmedText(xml::child(fault, nullptr, "faultstring"));
  return printable(code.empty() ? text : text.empty() ? code : code + " " + quote(text), 400);
}

}  // namespace

bool partialLogout(const saml::sp::ResponseVerification& v) {
  return v.statusCodes.size() > 1 && v.statusCodes[1] == status::kPartialLogout;
}

saml::sp::ResponseVerification verifyLogoutResponse(std::string_view xmlText, const LogoutExpectations& expect) {
  saml::sp::ResponseVerification v;
  auto fail = [&](std::string_view step, std::string why) {
    v.failedStep = step;
    v.failure = std::move(why);
    return v;
  };
  auto pass = [&](std::string_view step, std::string note) { v.checks.push_back({step, false, std::move(note)}); };

  auto resp = saml::parseLogoutResponse(xmlText, *xml::SchemaSet::shared());
  if (!resp) return fail("parse", resp.error().detail);
  v.isResponse = true;
  v.responseId = resp->id;
  v.issuer = resp->issuer.value_or("");
  v.inResponseTo = resp->inResponseTo;
  v.statusCodes.emplace_back(statusCodeUri(resp->status));
  if (resp->secondLevelStatus) v.statusCodes.push_back(*resp->secondLevelStatus);
  v.statusMessage = resp->statusMessage;
  pass("parse", "samlp:LogoutResponse " + printable(resp->id, 100));

  // profiles §4.4.4.2: the Issuer MUST be present, naming the IdP (entity format).
  if (!resp->issuer) return fail("issuer", "the LogoutResponse has no Issuer (profiles §4.4.4.2)");
  if (resp->issuerFormat && *resp->issuerFormat != saml::kNameIdEntity)
    return fail("issuer", "Issuer Format " + quote(*resp->issuerFormat) + " is not the entity format");
  if (*resp->issuer != expect.idpEntityId)
    return fail("issuer", "Issuer " + quote(*resp->issuer) + " is not the IdP's entityID " + quote(expect.idpEntityId));
  pass("issuer", "Issuer " + *resp->issuer);

  if (!crypto::signatureChild(resp->root)) return fail("signature", "the LogoutResponse is not signed");
  auto sig = crypto::verifyEnveloped(resp->root, expect.idpCertificates);
  if (!sig) return fail("signature", sig.error().detail);
  pass("signature", "LogoutResponse signed (" + std::string(crypto::signatureAlgorithmUri(sig->algorithm)) +
                        ") by IdP metadata key " + std::to_string(sig->trustedIndex + 1));

  if (!resp->inResponseTo) return fail("in-response-to", "no InResponseTo (expected " + quote(expect.requestId) + ")");
  if (*resp->inResponseTo != expect.requestId)
    return fail("in-response-to", "InResponseTo " + quote(*resp->inResponseTo) + " is not our request " + quote(expect.requestId));
  pass("in-response-to", "InResponseTo " + expect.requestId);

  std::string codes;
  for (auto& c : v.statusCodes) codes += (codes.empty() ? "" : " / ") + c;
  if (!resp->success())
    return fail("status", "the IdP answered " + codes +
                              (v.statusMessage ? " (StatusMessage: " + quote(*v.statusMessage) + ")" : std::string()));
  pass("status", codes);
  return v;
}

std::string sendSoapLogoutRequest(const std::string& url, const std::string& envelope, const web::HttpClientOptions& http) {
  web::HttpClient client(http);
  web::HttpRequestData req;
  req.method = "POST";
  req.url = url;
  // bindings §3.2.3.1: SOAPAction is optional for a responder; sending it costs nothing.
  req.headers = {{"Content-Type", std::string(saml::kSoapContentType)},
                 {"SOAPAction", "\"" + std::string(saml::kSoapAction) + "\""},
                 {"User-Agent", "samlflow/" PROPUSK_VERSION}};
  req.body = envelope;
  auto resp = client.send(req);
  if (!resp) throw CliError("send: " + httpFailure(resp.error().detail, http));
  // bindings §3.2.3.3: a SAML answer (whatever its status) comes with 200, a SOAP fault with 500.
  if (resp->status != 200 && resp->status != 500)
    throw CliError("send: " + url + " answered HTTP " + std::to_string(resp->status) + " " + printable(resp->reason, 80));
  auto body = saml::unwrapSoap(resp->body);
  if (!body)
    throw CliError("send: " + url + " answered HTTP " + std::to_string(resp->status) + " without a SOAP envelope (" +
                   printable(body.error().detail, 200) + ")");
  if (body->localName == "Fault") throw CliError("send: the IdP answered a SOAP fault: " + faultText(body->xml));
  if (body->localName != "LogoutResponse" || body->namespaceUri != "urn:oasis:names:tc:SAML:2.0:protocol")
    throw CliError("send: the SOAP answer carries " + printable(body->localName, 60) + ", not a samlp:LogoutResponse");
  return body->xml;
}

}  // namespace propusk::cli::samlflow
