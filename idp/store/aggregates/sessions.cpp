// SSO sessions and the SPs that took part in each (what Single Logout must reach).
#include "idp/store/sql_store.h"

namespace propusk::store {

namespace {

constexpr char kSessionColumns[] =
    "id_hash, user_id, login, created_at, last_seen_at, authn_instant, authn_context, upstream, upstream_name_id, "
    "upstream_data, factors, remote, user_agent";

Session sessionFrom(const sql::Row& r) {
  Session s;
  s.idHash = r.text(0);
  s.userId = r.integer(1);
  s.login = r.text(2);
  s.createdAt = r.time(3);
  s.lastSeenAt = r.time(4);
  s.authnInstant = r.time(5);
  s.authnContextClassRef = r.text(6);
  s.upstream = r.text(7);
  s.upstreamNameId = r.text(8);
  s.upstreamData = r.text(9);
  s.factors = r.text(10);
  s.remote = r.text(11);
  s.userAgent = r.text(12);
  return s;
}

constexpr char kParticipantColumns[] =
    "session_id_hash, sp_entity_id, name_id, name_id_format, session_index, issued_at";

SessionParticipant participantFrom(const sql::Row& r) {
  SessionParticipant p;
  p.sessionIdHash = r.text(0);
  p.spEntityId = r.text(1);
  p.nameId = r.text(2);
  p.nameIdFormat = r.text(3);
  p.sessionIndex = r.text(4);
  p.issuedAt = r.time(5);
  return p;
}

constexpr char kInsertSession[] =
    "INSERT INTO sessions (id_hash, user_id, login, created_at, last_seen_at, authn_instant, authn_context, "
    "upstream, upstream_name_id, upstream_data, factors, remote, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

void bindSession(sql::Query& q, const Session& s) {
  q.bind(s.idHash).bind(s.userId).bind(s.login).bind(sql::unixSeconds(s.createdAt)).bind(sql::unixSeconds(s.lastSeenAt))
      .bind(sql::unixSeconds(s.authnInstant)).bind(s.authnContextClassRef).bind(s.upstream).bind(s.upstreamNameId)
      .bind(s.upstreamData).bind(s.factors).bind(s.remote).bind(s.userAgent);
}

}  // namespace

// A change queued for the next group commit (see Store::queueSessionParticipant).
class SqlStore::Queued final : public QueuedChange {
 public:
  explicit Queued(sql::WriteQueue& queue) : queue_(queue) {}
  ~Queued() override {
    if (!finished_) queue_.withdraw(change);
  }
  void wait() override {
    finished_ = true;
    queue_.await(change);
  }
  bool withdraw() override {
    finished_ = true;
    return queue_.withdraw(change);
  }
  sql::WriteQueue::Change change;

 private:
  sql::WriteQueue& queue_;
  bool finished_ = false;
};

void SqlStore::createSession(const Session& s, const AuditRecord& audit) {
  write("create session", [&](sql::WriteTx& tx) {
    auto q = tx.db.prepare(kInsertSession);
    bindSession(q, s);
    q.run();
    appendIn(tx, audit);
  });
}

std::optional<Session> SqlStore::findSession(std::string_view idHash) {
  static const std::string sql = "SELECT " + std::string(kSessionColumns) + " FROM sessions WHERE id_hash = ?";
  return read("find session", [&](sql::Connection& db) -> std::optional<Session> {
    auto q = db.prepare(sql);
    q.bind(idHash);
    if (!q.step()) return std::nullopt;
    return sessionFrom(row(q));
  });
}

// Requests of one session race on the server's threads (and instances): last_seen_at never
// goes back. Unaudited, one statement: no transaction of the write queue needed.
void SqlStore::touchSession(std::string_view idHash, TimePoint lastSeenAt) {
  const std::string sql = "UPDATE sessions SET last_seen_at = " + std::string(dialect_.greatest) +
                          "(last_seen_at, ?) WHERE id_hash = ?";
  direct("touch session", [&](sql::Connection& db) {
    auto q = db.prepare(sql);
    q.bind(sql::unixSeconds(lastSeenAt)).bind(idHash).run();
  });
}

bool SqlStore::removeSession(std::string_view idHash, const AuditRecord& audit) {
  return write("remove session", [&](sql::WriteTx& tx) {
    auto q = tx.db.prepare("DELETE FROM sessions WHERE id_hash = ?");
    q.bind(idHash).run();
    if (q.changes() == 0) return false;  // participants follow by ON DELETE CASCADE
    appendIn(tx, audit);
    return true;
  });
}

bool SqlStore::renewSession(std::string_view oldIdHash, const Session& s, const AuditRecord& audit) {
  return write("renew session", [&](sql::WriteTx& tx) {
    {
      auto q = tx.db.prepare("SELECT COUNT(*) FROM sessions WHERE id_hash = ? AND user_id = ?");
      q.bind(oldIdHash).bind(s.userId);
      if (!q.step() || row(q).integer(0) == 0) return false;
    }
    auto insert = tx.db.prepare(kInsertSession);
    bindSession(insert, s);
    insert.run();
    tx.db.prepare("UPDATE session_participants SET session_id_hash = ? WHERE session_id_hash = ?")
        .bind(s.idHash)
        .bind(oldIdHash)
        .run();
    tx.db.prepare("DELETE FROM sessions WHERE id_hash = ?").bind(oldIdHash).run();
    appendIn(tx, audit);
    return true;
  });
}

// By login means by the user who has that login now (through user_id), so that a renamed
// user's sessions are found under the new name and never under a reused old one.
std::vector<Session> SqlStore::listSessions(std::optional<std::string_view> login) {
  std::string sql = "SELECT " + std::string(kSessionColumns) + " FROM sessions";
  if (login) sql += " WHERE user_id IN (SELECT id FROM users WHERE login = ?)";
  sql += " ORDER BY created_at DESC, id_hash";
  return read("list sessions", [&](sql::Connection& db) {
    auto q = db.prepare(sql);
    if (login) q.bind(*login);
    std::vector<Session> out;
    while (q.step()) out.push_back(sessionFrom(row(q)));
    return out;
  });
}

// An upstream's LogoutRequest (sessions_upstream_name_id). Sessions purged for age are gone;
// whether one found here is still within its timeouts is sso/'s to decide, as for findSession.
std::vector<Session> SqlStore::findUpstreamSessions(std::string_view upstream, std::string_view nameId) {
  static const std::string sql = "SELECT " + std::string(kSessionColumns) +
                                 " FROM sessions WHERE upstream = ? AND upstream_name_id = ? "
                                 "ORDER BY created_at DESC, id_hash";
  if (upstream.empty()) return {};  // "" is every local session, never an upstream's
  return read("find upstream sessions", [&](sql::Connection& db) {
    auto q = db.prepare(sql);
    q.bind(upstream).bind(nameId);
    std::vector<Session> out;
    while (q.step()) out.push_back(sessionFrom(row(q)));
    return out;
  });
}

std::size_t SqlStore::purgeSessions(TimePoint idleBefore, TimePoint createdBefore) {
  return write("purge sessions", [&](sql::WriteTx& tx) {
    auto q = tx.db.prepare("DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?");
    q.bind(sql::unixSeconds(idleBefore)).bind(sql::unixSeconds(createdBefore)).run();
    const auto n = static_cast<std::size_t>(q.changes());
    // One event for the sweep, not one per session; an empty sweep is not an event.
    if (n > 0) appendIn(tx, {"system", "session.purge", "sessions", "ok", "{\"count\":" + std::to_string(n) + "}"});
    return n;
  });
}

std::unique_ptr<QueuedChange> SqlStore::queueSessionParticipant(const SessionParticipant& p,
                                                                std::vector<AuditRecord> audits) {
  auto queued = std::make_unique<Queued>(queue_);
  queued->change.op = "add session participant";
  queued->change.run = [p, audits = std::move(audits)](sql::WriteTx& tx) {
    tx.db
        .prepare(
            "INSERT INTO session_participants (session_id_hash, sp_entity_id, name_id, name_id_format, session_index, "
            "issued_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (session_id_hash, sp_entity_id) DO UPDATE SET "
            "name_id = excluded.name_id, name_id_format = excluded.name_id_format, "
            "session_index = excluded.session_index, issued_at = excluded.issued_at "
            "WHERE session_participants.name_id <> excluded.name_id "
            "OR session_participants.name_id_format <> excluded.name_id_format "
            "OR session_participants.session_index <> excluded.session_index")
        .bind(p.sessionIdHash)
        .bind(p.spEntityId)
        .bind(p.nameId)
        .bind(p.nameIdFormat)
        .bind(p.sessionIndex)
        .bind(sql::unixSeconds(p.issuedAt))
        .run();
    for (const AuditRecord& audit : audits) appendIn(tx, audit);
  };
  queue_.enqueue(queued->change);
  return queued;
}

bool SqlStore::retractSessionParticipant(const SessionParticipant& p, const AuditRecord& audit) {
  return write("retract session participant", [&](sql::WriteTx& tx) {
    auto q = tx.db.prepare(
        "DELETE FROM session_participants WHERE session_id_hash = ? AND sp_entity_id = ? AND name_id = ? "
        "AND name_id_format = ? AND session_index = ? AND issued_at = ?");
    q.bind(p.sessionIdHash).bind(p.spEntityId).bind(p.nameId).bind(p.nameIdFormat).bind(p.sessionIndex)
        .bind(sql::unixSeconds(p.issuedAt)).run();
    const bool removed = q.changes() > 0;
    appendIn(tx, audit);
    return removed;
  });
}

std::vector<SessionParticipant> SqlStore::listSessionParticipants(std::string_view idHash) {
  static const std::string sql = "SELECT " + std::string(kParticipantColumns) +
                                 " FROM session_participants WHERE session_id_hash = ? ORDER BY issued_at, sp_entity_id";
  return read("list session participants", [&](sql::Connection& db) {
    auto q = db.prepare(sql);
    q.bind(idHash);
    std::vector<SessionParticipant> out;
    while (q.step()) out.push_back(participantFrom(row(q)));
    return out;
  });
}

std::vector<SessionParticipant> SqlStore::findSessionParticipants(std::string_view spEntityId,
                                                                  std::string_view nameId) {
  static const std::string sql =
      "SELECT " + std::string(kParticipantColumns) +
      " FROM session_participants WHERE sp_entity_id = ? AND name_id = ? ORDER BY issued_at, session_id_hash";
  return read("find session participants", [&](sql::Connection& db) {
    auto q = db.prepare(sql);
    q.bind(spEntityId).bind(nameId);
    std::vector<SessionParticipant> out;
    while (q.step()) out.push_back(participantFrom(row(q)));
    return out;
  });
}

}  // namespace propusk::store
