// One inbound-binding layer for every SAML endpoint (/saml/sso, /saml/slo, /saml/soap,
// /saml/acs, /saml/sp/slo): a message as it arrived over HTTP-Redirect (bindings §3.4),
// HTTP-POST (§3.5) or SOAP (§3.2), decoded to its XML, its RelayState and — for Redirect —
// the query signature as received. What the message says is checked by the caller's steps.
#pragma once

#include <Poco/Net/HTTPServerRequest.h>

#include <expected>
#include <optional>
#include <string>

#include "idp/saml/bindings/soap.h"
#include "idp/saml/build/logout.h"
#include "idp/saml/validation/request_context.h"

namespace propusk::web {

// Which bindings an endpoint takes, and which of the two message parameters.
struct InboundRules {
  bool redirect = false;
  bool post = false;
  bool soap = false;        // a POST to this endpoint is a SOAP envelope, not a form
  bool requests = true;     // SAMLRequest accepted
  bool responses = false;   // SAMLResponse accepted
};

struct InboundMessage {
  saml::Binding binding = saml::Binding::Redirect;
  bool isRequest = true;                  // SAMLRequest (or a SOAP request), else SAMLResponse
  std::string xml;                        // the message (for SOAP: the Body's element alone)
  std::optional<std::string> relayState;  // URL- or form-decoded
  saml::QuerySignature querySignature;    // Redirect only: SigAlg, Signature, signed octets
  std::string soapElement;                // SOAP: the Body element's local name
  std::string soapNamespace;              // ... and namespace URI
};

struct InboundError {
  std::string detail;                                   // names the field and the reason
  saml::SoapFaultCode soapFault = saml::SoapFaultCode::Client;  // for SOAP endpoints
};

// Decodes the request (its body as the router read it, request_body.h) into `in`, as far as
// it can be read: the binding, whether it is a request, and the RelayState are filled before
// the message itself is, so that an unreadable answer can still be tied to the flow it
// belongs to. Refuses: a binding or parameter the rules do not take, both or neither of
// SAMLRequest/SAMLResponse, repeated or malformed fields, bad base64 or DEFLATE, a message
// over the caps (256 KiB of XML from a form; the inflate cap for Redirect).
std::expected<void, InboundError> decodeInbound(Poco::Net::HTTPServerRequest& req, const InboundRules& rules,
                                                InboundMessage& in);

}  // namespace propusk::web
