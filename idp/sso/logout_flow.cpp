#include "idp/sso/logout_flow.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <array>
#include <sstream>

namespace propusk::sso {

namespace {

constexpr std::array kOutcomes = {std::pair{LogoutOutcome::Pending, "pending"}, std::pair{LogoutOutcome::Sent, "sent"},
                                  std::pair{LogoutOutcome::Done, "done"}, std::pair{LogoutOutcome::Failed, "failed"},
                                  std::pair{LogoutOutcome::Unreachable, "unreachable"}};
constexpr std::array kChannels = {std::pair{LogoutChannel::Soap, "soap"}, std::pair{LogoutChannel::Redirect, "redirect"},
                                  std::pair{LogoutChannel::Post, "post"}, std::pair{LogoutChannel::None, "none"}};
constexpr std::array kBindings = {std::pair{saml::Binding::Redirect, "redirect"}, std::pair{saml::Binding::Post, "post"},
                                  std::pair{saml::Binding::Soap, "soap"}};

template <class Table>
auto fromName(const Table& table, const std::string& name) {
  for (auto& [value, n] : table)
    if (name == n) return value;
  throw Poco::DataFormatException("unknown name " + name);
}

template <class Table, class V>
std::string_view toName(const Table& table, V v) {
  for (auto& [value, n] : table)
    if (value == v) return n;
  return "?";
}

Poco::Int64 seconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
TimePoint fromSeconds(Poco::Int64 s) { return TimePoint{std::chrono::seconds(s)}; }

}  // namespace

std::string_view outcomeName(LogoutOutcome o) { return toName(kOutcomes, o); }
std::string_view channelName(LogoutChannel c) { return toName(kChannels, c); }

bool LogoutFlow::partial() const {
  for (auto& t : targets)
    if (t.outcome != LogoutOutcome::Done) return true;
  return false;
}

LogoutTarget* LogoutFlow::nextFrontChannel() {
  for (auto& t : targets)
    if (t.outcome == LogoutOutcome::Pending && !t.upstream) return &t;
  return nullptr;
}

LogoutTarget* LogoutFlow::pendingUpstream() {
  for (auto& t : targets)
    if (t.outcome == LogoutOutcome::Pending && t.upstream) return &t;
  return nullptr;
}

LogoutTarget* LogoutFlow::awaiting() {
  for (auto& t : targets)
    if (t.outcome == LogoutOutcome::Sent) return &t;
  return nullptr;
}

std::string encodeFlow(const LogoutFlow& flow) {
  Poco::JSON::Object o;
  o.set("id", flow.id);
  o.set("login", flow.login);
  o.set("created", seconds(flow.createdAt));
  o.set("browser_key", flow.browserKeyHash);
  if (flow.initiator) {
    Poco::JSON::Object::Ptr i = new Poco::JSON::Object;
    i->set("sp", flow.initiator->spEntityId);
    i->set("request_id", flow.initiator->requestId);
    i->set("binding", std::string(toName(kBindings, flow.initiator->binding)));
    if (flow.initiator->relayState) i->set("relay_state", *flow.initiator->relayState);
    if (flow.initiator->upstream) i->set("upstream", true);
    o.set("initiator", i);
  }
  Poco::JSON::Array::Ptr targets = new Poco::JSON::Array;
  for (auto& t : flow.targets) {
    Poco::JSON::Object::Ptr j = new Poco::JSON::Object;
    j->set("sp", t.spEntityId);
    j->set("name_id", t.nameId);
    j->set("name_id_format", t.nameIdFormat);
    j->set("session_index", t.sessionIndex);
    j->set("channel", std::string(channelName(t.channel)));
    j->set("outcome", std::string(outcomeName(t.outcome)));
    j->set("request_id", t.requestId);
    j->set("relay_state", t.relayState);
    j->set("detail", t.detail);
    j->set("sent", seconds(t.sentAt));
    if (t.upstream) {
      j->set("upstream", true);
      j->set("upstream_data", t.upstreamData);
    }
    targets->add(j);
  }
  o.set("targets", targets);
  std::ostringstream ss;
  o.stringify(ss);
  return ss.str();
}

std::optional<LogoutFlow> decodeFlow(std::string_view json) {
  try {
    Poco::JSON::Parser parser;
    auto o = parser.parse(std::string(json)).extract<Poco::JSON::Object::Ptr>();
    LogoutFlow f;
    f.id = o->getValue<std::string>("id");
    f.login = o->getValue<std::string>("login");
    f.createdAt = fromSeconds(o->getValue<Poco::Int64>("created"));
    f.browserKeyHash = o->getValue<std::string>("browser_key");
    if (auto i = o->getObject("initiator")) {
      LogoutInitiator init;
      init.spEntityId = i->getValue<std::string>("sp");
      init.requestId = i->getValue<std::string>("request_id");
      init.binding = fromName(kBindings, i->getValue<std::string>("binding"));
      if (i->has("relay_state")) init.relayState = i->getValue<std::string>("relay_state");
      init.upstream = i->optValue<bool>("upstream", false);
      f.initiator = std::move(init);
    }
    auto targets = o->getArray("targets");
    if (!targets) return std::nullopt;
    for (std::size_t k = 0; k < targets->size(); ++k) {
      auto j = targets->getObject(static_cast<unsigned>(k));
      if (!j) return std::nullopt;
      LogoutTarget t;
      t.spEntityId = j->getValue<std::string>("sp");
      t.nameId = j->getValue<std::string>("name_id");
      t.nameIdFormat = j->getValue<std::string>("name_id_format");
      t.sessionIndex = j->getValue<std::string>("session_index");
      t.channel = fromName(kChannels, j->getValue<std::string>("channel"));
      t.outcome = fromName(kOutcomes, j->getValue<std::string>("outcome"));
      t.requestId = j->getValue<std::string>("request_id");
      t.relayState = j->optValue<std::string>("relay_state", "");
      t.detail = j->getValue<std::string>("detail");
      t.sentAt = fromSeconds(j->getValue<Poco::Int64>("sent"));
      t.upstream = j->optValue<bool>("upstream", false);
      t.upstreamData = j->optValue<std::string>("upstream_data", "");
      f.targets.push_back(std::move(t));
    }
    return f;
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

}  // namespace propusk::sso
