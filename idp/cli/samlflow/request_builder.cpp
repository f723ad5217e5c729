#include "idp/cli/samlflow/request_builder.h"

#include <sstream>

#include "idp/core/base64.h"
#include "idp/saml/bindings/redirect.h"
#include "idp/saml/build/logout.h"
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

Binding parseBinding(const ParsedArgs& args, bool soap) {
  std::string binding = args.get("binding").value_or("redirect");
  if (binding == "redirect") return Binding::Redirect;
  if (binding == "post") return Binding::Post;
  if (soap && binding == "soap") return Binding::Soap;
  throw UsageError("binding: redirect" + std::string(soap ? ", post or soap" : " or post") + ", not '" + binding + "'");
}

std::string_view bindingUri(Binding b) {
  switch (b) {
    case Binding::Redirect: return saml::kBindingRedirect;
    case Binding::Post: return saml::kBindingPost;
    case Binding::Soap: return saml::kBindingSoap;
  }
  return {};
}

// Where the request goes: --destination, else the IdP metadata's endpoint for the binding.
std::string idpEndpoint(const ParsedArgs& args, const saml::IdpMetadata* idp,
                        std::vector<saml::Endpoint> saml::IdpMetadata::*endpoints, Binding binding,
                        const std::string& service) {
  if (auto d = args.get("destination")) {
    if (!saml::isAbsoluteHttpUrl(*d)) throw UsageError("destination: an absolute http(s) URL");
    return *d;
  }
  if (!idp) throw UsageError("idp-metadata: required (or --destination URL)");
  const saml::Endpoint* e = saml::findEndpoint(idp->*endpoints, bindingUri(binding));
  if (!e)
    throw CliError("binding: the IdP metadata has no " + std::string(bindingUri(binding)) + " " + service +
                   " (an endpoint it does not list can be given with --destination URL)");
  return e->location;
}

// The SP's key unless --no-sign, and the algorithm: --sig-alg, else the key's default.
struct Signer {
  const EVP_PKEY* key = nullptr;
  crypto::SignatureAlgorithm algorithm = crypto::SignatureAlgorithm::RsaSha256;
};

Signer signerFrom(const ParsedArgs& args, const SpIdentity& sp, SentRequest& out) {
  Signer s;
  s.key = args.has("no-sign") ? nullptr : sp.key.get();
  if (s.key) s.algorithm = crypto::defaultAlgorithmFor(s.key);
  if (auto a = args.get("sig-alg")) s.algorithm = parseSigAlg(*a);
  out.signedRequest = s.key != nullptr;
  if (s.key) out.algorithm = s.algorithm;
  return s;
}

}  // namespace

std::string_view bindingName(Binding b) {
  switch (b) {
    case Binding::Redirect: return "redirect";
    case Binding::Post: return "post";
    case Binding::Soap: return "soap";
  }
  return {};
}

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
  out.binding = parseBinding(args, false);
  std::string ssoUrl = idpEndpoint(args, idp, &saml::IdpMetadata::singleSignOnServices, out.binding, "SingleSignOnService");

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

  auto [key, alg] = signerFrom(args, sp, out);

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

SentRequest buildLogoutRequestFromOptions(Env& env, const ParsedArgs& args, const SpIdentity& sp,
                                          const saml::IdpMetadata* idp) {
  SentRequest out;
  out.binding = parseBinding(args, true);
  auto value = args.get("name-id");
  if (!value || value->empty()) throw UsageError("name-id: required (the NameID the IdP issued, as 'samlflow login' prints it)");
  out.relayState = args.get("relay-state");
  // bindings §3.2: SOAP carries the message alone; RelayState belongs to the front channel.
  if (out.binding == Binding::Soap && out.relayState) throw UsageError("relay-state: not with --binding soap");
  std::string sloUrl = idpEndpoint(args, idp, &saml::IdpMetadata::singleLogoutServices, out.binding, "SingleLogoutService");

  saml::LogoutRequestInput in;
  in.id = args.get("id");
  in.issuer = args.get("issuer").value_or(sp.metadata.entityId);
  in.destination = sloUrl;
  in.now = env.clock.now();
  // profiles §4.4.4.1: the NameID as the assertion carried it, every qualifier included.
  in.nameId.value = *value;
  if (auto f = args.get("name-id-format")) in.nameId.format = nameIdFormatUri(*f);
  in.nameId.nameQualifier = args.get("name-qualifier");
  in.nameId.spNameQualifier = args.get("sp-name-qualifier");
  if (auto s = args.get("session-index")) {
    in.sessionIndexes = splitComma(*s);
    if (in.sessionIndexes.empty()) throw UsageError("session-index: give IDX[,IDX]");
  }
  std::string reason = args.get("reason").value_or("user");
  if (reason == "user") reason = std::string(saml::kLogoutReasonUser);
  else if (reason == "admin") reason = std::string(saml::kLogoutReasonAdmin);
  else if (!reason.empty() && reason.find(':') == std::string::npos)
    throw UsageError("reason: user, admin or a URI (core §3.7.3.1), not '" + reason + "'");
  in.reason = reason;  // empty: no Reason attribute
  in.relayState = out.relayState;
  // The tester decides: an SP without a key (or --no-sign) sends the request unsigned.
  in.allowUnsigned = true;

  auto [key, alg] = signerFrom(args, sp, out);
  saml::MessageSigning signing{key, key ? sp.cert.get() : nullptr, alg};
  saml::Binding binding = out.binding == Binding::Redirect ? saml::Binding::Redirect
                          : out.binding == Binding::Post   ? saml::Binding::Post
                                                           : saml::Binding::Soap;
  auto msg = saml::buildLogoutRequest(in, binding, signing, env.random);
  if (!msg) throw CliError((key ? "sign: " : "logout-request: ") + msg.error().detail);
  out.id = msg->id;
  out.xml = msg->xml;
  if (out.binding == Binding::Redirect) {
    out.url = msg->redirectUrl;
  } else {
    out.url = sloUrl;
    if (out.binding == Binding::Post) {
      out.fields.emplace_back("SAMLRequest", base64Encode(out.xml));
      if (out.relayState) out.fields.emplace_back("RelayState", *out.relayState);
    }
  }
  return out;
}

}  // namespace propusk::cli::samlflow
