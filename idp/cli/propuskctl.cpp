#include "idp/cli/propuskctl.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <pwd.h>

#include "idp/cli/commands.h"
#include "idp/core/printable.h"
#include "idp/store/store.h"

namespace propusk::cli {

namespace {

using Handler = int (*)(Context&, const ParsedArgs&);

struct Command {
  std::string_view group;  // "" for top-level commands
  std::string_view name;
  std::string_view args;   // positional synopsis
  std::size_t minArgs, maxArgs;
  std::string_view summary;
  std::vector<OptionSpec> options;
  Handler handler;
};

const OptionSpec kJson{"json", "", "print JSON instead of text"};

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"", "init", "", 0, 0, "create the store and the first signing key (safe to repeat)",
       {{"algorithm", "rsa2048|rsa3072|ec-p256", "algorithm of the first key (default from config: rsa2048)"}, kJson},
       cmdInit},
      {"keys", "list", "", 0, 0, "list signing keys and their states", {kJson}, cmdKeysList},
      {"keys", "generate", "", 0, 0, "make a new key, published in metadata as 'next' ahead of use",
       {{"algorithm", "rsa2048|rsa3072|ec-p256", "key algorithm (default from config)"}, kJson}, cmdKeysGenerate},
      {"keys", "rotate", "", 0, 0,
       "activate the newest 'next' key (or a new one); the old active key stays published as 'previous'",
       {{"algorithm", "rsa2048|rsa3072|ec-p256", "algorithm if a key must be made"}, kJson}, cmdKeysRotate},
      {"keys", "retire", "ID", 1, 1, "stop publishing a 'previous' or 'next' key", {kJson}, cmdKeysRetire},
      {"sp", "add", "FILE|URL", 1, 1, "register an SP from its metadata (schema-checked)",
       {{"trust", "CERT", "PEM/DER certificate that must have signed the metadata"},
        {"replace", "", "update the metadata of an SP already registered (keeps its policy)"},
        {"release", "ATTR,...", "attributes to release (see 'sp set')"},
        {"min-status", "STATUS", "minimum account status: simplified, standard or confirmed"},
        kJson},
       cmdSpAdd},
      {"sp", "list", "", 0, 0, "list registered SPs", {kJson}, cmdSpList},
      {"sp", "show", "ENTITY_ID", 1, 1, "show an SP's endpoints, keys and policy",
       {{"metadata", "", "print the registered metadata XML as is"}, kJson}, cmdSpShow},
      {"sp", "remove", "ENTITY_ID", 1, 1, "unregister an SP", {kJson}, cmdSpRemove},
      {"sp", "set", "ENTITY_ID", 1, 1, "change an SP's policy",
       {{"release", "ATTR,...",
         "attributes released (displayName,sn,givenName,middleName,inn,snils,accountStatus,eduPersonAssurance,"
         "mail,telephoneNumber); 'none' for none"},
        {"min-status", "STATUS", "simplified, standard or confirmed"},
        {"allow-sha1", "", "accept SHA-1 signatures from this SP"},
        {"deny-sha1", "", "refuse SHA-1 signatures from this SP (default)"},
        {"sign", "both|assertion|response", "what the IdP signs in Responses to this SP (default both)"},
        {"upstreams", "NAME,...|all|none",
         "upstream IdPs this SP's users may log in through (registered names; 'all': every upstream; default none)"},
        {"local-login", "yes|no", "offer the password form for this SP (default yes)"},
        {"require-mfa", "yes|no", "every login to this SP needs a second factor (default no)"},
        {"allow-ip", "CIDR,...|any", "client addresses allowed to log in to this SP (default any)"},
        kJson},
       cmdSpSet},
      {"upstream", "add", "FILE|URL", 1, 1, "register an upstream IdP (gateway) from its metadata, with an attribute map",
       {{"name", "NAME", "its name (required): 1..32 of a-z, 0-9, '-', starting with a letter"},
        {"map", "FILE", "attribute map (required): 'UPSTREAM-ATTRIBUTE = PROPUSK-ATTRIBUTE [| TRANSFORM]' a line"},
        {"level", "simplified|standard|confirmed", "the account status it vouches for (required)"},
        {"link-by", "snils|inn|email|none", "what links its people to existing accounts (required)"},
        {"trust", "CERT", "PEM/DER certificate that must have signed the metadata"},
        {"display-name", "TEXT", "name on the login page (default: NAME)"},
        {"allow-sha1", "", "accept SHA-1 signatures from this upstream"},
        {"replace", "", "update an upstream already registered under NAME"},
        kJson},
       cmdUpstreamAdd},
      {"upstream", "list", "", 0, 0, "list upstream IdPs", {kJson}, cmdUpstreamList},
      {"upstream", "show", "NAME", 1, 1,
       "show an upstream's endpoints, certificates, policy, map, linked accounts and last refusals",
       {{"metadata", "", "print the registered metadata XML as is"}, kJson}, cmdUpstreamShow},
      {"upstream", "set", "NAME", 1, 1, "change an upstream's map or policy",
       {{"map", "FILE", "a new attribute map"},
        {"level", "simplified|standard|confirmed", "the account status it vouches for"},
        {"link-by", "snils|inn|email|none", "what links its people to existing accounts"},
        {"allow-sha1", "yes|no", "accept SHA-1 signatures from this upstream"},
        {"display-name", "TEXT", "name on the login page (empty: NAME)"},
        kJson},
       cmdUpstreamSet},
      {"upstream", "remove", "NAME", 1, 1, "unregister an upstream and its account links (the accounts stay)", {kJson},
       cmdUpstreamRemove},
      {"user", "add", "LOGIN", 1, 1, "add an account; the password is read from stdin or asked for",
       {{"surname", "TEXT", "surname (required)"},
        {"given-name", "TEXT", "given name (required)"},
        {"middle-name", "TEXT", "patronymic"},
        {"inn", "DIGITS", "12-digit personal INN"},
        {"snils", "DIGITS", "SNILS, e.g. 112-233-445 95"},
        {"email", "ADDRESS", "e-mail address"},
        {"phone", "NUMBER", "phone, normalised to +7XXXXXXXXXX"},
        {"status", "STATUS", "simplified (default), standard or confirmed"},
        kJson},
       cmdUserAdd},
      {"user", "show", "LOGIN", 1, 1, "show an account and its upstream links", {kJson}, cmdUserShow},
      {"user", "list", "", 0, 0, "list accounts", {kJson}, cmdUserList},
      {"user", "set-status", "LOGIN STATUS", 2, 2, "set the account status (simplified, standard, confirmed)",
       {kJson}, cmdUserSetStatus},
      {"user", "lock", "LOGIN", 1, 1, "lock an account (no logins)", {kJson}, cmdUserLock},
      {"user", "unlock", "LOGIN", 1, 1, "unlock an account and clear failed logins", {kJson}, cmdUserUnlock},
      {"user", "passwd", "LOGIN", 1, 1, "set a new password (stdin or prompt)", {kJson}, cmdUserPasswd},
      {"user", "remove", "LOGIN", 1, 1, "delete an account", {kJson}, cmdUserRemove},
      {"user", "totp", "enroll|reset|remove LOGIN", 2, 2,
       "enrol a TOTP authenticator (prints the otpauth:// URI once), give it a new secret, or remove it", {kJson},
       cmdUserTotp},
      {"session", "list", "", 0, 0, "list SSO sessions (newest first) and the SPs each reached",
       {{"user", "LOGIN", "only this account's sessions"}, kJson}, cmdSessionList},
      {"session", "kill", "[ID]", 0, 1,
       "end a session (ID: 8+ hex digits from 'session list') or all of --user's, with back-channel Single Logout",
       {{"user", "LOGIN", "every session of this account"}, kJson}, cmdSessionKill},
      {"audit", "list", "", 0, 0, "print audit events",
       {{"after", "SEQ", "only events after this sequence number"}, {"limit", "N", "at most N events (default 100)"}, kJson},
       cmdAuditList},
      {"audit", "verify", "", 0, 0, "check the audit log's hash chain", {kJson}, cmdAuditVerify},
  };
  return table;
}

std::string fullName(const Command& c) {
  return c.group.empty() ? std::string(c.name) : std::string(c.group) + " " + std::string(c.name);
}

void printCommandHelp(std::ostream& out, const Command& c) {
  out << "usage: propuskctl [--data DIR | --config FILE] " << fullName(c) << (c.args.empty() ? "" : " ")
      << c.args << (c.options.empty() ? "" : " [options]") << "\n\n"
      << c.summary << "\n";
  printOptions(out, c.options);
}

void printMainHelp(std::ostream& out) {
  out << "usage: propuskctl [--data DIR | --config FILE] COMMAND [ARGS] [--json]\n\n"
         "Administers a Propusk identity provider's store (default ./var).\n\ncommands:\n";
  for (auto& c : commands()) printCommandLine(out, fullName(c) + (c.args.empty() ? "" : " " + std::string(c.args)), c.summary);
  out << "\n'propuskctl COMMAND --help' describes one command.\n";
}

std::string currentActor() {
  if (const passwd* pw = getpwuid(geteuid())) return std::string("cli:") + pw->pw_name;
  return "cli:uid" + std::to_string(geteuid());
}

}  // namespace

int runPropuskctl(const std::vector<std::string>& argsIn, Io io) {
  std::vector<std::string> args;
  std::optional<std::string> dataDir, configFile;
  bool json = false, help = false;
  try {
    // Global options may stand anywhere.
    for (size_t i = 0; i < argsIn.size(); ++i) {
      const auto& a = argsIn[i];
      auto value = [&](const char* name) {
        if (a.find('=') != std::string::npos) return a.substr(a.find('=') + 1);
        if (i + 1 >= argsIn.size()) throw UsageError(std::string(name) + " needs a value");
        return argsIn[++i];
      };
      if (a == "--data" || a.starts_with("--data=")) dataDir = value("--data");
      else if (a == "--config" || a.starts_with("--config=")) configFile = value("--config");
      else if (a == "--json") json = true;
      else if (a == "--help" || a == "-h") help = true;
      else args.push_back(a);
    }
    if (args.empty()) {
      printMainHelp(help ? io.out : io.err);
      return help ? 0 : 2;
    }
    const Command* cmd = nullptr;
    size_t consumed = 0;
    for (auto& c : commands()) {
      if (c.group.empty() && args[0] == c.name) { cmd = &c; consumed = 1; break; }
      if (!c.group.empty() && args[0] == c.group && args.size() > 1 && args[1] == c.name) { cmd = &c; consumed = 2; break; }
    }
    if (!cmd) {
      bool isGroup = std::any_of(commands().begin(), commands().end(), [&](auto& c) { return c.group == args[0]; });
      if (isGroup && help) {
        io.out << "'" << args[0] << "' commands:\n";
        for (auto& c : commands())
          if (c.group == args[0]) io.out << "  propuskctl " << fullName(c) << " " << c.args << "  — " << c.summary << "\n";
        return 0;
      }
      if (isGroup && args.size() == 1) {
        std::string names;
        for (auto& c : commands())
          if (c.group == args[0]) names += (names.empty() ? "" : "|") + std::string(c.name);
        throw UsageError(args[0] + ": missing subcommand (" + names + "); see 'propuskctl " + args[0] + " --help'");
      }
      throw UsageError("unknown command '" + args[0] + (isGroup && args.size() > 1 ? " " + args[1] : std::string()) +
                       "' (see propuskctl --help)");
    }
    if (help) {
      printCommandHelp(io.out, *cmd);
      return 0;
    }
    std::vector<std::string> rest(args.begin() + static_cast<long>(consumed), args.end());
    ParsedArgs parsed = parseArgs(rest, cmd->options, fullName(*cmd));
    checkArgumentCount(parsed, cmd->minArgs, cmd->maxArgs, fullName(*cmd), cmd->args);
    if (dataDir && configFile) throw UsageError("give either --data or --config, not both");
    config::Config config = configFile ? config::loadConfigFile(*configFile) : config::Config{};
    if (dataDir) config.dataDir = *dataDir;
    SystemClock clock;
    SystemRandom random;
    Context ctx(std::move(config), io, clock, random, json || parsed.has("json"), currentActor());
    return cmd->handler(ctx, parsed);
  } catch (const UsageError& e) {
    io.err << "propuskctl: " << printable(e.what(), 1024) << "\n";
    return 2;
  } catch (const CliError& e) {
    io.err << "propuskctl: " << printable(e.what(), 1024) << "\n";
    return 1;
  } catch (const config::ConfigError& e) {
    io.err << "propuskctl: config: " << printable(e.what(), 1024) << "\n";
    return 1;
  } catch (const store::StoreError& e) {
    io.err << "propuskctl: store: " << printable(e.what(), 1024) << "\n";
    return 1;
  } catch (const std::exception& e) {
    io.err << "propuskctl: " << printable(e.what(), 1024) << "\n";
    return 1;
  }
}

}  // namespace propusk::cli
