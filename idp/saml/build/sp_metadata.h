// An SP's md:EntityDescriptor (metadata §2.4.4) for samlflow's test SPs: what an IdP needs
// to register it (entityID, ACS, signing certificate, NameID formats).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "idp/core/clock.h"
#include "idp/core/result.h"
#include "idp/crypto/openssl_handles.h"

namespace propusk::saml {

struct SpMetadataInput {
  std::string entityId;
  std::string acsUrl;                   // HTTP-POST AssertionConsumerService, index 0, default
  std::optional<std::string> sloUrl;    // HTTP-Redirect and HTTP-POST SingleLogoutService
  const X509* certificate = nullptr;    // KeyDescriptor use="signing" (and AuthnRequestsSigned)
  // KeyDescriptor use="encryption" with EncryptionMethod elements (AES-GCM first, then
  // AES-CBC; RSA-OAEP) when the SP can decrypt assertions (the gateway).
  std::vector<const X509*> encryptionCertificates;
  std::vector<std::string> nameIdFormats;
  std::optional<std::string> displayName;  // mdui:DisplayName xml:lang="en"
  std::optional<TimePoint> validUntil;
};

// Unsigned metadata, UTF-8. AuthnRequestsSigned is true exactly when a certificate is given;
// WantAssertionsSigned is always true (samlflow verifies as a strict SP).
Result<std::string> buildSpMetadata(const SpMetadataInput& in);

}  // namespace propusk::saml
