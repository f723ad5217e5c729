// samlp:Response with one saml:Assertion (core §3.3.3, profiles §4.1.4.2), and error
// Responses. The Assertion is signed before the Response, so that the outer signature
// covers the inner one.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "idp/core/clock.h"
#include "idp/core/random.h"
#include "idp/core/result.h"
#include "idp/crypto/openssl_handles.h"
#include "idp/crypto/xml_signature.h"

namespace propusk::crypto {
class DetachedSigner;
}

namespace propusk::saml {

struct AttributeOut {
  std::string name;          // URI (NameFormat uri)
  std::string friendlyName;
  std::vector<std::string> values;  // xs:string values, UTF-8
};

struct AssertionInput {
  std::string issuer;        // IdP entityID
  std::string audience;      // SP entityID
  std::string recipient;     // the ACS URL (also the Response Destination)
  std::optional<std::string> inResponseTo;  // absent for unsolicited (IdP-initiated) SSO
  std::string nameId;
  std::string nameIdFormat;
  std::optional<std::string> nameQualifier;    // our entityID, for persistent/transient
  std::optional<std::string> spNameQualifier;  // the SP's entityID, for persistent/transient
  TimePoint now{};
  TimePoint authnInstant{};
  std::string sessionIndex;
  std::string authnContextClassRef;
  std::chrono::seconds validity = std::chrono::minutes(5);  // SubjectConfirmationData and Conditions
  std::chrono::seconds clockSkew = std::chrono::minutes(3); // NotBefore = now - skew
  std::optional<TimePoint> sessionNotOnOrAfter;
  std::vector<AttributeOut> attributes;  // empty: no AttributeStatement
  // Gateway: saml:AuthenticatingAuthority elements in the AuthnContext (core §2.7.2.2), in
  // order: the IdPs that authenticated the person (the upstream last).
  std::vector<std::string> authenticatingAuthorities;
  // Gateway: the upstream's ProxyRestriction Count less one (core §2.5.1.6: no more indirections
  // than it allowed may follow); absent: no ProxyRestriction.
  std::optional<unsigned> proxyRestrictionCount;
  // The IDs of the Response and of the Assertion (random.samlId() form), when the caller needs
  // them before the Response exists (sso::AssertionIssuer audits them before signing); new
  // random ones when empty.
  std::string responseId;
  std::string assertionId;
};

struct SigningOptions {
  bool signAssertion = true;
  bool signResponse = true;
  const EVP_PKEY* key = nullptr;
  const X509* cert = nullptr;
  crypto::SignatureAlgorithm algorithm = crypto::SignatureAlgorithm::RsaSha256;
  // Optional, from a loaded signing key (sso::LoadedKey): a signer prepared for `key` and
  // `algorithm` (a signer for another key or algorithm is refused), and the ds:X509Certificate
  // text of `cert`. With a signer, the key was checked against the certificate when it was
  // loaded, not again per Response.
  crypto::DetachedSigner* signer = nullptr;
  std::string_view certBase64;
};

// A successful Response carrying one Assertion (bearer SubjectConfirmation with Recipient,
// NotOnOrAfter and InResponseTo; Conditions with AudienceRestriction; AuthnStatement;
// AttributeStatement), signed as `signing` says. Returns the serialised XML (UTF-8).
Result<std::string> buildSuccessResponse(const AssertionInput& in, const SigningOptions& signing, Random& random);

struct ErrorResponseInput {
  std::string issuer;
  std::string destination;
  std::optional<std::string> inResponseTo;
  StatusCode top = StatusCode::Requester;
  std::string_view second;  // second-level status URI or empty
  TimePoint now{};
};

// A Response with only a Status (no Assertion), signed when signing.key is set.
Result<std::string> buildErrorResponse(const ErrorResponseInput& in, const SigningOptions& signing, Random& random);

}  // namespace propusk::saml
