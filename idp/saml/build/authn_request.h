// samlp:AuthnRequest (core §3.4.1) as an SP sends it; for samlflow and tests.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "idp/core/clock.h"
#include "idp/core/result.h"
#include "idp/crypto/openssl_handles.h"
#include "idp/crypto/xml_signature.h"
#include "idp/saml/messages/authn_request.h"

namespace propusk::saml {

struct AuthnRequestInput {
  std::string id;  // an xs:ID (Random::samlId)
  TimePoint issueInstant{};
  std::string issuer;                          // the SP's entityID
  std::optional<std::string> destination;      // the IdP's SSO endpoint (required when signed)
  std::optional<std::string> acsUrl;           // AssertionConsumerServiceURL
  std::optional<unsigned> acsIndex;            // AssertionConsumerServiceIndex (not with acsUrl)
  std::optional<std::string> protocolBinding;  // binding URI of the Response
  std::optional<unsigned> attributeConsumingServiceIndex;
  std::optional<std::string> providerName;
  std::optional<NameIDPolicy> nameIdPolicy;
  std::optional<RequestedAuthnContext> requestedAuthnContext;
  bool forceAuthn = false;
  bool isPassive = false;
  std::optional<Scoping> scoping;  // samlp:Scoping after RequestedAuthnContext (gateway)
};

std::string_view comparisonName(AuthnContextComparison c);  // "exact", "minimum", ...
std::optional<AuthnContextComparison> parseComparison(std::string_view s);

// The request as UTF-8 XML. With a key it carries an enveloped signature after the Issuer
// (core §5.4.1; what the HTTP-POST binding needs); for HTTP-Redirect build it unsigned and
// sign the query (bindings §3.4.4.1, encodeRedirect). Refuses acsUrl together with acsIndex.
Result<std::string> buildAuthnRequest(const AuthnRequestInput& in, const EVP_PKEY* key = nullptr,
                                      const X509* cert = nullptr,
                                      crypto::SignatureAlgorithm alg = crypto::SignatureAlgorithm::RsaSha256);

}  // namespace propusk::saml
