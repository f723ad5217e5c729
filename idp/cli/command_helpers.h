// Pieces shared by several propuskctl command files.
#pragma once

#include <Poco/JSON/Array.h>

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "idp/store/store.h"

namespace propusk::cli {

// Metadata from a file (at most 1 MiB) or an http(s) URL (web::fetchUrl); CliError
// "metadata: ..." when it cannot be read.
std::string readMetadataSource(const std::string& source);
// A small text file given on the command line (a map file): CliError "FIELD: ..." when it is
// missing, unreadable or larger than maxBytes.
std::string readSmallFile(const std::string& path, const std::string& field, std::size_t maxBytes = 64 * 1024);
// "yes" or "no"; CliError "FIELD: must be yes or no" otherwise.
bool parseYesNo(const std::string& value, const std::string& field);

Poco::JSON::Array::Ptr toJsonArray(const std::vector<std::string>& v);

// The last refusals logged with `target` (an SP's entityID, an upstream's name), newest first:
// when, which message, the step, the reason and the remedy (web/refusal.h writes them).
constexpr std::size_t kShownRefusals = 5;
Poco::JSON::Array::Ptr refusalsJson(store::Store& store, const std::string& target);
// Their text form, under a "last refusals:" heading; `who` names the peer ("SP", "upstream").
// Registering metadata that is signed while no --trust was given (sp add, upstream add): say so.
void warnSignatureUnchecked(std::ostream& err);

void printRefusals(std::ostream& out, const Poco::JSON::Array::Ptr& refusals, const std::string& who);

}  // namespace propusk::cli
