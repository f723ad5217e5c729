// samlp:AuthnRequest (core §3.4.1), typed. The document stays owned here so that the
// signature step can verify the very element that was read.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "idp/core/clock.h"
#include "idp/core/result.h"
#include "idp/xml/handles.h"
#include "idp/xml/schema.h"

namespace propusk::saml {

struct NameIDPolicy {
  std::optional<std::string> format;
  std::optional<std::string> spNameQualifier;
  bool allowCreate = false;
};

enum class AuthnContextComparison { Exact, Minimum, Better, Maximum };

struct RequestedAuthnContext {
  AuthnContextComparison comparison = AuthnContextComparison::Exact;  // core §3.3.2.2.1 default
  std::vector<std::string> classRefs;
};

// samlp:Scoping (core §3.4.1.2).
struct IdpEntry {
  std::string providerId;
  std::optional<std::string> name;
  std::optional<std::string> loc;
};
struct Scoping {
  std::optional<unsigned> proxyCount;   // absent: no limit
  std::vector<IdpEntry> idpList;        // IDPList/IDPEntry (GetComplete is not followed)
  std::vector<std::string> requesterIds;
};

struct AuthnRequest {
  xml::XmlDocPtr doc;
  xmlNode* root = nullptr;
  std::string id;
  std::string version;
  TimePoint issueInstant{};
  std::optional<std::string> destination;
  std::optional<std::string> issuer;
  std::optional<std::string> issuerFormat;
  std::optional<std::string> assertionConsumerServiceUrl;
  std::optional<unsigned> assertionConsumerServiceIndex;
  std::optional<std::string> protocolBinding;
  std::optional<unsigned> attributeConsumingServiceIndex;
  std::optional<NameIDPolicy> nameIdPolicy;
  std::optional<RequestedAuthnContext> requestedAuthnContext;
  bool forceAuthn = false;
  bool isPassive = false;
  bool hasSubject = false;
  bool hasScoping = false;
  std::optional<Scoping> scoping;
};

// Secure parse + schema validation + typed read. Refuses anything that is not a
// samlp:AuthnRequest, and a Version other than 2.0 with VersionMismatch (core §3.2.2.2).
Result<AuthnRequest> parseAuthnRequest(std::string_view xml, const xml::SchemaSet& schemas);

}  // namespace propusk::saml
