// The IdP's SOAP back-channel client (bindings §3.2.3): a signed LogoutRequest POSTed to an
// SP's SingleLogoutService, its answer returned for sso/logout_service to check.
#pragma once

#include "idp/sso/logout_service.h"
#include "idp/web/http_client.h"

namespace propusk::web {

class SoapClient final : public sso::SoapTransport {
 public:
  // tls: how SPs' https endpoints are checked (system CAs by default, plus caFile).
  explicit SoapClient(TlsOptions tls = {}) : tls_(std::move(tls)) {}
  Result<std::string> post(const std::string& url, const std::string& envelope,
                           std::chrono::milliseconds timeout) override;

 private:
  TlsOptions tls_;
};

}  // namespace propusk::web
