// An identity provider's metadata (metadata §2.4.3) as an SP reads it: the SSO and SLO
// endpoints and the keys that sign its Responses.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "idp/core/clock.h"
#include "idp/core/result.h"
#include "idp/crypto/openssl_handles.h"
#include "idp/saml/messages/sp_metadata.h"
#include "idp/xml/schema.h"

namespace propusk::saml {

struct IdpMetadata {
  std::string entityId;
  std::optional<TimePoint> validUntil;  // the earliest on the way down to the IDPSSODescriptor
  bool wantAuthnRequestsSigned = false;
  std::vector<Endpoint> singleSignOnServices;  // document order
  std::vector<Endpoint> singleLogoutServices;
  std::vector<std::string> nameIdFormats;
  std::vector<crypto::X509Ptr> signingCertificates;  // KeyDescriptor use="signing" or no use
  bool signed_ = false;            // the document root carries an enveloped ds:Signature
  bool signatureVerified = false;  // ... verified with a trust anchor
};

struct IdpMetadataCheck {
  TimePoint now{};
  std::span<X509* const> trustAnchors;  // non-empty: the root must carry a valid signature by one
  std::optional<std::string> entityId;  // which IdP of an EntitiesDescriptor; required when several
  const xml::SchemaSet* schemas = nullptr;  // nullptr: the shared set
};

// Parses (securely, 1 MiB cap), schema-validates and reads one IdP's metadata from an
// EntityDescriptor or an EntitiesDescriptor aggregate. Refuses, naming the reason: no SAML 2.0
// IDPSSODescriptor (or several IdPs and no entityId to choose), no SingleSignOnService, a
// Location that is not an absolute http(s) URL, no signing certificate, an unreadable
// certificate, an expired validUntil, and — with trust anchors — a missing or bad signature.
Result<IdpMetadata> parseIdpMetadata(std::string_view xmlText, const IdpMetadataCheck& check);

// The first endpoint with that binding URI, or nullptr.
const Endpoint* findEndpoint(const std::vector<Endpoint>& endpoints, std::string_view binding);

}  // namespace propusk::saml
