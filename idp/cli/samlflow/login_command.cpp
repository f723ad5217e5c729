// login and record: the whole SP-initiated flow, printed (and recorded).
#include <filesystem>

#include "idp/cli/samlflow/env.h"
#include "idp/cli/samlflow/flow_record.h"
#include "idp/cli/samlflow/idp_source.h"
#include "idp/auth/totp.h"
#include "idp/cli/samlflow/login_flow.h"
#include "idp/cli/samlflow/report.h"
#include "idp/cli/samlflow/request_builder.h"
#include "idp/cli/samlflow/sp_identity.h"
#include "idp/crypto/keys.h"

namespace propusk::cli::samlflow {

namespace {

std::string readPassword(Env& env) {
  std::string line;
  std::getline(env.io.in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  if (line.empty()) throw CliError("password: empty (give it as the first line of standard input)");
  return line;
}

FlowRecord recordOf(const LoginInput& in, const LoginOutcome& out, const Clock& clock) {
  FlowRecord r;
  r.created = formatXsDateTime(clock.now());
  r.idpEntityId = in.idp->metadata.entityId;
  r.idpMetadataSource = in.idp->source;
  for (auto& c : in.idp->metadata.signingCertificates) r.idpCertificates.push_back(crypto::certificateBase64Der(c.get()));
  r.spEntityId = in.sp->metadata.entityId;
  r.acsUrl = in.request.acsUrl;
  r.user = in.username;
  r.requestId = in.request.id;
  r.requestXml = in.request.xml;
  r.binding = std::string(bindingName(in.request.binding));
  r.relayState = in.request.relayState;
  r.requestSigned = in.request.signedRequest;
  r.responseXml = out.responseXml;
  r.returnedRelayState = out.returnedRelayState;
  r.result = std::string(loginResultName(out.result));
  r.exitCode = exitCodeFor(out.result);
  r.detail = out.detail;
  if (out.verification.failedStep) r.failedCheck = std::string(*out.verification.failedStep);
  r.clockSkewSeconds = in.clockSkew.count();
  r.allowSha1 = in.allowSha1;
  // The replay cache: what this SP accepted, and so must never accept again.
  if (out.result == LoginResult::Success) {
    if (!out.verification.responseId.empty()) r.acceptedIds.push_back(out.verification.responseId);
    if (!out.verification.assertionId.empty()) r.acceptedIds.push_back(out.verification.assertionId);
  }
  if (in.idp->fetch) r.exchanges.push_back(*in.idp->fetch);
  r.exchanges.insert(r.exchanges.end(), out.exchanges.begin(), out.exchanges.end());
  return r;
}

int runLoginCommand(Env& env, const ParsedArgs& args, const std::optional<std::string>& recordFile) {
  std::optional<std::string> totpKey;
  if (auto secret = args.get("totp-secret")) {
    totpKey = auth::base32Decode(*secret);
    if (!totpKey || totpKey->empty()) throw CliError("totp-secret: not a base32 secret (RFC 4648, as authenticator apps show it)");
  }
  auto user = args.get("user");
  if (!user) throw UsageError("user: required (the login to type into the IdP's form)");
  if (!args.has("password-stdin"))
    throw UsageError("password-stdin: required; the password is read from standard input, never from the command line");
  auto spArg = args.get("sp");
  if (!spArg) throw UsageError("sp: required (a directory made by sp-keys/sp-metadata, or SP metadata)");
  std::chrono::seconds skew{60};
  if (auto s = args.get("clock-skew")) {
    try {
      skew = std::chrono::seconds(std::stoi(*s));
    } catch (const std::exception&) {
      throw UsageError("clock-skew: seconds");
    }
    if (skew.count() < 0 || skew.count() > 3600) throw UsageError("clock-skew: 0..3600 seconds");
  }
  if (recordFile) {
    auto parent = std::filesystem::path(*recordFile).parent_path();
    std::error_code ec;
    if (!parent.empty() && !std::filesystem::is_directory(parent, ec))
      throw CliError("out: directory " + parent.string() + " does not exist");
  }

  web::HttpClientOptions http = httpOptions(args);
  IdpSource idp = loadIdp(env, args, http);
  SpIdentity sp = loadSpIdentity(env, *spArg, args.get("sp-key"));
  if (idp.metadata.wantAuthnRequestsSigned && (!sp.key || args.has("no-sign")))
    env.io.err << "samlflow: warning: the IdP wants signed AuthnRequests and this one is unsigned\n";
  LoginInput in;
  in.idp = &idp;
  in.sp = &sp;
  in.request = buildRequestFromOptions(env, args, sp, &idp.metadata);
  in.username = *user;
  in.password = readPassword(env);
  in.totpKey = totpKey;
  in.clockSkew = skew;
  in.allowSha1 = args.has("allow-sha1");
  in.http = http;

  LoginOutcome out = runLogin(in, env.clock);
  int rc = exitCodeFor(out.result);
  if (recordFile) writeOutput(*recordFile, writeFlowRecord(recordOf(in, out, env.clock)), "out", true);

  const auto& v = out.verification;
  if (env.json) {
    auto o = jsonObject();
    o->set("result", std::string(loginResultName(out.result)));
    o->set("exit_code", rc);
    if (!out.detail.empty()) o->set("detail", out.detail);
    if (v.failedStep) o->set("failed_check", std::string(*v.failedStep));
    o->set("idp", idp.metadata.entityId);
    o->set("sp", sp.metadata.entityId);
    o->set("user", *user);
    o->set("request_id", in.request.id);
    o->set("binding", std::string(bindingName(in.request.binding)));
    if (!v.statusCodes.empty()) {
      Poco::JSON::Array::Ptr codes = new Poco::JSON::Array;
      for (auto& c : v.statusCodes) codes->add(c);
      o->set("status_codes", codes);
      if (v.statusMessage) o->set("status_message", *v.statusMessage);
    }
    if (!v.responseId.empty()) o->set("response_id", v.responseId);
    if (!v.assertionId.empty()) o->set("assertion_id", v.assertionId);
    if (out.result == LoginResult::Success) addSubjectJson(o, v, out.responseXml.value_or(""));
    if (out.responseXml) o->set("checks", checksJson(v));
    o->set("exchanges", static_cast<int>(out.exchanges.size()));
    if (recordFile) o->set("record", *recordFile);
    env.printJson(o);
  } else {
    if (out.result == LoginResult::Success) {
      env.io.out << "login ok: " << *user << " at " << idp.metadata.entityId << " (request " << in.request.id << ")\n";
      printSubject(env.io.out, v, out.responseXml.value_or(""));
      env.io.out << "checks:\n";
    }
    if (out.responseXml) printChecks(env.io.out, v);
    if (recordFile)
      env.io.out << "recorded " << out.exchanges.size() + (idp.fetch ? 1 : 0) << " exchanges to " << *recordFile << "\n";
  }
  if (out.result != LoginResult::Success) env.error(out.detail);
  return rc;
}

}  // namespace

int cmdLogin(Env& env, const ParsedArgs& args) { return runLoginCommand(env, args, std::nullopt); }

int cmdRecord(Env& env, const ParsedArgs& args) {
  auto out = args.get("out");
  if (!out) throw UsageError("record: --out FILE is required");
  return runLoginCommand(env, args, out);
}

}  // namespace propusk::cli::samlflow
