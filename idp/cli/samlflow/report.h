// How a Response verification is shown: the checks, then the NameID and attributes.
#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "idp/saml/sp/response_verifier.h"

namespace propusk::cli::samlflow {

// One line per check: "ok", "skipped" or "FAILED", the step and its note.
void printChecks(std::ostream& out, const saml::sp::ResponseVerification& v);
Poco::JSON::Array::Ptr checksJson(const saml::sp::ResponseVerification& v);

// The NameID's qualifiers as the verified Assertion in `messageXml` (a Response or a bare
// Assertion) carries them. The verifier keeps value and Format only; a LogoutRequest must
// repeat every qualifier (profiles §4.4.4.1), so login prints them for logout-request.
struct NameIdQualifiers {
  std::optional<std::string> nameQualifier;
  std::optional<std::string> spNameQualifier;
};
NameIdQualifiers nameIdQualifiers(std::string_view messageXml);

// NameID (with Format and qualifiers), session, attributes (FriendlyName or Name) with their
// values; `messageXml` is the verified message (for the qualifiers).
void printSubject(std::ostream& out, const saml::sp::ResponseVerification& v, std::string_view messageXml);
// Adds name_id, name_id_format, name_qualifier, sp_name_qualifier (when present), issuer,
// session_index, authn_context, valid_until, attributes.
void addSubjectJson(Poco::JSON::Object::Ptr& o, const saml::sp::ResponseVerification& v, std::string_view messageXml);

// The failure as "step: reason" (the one stderr line).
std::string failureLine(const saml::sp::ResponseVerification& v);

}  // namespace propusk::cli::samlflow
