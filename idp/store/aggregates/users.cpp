// Users: accounts, their unique login/INN/SNILS, and the failure count behind the lockout.
#include <algorithm>
#include <variant>

#include "idp/store/sql_store.h"

namespace propusk::store {

namespace {

constexpr char kUserColumns[] =
    "id, uid, login, surname, given_name, middle_name, inn, snils, email, phone, "
    "email_confirmed, phone_confirmed, status, password_hash, locked, failed_logins, "
    "created_at, updated_at, locked_until";

User userFrom(const sql::Row& r) {
  User u;
  u.id = r.integer(0);
  u.uid = r.text(1);
  u.login = r.text(2);
  u.surname = r.text(3);
  u.givenName = r.text(4);
  u.middleName = r.optText(5);
  u.inn = r.optText(6);
  u.snils = r.optText(7);
  u.email = r.optText(8);
  u.phone = r.optText(9);
  u.emailConfirmed = r.flag(10);
  u.phoneConfirmed = r.flag(11);
  u.status = r.status(12);
  u.passwordHash = r.text(13);
  u.locked = r.flag(14);
  u.failedLogins = static_cast<int>(r.integer(15));
  u.createdAt = r.time(16);
  u.updatedAt = r.time(17);
  u.lockedUntil = r.optTime(18);
  return u;
}

// Which value a unique violation is about ("users.inn"): the pre-insert check normally
// catches these first; two writers racing (instances) reach the constraint itself.
UserConflict conflictFrom(const sql::SqlError& e) {
  const std::string& c = e.constraint();
  if (c == "users.login") return UserConflict::Login;
  if (c == "users.inn") return UserConflict::Inn;
  if (c == "users.snils") return UserConflict::Snils;
  return UserConflict::None;
}

}  // namespace

UserConflict SqlStore::conflictOf(sql::Connection& db, const User& u, std::int64_t selfId) {
  auto taken = [&](const char* sql, const std::string& value) {
    auto q = db.prepare(sql);
    q.bind(value).bind(selfId);
    return q.step() && row(q).integer(0) > 0;
  };
  if (taken("SELECT COUNT(*) FROM users WHERE login = ? AND id <> ?", u.login)) return UserConflict::Login;
  if (u.inn && taken("SELECT COUNT(*) FROM users WHERE inn = ? AND id <> ?", *u.inn)) return UserConflict::Inn;
  if (u.snils && taken("SELECT COUNT(*) FROM users WHERE snils = ? AND id <> ?", *u.snils)) return UserConflict::Snils;
  return UserConflict::None;
}

std::variant<std::int64_t, UserConflict> SqlStore::insertUser(sql::WriteTx& tx, const User& user, TimePoint stamp) {
  if (auto c = conflictOf(tx.db, user, 0); c != UserConflict::None) return c;
  try {
    auto q = tx.db.prepare(
        "INSERT INTO users (uid, login, surname, given_name, middle_name, inn, snils, email, phone, "
        "email_confirmed, phone_confirmed, status, password_hash, locked, failed_logins, created_at, updated_at, "
        "locked_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
    q.bind(user.uid).bind(user.login).bind(user.surname).bind(user.givenName).bind(user.middleName)
        .bind(user.inn).bind(user.snils).bind(user.email).bind(user.phone).bind(int(user.emailConfirmed))
        .bind(int(user.phoneConfirmed)).bind(policy::accountStatusName(user.status)).bind(user.passwordHash)
        .bind(int(user.locked)).bind(user.failedLogins).bind(sql::unixSeconds(stamp)).bind(sql::unixSeconds(stamp))
        .bind(sql::unixSeconds(user.lockedUntil));
    if (!q.step()) throw sql::SqlError("INSERT ... RETURNING gave no row");
    return row(q).integer(0);
  } catch (const sql::SqlError& e) {
    if (auto c = conflictFrom(e); c != UserConflict::None) return c;
    throw;
  }
}

UserConflict SqlStore::addUser(User& user, const AuditRecord& audit) {
  const TimePoint stamp = clock_.now();
  return write("add user", [&](sql::WriteTx& tx) {
    auto inserted = insertUser(tx, user, stamp);
    if (auto* c = std::get_if<UserConflict>(&inserted)) return *c;
    appendIn(tx, audit);
    user.id = std::get<std::int64_t>(inserted);
    user.createdAt = user.updatedAt = stamp;
    return UserConflict::None;
  });
}

// The gateway's first login through an upstream: the account and the link that will find it
// next time are one change, so a failure leaves neither an unlinked account nor a dangling link.
UserConflict SqlStore::addLinkedUser(User& user, const AccountLink& link, std::span<const AuditRecord> audits) {
  const TimePoint stamp = clock_.now();
  return write("add linked user", [&](sql::WriteTx& tx) {
    {
      // Under the write lock: no other writer can link the subject between this and the insert.
      auto q = tx.db.prepare("SELECT COUNT(*) FROM account_links WHERE upstream = ? AND subject = ?");
      q.bind(link.upstream).bind(link.subject);
      if (q.step() && row(q).integer(0) > 0) return UserConflict::Link;
    }
    {
      auto q = tx.db.prepare("SELECT COUNT(*) FROM upstreams WHERE name = ?");
      q.bind(link.upstream);
      if (!q.step() || row(q).integer(0) == 0)
        throw StoreError("store " + std::string(tx.label) + ": add linked user: no upstream '" + link.upstream + "'");
    }
    auto inserted = insertUser(tx, user, stamp);
    if (auto* c = std::get_if<UserConflict>(&inserted)) return *c;
    AccountLink l = link;
    l.userId = std::get<std::int64_t>(inserted);
    // Checked above under the write lock; should it happen all the same, throwing undoes the
    // account too (a normal return would commit it unlinked).
    if (!insertLink(tx, l, stamp))
      throw StoreError("store " + std::string(tx.label) + ": add linked user: subject linked meanwhile");
    for (const AuditRecord& audit : audits) appendIn(tx, audit);
    user.id = l.userId;
    user.createdAt = user.updatedAt = stamp;
    return UserConflict::None;
  });
}

UserConflict SqlStore::updateUser(const User& user, const AuditRecord& audit) {
  const std::int64_t t = sql::unixSeconds(clock_.now());
  return write("update user", [&](sql::WriteTx& tx) {
    if (auto c = conflictOf(tx.db, user, user.id); c != UserConflict::None) return c;
    std::int64_t changed = 0;
    try {
      // uid and created_at never change.
      auto q = tx.db.prepare(
          "UPDATE users SET login = ?, surname = ?, given_name = ?, middle_name = ?, inn = ?, snils = ?, email = ?, "
          "phone = ?, email_confirmed = ?, phone_confirmed = ?, status = ?, password_hash = ?, locked = ?, "
          "failed_logins = ?, updated_at = ?, locked_until = ? WHERE id = ?");
      q.bind(user.login).bind(user.surname).bind(user.givenName).bind(user.middleName).bind(user.inn)
          .bind(user.snils).bind(user.email).bind(user.phone).bind(int(user.emailConfirmed))
          .bind(int(user.phoneConfirmed)).bind(policy::accountStatusName(user.status)).bind(user.passwordHash)
          .bind(int(user.locked)).bind(user.failedLogins).bind(t).bind(sql::unixSeconds(user.lockedUntil))
          .bind(user.id);
      q.run();
      changed = q.changes();
    } catch (const sql::SqlError& e) {
      if (auto c = conflictFrom(e); c != UserConflict::None) return c;
      throw;
    }
    if (changed == 0)
      throw StoreError("store " + std::string(tx.label) + ": update user: no user with id " + std::to_string(user.id));
    appendIn(tx, audit);
    return UserConflict::None;
  });
}

std::optional<User> SqlStore::findUser(std::string_view login) {
  static const std::string sql = "SELECT " + std::string(kUserColumns) + " FROM users WHERE login = ?";
  return read("find user", [&](sql::Connection& db) -> std::optional<User> {
    auto q = db.prepare(sql);
    q.bind(login);
    if (!q.step()) return std::nullopt;
    return userFrom(row(q));
  });
}

// SNILS and INN are stored normalised (digits only) and compared as they are; an e-mail
// counts only when the person confirmed it (else anybody could claim an address and take over
// the account that has it), compared case-insensitively as operators expect of addresses.
std::vector<User> SqlStore::findUsersByKey(LinkKey key, std::string_view value) {
  static const std::string cols = "SELECT " + std::string(kUserColumns) + " FROM users WHERE ";
  static const std::string bySnils = cols + "snils = ? ORDER BY login";
  static const std::string byInn = cols + "inn = ? ORDER BY login";
  static const std::string byEmail = cols + "email_confirmed = 1 AND lower(email) = lower(?) ORDER BY login";
  const std::string* sql = nullptr;
  switch (key) {
    case LinkKey::Snils: sql = &bySnils; break;
    case LinkKey::Inn: sql = &byInn; break;
    case LinkKey::Email: sql = &byEmail; break;
    case LinkKey::None: return {};
  }
  if (value.empty()) return {};
  return read("find users by key", [&](sql::Connection& db) {
    auto q = db.prepare(*sql);
    q.bind(value);
    std::vector<User> out;
    while (q.step()) out.push_back(userFrom(row(q)));
    return out;
  });
}

std::vector<User> SqlStore::listUsers() {
  static const std::string sql = "SELECT " + std::string(kUserColumns) + " FROM users ORDER BY login";
  return read("list users", [&](sql::Connection& db) {
    auto q = db.prepare(sql);
    std::vector<User> out;
    while (q.step()) out.push_back(userFrom(row(q)));
    return out;
  });
}

// Their sessions (and those sessions' participants) and account links go with them: ON DELETE
// CASCADE.
bool SqlStore::removeUser(std::string_view login, const AuditRecord& audit) {
  return write("remove user", [&](sql::WriteTx& tx) {
    auto q = tx.db.prepare("DELETE FROM users WHERE login = ?");
    q.bind(login).run();
    if (q.changes() == 0) return false;
    appendIn(tx, audit);
    return true;
  });
}

FailedLogin SqlStore::recordFailedLogin(std::int64_t userId, TimePoint now, const LockoutRule& lockFor,
                                        const std::function<AuditRecord(const FailedLogin&)>& audit) {
  const std::int64_t t = sql::unixSeconds(now);
  return write("record failed login", [&](sql::WriteTx& tx) {
    FailedLogin f;
    {
      auto q = tx.db.prepare(
          "UPDATE users SET failed_logins = failed_logins + 1, updated_at = ? WHERE id = ? "
          "RETURNING failed_logins, locked_until");
      q.bind(t).bind(userId);
      if (!q.step()) throw StoreError("store " + std::string(tx.label) + ": record failed login: no user with id " +
                                      std::to_string(userId));
      auto r = row(q);
      f.failures = static_cast<int>(r.integer(0));
      f.lockedUntil = r.optTime(1);
    }
    f.lockout = lockFor(f.failures);
    if (f.lockout.count() > 0 && (!f.lockedUntil || *f.lockedUntil < now + f.lockout)) {
      f.lockedUntil = now + f.lockout;
      auto q = tx.db.prepare("UPDATE users SET locked_until = ? WHERE id = ?");
      q.bind(sql::unixSeconds(*f.lockedUntil)).bind(userId).run();
    }
    appendIn(tx, audit(f));
    return f;
  });
}

bool SqlStore::recordSuccessfulLogin(std::int64_t userId, TimePoint now,
                                     const std::optional<std::string>& newPasswordHash, const AuditRecord& audit) {
  const std::int64_t t = sql::unixSeconds(now);
  return write("record successful login", [&](sql::WriteTx& tx) {
    auto q = newPasswordHash
                 ? tx.db.prepare("UPDATE users SET failed_logins = 0, locked_until = NULL, updated_at = ?, "
                                 "password_hash = ? WHERE id = ?")
                 : tx.db.prepare("UPDATE users SET failed_logins = 0, locked_until = NULL, updated_at = ? WHERE id = ?");
    q.bind(t);
    if (newPasswordHash) q.bind(*newPasswordHash);
    q.bind(userId).run();
    if (q.changes() == 0) return false;
    appendIn(tx, audit);
    return true;
  });
}

}  // namespace propusk::store
