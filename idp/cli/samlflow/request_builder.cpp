#include "idp/cli/samlflow/request_builder.h"

#include <sstream>

#include "idp/core/base64.h"
#include "idp/saml/bindings/redirect.h"
#include "idp/saml/messages/sp_metadata.h"
#include "idp/saml/validation/request_context.h"

namespace propusk::cli::samlflow {

namespace {

std::vector<std::string> splitComma(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

crypto::SignatureAlgorithm parseSigAlg(const std::string& s) {
  if (s == "rsa-sha256") return crypto::SignatureAlgorithm::RsaSha256;
  if (s == "rsa-sha512") return crypto::SignatureAlgorithm::RsaSha512;
  if (s == "ecdsa-sha256") return crypto::SignatureAlgorithm::EcdsaSha256;
  if (s == "rsa-sha1") return crypto::SignatureAlgorithm::RsaSha1;
  if (auto a = crypto::signatureAlgorithmFromUri(s)) return *a;
  throw UsageError("sig-alg: one of rsa-sha256, rsa-sha512, ecdsa-sha256, rsa-sha1 (or an algorithm URI)");
}

unsigned parseIndex(const std::string& s, const char* field) {
  if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos)
    throw UsageError(std::string(field) + ": an unsigned number");
  return static_cast<unsigned>(std::stoul(s));
}

}  // namespace

std::string_view bindingName(Binding b) { return b == Binding::Redirect ? "redirect" : "post"; }

std::string nameIdFormatUri(const std::string& s) {
  if (s == "persistent") return std::string(saml::kNameIdPersistent);
  if (s == "transient") return std::string(saml::kNameIdTransient);
  if (s == "email") return std::string(saml::kNameIdEmail);
  if (s == "unspecified") return std::string(saml::kNameIdUnspecified);
  if (s.find(':') == std::string::npos)
    throw UsageError("nameid-format: persistent, transient, email, unspecified or a URI, not '" + s + "'");
  return s;
}

SentRequest buildRequestFromOptions(Env& env, const ParsedArgs& args, const SpIdentity& sp, const saml::IdpMetadata* idp) {
  SentRequest out;
  std::string binding = args.get("binding").value_or("redirect");
  if (binding == "redirect") out.binding = Binding::Redirect;
  else if (binding == "post") out.binding = Binding::Post;
  else throw UsageError("binding: redirect or post, not '" + binding + "'");
  auto bindingUri = out.binding == Binding::Redirect ? saml::kBindingRedirect : saml::kBindingPost;

  std::string ssoUrl;
  if (auto d = args.get("destination")) {
    if (!saml::isAbsoluteHttpUrl(*d)) throw UsageError("destination: an absolute http(s) URL");
    ssoUrl = *d;
  } else {
    if (!idp) throw UsageError("idp-metadata: required (or --destination URL)");
    const saml::Endpoint* e = saml::findEndpoint(idp->singleSignOnServices, bindingUri);
    if (!e) throw CliError("binding: the IdP metadata has no " + std::string(bindingUri) + " SingleSignOnService");
    ssoUrl = e->location;
  }

  saml::AuthnRequestInput in;
  in.id = args.get("id").value_or(env.random.samlId());
  in.issueInstant = env.clock.now();
  in.issuer = args.get("issuer").value_or(sp.metadata.entityId);
  in.destination = ssoUrl;
  const saml::Endpoint* acs = sp.postAcs();
  if (args.has("acs-index") && args.has("acs-url")) throw UsageError("give --acs-url or --acs-index, not both");
  if (auto i = args.get("acs-index")) {
    // core §3.4.1: the index stands for URL and binding both.
    if (args.has("protocol-binding")) throw UsageError("give --acs-index or --protocol-binding, not both (core §3.4.1)");
    in.acsIndex = parseIndex(*i, "acs-index");
    for (auto& e : sp.metadata.assertionConsumerServices)
      if (e.index == in.acsIndex) out.acsUrl = e.location;
    if (out.acsUrl.empty()) throw CliError("acs-index: the SP metadata has no AssertionConsumerService with index " + *i);
  } else if (!args.has("no-acs")) {
    if (auto u = args.get("acs-url")) in.acsUrl = *u;
    else if (acs) in.acsUrl = acs->location;
    else throw CliError("sp: the SP metadata has no HTTP-POST AssertionConsumerService");
    out.acsUrl = *in.acsUrl;
    in.protocolBinding = std::string(saml::kBindingPost);
  }
  if (out.acsUrl.empty() && acs) out.acsUrl = acs->location;
  if (auto pb = args.get("protocol-binding")) in.protocolBinding = *pb == "post" ? std::string(saml::kBindingPost) : *pb;
  if (auto f = args.get("nameid-format"); f || args.has("allow-create")) {
    saml::NameIDPolicy p;
    if (f) p.format = nameIdFormatUri(*f);
    p.allowCreate = args.has("allow-create") || f.has_value();
    in.nameIdPolicy = p;
  }
  in.forceAuthn = args.has("force-authn");
  in.isPassive = args.has("is-passive");
  if (auto refs = args.get("authn-context")) {
    saml::RequestedAuthnContext rac;
    rac.classRefs = splitComma(*refs);
    if (auto c = args.get("comparison")) {
      auto cmp = saml::parseComparison(*c);
      if (!cmp) throw UsageError("comparison: exact, minimum, better or maximum");
      rac.comparison = *cmp;
    }
    in.requestedAuthnContext = rac;
  } else if (args.has("comparison")) {
    throw UsageError("comparison: only with --authn-context");
  }
  out.relayState = args.get("relay-state");
  out.id = in.id;

  const EVP_PKEY* key = args.has("no-sign") ? nullptr : sp.key.get();
  crypto::SignatureAlgorithm alg = key ? crypto::defaultAlgorithmFor(key) : crypto::SignatureAlgorithm::RsaSha256;
  if (auto a = args.get("sig-alg")) alg = parseSigAlg(*a);
  out.signedRequest = key != nullptr;
  if (key) out.algorithm = alg;

  if (out.binding == Binding::Redirect) {
    auto xml = saml::buildAuthnRequest(in);
    if (!xml) throw CliError("authn-request: " + xml.error().detail);
    out.xml = *xml;
    auto query = saml::encodeRedirect("SAMLRequest", out.xml, out.relayState, key, alg);
    if (!query) throw CliError("sign: " + query.error().detail);
    out.url = ssoUrl + (ssoUrl.find('?') == std::string::npos ? "?" : "&") + *query;
  } else {
    auto xml = saml::buildAuthnRequest(in, key, sp.cert.get(), alg);
    if (!xml) throw CliError((key ? "sign: " : "authn-request: ") + xml.error().detail);
    out.xml = *xml;
    out.url = ssoUrl;
    out.fields.emplace_back("SAMLRequest", base64Encode(out.xml));
    if (out.relayState) out.fields.emplace_back("RelayState", *out.relayState);
  }
  return out;
}

}  // namespace propusk::cli::samlflow
