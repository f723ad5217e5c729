// propuskctl session list / kill: an operator's view of SSO sessions, and ending them with
// Single Logout over the back channel (sso/logout_service.h; no browser is there to carry
// front-channel requests, so those SPs are reported as not reached).
#include <Poco/JSON/Array.h>

#include "idp/cli/commands.h"
#include "idp/identity/validators.h"
#include "idp/sso/logout_service.h"
#include "idp/store/memory_replay_cache.h"
#include "idp/store/store_sp_directory.h"
#include "idp/web/soap_client.h"

namespace propusk::cli {

namespace {

constexpr std::size_t kShownIdLength = 16;  // of the hex SHA-256 the store keys sessions by
constexpr std::size_t kMinIdPrefix = 8;

std::string shownId(const store::Session& s) { return s.idHash.substr(0, kShownIdLength); }

std::optional<std::string> loginOption(const ParsedArgs& args) {
  auto v = args.get("user");
  if (!v) return std::nullopt;
  auto login = identity::normalizeLogin(*v);
  if (!login) throw CliError("user: " + login.error().detail);
  return *login;
}

Poco::JSON::Object::Ptr sessionJson(const store::Session& s, const std::vector<store::SessionParticipant>& ps) {
  auto o = newJsonObject();
  o->set("id", shownId(s));
  o->set("login", s.login);
  o->set("created", formatXsDateTime(s.createdAt));
  o->set("last_seen", formatXsDateTime(s.lastSeenAt));
  o->set("authn_instant", formatXsDateTime(s.authnInstant));
  o->set("authn_context", s.authnContextClassRef);
  Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
  for (auto& p : ps) {
    auto j = newJsonObject();
    j->set("sp", p.spEntityId);
    j->set("name_id_format", p.nameIdFormat);
    j->set("session_index", p.sessionIndex);
    j->set("issued", formatXsDateTime(p.issuedAt));
    arr->add(j);
  }
  o->set("participants", arr);
  return o;
}

}  // namespace

int cmdSessionList(Context& ctx, const ParsedArgs& args) {
  auto login = loginOption(args);
  auto& store = ctx.store();
  if (login && !store.findUser(*login)) throw CliError("user: no such user '" + *login + "'");
  auto sessions = login ? store.listSessions(*login) : store.listSessions();
  if (ctx.json) {
    Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
    for (auto& s : sessions) arr->add(sessionJson(s, store.listSessionParticipants(s.idHash)));
    ctx.printJson(arr);
    return 0;
  }
  if (sessions.empty()) {
    ctx.io.out << "no sessions\n";
    return 0;
  }
  for (auto& s : sessions) {
    auto ps = store.listSessionParticipants(s.idHash);
    ctx.io.out << shownId(s) << "  " << s.login << "  created " << formatXsDateTime(s.createdAt) << "  last seen "
               << formatXsDateTime(s.lastSeenAt) << "  SPs: ";
    if (ps.empty()) ctx.io.out << "-";
    for (std::size_t i = 0; i < ps.size(); ++i) ctx.io.out << (i ? ", " : "") << ps[i].spEntityId;
    ctx.io.out << "\n";
  }
  return 0;
}

int cmdSessionKill(Context& ctx, const ParsedArgs& args) {
  auto login = loginOption(args);
  if (login.has_value() == !args.positional.empty())
    throw UsageError("session kill: give either a session ID or --user LOGIN");
  auto& store = ctx.store();
  std::vector<store::Session> targets;
  if (login) {
    if (!store.findUser(*login)) throw CliError("user: no such user '" + *login + "'");
    targets = store.listSessions(*login);
  } else {
    const std::string& id = args.positional[0];
    if (id.size() < kMinIdPrefix || id.find_first_not_of("0123456789abcdef") != std::string::npos)
      throw CliError("ID: must be at least " + std::to_string(kMinIdPrefix) +
                     " lowercase hex digits of a session ID from 'session list'");
    for (auto& s : store.listSessions())
      if (s.idHash.starts_with(id)) targets.push_back(s);
    if (targets.empty()) throw CliError("ID: no session starts with " + id);
    if (targets.size() > 1) throw CliError("ID: " + id + " matches " + std::to_string(targets.size()) + " sessions; give more digits");
  }

  // Speak as the IdP the server runs as, unless this command was told otherwise.
  if (!ctx.config.publicUrlGiven) {
    if (auto url = store.getSetting(config::kServedPublicUrlSetting)) ctx.config.publicUrl = *url;
    if (auto id = store.getSetting(config::kServedEntityIdSetting); id && ctx.config.entityId.empty()) ctx.config.entityId = *id;
  }
  store::StoreSpDirectory sps(store, ctx.clock);
  store::MemoryReplayCache replay;
  sso::SigningKeys keys(store, ctx.clock);
  web::SoapClient soap(ctx.config.backChannelPrivateNetworks);
  sso::LogoutSettings settings;
  settings.idpEntityId = ctx.config.idpEntityId();
  settings.sloUrl = ctx.config.publicUrl + "/saml/slo";
  settings.soapUrl = ctx.config.publicUrl + "/saml/soap";
  settings.clockSkew = ctx.config.clockSkew;
  settings.soapTimeout = ctx.config.backChannelTimeout;
  sso::LogoutService logout(store, sps, replay, keys, ctx.clock, ctx.random, soap, settings);

  Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
  for (auto& s : targets) {
    auto flow = logout.begin(s, std::nullopt, ctx.actor, true, false);
    logout.finish(flow);
    auto o = newJsonObject();
    o->set("id", shownId(s));
    o->set("login", s.login);
    o->set("complete", !flow.partial());
    Poco::JSON::Array::Ptr reached = new Poco::JSON::Array;
    for (auto& t : flow.targets) {
      auto j = newJsonObject();
      j->set("sp", t.spEntityId);
      j->set("channel", std::string(sso::channelName(t.channel)));
      j->set("outcome", std::string(sso::outcomeName(t.outcome)));
      if (!t.detail.empty()) j->set("detail", t.detail);
      reached->add(j);
      if (!ctx.json)
        ctx.io.out << "  " << t.spEntityId << ": " << sso::outcomeName(t.outcome) << " (" << sso::channelName(t.channel)
                   << ")" << (t.detail.empty() ? "" : ": " + t.detail) << "\n";
    }
    o->set("participants", reached);
    arr->add(o);
    if (!ctx.json)
      ctx.io.out << "ended session " << shownId(s) << " of " << s.login
                 << (flow.partial() ? " (not every SP was reached)" : "") << "\n";
  }
  if (ctx.json) ctx.printJson(arr);
  else if (targets.empty()) ctx.io.out << "no sessions\n";
  return 0;
}

}  // namespace propusk::cli
