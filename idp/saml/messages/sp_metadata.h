// A service provider's md:EntityDescriptor (metadata §2.3.2, §2.4.4), checked and typed.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "idp/core/clock.h"
#include "idp/core/result.h"
#include "idp/crypto/openssl_handles.h"
#include "idp/xml/schema.h"

namespace propusk::saml {

inline constexpr std::string_view kProtocolSaml2 = "urn:oasis:names:tc:SAML:2.0:protocol";
inline constexpr std::string_view kBindingPost = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
inline constexpr std::string_view kBindingRedirect = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
inline constexpr std::string_view kBindingArtifact = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact";
inline constexpr std::string_view kBindingSoap = "urn:oasis:names:tc:SAML:2.0:bindings:SOAP";

struct Endpoint {
  std::string binding;
  std::string location;
  std::string responseLocation;  // SLO only; empty when absent
  std::optional<unsigned> index;  // indexed endpoints (ACS)
  std::optional<bool> isDefault;
};

struct SpMetadata {
  std::string entityId;
  std::optional<TimePoint> validUntil;  // the earliest of EntityDescriptor's and SPSSODescriptor's
  bool authnRequestsSigned = false;
  bool wantAssertionsSigned = false;
  std::vector<Endpoint> assertionConsumerServices;  // document order
  std::vector<Endpoint> singleLogoutServices;
  std::vector<std::string> nameIdFormats;
  // mdui:UIInfo/mdui:DisplayName (metadata-ui §2.1.2) as (xml:lang, name), document order.
  std::vector<std::pair<std::string, std::string>> displayNames;
  std::vector<crypto::X509Ptr> signingCertificates;     // KeyDescriptor use="signing" or no use
  std::vector<crypto::X509Ptr> encryptionCertificates;  // use="encryption" or no use
  bool signed_ = false;             // carries an enveloped ds:Signature
  bool signatureVerified = false;   // ... and it verified against a trust anchor
};

struct MetadataCheck {
  TimePoint now{};
  std::span<X509* const> trustAnchors;  // non-empty: a valid signature by one of them is required
  const xml::SchemaSet* schemas = nullptr;  // nullptr: the shared set
};

// Shared by the SP and IdP metadata readers:
// protocolSupportEnumeration (a list of URIs) names SAML 2.0.
bool supportsSaml2(const std::string& protocolSupportEnumeration);
// An md:EndpointType element: Binding, Location and ResponseLocation (both absolute http(s)
// URLs), and for indexed endpoints index/isDefault. `what` names the element in errors.
Result<Endpoint> readEndpoint(xmlNode* element, bool indexed, const char* what);

// What SP and IdP metadata share: the root's enveloped signature — required, and verified
// with one of `trustAnchors`, when any are given — then schema validation (`schemas`
// nullptr: the shared set). Returns whether the root is signed and whether it verified.
struct MetadataSignature {
  bool present = false;
  bool verified = false;
};
Result<MetadataSignature> checkMetadataDocument(xmlDoc* doc, std::span<X509* const> trustAnchors,
                                                const xml::SchemaSet* schemas);

// Parses (securely), schema-validates and checks SP metadata. Refuses, with a detail naming
// what and why: an EntitiesDescriptor or other root, no SAML 2.0 SPSSODescriptor, no ACS,
// an ACS that is not an absolute http(s) URL, duplicate ACS indexes, an expired validUntil,
// an unreadable certificate, and — when trust anchors are given — a missing or bad signature.
Result<SpMetadata> parseSpMetadata(std::string_view xmlText, const MetadataCheck& check);

// The name to show a person: the Russian DisplayName, else the English one, else any, else
// the entityID.
std::string displayNameFor(const SpMetadata& md);

// An absolute http:// or https:// URL with a host, no user info, no fragment, no whitespace.
bool isAbsoluteHttpUrl(std::string_view url);

}  // namespace propusk::saml
