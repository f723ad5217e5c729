#include "idp/web/soap_client.h"

#include <Poco/Net/DNS.h>
#include <Poco/Net/HostEntry.h>
#include <Poco/Net/IPAddress.h>

#include <algorithm>
#include <vector>

#include "idp/core/printable.h"
#include "idp/saml/bindings/soap.h"
#include "idp/web/url.h"

namespace propusk::web {

bool isPrivateAddress(const std::string& address) {
  Poco::Net::IPAddress ip;
  if (!Poco::Net::IPAddress::tryParse(address, ip)) return true;
  if (ip.family() == Poco::Net::IPAddress::IPv6 && ip.isIPv4Mapped())
    return isPrivateAddress(ip.toString().substr(ip.toString().rfind(':') + 1));
  if (ip.isWildcard() || ip.isLoopback() || ip.isLinkLocal() || ip.isSiteLocal() || ip.isMulticast()) return true;
  const auto* b = static_cast<const unsigned char*>(ip.addr());
  if (ip.family() == Poco::Net::IPAddress::IPv4) {
    if (b[0] == 0) return true;                             // 0.0.0.0/8
    if (b[0] == 100 && (b[1] & 0xc0) == 64) return true;    // 100.64.0.0/10 (CGNAT)
    return false;
  }
  return (b[0] & 0xfe) == 0xfc;  // fc00::/7 unique local
}

Result<std::string> SoapClient::post(const std::string& url, const std::string& envelope,
                                     std::chrono::milliseconds timeout) {
  if (!allowPrivate_) {
    auto parts = parseHttpUrl(url);
    if (!parts) return std::unexpected(Error{StatusCode::Responder, {}, "not an absolute http(s) URL"});
    std::vector<std::string> addresses;
    try {
      Poco::Net::IPAddress literal;
      std::string host = parts->host;
      if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
      if (Poco::Net::IPAddress::tryParse(host, literal)) {
        addresses.push_back(literal.toString());
      } else {
        const Poco::Net::HostEntry entry = Poco::Net::DNS::hostByName(host);
        for (auto& a : entry.addresses()) addresses.push_back(a.toString());
      }
    } catch (const Poco::Exception& e) {
      return std::unexpected(Error{StatusCode::Responder, {}, "cannot resolve the SOAP endpoint's host: " + e.displayText()});
    }
    for (auto& a : addresses)
      if (isPrivateAddress(a))
        return std::unexpected(Error{StatusCode::Responder, {},
                                     "the SOAP endpoint's host is a loopback/private address (" + a +
                                         "); logout.back_channel_private_networks = true allows it"});
  }
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
