// What every samlp protocol message carries (core §3.2.1 RequestAbstractType, §3.2.2
// StatusResponseType), read once for the logout messages (logout_request.h,
// logout_response.h). The document stays owned here so that the signature step verifies
// the very element that was read.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "idp/core/clock.h"
#include "idp/core/result.h"
#include "idp/xml/handles.h"
#include "idp/xml/schema.h"

namespace propusk::saml {

struct ProtocolMessage {
  xml::XmlDocPtr doc;
  xmlNode* root = nullptr;  // the message element, in doc
  std::string id;
  std::string version;
  TimePoint issueInstant{};
  std::optional<std::string> destination;
  std::optional<std::string> issuer;        // saml:Issuer text, trimmed
  std::optional<std::string> issuerFormat;  // saml:Issuer Format
};

// Secure parse (xml::parseSecure), root must be samlp:<localName>, Version other than 2.0
// refused with VersionMismatch before the schema is consulted (core §3.2.2.2, as for the
// AuthnRequest), schema validation, then the common fields. Requester errors otherwise.
Result<ProtocolMessage> parseProtocolMessage(std::string_view xml, const char* localName,
                                             const xml::SchemaSet& schemas);

}  // namespace propusk::saml
