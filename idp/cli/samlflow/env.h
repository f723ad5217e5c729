// What every samlflow command gets (time, randomness, I/O), its exit codes, and the
// handler declarations; the command table is in samlflow.cpp.
#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cstddef>
#include <string>

#include "idp/cli/args.h"
#include "idp/cli/context.h"  // Io
#include "idp/core/clock.h"
#include "idp/core/random.h"

namespace propusk::cli::samlflow {

// Exit codes (README "samlflow"): scripts tell the outcomes apart by these.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;          // network, files, parse errors, IdP error pages
inline constexpr int kExitUsage = 2;          // wrong command line
inline constexpr int kExitStatus = 3;         // the IdP answered with a non-Success SAML status
inline constexpr int kExitVerify = 4;         // a check failed (verification, replay expectation)
inline constexpr int kExitLoginRefused = 5;   // the IdP's login form refused the credentials

struct Env {
  Io io;
  const Clock& clock;
  Random& random;
  bool json = false;

  void printJson(const Poco::JSON::Object::Ptr& obj) const;
  // "samlflow: " + printable(line) on stderr.
  void error(const std::string& line) const;
};

Poco::JSON::Object::Ptr jsonObject();  // keeps insertion order

// At most maxBytes from a file ("-": standard input); CliError "field: reason" otherwise.
std::string readInput(Env& env, const std::string& path, const std::string& field, std::size_t maxBytes = 4u << 20);
// Writes a file (mode 0600 when secret), CliError on failure.
void writeOutput(const std::string& path, const std::string& data, const std::string& field, bool secret = false);

int cmdSpKeys(Env&, const ParsedArgs&);
int cmdSpMetadata(Env&, const ParsedArgs&);
int cmdAuthnRequest(Env&, const ParsedArgs&);
int cmdLogoutRequest(Env&, const ParsedArgs&);
int cmdLogin(Env&, const ParsedArgs&);
int cmdRecord(Env&, const ParsedArgs&);
int cmdReplay(Env&, const ParsedArgs&);
int cmdDecode(Env&, const ParsedArgs&);
int cmdVerify(Env&, const ParsedArgs&);

}  // namespace propusk::cli::samlflow
