#include "idp/cli/samlflow/samlflow.h"

#include <algorithm>

#include "idp/cli/samlflow/env.h"
#include "idp/core/printable.h"

namespace propusk::cli::samlflow {

namespace {

using Handler = int (*)(Env&, const ParsedArgs&);

struct Command {
  std::string_view name;
  std::string_view args;  // positional synopsis
  std::size_t minArgs, maxArgs;
  std::string_view summary;
  std::vector<OptionSpec> options;
  Handler handler;
};

const OptionSpec kJson{"json", "", "print JSON instead of text"};

std::vector<OptionSpec> requestOptions() {
  return {
      {"binding", "redirect|post", "how the AuthnRequest travels to the IdP (default redirect)"},
      {"acs-url", "URL", "AssertionConsumerServiceURL (default: the SP metadata's HTTP-POST ACS)"},
      {"acs-index", "N", "AssertionConsumerServiceIndex instead of a URL"},
      {"no-acs", "", "name no ACS at all (the IdP picks the metadata default)"},
      {"protocol-binding", "post|URI", "ProtocolBinding of the Response (default post with --acs-url)"},
      {"nameid-format", "persistent|transient|email|unspecified|URI", "NameIDPolicy Format"},
      {"allow-create", "", "NameIDPolicy AllowCreate=\"true\""},
      {"force-authn", "", "ForceAuthn=\"true\""},
      {"is-passive", "", "IsPassive=\"true\""},
      {"authn-context", "URI[,URI]", "RequestedAuthnContext class references"},
      {"comparison", "exact|minimum|better|maximum", "RequestedAuthnContext Comparison (default exact)"},
      {"relay-state", "TEXT", "RelayState sent with the request"},
      {"sig-alg", "rsa-sha256|rsa-sha512|ecdsa-sha256|rsa-sha1", "signature algorithm (default: by key type)"},
      {"no-sign", "", "do not sign even though the SP has a key"},
      {"id", "ID", "the request ID (default: random)"},
      {"issuer", "ENTITY_ID", "Issuer (default: the SP's entityID)"},
      {"destination", "URL", "Destination and target URL (default: the IdP metadata's SSO endpoint)"},
  };
}

std::vector<OptionSpec> idpOptions() {
  return {
      {"idp-metadata", "URL|FILE", "the IdP's metadata (SSO endpoints, signing certificates)"},
      {"idp-entity-id", "ENTITY_ID", "which IdP when the metadata is an aggregate"},
      {"metadata-cert", "CERT", "require the metadata to be signed by this certificate"},
  };
}

std::vector<OptionSpec> tlsOptions() {
  return {
      {"ca", "FILE", "also trust this PEM CA or self-signed server certificate"},
      {"insecure-tls", "", "do not check TLS certificates at all (development only)"},
      {"timeout", "SECONDS", "per HTTP request (default 15)"},
  };
}

std::vector<OptionSpec> loginOptions(bool record) {
  std::vector<OptionSpec> o = idpOptions();
  std::vector<OptionSpec> own = {
      {"sp", "DIR|METADATA", "the SP: a directory made by sp-keys/sp-metadata, or its metadata file"},
      {"sp-key", "KEY", "the SP's private key (default DIR/sp-key.pem when --sp is a directory)"},
      {"user", "LOGIN", "the login to type into the IdP's form"},
      {"password-stdin", "", "read the password from the first line of standard input (required)"},
      {"totp-secret", "BASE32", "TOTP secret (RFC 6238, SHA-1, 6 digits, 30 s) to answer a one-time-code form"},
      {"clock-skew", "SECONDS", "allowed clock difference with the IdP (default 60)"},
      {"allow-sha1", "", "accept SHA-1 signatures from the IdP"},
  };
  o.insert(o.end(), own.begin(), own.end());
  auto req = requestOptions();
  o.insert(o.end(), req.begin(), req.end());
  auto tls = tlsOptions();
  o.insert(o.end(), tls.begin(), tls.end());
  if (record) o.push_back({"out", "FILE", "where to write the recording (JSON; required)"});
  o.push_back(kJson);
  return o;
}

std::vector<OptionSpec> authnRequestOptions() {
  std::vector<OptionSpec> o = idpOptions();
  o.push_back({"sp", "DIR|METADATA", "the SP (directory or metadata file)"});
  o.push_back({"sp-key", "KEY", "the SP's private key"});
  auto req = requestOptions();
  o.insert(o.end(), req.begin(), req.end());
  auto tls = tlsOptions();
  o.insert(o.end(), tls.begin(), tls.end());
  o.push_back({"xml", "", "print only the request XML"});
  o.push_back(kJson);
  return o;
}

std::vector<OptionSpec> logoutRequestOptions() {
  std::vector<OptionSpec> o = idpOptions();
  std::vector<OptionSpec> own = {
      {"sp", "DIR|METADATA", "the SP (directory or metadata file); its entityID is the Issuer"},
      {"sp-key", "KEY", "the SP's private key"},
      {"name-id", "VALUE", "the NameID the IdP issued (required; 'samlflow login' prints it)"},
      {"name-id-format", "persistent|transient|email|unspecified|URI", "its Format, as issued"},
      {"name-qualifier", "Q", "its NameQualifier, as issued"},
      {"sp-name-qualifier", "Q", "its SPNameQualifier, as issued"},
      {"session-index", "IDX[,IDX]", "SessionIndex(es) from the AuthnStatement"},
      {"binding", "redirect|post|soap", "how the LogoutRequest travels (default redirect)"},
      {"send", "", "with --binding soap: POST it to the IdP and check the LogoutResponse"},
      {"relay-state", "TEXT", "RelayState sent with the request (not with soap)"},
      {"reason", "user|admin|URI", "Reason (default user; '' for none)"},
      {"sig-alg", "rsa-sha256|rsa-sha512|ecdsa-sha256|rsa-sha1", "signature algorithm (default: by key type)"},
      {"no-sign", "", "do not sign even though the SP has a key"},
      {"id", "ID", "the request ID (default: random)"},
      {"issuer", "ENTITY_ID", "Issuer (default: the SP's entityID)"},
      {"destination", "URL", "Destination and target URL (default: the IdP metadata's SingleLogoutService)"},
  };
  o.insert(o.end(), own.begin(), own.end());
  auto tls = tlsOptions();
  o.insert(o.end(), tls.begin(), tls.end());
  o.push_back({"xml", "", "print only the request XML"});
  o.push_back(kJson);
  return o;
}

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"sp-keys", "", 0, 0, "make an SP key and self-signed certificate (DIR/sp-key.pem, DIR/sp-cert.pem)",
       {{"out", "DIR", "directory to write into (created; required)"},
        {"algorithm", "rsa2048|rsa3072|ec-p256", "key algorithm (default rsa2048)"},
        {"cn", "NAME", "certificate subject CN (default samlflow-sp)"},
        {"days", "N", "certificate validity in days (default 365)"},
        {"force", "", "overwrite existing files"},
        kJson},
       cmdSpKeys},
      {"sp-metadata", "", 0, 0, "write SP metadata (DIR/sp-metadata.xml) to register at an IdP",
       {{"sp", "DIR", "the SP directory (its sp-cert.pem is published for request signing)"},
        {"entity-id", "ENTITY_ID", "the SP's entityID (required)"},
        {"acs", "URL", "the HTTP-POST AssertionConsumerService URL (required)"},
        {"slo", "URL", "a SingleLogoutService URL (Redirect and POST)"},
        {"name", "TEXT", "mdui:DisplayName"},
        {"nameid-format", "FORMAT[,FORMAT]", "NameIDFormat elements (persistent, transient, email, unspecified, URI)"},
        {"out", "FILE|-", "where to write (default DIR/sp-metadata.xml; - for standard output)"},
        kJson},
       cmdSpMetadata},
      {"authn-request", "", 0, 0, "build (and sign) an AuthnRequest; print the Redirect URL or the POST form",
       authnRequestOptions(), cmdAuthnRequest},
      {"logout-request", "", 0, 0, "build (and sign) a LogoutRequest; print the URL, POST form or SOAP envelope, or --send it",
       logoutRequestOptions(), cmdLogoutRequest},
      {"login", "", 0, 0, "run an SP-initiated login through the IdP's HTML form and verify the Response",
       loginOptions(false), cmdLogin},
      {"record", "", 0, 0, "like login, and write every HTTP exchange and SAML message to --out FILE",
       loginOptions(true), cmdRecord},
      {"replay", "FLOW.json", 1, 1, "re-send a recording's SAML messages and check the IdP refuses them now",
       [] {
         auto o = tlsOptions();
         o.push_back(kJson);
         return o;
       }(),
       cmdReplay},
      {"decode", "[INPUT|-]", 0, 1,
       "decode a SAML message (URL, query, form body, base64 or XML; default stdin) and pretty-print it",
       {{"field", "NAME", "take this form/query field (default SAMLRequest or SAMLResponse)"}, kJson}, cmdDecode},
      {"verify", "FILE|-", 1, 1, "verify a Response, Assertion or metadata; names the first check that failed",
       [] {
         std::vector<OptionSpec> o = {
             {"cert", "CERT[,CERT]", "trusted signing certificate(s) (PEM or DER)"},
             {"metadata", "URL|FILE", "take the IdP's entityID and certificates from its metadata"},
             {"idp-entity-id", "ENTITY_ID", "expected Issuer (default: the metadata's entityID)"},
             {"sp", "DIR|METADATA", "check Audience and ACS against this SP"},
             {"audience", "ENTITY_ID", "expected Audience (instead of --sp)"},
             {"acs", "URL", "expected Destination/Recipient (instead of --sp)"},
             {"request-id", "ID", "expected InResponseTo"},
             {"now", "TIME", "judge the time window at this xs:dateTime instead of now"},
             {"no-time", "", "skip the time-window check"},
             {"clock-skew", "SECONDS", "allowed clock difference (default 60)"},
             {"allow-sha1", "", "accept SHA-1 signatures"},
         };
         auto tls = tlsOptions();
         o.insert(o.end(), tls.begin(), tls.end());
         o.push_back(kJson);
         return o;
       }(),
       cmdVerify},
  };
  return table;
}

void printCommandHelp(std::ostream& out, const Command& c) {
  out << "usage: samlflow " << c.name << (c.args.empty() ? "" : " ") << c.args
      << (c.options.empty() ? "" : " [options]") << "\n\n"
      << c.summary << "\n";
  printOptions(out, c.options);
  if (c.name == "login" || c.name == "record" || c.name == "verify" || c.name == "replay")
    out << "\nexit codes: 0 success, 1 error (network, files, IdP error page), 2 usage, 3 the IdP answered a\n"
           "non-Success SAML status, 4 a check failed, 5 the IdP's login form refused the credentials\n";
  if (c.name == "logout-request")
    out << "\nexit codes: 0 success, 1 error (network, files, a SOAP fault), 2 usage; with --send: 3 the IdP\n"
           "answered a non-Success SAML status, 4 a check of its LogoutResponse failed\n";
}

void printMainHelp(std::ostream& out) {
  out << "usage: samlflow COMMAND [ARGS] [options]\n\n"
         "A tester's SP: craft, sign, send, verify, record and replay SAML 2.0 flows.\n\ncommands:\n";
  for (auto& c : commands())
    printCommandLine(out, std::string(c.name) + (c.args.empty() ? "" : " " + std::string(c.args)), c.summary);
  out << "\n'samlflow COMMAND --help' describes one command.\n"
         "exit codes: 0 success, 1 error, 2 usage, 3 SAML error status, 4 check failed, 5 login refused\n";
}

}  // namespace

int runSamlflow(const std::vector<std::string>& argsIn, Io io) {
  SystemClock clock;
  SystemRandom random;
  Env ctx{io, clock, random, false};
  try {
    std::vector<std::string> args;
    bool help = false;
    for (auto& a : argsIn) {
      if (a == "--help" || a == "-h") help = true;
      else args.push_back(a);
    }
    if (args.empty() || args[0] == "help") {
      printMainHelp(help || (!args.empty()) ? io.out : io.err);
      return help || !args.empty() ? 0 : kExitUsage;
    }
    auto it = std::find_if(commands().begin(), commands().end(), [&](auto& c) { return c.name == args[0]; });
    if (it == commands().end()) throw UsageError("unknown command '" + args[0] + "' (see samlflow --help)");
    if (help) {
      printCommandHelp(io.out, *it);
      return 0;
    }
    std::vector<std::string> rest(args.begin() + 1, args.end());
    ParsedArgs parsed = parseArgs(rest, it->options, it->name);
    checkArgumentCount(parsed, it->minArgs, it->maxArgs, it->name, it->args);
    ctx.json = parsed.has("json");
    return it->handler(ctx, parsed);
  } catch (const UsageError& e) {
    io.err << "samlflow: " << printable(e.what(), 1024) << "\n";
    return kExitUsage;
  } catch (const CliError& e) {
    io.err << "samlflow: " << printable(e.what(), 1024) << "\n";
    return kExitError;
  } catch (const std::exception& e) {
    io.err << "samlflow: " << printable(e.what(), 1024) << "\n";
    return kExitError;
  }
}

}  // namespace propusk::cli::samlflow
