// authn-request and logout-request: craft a request exactly as a given SP would; a SOAP
// LogoutRequest can also be sent and its answer checked.
#include "idp/cli/samlflow/env.h"
#include "idp/cli/samlflow/idp_source.h"
#include "idp/cli/samlflow/logout_exchange.h"
#include "idp/cli/samlflow/report.h"
#include "idp/cli/samlflow/request_builder.h"
#include "idp/cli/samlflow/sp_identity.h"
#include "idp/saml/bindings/soap.h"

namespace propusk::cli::samlflow {

namespace {
std::string htmlEscape(std::string_view s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

// The request as JSON: what travels where, and the XML (a SOAP request adds its envelope).
Poco::JSON::Object::Ptr requestJson(const SentRequest& req) {
  auto o = jsonObject();
  o->set("id", req.id);
  o->set("binding", std::string(bindingName(req.binding)));
  o->set("method", req.binding == Binding::Redirect ? "GET" : "POST");
  o->set("url", req.url);
  if (req.binding == Binding::Post) {
    auto f = jsonObject();
    for (auto& [k, v] : req.fields) f->set(k, v);
    o->set("fields", f);
  }
  if (req.relayState) o->set("relay_state", *req.relayState);
  o->set("signed", req.signedRequest);
  if (req.algorithm) o->set("sig_alg", std::string(crypto::signatureAlgorithmUri(*req.algorithm)));
  o->set("xml", req.xml);
  if (req.binding == Binding::Soap) o->set("envelope", saml::wrapSoap(req.xml));
  return o;
}

// Prints the request as --json, --xml or by default: the Redirect URL, the auto-submitting
// POST form, or the SOAP envelope.
void printRequest(Env& env, const ParsedArgs& args, const SentRequest& req, std::string_view title) {
  if (env.json) {
    env.printJson(requestJson(req));
  } else if (args.has("xml")) {
    env.io.out << req.xml << (req.xml.ends_with("\n") ? "" : "\n");
  } else if (req.binding == Binding::Redirect) {
    env.io.out << req.url << "\n";
  } else if (req.binding == Binding::Soap) {
    std::string envelope = saml::wrapSoap(req.xml);
    env.io.out << envelope << (envelope.ends_with("\n") ? "" : "\n");
  } else {
    // bindings §3.5.4: a form the user agent posts to the IdP's endpoint.
    env.io.out << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" << htmlEscape(title)
               << "</title></head><body onload=\"document.forms[0].submit()\">\n<form method=\"post\" action=\""
               << htmlEscape(req.url) << "\">\n";
    for (auto& [k, v] : req.fields)
      env.io.out << "<input type=\"hidden\" name=\"" << htmlEscape(k) << "\" value=\"" << htmlEscape(v) << "\">\n";
    env.io.out << "<noscript><button type=\"submit\">Continue</button></noscript>\n</form>\n</body></html>\n";
  }
}

// --send: the SOAP exchange and its outcome (README exit codes: 0, 3 a non-Success status,
// 4 a check failed; transport errors and SOAP faults are CliErrors, 1).
int sendLogoutRequest(Env& env, const SentRequest& req, const IdpSource& idp, const web::HttpClientOptions& http) {
  std::string answer = sendSoapLogoutRequest(req.url, saml::wrapSoap(req.xml), http);
  auto certs = idp.certificates();
  saml::sp::ResponseVerification v = verifyLogoutResponse(answer, {idp.metadata.entityId, certs, req.id});
  int rc = v.ok() ? kExitOk : v.statusNotSuccess() ? kExitStatus : kExitVerify;
  if (env.json) {
    auto o = requestJson(req);
    o->set("result", v.ok() ? "success" : v.statusNotSuccess() ? "status" : "verification-failed");
    o->set("exit_code", rc);
    if (v.failedStep) {
      o->set("failed_check", std::string(*v.failedStep));
      o->set("detail", failureLine(v));
    }
    o->set("idp", idp.metadata.entityId);
    if (!v.responseId.empty()) o->set("response_id", v.responseId);
    if (!v.statusCodes.empty()) {
      Poco::JSON::Array::Ptr codes = new Poco::JSON::Array;
      for (auto& c : v.statusCodes) codes->add(c);
      o->set("status_codes", codes);
      if (v.statusMessage) o->set("status_message", *v.statusMessage);
      o->set("partial_logout", partialLogout(v));
    }
    o->set("checks", checksJson(v));
    o->set("response_xml", answer);
    env.printJson(o);
  } else {
    if (v.ok())
      env.io.out << "logout ok" << (partialLogout(v) ? " (PartialLogout: the IdP could not reach every other SP)" : "")
                 << ": " << idp.metadata.entityId << " (request " << req.id << ")\n";
    if (!v.statusCodes.empty()) {
      env.io.out << "status:";
      for (auto& c : v.statusCodes) env.io.out << " " << c;
      env.io.out << "\n";
    }
    env.io.out << "checks:\n";
    printChecks(env.io.out, v);
  }
  if (!v.ok()) env.error(failureLine(v));
  return rc;
}

}  // namespace

int cmdAuthnRequest(Env& env, const ParsedArgs& args) {
  auto spArg = args.get("sp");
  if (!spArg) throw UsageError("authn-request: --sp DIR|METADATA is required");
  SpIdentity sp = loadSpIdentity(env, *spArg, args.get("sp-key"));
  std::optional<IdpSource> idp;
  if (args.has("idp-metadata")) idp = loadIdp(env, args, httpOptions(args));
  SentRequest req = buildRequestFromOptions(env, args, sp, idp ? &idp->metadata : nullptr);
  printRequest(env, args, req, "SAML AuthnRequest");
  return kExitOk;
}

int cmdLogoutRequest(Env& env, const ParsedArgs& args) {
  auto spArg = args.get("sp");
  if (!spArg) throw UsageError("logout-request: --sp DIR|METADATA is required");
  bool send = args.has("send");
  if (send && args.get("binding") != "soap")
    throw UsageError("send: only with --binding soap (Redirect and POST requests travel through a browser)");
  if (send && !args.has("idp-metadata")) throw UsageError("send: needs --idp-metadata (its keys verify the IdP's answer)");
  if (send && args.has("xml"))
    throw UsageError("give --send or --xml, not both");
  SpIdentity sp = loadSpIdentity(env, *spArg, args.get("sp-key"));
  web::HttpClientOptions http = httpOptions(args);
  std::optional<IdpSource> idp;
  if (args.has("idp-metadata")) idp = loadIdp(env, args, http);
  SentRequest req = buildLogoutRequestFromOptions(env, args, sp, idp ? &idp->metadata : nullptr);
  if (send) return sendLogoutRequest(env, req, *idp, http);
  printRequest(env, args, req, "SAML LogoutRequest");
  return kExitOk;
}

}  // namespace propusk::cli::samlflow
