#include "idp/sso/gateway.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <sstream>

#include "idp/core/clock.h"
#include "idp/core/json_text.h"
#include "idp/core/printable.h"
#include "idp/crypto/digest.h"
#include "idp/policy/account_status.h"
#include "idp/saml/bindings/redirect.h"
#include "idp/saml/build/authn_request.h"
#include "idp/xml/dom.h"
#include "idp/xml/namespaces.h"
#include "idp/xml/parser.h"

namespace propusk::sso {

namespace {

constexpr std::string_view kTransient = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";

std::string hashToken(std::string_view token) { return crypto::toHex(crypto::sha256(token)); }

std::string stringify(const Poco::JSON::Object& o) {
  std::ostringstream ss;
  o.stringify(ss);
  return ss.str();
}

Poco::JSON::Array toArray(const std::vector<std::string>& v) {
  Poco::JSON::Array a;
  for (auto& x : v) a.add(x);
  return a;
}

std::vector<std::string> fromArray(const Poco::JSON::Object::Ptr& o, const char* name) {
  std::vector<std::string> v;
  if (auto a = o->getArray(name))
    for (std::size_t i = 0; i < a->size(); ++i) v.push_back(a->getElement<std::string>(i));
  return v;
}

// An upstream's second-level status, passed on to the SP when it is one a proxy may relay
// (core §3.2.2.2); anything else becomes AuthnFailed.
std::string_view relayedStatus(const std::vector<std::string>& codes) {
  if (codes.size() < 2) return status::kAuthnFailed;
  for (auto known : {status::kNoPassive, status::kNoAuthnContext, status::kAuthnFailed, status::kRequestDenied,
                     status::kUnknownPrincipal, status::kInvalidNameIDPolicy, status::kProxyCountExceeded,
                     status::kNoAvailableIDP, status::kNoSupportedIDP})
    if (codes[1] == known) return known;
  return status::kAuthnFailed;
}

bool sameName(const std::optional<std::string>& mapped, std::string_view stored) {
  if (!mapped) return true;  // not sent: nothing to contradict
  // Names are compared as the validators normalised them; case is not identity.
  auto lower = [](std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
  };
  return lower(*mapped) == lower(stored);
}

struct PendingUpstream {
  std::string upstream;
  std::string requestId;
  std::string browserHash;
  PendingRequest downstream;
};

std::string encodePendingUpstream(const PendingUpstream& p) {
  Poco::JSON::Object o;
  o.set("upstream", p.upstream);
  o.set("request_id", p.requestId);
  o.set("browser", p.browserHash);
  o.set("downstream", encodePending(p.downstream));
  return stringify(o);
}

std::optional<PendingUpstream> decodePendingUpstream(std::string_view json) {
  try {
    Poco::JSON::Parser parser;
    auto o = parser.parse(std::string(json)).extract<Poco::JSON::Object::Ptr>();
    PendingUpstream p;
    p.upstream = o->getValue<std::string>("upstream");
    p.requestId = o->getValue<std::string>("request_id");
    p.browserHash = o->getValue<std::string>("browser");
    auto downstream = decodePending(o->getValue<std::string>("downstream"));
    if (!downstream) return std::nullopt;
    p.downstream = std::move(*downstream);
    return p;
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

}  // namespace

policy::AccountStatus effectiveStatus(const store::User& user, const store::Session& session) {
  if (session.upstream.empty()) return user.status;
  auto up = decodeUpstreamSession(session.upstreamData);
  // Unreadable: the least, never more than was proven.
  return up ? std::min(user.status, up->level) : policy::AccountStatus::Simplified;
}

bool upstreamSatisfies(const PendingRequest& request, std::string_view classRef) {
  return policy::satisfies(classRef, request.requested());
}

std::string upstreamPendingKey(std::string_view relayState) { return "upstream." + std::string(relayState); }

std::string encodeUpstreamSession(const UpstreamSession& s) {
  Poco::JSON::Object o;
  o.set("entity_id", s.entityId);
  o.set("name_id", s.nameId);
  o.set("name_id_format", s.nameIdFormat);
  if (s.nameQualifier) o.set("name_qualifier", *s.nameQualifier);
  if (s.spNameQualifier) o.set("sp_name_qualifier", *s.spNameQualifier);
  if (s.sessionIndex) o.set("session_index", *s.sessionIndex);
  o.set("authn_context", s.authnContextClassRef);
  o.set("authorities", toArray(s.authenticatingAuthorities));
  if (s.proxyCount) o.set("proxy_count", static_cast<Poco::Int64>(*s.proxyCount));
  o.set("level", std::string(policy::accountStatusName(s.level)));
  auto secs = [](TimePoint t) { return static_cast<Poco::Int64>(t.time_since_epoch().count()); };
  if (s.authnInstant) o.set("authn_instant", secs(*s.authnInstant));
  if (s.sessionNotOnOrAfter) o.set("session_not_on_or_after", secs(*s.sessionNotOnOrAfter));
  return stringify(o);
}

std::optional<UpstreamSession> decodeUpstreamSession(std::string_view json) {
  try {
    Poco::JSON::Parser parser;
    auto o = parser.parse(std::string(json)).extract<Poco::JSON::Object::Ptr>();
    UpstreamSession s;
    s.entityId = o->getValue<std::string>("entity_id");
    s.nameId = o->getValue<std::string>("name_id");
    s.nameIdFormat = o->getValue<std::string>("name_id_format");
    if (o->has("name_qualifier")) s.nameQualifier = o->getValue<std::string>("name_qualifier");
    if (o->has("sp_name_qualifier")) s.spNameQualifier = o->getValue<std::string>("sp_name_qualifier");
    if (o->has("session_index")) s.sessionIndex = o->getValue<std::string>("session_index");
    s.authnContextClassRef = o->getValue<std::string>("authn_context");
    s.authenticatingAuthorities = fromArray(o, "authorities");
    if (o->has("proxy_count")) s.proxyCount = static_cast<unsigned>(o->getValue<Poco::Int64>("proxy_count"));
    auto level = policy::parseAccountStatus(o->optValue<std::string>("level", "simplified"));
    if (!level) return std::nullopt;
    s.level = *level;
    auto time = [&](const char* name) -> std::optional<TimePoint> {
      if (!o->has(name)) return std::nullopt;
      return TimePoint{std::chrono::seconds(o->getValue<Poco::Int64>(name))};
    };
    s.authnInstant = time("authn_instant");
    s.sessionNotOnOrAfter = time("session_not_on_or_after");
    return s;
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

std::vector<std::shared_ptr<const RegisteredUpstream>> Gateway::allowedFor(const saml::RegisteredSp& sp,
                                                                           const PendingRequest& request) {
  std::vector<std::shared_ptr<const RegisteredUpstream>> out;
  if (sp.upstreams.empty()) return out;
  if (request.proxyCount && *request.proxyCount == 0) return out;  // the SP forbids proxying
  const bool all = std::find(sp.upstreams.begin(), sp.upstreams.end(), "*") != sp.upstreams.end();
  for (auto& up : upstreams_.list()) {
    if (!all && std::find(sp.upstreams.begin(), sp.upstreams.end(), up->name()) == sp.upstreams.end()) continue;
    if (!request.idpList.empty() &&
        std::find(request.idpList.begin(), request.idpList.end(), up->entityId()) == request.idpList.end())
      continue;
    out.push_back(up);
  }
  return out;
}

bool Gateway::localLoginFor(const saml::RegisteredSp& sp, const PendingRequest& request) const {
  if (!sp.localLogin || request.localCannotSatisfy) return false;
  return request.idpList.empty() ||
         std::find(request.idpList.begin(), request.idpList.end(), settings_.idpEntityId) != request.idpList.end();
}

Result<UpstreamStart> Gateway::start(const RegisteredUpstream& up, const PendingRequest& downstream) {
  const saml::Endpoint* sso = saml::findEndpoint(up.metadata.singleSignOnServices, saml::kBindingRedirect);
  const bool redirect = sso != nullptr;
  if (!sso) sso = saml::findEndpoint(up.metadata.singleSignOnServices, saml::kBindingPost);
  if (!sso)
    return responderError("upstream " + up.name() + " has no SingleSignOnService for HTTP-Redirect or HTTP-POST");

  const auto now = clock_.now();
  saml::AuthnRequestInput in;
  in.id = random_.samlId();
  in.issueInstant = now;
  in.issuer = settings_.spEntityId;
  in.destination = sso->location;
  in.acsUrl = settings_.acsUrl;
  in.protocolBinding = std::string(saml::kBindingPost);
  in.nameIdPolicy = saml::NameIDPolicy{std::nullopt, std::nullopt, true};
  if (!downstream.requestedClassRefs.empty())
    in.requestedAuthnContext = saml::RequestedAuthnContext{
        saml::parseComparison(downstream.requestedComparison).value_or(saml::AuthnContextComparison::Exact),
        downstream.requestedClassRefs};
  in.forceAuthn = downstream.forceAuthn;
  in.isPassive = downstream.isPassive;
  // core §3.4.1.5.1: one proxy step spent; the SP joins the requesters the upstream sees.
  saml::Scoping scoping;
  if (downstream.proxyCount) scoping.proxyCount = *downstream.proxyCount - 1;
  scoping.requesterIds = downstream.requesterIds;
  scoping.requesterIds.push_back(downstream.spEntityId);
  in.scoping = std::move(scoping);

  auto key = keys_.active();
  UpstreamStart out;
  const std::string relayState = random_.token(24);
  out.message.id = in.id;
  out.message.relayState = relayState;
  out.destination = sso->location;
  out.requestId = in.id;
  if (redirect) {
    // bindings §3.4.4.1: the query is signed, the XML in it is not.
    auto xml = saml::buildAuthnRequest(in);
    if (!xml) return std::unexpected(xml.error());
    auto query = saml::encodeRedirect("SAMLRequest", *xml, relayState, key->key.get(), key->algorithm);
    if (!query) return std::unexpected(query.error());
    out.message.binding = saml::Binding::Redirect;
    out.message.xml = std::move(*xml);
    out.message.redirectUrl = sso->location + (sso->location.find('?') == std::string::npos ? "?" : "&") + *query;
  } else {
    auto xml = saml::buildAuthnRequest(in, key->key.get(), key->cert.get(), key->algorithm);
    if (!xml) return std::unexpected(xml.error());
    out.message.binding = saml::Binding::Post;
    out.message.xml = std::move(*xml);
    out.message.formField = "SAMLRequest";
  }
  out.browserToken = random_.token(24);
  store_.putPendingRequest(upstreamPendingKey(relayState),
                           encodePendingUpstream({up.name(), in.id, hashToken(out.browserToken), downstream}),
                           now + settings_.requestLifetime);
  return out;
}

std::expected<UpstreamLogin, UpstreamRefusal> Gateway::finish(std::string_view xml,
                                                             const std::optional<std::string>& relayState,
                                                             const std::optional<std::string>& browserToken,
                                                             const std::string& /*remote*/) {
  const auto now = clock_.now();
  auto refuse = [](std::string upstream, std::string step, std::string detail,
                   std::optional<PendingRequest> downstream = std::nullopt) {
    return std::unexpected(UpstreamRefusal{std::move(upstream), std::move(step),
                                           Error{StatusCode::Requester, status::kRequestDenied, std::move(detail)},
                                           std::move(downstream)});
  };
  if (!relayState || relayState->empty())
    return refuse("-", "relay-state", "the Response came without the RelayState we sent with the AuthnRequest");
  if (relayState->size() > 64) return refuse("-", "relay-state", "a RelayState we never sent (too long)");
  auto data = store_.getPendingRequest(upstreamPendingKey(*relayState), now);
  auto pending = data ? decodePendingUpstream(*data) : std::nullopt;
  if (!pending)
    return refuse("-", "relay-state",
                  "no upstream login waits for this RelayState (finished, expired, or never started here)");
  auto up = upstreams_.find(pending->upstream);
  if (!up)
    return refuse(pending->upstream, "upstream", "the upstream is no longer registered, or its metadata expired",
                  pending->downstream);
  // The pending request is this browser's only if it holds the token set when it left.
  if (!browserToken || hashToken(*browserToken) != pending->browserHash)
    return refuse(pending->upstream, "browser",
                  "the Response answers a login started in another browser (its InResponseTo is not this "
                  "browser's request)",
                  pending->downstream);

  saml::sp::ResponseExpectations ex;
  ex.idpEntityId = up->entityId();
  auto certs = up->signingCertificates();
  ex.idpCertificates = certs;
  ex.spEntityId = settings_.spEntityId;
  ex.acsUrl = settings_.acsUrl;
  ex.requestId = pending->requestId;
  ex.now = now;
  ex.clockSkew = settings_.clockSkew;
  ex.allowSha1 = up->row.allowSha1;
  ex.willProxy = true;
  auto loaded = keys_.published();
  std::vector<const EVP_PKEY*> decryptWith;
  for (auto& k : loaded) decryptWith.push_back(k->key.get());
  ex.decryptionKeys = decryptWith;
  const std::string replayPrefix = "upstream\n" + up->entityId() + "\n";
  ex.rememberOnce = [&](std::string_view id, TimePoint until) {
    // Kept as long as the verifier would still accept the assertion (its NotOnOrAfter + skew).
    return replay_.remember(replayPrefix + std::string(id), std::max(until, now), now) ==
           saml::Remembered::First;
  };
  ex.requireResponse = true;  // the Web Browser SSO profile sends a samlp:Response
  auto v = saml::sp::verifyResponse(xml, ex);
  if (!v.ok()) {
    UpstreamRefusal r{up->name(), std::string(*v.failedStep),
                      Error{StatusCode::Requester, status::kRequestDenied, v.failure}, pending->downstream};
    // Proven to come from the upstream only when one of its signatures verified (an error
    // Response, or an empty one, may pass the signature step unsigned).
    r.authenticated = v.signatureVerified;
    if (v.statusNotSuccess()) {
      // The upstream's answer (verified where signed) ends this login: the SP gets the error,
      // and no later Response may answer the same request again.
      store_.removePendingRequest(upstreamPendingKey(*relayState));
      r.upstreamStatus = true;
      r.error = Error{StatusCode::Responder, relayedStatus(v.statusCodes), v.failure};
    }
    if (*v.failedStep == "signature" && !up->row.allowSha1 && v.failure.find("SHA-1") != std::string::npos)
      r.error.remedy = "the upstream signs with SHA-1: configure it for SHA-256, or `propuskctl upstream set " +
                       up->name() + " --allow-sha1 yes`";
    return std::unexpected(std::move(r));
  }
  // One answer per request: a second Response for it (even a fresh one) finds nothing.
  store_.removePendingRequest(upstreamPendingKey(*relayState));
  auto refuseVerified = [&](std::string step, std::string detail) {
    UpstreamRefusal r{up->name(), std::move(step), Error{StatusCode::Requester, status::kRequestDenied, std::move(detail)},
                      pending->downstream};
    r.authenticated = true;
    return std::unexpected(std::move(r));
  };
  // ForceAuthn was passed on; an upstream that answers from an old session anyway must not
  // make the SP believe the person just proved who they are (core §3.4.1).
  if (pending->downstream.forceAuthn &&
      (!v.authnInstant || *v.authnInstant + settings_.clockSkew < pending->downstream.createdAt))
    return refuseVerified("authn-statement", "the SP asked for ForceAuthn and the upstream's AuthnInstant " +
                                                 (v.authnInstant ? formatXsDateTime(*v.authnInstant) : std::string("(none)")) +
                                                 " is older than the request");
  // The NameID keys the account link: it must be kept exactly, not a cleaned-up version.
  if (v.nameId.size() > 256 || printable(v.nameId, 256) != v.nameId)
    return refuseVerified("subject", "a NameID longer than 256 bytes or with control or invisible characters");

  std::vector<identity::UpstreamAttribute> attributes;
  for (auto& a : v.attributes) attributes.push_back({a.name, a.friendlyName, a.values});
  auto person = identity::applyAttributeMap(up->map, attributes);
  if (!person) return refuseVerified("attributes", person.error().detail);

  UpstreamLogin login;
  auto user = account(*up, *person, v, login.link, pending->downstream);
  if (!user) return std::unexpected(std::move(user.error()));
  login.user = std::move(*user);
  login.upstream = up;
  login.downstream = std::move(pending->downstream);
  login.assertionId = v.assertionId;
  login.session.entityId = up->entityId();
  login.session.nameId = v.nameId;
  login.session.nameIdFormat = v.nameIdFormat;
  login.session.nameQualifier = v.nameQualifier;
  login.session.spNameQualifier = v.spNameQualifier;
  login.session.sessionIndex = v.sessionIndex;
  login.session.authnContextClassRef =
      v.authnContextClassRef.value_or("urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified");
  login.session.authenticatingAuthorities = v.authenticatingAuthorities;
  login.session.authenticatingAuthorities.push_back(up->entityId());
  // The verifier refused Count 0 (willProxy); ours may allow one indirection less.
  if (v.proxyCount) login.session.proxyCount = *v.proxyCount - 1;
  login.session.level = up->row.level;
  login.session.authnInstant = v.authnInstant;
  login.session.sessionNotOnOrAfter = v.sessionNotOnOrAfter;
  return login;
}

std::expected<store::User, UpstreamRefusal> Gateway::account(const RegisteredUpstream& up,
                                                             const identity::MappedPerson& person,
                                                             const saml::sp::ResponseVerification& v,
                                                             std::string& link, const PendingRequest& downstream) {
  auto refuse = [&](std::string detail) {
    UpstreamRefusal r{up.name(), "link", Error{StatusCode::Responder, status::kAuthnFailed, std::move(detail)},
                      downstream};
    r.authenticated = true;
    return std::unexpected(std::move(r));
  };
  // A transient NameID names nobody the next time: it is never a link.
  const bool stable = v.nameIdFormat != kTransient && !v.nameId.empty();
  const std::string subject = printable(v.nameId, 256);
  // The person as the account must agree with what the upstream says now.
  auto contradiction = [&](const store::User& u) -> std::optional<std::string> {
    if (!sameName(person.surname, u.surname) || !sameName(person.givenName, u.givenName))
      return "the upstream's name for the person contradicts account " + u.login;
    if (person.snils && u.snils && *person.snils != *u.snils)
      return "the upstream's SNILS contradicts account " + u.login;
    if (person.inn && u.inn && *person.inn != *u.inn) return "the upstream's INN contradicts account " + u.login;
    return std::nullopt;
  };
  const std::string upstreamJson = R"({"upstream":)" + jsonString(up.name()) + R"(,"subject":)" + jsonString(subject);

  if (stable) {
    if (auto existing = store_.findAccountLink(up.name(), subject)) {
      auto u = store_.findUser(existing->login);
      if (!u) return refuse("the account linked to this subject is gone");
      if (u->locked) return refuse("account " + u->login + " is locked");
      if (auto why = contradiction(*u)) return refuse(*why);
      link = "linked";
      return *u;
    }
  }

  std::optional<std::string> key;
  switch (up.row.linkBy) {
    case store::LinkKey::Snils: key = person.snils; break;
    case store::LinkKey::Inn: key = person.inn; break;
    case store::LinkKey::Email: key = person.email; break;
    case store::LinkKey::None: break;
  }
  const std::string keyName(store::linkKeyName(up.row.linkBy));
  if (up.row.linkBy != store::LinkKey::None) {
    if (!key) return refuse("the upstream sent no " + keyName + " to find the account by (--link-by " + keyName + ")");
    auto candidates = store_.findUsersByKey(up.row.linkBy, *key);
    if (candidates.size() > 1)
      return refuse(std::to_string(candidates.size()) + " accounts have this " + keyName + ": " + candidates[0].login +
                    ", " + candidates[1].login + (candidates.size() > 2 ? ", ..." : ""));
    if (candidates.size() == 1) {
      auto& u = candidates[0];
      if (auto why = contradiction(u)) return refuse(*why);
      if (u.locked) return refuse("account " + u.login + " is locked");
      // Whoever this upstream lets claim a SNILS, INN or e-mail must not get an account verified
      // beyond what the upstream vouches for (a simplified upstream claiming a confirmed
      // account's SNILS would take it over).
      if (u.status > up.row.level)
        return refuse("account " + u.login + " is " + std::string(policy::accountStatusName(u.status)) +
                      ", above what upstream " + up.name() + " vouches for (" +
                      std::string(policy::accountStatusName(up.row.level)) + "): not linked by " + keyName);
      for (auto& l : store_.listAccountLinks(u.id)) {
        // One subject per upstream and account: a second one from the same upstream is somebody else.
        if (l.upstream == up.name())
          return refuse("account " + u.login + " is linked to another subject of this upstream");
        // An account an upstream of a lower level created or linked is not handed to a person
        // proving themselves at a higher one (its data were never vouched for that far).
        if (auto other = store_.findUpstream(l.upstream); !other || other->level < up.row.level)
          return refuse("account " + u.login + " is linked to upstream " + l.upstream +
                        ", which vouches for less than " + up.name());
      }
      if (stable &&
          !store_.addAccountLink({up.name(), subject, u.id, u.login, clock_.now()},
                                 {"gateway", "account.link", u.login, "ok",
                                  upstreamJson + R"(,"by":)" + jsonString(keyName) + "}"}))
        return refuse("the subject was linked to another account meanwhile");
      link = stable ? "linked-by-" + keyName : "found-by-" + keyName;
      return u;
    }
  } else if (!stable) {
    return refuse("a transient NameID and --link-by none: nothing finds this person's account again");
  }

  // A new account, at the level the upstream vouches for and no higher.
  if (!person.surname || !person.givenName)
    return refuse(std::string("a new account needs a surname and a given name; the upstream sent ") +
                  (person.surname ? "no given name" : "no surname") + " (check the map: sn, givenName or displayName)");
  store::User u;
  u.uid = random_.token(24);
  u.login = up.name() + "." + random_.hex(6);
  u.surname = *person.surname;
  u.givenName = *person.givenName;
  u.middleName = person.middleName;
  u.inn = person.inn;
  u.snils = person.snils;
  u.email = person.email;
  // Contacts count as confirmed only from an upstream that checks identities (standard or
  // above): a simplified one could plant somebody else's e-mail to be linked by later.
  const bool vouched = up.row.level >= policy::AccountStatus::Standard;
  u.emailConfirmed = person.email.has_value() && vouched;
  u.phone = person.phone;
  u.phoneConfirmed = person.phone.has_value() && vouched;
  u.status = up.row.level;
  u.passwordHash = "!upstream";  // no local password: verifyPassword never accepts it
  u.createdAt = u.updatedAt = clock_.now();
  store::AuditRecord created{"gateway", "user.create", u.login, "ok",
                             upstreamJson + R"(,"status":)" + jsonString(policy::accountStatusName(u.status)) + "}"};
  store::UserConflict conflict;
  if (stable) {
    store::AuditRecord linked{"gateway", "account.link", u.login, "ok", upstreamJson + R"(,"by":"created"})"};
    const store::AuditRecord audits[] = {created, linked};
    conflict = store_.addLinkedUser(u, {up.name(), subject, 0, u.login, u.createdAt}, audits);
  } else {
    conflict = store_.addUser(u, created);
  }
  switch (conflict) {
    case store::UserConflict::None: break;
    case store::UserConflict::Inn: return refuse("another account has this INN (and --link-by is " + keyName + ")");
    case store::UserConflict::Snils: return refuse("another account has this SNILS (and --link-by is " + keyName + ")");
    case store::UserConflict::Login: return refuse("the generated login was taken; try again");
    case store::UserConflict::Link: return refuse("the subject was linked to another account meanwhile");
  }
  link = stable ? "created" : "created-unlinked";
  return u;
}

namespace {
// HTTP-Redirect first (what every upstream here offers), then HTTP-POST.
const saml::Endpoint* upstreamSlo(const RegisteredUpstream& up, saml::Binding& binding) {
  if (auto* ep = saml::findEndpoint(up.metadata.singleLogoutServices, saml::kBindingRedirect)) {
    binding = saml::Binding::Redirect;
    return ep;
  }
  binding = saml::Binding::Post;
  return saml::findEndpoint(up.metadata.singleLogoutServices, saml::kBindingPost);
}
}  // namespace

std::string Gateway::claimedUpstream(std::string_view xmlText) {
  auto doc = xml::parseSecure(xmlText, saml::sp::responseParseLimits());
  if (!doc) return "-";
  xmlNode* root = xmlDocGetRootElement(doc->get());
  xmlNode* issuer = xml::child(root, xml::ns::kSaml, "Issuer");
  if (!issuer)
    if (xmlNode* a = xml::child(root, xml::ns::kSaml, "Assertion")) issuer = xml::child(a, xml::ns::kSaml, "Issuer");
  if (!issuer) return "-";
  auto up = upstreams_.findByEntityId(xml::trimmedText(issuer));
  return up ? up->name() : "-";
}

Result<saml::OutgoingMessage> Gateway::logoutRequest(LogoutTarget& target, std::string& destination) {
  auto up = upstreams_.find(target.spEntityId);
  if (!up) return responderError("upstream " + target.spEntityId + " is no longer registered");
  saml::Binding binding{};
  const saml::Endpoint* ep = upstreamSlo(*up, binding);
  if (!ep) return responderError("upstream " + up->name() + " has no SingleLogoutService for HTTP-Redirect or HTTP-POST");
  auto session = decodeUpstreamSession(target.upstreamData);
  saml::LogoutRequestInput in;
  in.issuer = settings_.spEntityId;
  in.destination = ep->location;
  // Exactly the NameID the upstream gave (core §3.7.1: value and qualifiers).
  in.nameId.value = target.nameId;
  if (!target.nameIdFormat.empty()) in.nameId.format = target.nameIdFormat;
  if (session) {
    in.nameId.nameQualifier = session->nameQualifier;
    in.nameId.spNameQualifier = session->spNameQualifier;
  }
  if (!target.sessionIndex.empty()) in.sessionIndexes.push_back(target.sessionIndex);
  in.now = clock_.now();
  in.relayState = target.relayState;
  in.id = random_.samlId();
  auto key = keys_.active();
  auto msg = saml::buildLogoutRequest(in, binding, {key->key.get(), key->cert.get(), key->algorithm}, random_);
  if (!msg) return msg;
  target.requestId = msg->id;
  destination = ep->location;
  return msg;
}

Result<saml::OutgoingMessage> Gateway::logoutResponse(const RegisteredUpstream& up, saml::Binding preferred,
                                                      const std::string& inResponseTo, StatusCode top,
                                                      std::string_view second,
                                                      const std::optional<std::string>& relayState,
                                                      std::string& destination) {
  saml::Binding binding = preferred == saml::Binding::Post ? saml::Binding::Post : saml::Binding::Redirect;
  std::string_view uri = binding == saml::Binding::Post ? saml::kBindingPost : saml::kBindingRedirect;
  const saml::Endpoint* ep = saml::findEndpoint(up.metadata.singleLogoutServices, uri);
  if (!ep) ep = upstreamSlo(up, binding);
  if (!ep) return responderError("upstream " + up.name() + " has no SingleLogoutService to answer at");
  saml::LogoutResponseInput in;
  in.issuer = settings_.spEntityId;
  in.destination = std::string(saml::responseLocationOf(*ep));
  in.inResponseTo = inResponseTo;
  in.top = top;
  in.second = second;
  in.now = clock_.now();
  in.relayState = relayState;
  auto key = keys_.active();
  auto msg = saml::buildLogoutResponse(in, binding, {key->key.get(), key->cert.get(), key->algorithm}, random_);
  if (msg) destination = in.destination;
  return msg;
}

}  // namespace propusk::sso
