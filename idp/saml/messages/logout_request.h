// samlp:LogoutRequest (core §3.7.1), typed: what an SP sends to end a session at the IdP,
// and what the IdP sends to the other SPs of that session (build/logout.h writes those).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "idp/core/clock.h"
#include "idp/core/result.h"
#include "idp/saml/messages/protocol_message.h"
#include "idp/xml/schema.h"

namespace propusk::saml {

// core §3.7.3.1: the <Reason> values this IdP writes (and an SP may send).
inline constexpr std::string_view kLogoutReasonUser = "urn:oasis:names:tc:SAML:2.0:logout:user";
inline constexpr std::string_view kLogoutReasonAdmin = "urn:oasis:names:tc:SAML:2.0:logout:admin";

// saml:NameID (core §2.2.3, NameIDType). A logout names the principal with an identifier
// that "strongly matches" the one in the assertion (profiles §4.4.4.1, core §3.3.4): the
// value and every qualifier.
struct NameID {
  std::string value;
  std::optional<std::string> format;
  std::optional<std::string> nameQualifier;
  std::optional<std::string> spNameQualifier;
};

// How the request names the principal (core §3.7.1: exactly one of the three).
enum class LogoutIdentifier { NameID, EncryptedID, BaseID };

// ID, Version, IssueInstant, Destination, Issuer: see ProtocolMessage.
struct LogoutRequest : ProtocolMessage {
  std::optional<TimePoint> notOnOrAfter;
  std::optional<std::string> reason;
  LogoutIdentifier identifier = LogoutIdentifier::NameID;
  // Set when identifier is NameID. An EncryptedID or a BaseID parses (so that the SP can be
  // answered with a LogoutResponse) and is refused by the "name-id" step (logout_steps.h).
  std::optional<NameID> nameId;
  std::vector<std::string> sessionIndexes;  // document order, trimmed; may be empty
};

// Secure parse + schema validation + typed read. Refuses anything that is not a
// samlp:LogoutRequest, and a Version other than 2.0 with VersionMismatch (core §3.2.2.2).
// NameID value, SessionIndex values and Issuer are read with surrounding whitespace trimmed.
Result<LogoutRequest> parseLogoutRequest(std::string_view xml, const xml::SchemaSet& schemas);

}  // namespace propusk::saml
