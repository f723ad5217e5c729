// Short-lived shared state: AuthnRequests waiting for a login and logout flows
// (pending_requests), and the shared replay cache (replay_ids). Unaudited: each is one
// statement, so none goes through the write queue.
#include "idp/store/sql_store.h"

namespace propusk::store {

void SqlStore::putPendingRequest(std::string_view id, std::string_view data, TimePoint expiresAt) {
  direct("put pending request", [&](sql::Connection& db) {
    db.prepare("INSERT INTO pending_requests (id, data, expires_at) VALUES (?, ?, ?) "
               "ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at")
        .bind(id)
        .bind(data)
        .bind(sql::unixSeconds(expiresAt))
        .run();
  });
}

// A request is expired from its expiresAt on; expired rows are swept by purgeExpired (a
// range on the expires_at index).
std::optional<std::string> SqlStore::getPendingRequest(std::string_view id, TimePoint now) {
  return direct("get pending request", [&](sql::Connection& db) -> std::optional<std::string> {
    auto q = db.prepare("SELECT data FROM pending_requests WHERE id = ? AND expires_at > ?");
    q.bind(id).bind(sql::unixSeconds(now));
    if (!q.step()) return std::nullopt;
    return row(q).text(0);
  });
}

void SqlStore::removePendingRequest(std::string_view id) {
  direct("remove pending request",
         [&](sql::Connection& db) { db.prepare("DELETE FROM pending_requests WHERE id = ?").bind(id).run(); });
}

// One statement decides: a new digest is inserted, an expired one takes the new expiry; a live
// one is left alone (no row changed), and that is a replay.
bool SqlStore::rememberOnce(std::string_view digest, TimePoint expiresAt, TimePoint now) {
  return direct("remember message ID", [&](sql::Connection& db) {
    auto q = db.prepare(
        "INSERT INTO replay_ids (digest, expires_at) VALUES (?, ?) ON CONFLICT (digest) DO UPDATE SET "
        "expires_at = excluded.expires_at WHERE replay_ids.expires_at <= ?");
    q.bind(digest).bind(sql::unixSeconds(expiresAt)).bind(sql::unixSeconds(now)).run();
    return q.changes() > 0;
  });
}

std::size_t SqlStore::purgeExpired(TimePoint now) {
  const std::int64_t t = sql::unixSeconds(now);
  return direct("purge expired rows", [&](sql::Connection& db) {
    auto pending = db.prepare("DELETE FROM pending_requests WHERE expires_at <= ?");
    pending.bind(t).run();
    auto replay = db.prepare("DELETE FROM replay_ids WHERE expires_at <= ?");
    replay.bind(t).run();
    std::int64_t n = pending.changes() + replay.changes();
    // Account security: codes a day after they expired (rate limits count the last hour at
    // most), throttle windows older than a day and not blocking, history older than a year.
    constexpr std::int64_t kDay = 86400;
    auto codes = db.prepare("DELETE FROM one_time_codes WHERE expires_at <= ?");
    codes.bind(t - kDay).run();
    auto throttle = db.prepare(
        "DELETE FROM login_throttle WHERE window_start <= ? AND (blocked_until IS NULL OR blocked_until <= ?)");
    throttle.bind(t - kDay).bind(t).run();
    auto history = db.prepare("DELETE FROM login_history WHERE at <= ?");
    history.bind(t - 365 * kDay).run();
    n += codes.changes() + throttle.changes() + history.changes();
    return static_cast<std::size_t>(n);
  });
}

}  // namespace propusk::store
