// How a Response verification is shown: the checks, then the NameID and attributes.
#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <ostream>

#include "idp/saml/sp/response_verifier.h"

namespace propusk::cli::samlflow {

// One line per check: "ok", "skipped" or "FAILED", the step and its note.
void printChecks(std::ostream& out, const saml::sp::ResponseVerification& v);
Poco::JSON::Array::Ptr checksJson(const saml::sp::ResponseVerification& v);

// NameID, session, attributes (FriendlyName or Name) with their values.
void printSubject(std::ostream& out, const saml::sp::ResponseVerification& v);
// Adds name_id, name_id_format, session_index, authn_context, valid_until, attributes.
void addSubjectJson(Poco::JSON::Object::Ptr& o, const saml::sp::ResponseVerification& v);

// The failure as "step: reason" (the one stderr line).
std::string failureLine(const saml::sp::ResponseVerification& v);

}  // namespace propusk::cli::samlflow
