#include "idp/web/soap_client.h"

#include <algorithm>

#include "idp/core/printable.h"
#include "idp/saml/bindings/soap.h"

namespace propusk::web {

Result<std::string> SoapClient::post(const std::string& url, const std::string& envelope,
                                     std::chrono::milliseconds timeout) {
  HttpClientOptions options;
  options.tls = tls_;
  options.timeout = std::max(std::chrono::seconds(1), std::chrono::ceil<std::chrono::seconds>(timeout));
  options.maxBodyBytes = 256 * 1024;  // a LogoutResponse is a few kilobytes
  HttpClient client(options);
  HttpRequestData req;
  req.method = "POST";
  req.url = url;
  req.headers = {{"Content-Type", std::string(saml::kSoapContentType)},
                 {"SOAPAction", "\"" + std::string(saml::kSoapAction) + "\""}};
  req.body = envelope;
  auto resp = client.send(req);
  if (!resp) return std::unexpected(Error{StatusCode::Responder, {}, resp.error().detail});
  // bindings §3.2.3.3: a SAML answer comes with 200; a SOAP fault with 500.
  if (resp->status != 200)
    // The status code only: the reason phrase is the peer's text (it may be anything) and the
    // detail goes into the audit log.
    return std::unexpected(Error{StatusCode::Responder, {}, "HTTP status " + std::to_string(resp->status)});
  return std::move(resp->body);
}

}  // namespace propusk::web
