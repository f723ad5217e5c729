#include "idp/sso/session_manager.h"

#include "idp/core/json_text.h"
#include "idp/crypto/digest.h"
#include "idp/sso/login_steps.h"

namespace propusk::sso {

std::string SessionManager::hashToken(std::string_view token) { return crypto::toHex(crypto::sha256(token)); }

namespace {
void setVia(store::Session& s, const SessionManager::Via* via) {
  s.upstream = via ? via->upstream : std::string();
  s.upstreamNameId = via ? via->nameId : std::string();
  s.upstreamData = via ? via->data : std::string();
}
std::string viaJson(const SessionManager::Via* via) {
  return via ? R"(,"upstream":)" + jsonString(via->upstream) : std::string();
}
}  // namespace

SessionManager::Created SessionManager::create(const store::User& user, std::string classRef,
                                               const std::string& factors, const std::string& remote,
                                               const std::string& userAgent, const Via* via) {
  Created c;
  c.token = random_.token(32);
  auto now = clock_.now();
  c.session.idHash = hashToken(c.token);
  c.session.userId = user.id;
  c.session.login = user.login;
  c.session.createdAt = c.session.lastSeenAt = c.session.authnInstant = now;
  c.session.authnContextClassRef = std::move(classRef);
  c.session.factors = factors;
  c.session.remote = remote;
  c.session.userAgent = userAgent;
  setVia(c.session, via);
  // The audit names the session by a prefix of its hash: enough to correlate, useless as a cookie.
  store_.createSession(c.session, {user.login, "session.create", c.session.idHash.substr(0, 16), "ok",
                                   R"({"remote":)" + jsonString(remote) + R"(,"factors":)" + jsonString(factors) +
                                       viaJson(via) + "}"});
  return c;
}

std::optional<SessionManager::Created> SessionManager::reauthenticate(const store::Session& old, std::string classRef,
                                                                      const std::string& factors,
                                                                      const std::string& remote,
                                                                      const std::string& userAgent, const Via* via) {
  Created c;
  c.token = random_.token(32);
  auto now = clock_.now();
  c.session = old;
  c.session.idHash = hashToken(c.token);
  c.session.lastSeenAt = c.session.authnInstant = now;
  c.session.authnContextClassRef = std::move(classRef);
  c.session.factors = factors;
  c.session.remote = remote;
  c.session.userAgent = userAgent;
  setVia(c.session, via);
  if (!store_.renewSession(old.idHash, c.session,
                           {old.login, "session.reauthenticate", c.session.idHash.substr(0, 16), "ok",
                            R"({"previous":)" + jsonString(old.idHash.substr(0, 16)) + R"(,"remote":)" + jsonString(remote) + viaJson(via) + "}"}))
    return std::nullopt;
  return c;
}

std::optional<SessionManager::Created> SessionManager::addFactor(const store::Session& old, std::string_view factor,
                                                                 const std::string& remote) {
  Created c;
  c.token = random_.token(32);
  auto now = clock_.now();
  c.session = old;
  c.session.idHash = hashToken(c.token);
  c.session.lastSeenAt = c.session.authnInstant = now;
  auto f = sessionFactors(old);
  if (auto added = policy::parseFactor(factor)) f.add(*added);
  c.session.factors = f.encode();
  if (!store_.renewSession(old.idHash, c.session,
                           {old.login, "session.add-factor", c.session.idHash.substr(0, 16), "ok",
                            R"({"previous":)" + jsonString(old.idHash.substr(0, 16)) + R"(,"factor":)" +
                                jsonString(factor) + R"(,"factors":)" + jsonString(c.session.factors) +
                                R"(,"remote":)" + jsonString(remote) + "}"}))
    return std::nullopt;
  return c;
}

std::optional<store::Session> SessionManager::resolve(std::string_view token) {
  if (token.empty() || token.size() > 128) return std::nullopt;
  auto hash = hashToken(token);
  auto s = store_.findSession(hash);
  if (!s) return std::nullopt;
  auto now = clock_.now();
  if (now - s->lastSeenAt >= policy_.idle || now - s->createdAt >= policy_.absolute) {
    store_.removeSession(hash, {s->login, "session.expire", hash.substr(0, 16), "ok", "{}"});
    return std::nullopt;
  }
  // Touch at most once a minute: idle accounting does not need more, the store thanks us.
  if (now - s->lastSeenAt >= std::chrono::minutes(1)) {
    store_.touchSession(hash, now);
    s->lastSeenAt = now;
  }
  return s;
}

void SessionManager::destroy(std::string_view token, const std::string& reason) {
  if (token.empty()) return;
  auto hash = hashToken(token);
  if (auto s = store_.findSession(hash))
    store_.removeSession(hash, {s->login, "session.end", hash.substr(0, 16), "ok", R"({"reason":)" + jsonString(reason) + "}"});
}

}  // namespace propusk::sso
