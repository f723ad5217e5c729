// SOAP 1.1 binding (bindings §3.2): the back channel. A SAML request travels alone in the
// Body of a SOAP envelope and its SAML response comes back the same way; a message that
// cannot be processed at all is answered with a SOAP fault instead.
//
// HTTP: requests are POSTed with Content-Type kSoapContentType and MAY carry
// `SOAPAction: kSoapAction` (bindings §3.2.3.1; a responder must not depend on it). A SAML
// response, whatever its SAML status, is sent with 200 OK; a SOAP fault with 500 Internal
// Server Error (bindings §3.2.3.3).
#pragma once

#include <expected>
#include <string>
#include <string_view>

namespace propusk::saml {

inline constexpr std::string_view kSoapContentType = "text/xml; charset=utf-8";
inline constexpr std::string_view kSoapAction = "http://www.oasis-open.org/committees/security";

// SOAP 1.1 §4.4.1 fault codes.
enum class SoapFaultCode {
  VersionMismatch,  // the envelope is not in the SOAP 1.1 namespace
  MustUnderstand,   // a header marked mustUnderstand that we do not understand (we understand none)
  Client,           // the message is malformed or not what the binding allows
  Server,           // we failed on our side
};

struct SoapFault {
  SoapFaultCode code = SoapFaultCode::Client;
  std::string detail;  // logs and audit only; the fault sent carries static text
};

// The one element of an incoming envelope's Body.
struct SoapBody {
  // That element as a standalone document: every namespace declaration it inherited from
  // the envelope is declared on it, so it parses alone (parseLogoutRequest...) and an
  // enveloped signature over it still verifies (exclusive c14n renders only what is used;
  // an inclusive c14n SignedInfo sees the same in-scope namespaces as before).
  std::string xml;
  std::string namespaceUri;  // e.g. urn:oasis:names:tc:SAML:2.0:protocol
  std::string localName;     // e.g. LogoutRequest, ArtifactResolve, AttributeQuery, or Fault
};

// Unwraps an incoming envelope (bindings §3.2.2, SOAP 1.1 §4): secure parse
// (xml::parseSecure); root soap:Envelope in the SOAP 1.1 namespace (another namespace:
// VersionMismatch); an optional soap:Header, then exactly one soap:Body, nothing else; a
// header entry with mustUnderstand "1" or "true": MustUnderstand (we process no headers);
// exactly one element in the Body and no text. Anything else: Client.
std::expected<SoapBody, SoapFault> unwrapSoap(std::string_view envelope);

// Puts one UTF-8 message (its XML declaration, if any, dropped; the bytes otherwise
// untouched, so its signature stays valid) alone in the Body of a SOAP 1.1 envelope.
std::string wrapSoap(std::string_view messageXml);

// A SOAP 1.1 envelope carrying only a Fault with `code` and a fixed faultstring for it.
std::string buildSoapFault(SoapFaultCode code);

}  // namespace propusk::saml
