// The IdP's own signed md:EntityDescriptor (metadata §2.4.3).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "idp/core/clock.h"
#include "idp/core/random.h"
#include "idp/core/result.h"
#include "idp/crypto/openssl_handles.h"

namespace propusk::saml {

struct IdpMetadataInput {
  std::string entityId;
  std::string baseUrl;  // public URL; endpoints are baseUrl + /saml/sso etc.
  std::vector<const X509*> publishedCertificates;  // every key that verifiers must accept
  bool wantAuthnRequestsSigned = false;
  // Whether the SOAP SingleLogoutService (/saml/soap) is listed. Off by default: pysaml2
  // (djangosaml2, SATOSA) always picks SOAP when listed and then fails to verify the signed
  // answer it re-serialised itself (pysaml2 issue #551); Shibboleth IdP's generated metadata
  // comments its SOAP SLO out and SimpleSAMLphp lists none. The endpoint answers either way.
  bool advertiseSoapLogout = false;
  TimePoint now{};
  std::chrono::seconds validity = std::chrono::hours(24 * 7);
  std::chrono::seconds cacheDuration = std::chrono::hours(1);
  const EVP_PKEY* signingKey = nullptr;  // the active key; signs the document
  const X509* signingCertificate = nullptr;
};

Result<std::string> buildIdpMetadata(const IdpMetadataInput& in, Random& random);

}  // namespace propusk::saml
