// samlp:LogoutResponse (core §3.7.2, StatusResponseType §3.2.2), typed: an SP's answer to
// the IdP's LogoutRequest.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "idp/core/result.h"
#include "idp/saml/messages/protocol_message.h"
#include "idp/xml/schema.h"

namespace propusk::saml {

// ID, Version, IssueInstant, Destination, Issuer: see ProtocolMessage.
struct LogoutResponse : ProtocolMessage {
  std::optional<std::string> inResponseTo;
  StatusCode status = StatusCode::Success;            // top-level StatusCode (core §3.2.2.2)
  std::optional<std::string> secondLevelStatus;        // its first nested StatusCode Value
  std::optional<std::string> statusMessage;

  bool success() const { return status == StatusCode::Success; }
  // The responder could not end every session it knows of (core §3.2.2.2 PartialLogout).
  // Checked at the second level whatever the top level says: SPs write it under Success
  // (Lasso, SimpleSAMLphp) or under Responder (Shibboleth SP).
  bool partialLogout() const { return secondLevelStatus == status::kPartialLogout; }
};

// Secure parse + schema validation + typed read. Refuses anything that is not a
// samlp:LogoutResponse, a Version other than 2.0 (VersionMismatch), and a top-level
// StatusCode outside the four of core §3.2.2.2.
Result<LogoutResponse> parseLogoutResponse(std::string_view xml, const xml::SchemaSet& schemas);

}  // namespace propusk::saml
