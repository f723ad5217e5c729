// authn-request (and, later, logout-request): craft a request exactly as a given SP would.
#include "idp/cli/samlflow/env.h"
#include "idp/cli/samlflow/idp_source.h"
#include "idp/cli/samlflow/request_builder.h"
#include "idp/cli/samlflow/sp_identity.h"

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
}  // namespace

int cmdAuthnRequest(Env& env, const ParsedArgs& args) {
  auto spArg = args.get("sp");
  if (!spArg) throw UsageError("authn-request: --sp DIR|METADATA is required");
  SpIdentity sp = loadSpIdentity(env, *spArg, args.get("sp-key"));
  std::optional<IdpSource> idp;
  if (args.has("idp-metadata")) idp = loadIdp(env, args, httpOptions(args));
  SentRequest req = buildRequestFromOptions(env, args, sp, idp ? &idp->metadata : nullptr);

  if (env.json) {
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
    env.printJson(o);
  } else if (args.has("xml")) {
    env.io.out << req.xml << (req.xml.ends_with("\n") ? "" : "\n");
  } else if (req.binding == Binding::Redirect) {
    env.io.out << req.url << "\n";
  } else {
    // bindings §3.5.4: a form the user agent posts to the SSO endpoint.
    env.io.out << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>SAML AuthnRequest</title></head>"
                  "<body onload=\"document.forms[0].submit()\">\n<form method=\"post\" action=\""
               << htmlEscape(req.url) << "\">\n";
    for (auto& [k, v] : req.fields)
      env.io.out << "<input type=\"hidden\" name=\"" << htmlEscape(k) << "\" value=\"" << htmlEscape(v) << "\">\n";
    env.io.out << "<noscript><button type=\"submit\">Continue</button></noscript>\n</form>\n</body></html>\n";
  }
  return kExitOk;
}

int cmdLogoutRequest(Env&, const ParsedArgs&) {
  throw CliError("logout-request: not yet available (the LogoutRequest builder is being written; see issue 6)");
}

}  // namespace propusk::cli::samlflow
