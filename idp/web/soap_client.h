// The IdP's SOAP back-channel client (bindings §3.2.3): a signed LogoutRequest POSTed to an
// SP's SingleLogoutService, its answer returned for sso/logout_service to check.
#pragma once

#include "idp/sso/logout_service.h"
#include "idp/web/http_client.h"

namespace propusk::web {

class SoapClient final : public sso::SoapTransport {
 public:
  // allowPrivateNetworks: false refuses endpoints whose host is or resolves to a loopback,
  // private, link-local or unspecified address — SP metadata must not turn the IdP into a
  // client of its own network (server-side request forgery). tls: how SPs' https
  // endpoints are checked (system CAs by default, plus caFile).
  explicit SoapClient(bool allowPrivateNetworks = false, TlsOptions tls = {})
      : allowPrivate_(allowPrivateNetworks), tls_(std::move(tls)) {}
  Result<std::string> post(const std::string& url, const std::string& envelope,
                           std::chrono::milliseconds timeout) override;

 private:
  bool allowPrivate_;
  TlsOptions tls_;
};

// True for loopback, RFC 1918 / RFC 4193 private, link-local, CGNAT (100.64/10) and
// unspecified addresses, IPv4 or IPv6 (IPv4-mapped IPv6 judged as IPv4). `address` is a
// numeric address; anything unparsable counts as private (refused).
bool isPrivateAddress(const std::string& address);

}  // namespace propusk::web
