// Single Logout over the SOAP back channel as an SP does it (profiles §4.4.3.3, bindings
// §3.2): POST the LogoutRequest to the IdP's SOAP SingleLogoutService and check the
// LogoutResponse that comes back the way a strict SP would.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "idp/crypto/openssl_handles.h"
#include "idp/saml/sp/response_verifier.h"
#include "idp/web/http_client.h"

namespace propusk::cli::samlflow {

struct LogoutExpectations {
  std::string idpEntityId;                 // Issuer of the LogoutResponse
  std::span<X509* const> idpCertificates;  // from the IdP's metadata, never KeyInfo
  std::string requestId;                   // InResponseTo: the LogoutRequest we sent
};

// Runs, in this order, stopping at the first failure (reported as `login` reports a
// Response, so the same printChecks/checksJson show it):
//   parse           secure parse, schema-valid samlp:LogoutResponse, Version 2.0
//   issuer          present, Format entity if any, = the IdP's entityID
//   signature       required (as Propusk requires it of SPs on SOAP), a metadata key, covering
//                   the LogoutResponse itself
//   in-response-to  = our request's ID (it is fresh and random, so this also rules out an old
//                   answer replayed)
//   status          top-level Success; statusCodes holds the second level (PartialLogout)
saml::sp::ResponseVerification verifyLogoutResponse(std::string_view xml, const LogoutExpectations& expect);

// The LogoutResponse inside a SOAP answer's Body. A SOAP fault (bindings §3.2.3.3: HTTP 500),
// another HTTP status, a transport error or anything but one samlp:LogoutResponse in the Body:
// CliError "send: reason".
std::string sendSoapLogoutRequest(const std::string& url, const std::string& envelope,
                                  const web::HttpClientOptions& http);

// True when the second-level code says PartialLogout (core §3.2.2.2).
bool partialLogout(const saml::sp::ResponseVerification& v);

}  // namespace propusk::cli::samlflow
