// Account security (docs/account-security.md): second factors, recovery codes, one-time codes
// sent by e-mail or SMS, the login history, known devices and the per-address throttle. Every
// check that must not race — a TOTP step accepted once, a recovery code used once, a code's
// attempts, an address's failures — is one statement (or one write transaction), so that
// threads and instances sharing the database each see the other's attempts.
#include "idp/store/sql_store.h"

namespace propusk::store {

namespace {

FactorKind factorKindOf(const sql::Row& r, int col, std::string_view label) {
  auto text = r.text(col);
  auto k = parseFactorKind(text);
  if (!k) sql::corruptValue(label, "user_factors.kind", text);
  return *k;
}

constexpr char kCodeColumns[] =
    "id, user_id, purpose, channel, destination, binding, code_hash, created_at, expires_at, attempts, used_at";

OneTimeCode codeFrom(const sql::Row& r) {
  OneTimeCode c;
  c.id = r.text(0);
  if (!r.isNull(1)) c.userId = r.integer(1);
  c.purpose = r.text(2);
  c.channel = r.text(3);
  c.destination = r.text(4);
  c.binding = r.text(5);
  c.codeHash = r.text(6);
  c.createdAt = r.time(7);
  c.expiresAt = r.time(8);
  c.attempts = static_cast<int>(r.integer(9));
  c.usedAt = r.optTime(10);
  return c;
}

// Constant time: the hash of a guess against the stored one.
bool sameHash(std::string_view a, std::string_view b) {
  if (a.size() != b.size() || a.empty()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

bool SqlStore::setPasswordHash(std::int64_t userId, std::string_view passwordHash, const AuditRecord& audit) {
  const std::int64_t t = sql::unixSeconds(clock_.now());
  return write("set password", [&](sql::WriteTx& tx) {
    auto q = tx.db.prepare(
        "UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL, updated_at = ? WHERE id = ?");
    q.bind(passwordHash).bind(t).bind(userId).run();
    if (q.changes() == 0) return false;
    appendIn(tx, audit);
    return true;
  });
}

std::vector<UserFactor> SqlStore::listFactors(std::int64_t userId) {
  return read("list factors", [&](sql::Connection& db) {
    auto q = db.prepare(
        "SELECT user_id, kind, secret, confirmed_at, last_step, created_at FROM user_factors WHERE user_id = ? "
        "ORDER BY kind");
    q.bind(userId);
    std::vector<UserFactor> out;
    while (q.step()) {
      auto r = row(q);
      UserFactor f;
      f.userId = r.integer(0);
      f.kind = factorKindOf(r, 1, parts_.label);
      f.secret = r.text(2);
      f.confirmedAt = r.optTime(3);
      f.lastStep = r.integer(4);
      f.createdAt = r.time(5);
      out.push_back(std::move(f));
    }
    return out;
  });
}

namespace {
void insertRecoveryCodes(sql::WriteTx& tx, std::int64_t userId, const std::vector<std::string>& hashes, std::int64_t t) {
  tx.db.prepare("DELETE FROM recovery_codes WHERE user_id = ?").bind(userId).run();
  for (const auto& h : hashes)
    tx.db.prepare("INSERT INTO recovery_codes (user_id, code_hash, used_at, created_at) VALUES (?, ?, NULL, ?)")
        .bind(userId)
        .bind(h)
        .bind(t)
        .run();
}
}  // namespace

bool SqlStore::putFactor(const UserFactor& f, const std::vector<std::string>* recoveryCodeHashes,
                         const AuditRecord& audit) {
  const std::int64_t t = sql::unixSeconds(clock_.now());
  return write("put factor", [&](sql::WriteTx& tx) {
    {
      auto q = tx.db.prepare("SELECT COUNT(*) FROM users WHERE id = ?");
      q.bind(f.userId);
      if (!q.step() || row(q).integer(0) == 0) return false;
    }
    tx.db.prepare(
            "INSERT INTO user_factors (user_id, kind, secret, confirmed_at, last_step, created_at) VALUES (?, ?, ?, ?, "
            "?, ?) ON CONFLICT (user_id, kind) DO UPDATE SET secret = excluded.secret, confirmed_at = "
            "excluded.confirmed_at, last_step = excluded.last_step, created_at = excluded.created_at")
        .bind(f.userId)
        .bind(factorKindName(f.kind))
        .bind(f.secret)
        .bind(sql::unixSeconds(f.confirmedAt))
        .bind(f.lastStep)
        .bind(f.createdAt == TimePoint{} ? t : sql::unixSeconds(f.createdAt))
        .run();
    if (recoveryCodeHashes) insertRecoveryCodes(tx, f.userId, *recoveryCodeHashes, t);
    appendIn(tx, audit);
    return true;
  });
}

bool SqlStore::removeFactor(std::int64_t userId, FactorKind kind, const AuditRecord& audit) {
  return write("remove factor", [&](sql::WriteTx& tx) {
    auto q = tx.db.prepare("DELETE FROM user_factors WHERE user_id = ? AND kind = ?");
    q.bind(userId).bind(factorKindName(kind)).run();
    if (q.changes() == 0) return false;
    auto left = tx.db.prepare("SELECT COUNT(*) FROM user_factors WHERE user_id = ? AND confirmed_at IS NOT NULL");
    left.bind(userId);
    // Recovery codes stand in for a second factor: with none left they would be one alone.
    if (left.step() && row(left).integer(0) == 0)
      tx.db.prepare("DELETE FROM recovery_codes WHERE user_id = ?").bind(userId).run();
    appendIn(tx, audit);
    return true;
  });
}

bool SqlStore::acceptTotpStep(std::int64_t userId, std::int64_t step, const AuditRecord& audit) {
  return write("accept TOTP step", [&](sql::WriteTx& tx) {
    auto q = tx.db.prepare(
        "UPDATE user_factors SET last_step = ? WHERE user_id = ? AND kind = 'totp' AND confirmed_at IS NOT NULL AND "
        "last_step < ?");
    q.bind(step).bind(userId).bind(step).run();
    if (q.changes() == 0) return false;
    appendIn(tx, audit);
    return true;
  });
}

void SqlStore::replaceRecoveryCodes(std::int64_t userId, const std::vector<std::string>& hashes,
                                    const AuditRecord& audit) {
  const std::int64_t t = sql::unixSeconds(clock_.now());
  write("replace recovery codes", [&](sql::WriteTx& tx) {
    insertRecoveryCodes(tx, userId, hashes, t);
    appendIn(tx, audit);
  });
}

bool SqlStore::useRecoveryCode(std::int64_t userId, std::string_view hash, TimePoint now, const AuditRecord& audit) {
  return write("use recovery code", [&](sql::WriteTx& tx) {
    auto q = tx.db.prepare(
        "UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL");
    q.bind(sql::unixSeconds(now)).bind(userId).bind(hash).run();
    if (q.changes() == 0) return false;
    appendIn(tx, audit);
    return true;
  });
}

std::size_t SqlStore::countRecoveryCodes(std::int64_t userId) {
  return read("count recovery codes", [&](sql::Connection& db) {
    auto q = db.prepare("SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL");
    q.bind(userId);
    return q.step() ? static_cast<std::size_t>(row(q).integer(0)) : std::size_t{0};
  });
}

void SqlStore::addOneTimeCode(const OneTimeCode& c, const AuditRecord& audit) {
  write("add one-time code", [&](sql::WriteTx& tx) {
    tx.db.prepare("INSERT INTO one_time_codes (" + std::string(kCodeColumns) +
                  ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(c.id)
        .bind(c.userId)
        .bind(c.purpose)
        .bind(c.channel)
        .bind(c.destination)
        .bind(c.binding)
        .bind(c.codeHash)
        .bind(sql::unixSeconds(c.createdAt))
        .bind(sql::unixSeconds(c.expiresAt))
        .bind(c.attempts)
        .bind(sql::unixSeconds(c.usedAt))
        .run();
    appendIn(tx, audit);
  });
}

std::optional<OneTimeCode> SqlStore::findOneTimeCode(std::string_view id) {
  static const std::string sql = "SELECT " + std::string(kCodeColumns) + " FROM one_time_codes WHERE id = ?";
  return read("find one-time code", [&](sql::Connection& db) -> std::optional<OneTimeCode> {
    auto q = db.prepare(sql);
    q.bind(id);
    if (!q.step()) return std::nullopt;
    return codeFrom(row(q));
  });
}

CodeCheck SqlStore::useOneTimeCode(std::string_view id, std::string_view codeHash, TimePoint now, int maxAttempts,
                                   const std::function<AuditRecord(CodeCheck)>& audit) {
  const std::int64_t t = sql::unixSeconds(now);
  return write("use one-time code", [&](sql::WriteTx& tx) {
    // The attempt is counted before it is judged, whatever it turns out to be, so guesses in
    // parallel are each counted against the limit.
    auto q = tx.db.prepare(
        "UPDATE one_time_codes SET attempts = attempts + 1 WHERE id = ? AND used_at IS NULL "
        "RETURNING attempts, expires_at, code_hash");
    q.bind(id);
    CodeCheck result = CodeCheck::Unknown;
    if (q.step()) {
      auto r = row(q);
      const auto attempts = r.integer(0);
      const auto expires = r.integer(1);
      const auto stored = r.text(2);
      q.run();  // finish the statement before the next one on this connection
      if (attempts > maxAttempts) result = CodeCheck::TooManyAttempts;
      else if (expires <= t) result = CodeCheck::Expired;
      else if (!sameHash(stored, codeHash)) result = CodeCheck::Wrong;
      else result = CodeCheck::Ok;
    }
    if (result == CodeCheck::Ok)
      tx.db.prepare("UPDATE one_time_codes SET used_at = ? WHERE id = ?").bind(t).bind(id).run();
    appendIn(tx, audit(result));
    return result;
  });
}

std::size_t SqlStore::countOneTimeCodesForUser(std::int64_t userId, TimePoint since) {
  return read("count one-time codes", [&](sql::Connection& db) {
    auto q = db.prepare("SELECT COUNT(*) FROM one_time_codes WHERE user_id = ? AND created_at >= ?");
    q.bind(userId).bind(sql::unixSeconds(since));
    return q.step() ? static_cast<std::size_t>(row(q).integer(0)) : std::size_t{0};
  });
}

std::size_t SqlStore::countOneTimeCodesTo(std::string_view destination, TimePoint since) {
  return read("count one-time codes", [&](sql::Connection& db) {
    auto q = db.prepare("SELECT COUNT(*) FROM one_time_codes WHERE destination = ? AND created_at >= ?");
    q.bind(destination).bind(sql::unixSeconds(since));
    return q.step() ? static_cast<std::size_t>(row(q).integer(0)) : std::size_t{0};
  });
}

void SqlStore::addLoginHistory(const LoginHistoryEntry& e) {
  direct("add login history", [&](sql::Connection& db) {
    db.prepare("INSERT INTO login_history (user_id, at, ip, user_agent, sp, factors, result) VALUES (?, ?, ?, ?, ?, ?, ?)")
        .bind(e.userId)
        .bind(sql::unixSeconds(e.at))
        .bind(e.ip)
        .bind(e.userAgent)
        .bind(e.sp)
        .bind(e.factors)
        .bind(e.result)
        .run();
  });
}

std::vector<LoginHistoryEntry> SqlStore::listLoginHistory(std::int64_t userId, std::size_t limit) {
  return read("list login history", [&](sql::Connection& db) {
    auto q = db.prepare(
        "SELECT user_id, at, ip, user_agent, sp, factors, result FROM login_history WHERE user_id = ? "
        "ORDER BY at DESC, id DESC LIMIT ?");
    q.bind(userId).bind(static_cast<std::int64_t>(limit));
    std::vector<LoginHistoryEntry> out;
    while (q.step()) {
      auto r = row(q);
      out.push_back({r.integer(0), r.time(1), r.text(2), r.text(3), r.text(4), r.text(5), r.text(6)});
    }
    return out;
  });
}

bool SqlStore::rememberDevice(std::int64_t userId, std::string_view deviceHash, TimePoint now) {
  const std::int64_t t = sql::unixSeconds(now);
  return direct("remember device", [&](sql::Connection& db) {
    auto q = db.prepare(
        "INSERT INTO known_devices (user_id, device_hash, first_seen, last_seen) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (user_id, device_hash) DO NOTHING");
    q.bind(userId).bind(deviceHash).bind(t).bind(t).run();
    if (q.changes() > 0) return true;
    db.prepare("UPDATE known_devices SET last_seen = ? WHERE user_id = ? AND device_hash = ?")
        .bind(t)
        .bind(userId)
        .bind(deviceHash)
        .run();
    return false;
  });
}

AddressFailures SqlStore::recordAddressFailure(
    std::string_view address, TimePoint now, std::chrono::seconds window, const LockoutRule& blockFor,
    const std::function<std::optional<AuditRecord>(const AddressFailures&)>& audit) {
  const std::int64_t t = sql::unixSeconds(now);
  const std::int64_t windowStart = t - window.count();
  return write("record address failure", [&](sql::WriteTx& tx) {
    AddressFailures f;
    {
      // One statement counts: a window that ended starts again at this failure.
      auto q = tx.db.prepare(
          "INSERT INTO login_throttle (address, failures, window_start, blocked_until) VALUES (?, 1, ?, NULL) "
          "ON CONFLICT (address) DO UPDATE SET "
          "failures = CASE WHEN login_throttle.window_start <= ? THEN 1 ELSE login_throttle.failures + 1 END, "
          "window_start = CASE WHEN login_throttle.window_start <= ? THEN excluded.window_start "
          "ELSE login_throttle.window_start END "
          "RETURNING failures, blocked_until");
      q.bind(address).bind(t).bind(windowStart).bind(windowStart);
      if (!q.step()) throw StoreError("store " + std::string(tx.label) + ": record address failure gave no row");
      auto r = row(q);
      f.failures = static_cast<int>(r.integer(0));
      f.blockedUntil = r.optTime(1);
      q.run();
    }
    f.block = blockFor(f.failures);
    if (f.block.count() > 0 && (!f.blockedUntil || *f.blockedUntil < now + f.block)) {
      f.blockedUntil = now + f.block;
      tx.db.prepare("UPDATE login_throttle SET blocked_until = ? WHERE address = ?")
          .bind(sql::unixSeconds(*f.blockedUntil))
          .bind(address)
          .run();
    } else {
      f.block = std::chrono::seconds(0);
    }
    if (auto record = audit(f)) appendIn(tx, *record);
    return f;
  });
}

std::optional<TimePoint> SqlStore::addressBlockedUntil(std::string_view address, TimePoint now) {
  return read("address blocked until", [&](sql::Connection& db) -> std::optional<TimePoint> {
    auto q = db.prepare("SELECT blocked_until FROM login_throttle WHERE address = ? AND blocked_until > ?");
    q.bind(address).bind(sql::unixSeconds(now));
    if (!q.step()) return std::nullopt;
    return row(q).optTime(0);
  });
}

}  // namespace propusk::store
