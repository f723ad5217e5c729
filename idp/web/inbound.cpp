#include "idp/web/inbound.h"

#include "idp/core/base64.h"
#include "idp/core/printable.h"
#include "idp/saml/bindings/redirect.h"
#include "idp/web/http_util.h"

namespace propusk::web {

namespace {

constexpr std::size_t kMaxPostedXml = 256 * 1024;

std::unexpected<InboundError> refused(std::string detail,
                                      saml::SoapFaultCode code = saml::SoapFaultCode::Client) {
  return std::unexpected(InboundError{std::move(detail), code});
}

std::expected<void, InboundError> checkParam(const InboundRules& rules, bool isRequest) {
  if (isRequest && !rules.requests) return refused("a SAMLRequest was sent to an endpoint that takes only responses");
  if (!isRequest && !rules.responses)
    return refused("a SAMLResponse was sent to an endpoint that takes only requests");
  return {};
}

std::expected<void, InboundError> decodePost(Poco::Net::HTTPServerRequest& req, const InboundRules& rules,
                                             InboundMessage& in) {
  in.binding = saml::Binding::Post;
  auto form = parseForm(takeBody(req));  // within kMaxSamlPostBody (request_body.h)
  if (!form) return refused(form.error().detail);
  if (auto r = form->find("RelayState"); r != form->end()) in.relayState = r->second;
  auto rq = form->find("SAMLRequest"), rs = form->find("SAMLResponse");
  if ((rq == form->end()) == (rs == form->end()))
    return refused(rq == form->end() ? "no SAMLRequest or SAMLResponse form field"
                                     : "both SAMLRequest and SAMLResponse form fields");
  in.isRequest = rq != form->end();
  if (auto ok = checkParam(rules, in.isRequest); !ok) return ok;
  auto decoded = base64Decode((in.isRequest ? rq : rs)->second, kMaxPostedXml);
  if (!decoded) return refused(std::string(in.isRequest ? "SAMLRequest" : "SAMLResponse") + ": " + decoded.error().detail);
  in.xml = std::move(*decoded);
  return {};
}

std::expected<void, InboundError> decodeRedirectQuery(const Poco::Net::HTTPServerRequest& req, const InboundRules& rules,
                                                      InboundMessage& in) {
  in.binding = saml::Binding::Redirect;
  const std::string query = rawQuery(req);
  // RelayState and the parameter's name first, readable even when the rest is not.
  for (auto [name, value] : saml::splitQuery(query)) {
    if (name == "RelayState") in.relayState = saml::urlDecode(value);
    if (name == "SAMLResponse") in.isRequest = false;
  }
  auto m = saml::decodeRedirect(query);
  if (!m) return refused(m.error().detail);
  in.isRequest = m->param == "SAMLRequest";
  if (auto ok = checkParam(rules, in.isRequest); !ok) return ok;
  in.xml = std::move(m->xml);
  in.relayState = m->relayState;
  in.querySignature = {m->sigAlg, m->signature, m->signedOctets};
  return {};
}

std::expected<void, InboundError> decodeSoapBody(Poco::Net::HTTPServerRequest& req, const InboundRules& rules,
                                                 InboundMessage& in) {
  in.binding = saml::Binding::Soap;
  auto body = saml::unwrapSoap(takeBody(req));  // within kMaxSoapBody (request_body.h)
  if (!body) return refused(body.error().detail, body.error().code);
  in.soapElement = body->localName;
  in.soapNamespace = body->namespaceUri;
  in.isRequest = body->localName.ends_with("Request") || body->localName == "ArtifactResolve" ||
                 body->localName == "AttributeQuery";
  if (!in.isRequest && !rules.responses)
    return refused("unsupported SOAP message " + printable(body->localName, 60));
  in.xml = std::move(body->xml);
  return {};
}

}  // namespace

std::expected<void, InboundError> decodeInbound(Poco::Net::HTTPServerRequest& req, const InboundRules& rules,
                                                InboundMessage& in) {
  const std::string& method = req.getMethod();
  if (method == "POST") {
    if (rules.soap) return decodeSoapBody(req, rules, in);
    if (rules.post) return decodePost(req, rules, in);
    return refused("the HTTP-POST binding is not taken here");
  }
  if (rules.redirect) return decodeRedirectQuery(req, rules, in);
  return refused("the HTTP-Redirect binding is not taken here (the Web Browser SSO profile sends Responses by "
                 "HTTP-POST, profiles §4.1.4.5)");
}

}  // namespace propusk::web
