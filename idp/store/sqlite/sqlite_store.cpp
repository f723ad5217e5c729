// The embedded SQLite store (DESIGN.md "Storage").
//
// Concurrency: one writer Poco::Data::Session per Store object, guarded by a std::mutex, so
// the server's threads take turns on it for changes; the hot read-only lookups use a small
// pool of query_only connections instead (see query()). Across processes (server and propuskctl on the same
// file) SQLite's WAL mode lets readers run beside one writer; every change runs in
// BEGIN IMMEDIATE, which takes the write lock before the first read, so the audit chain's
// "read the last hash, append the next event" can never interleave between processes.
// busy_timeout makes the second writer wait (up to 5 s) instead of failing.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SQLite/SQLiteException.h>
#include <Poco/Data/SQLite/Utility.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Nullable.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <optional>
#include <thread>
#include <cerrno>
#include <cstring>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <sstream>
#include <type_traits>

#include "idp/audit/audit_chain.h"
#include "idp/store/migrations/sqlite_migrations.h"
#include "idp/store/sqlite/sqlite_handles.h"
#include "idp/store/store.h"

namespace propusk::store {

namespace {

using namespace Poco::Data::Keywords;
using Poco::Data::RecordSet;
using Poco::Data::Statement;
using Poco::Int64;

constexpr char kSqliteMagic[16] = {'S', 'Q', 'L', 'i', 't', 'e', ' ', 'f',
                                   'o', 'r', 'm', 'a', 't', ' ', '3', '\0'};

std::string oneLine(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

Int64 unixSeconds(TimePoint t) { return t.time_since_epoch().count(); }
TimePoint fromUnix(Int64 s) { return TimePoint{std::chrono::seconds{s}}; }

Poco::Nullable<std::string> nullable(const std::optional<std::string>& v) {
  return v ? Poco::Nullable<std::string>(*v) : Poco::Nullable<std::string>();
}
Poco::Nullable<Int64> nullable(const std::optional<TimePoint>& v) {
  return v ? Poco::Nullable<Int64>(unixSeconds(*v)) : Poco::Nullable<Int64>();
}

std::string releaseToJson(const std::vector<std::string>& release) {
  Poco::JSON::Array arr;
  for (const auto& name : release) arr.add(name);
  std::ostringstream out;
  arr.stringify(out);
  return out.str();
}

// Typed access to one row of a result, from Poco::Data (a RecordSet row) or from a cached
// statement (sqlite::Query on its current row); a NULL or malformed value in a NOT NULL
// column means the file was edited behind our back.
class Row {
 public:
  Row(const RecordSet& rs, std::size_t row, const std::string& file) : rs_(&rs), row_(row), file_(file) {}
  Row(const sqlite::Query& q, const std::string& file) : q_(&q), file_(file) {}

  bool isNull(std::size_t col) const { return q_ ? q_->isNull(static_cast<int>(col)) : rs_->isNull(col, row_); }
  std::string text(std::size_t col) const {
    if (isNull(col)) corrupt(col, "NULL");
    return q_ ? q_->text(static_cast<int>(col)) : rs_->value(col, row_).convert<std::string>();
  }
  Int64 integer(std::size_t col) const {
    if (isNull(col)) corrupt(col, "NULL");
    if (!q_) return rs_->value(col, row_).convert<Int64>();
    // SQLite would read text as 0; Poco's conversion refused it, and so do we.
    if (!q_->isInteger(static_cast<int>(col))) corrupt(col, q_->text(static_cast<int>(col)));
    return q_->integer(static_cast<int>(col));
  }
  bool flag(std::size_t col) const { return integer(col) != 0; }
  TimePoint time(std::size_t col) const { return fromUnix(integer(col)); }
  std::optional<std::string> optText(std::size_t col) const {
    if (isNull(col)) return std::nullopt;
    return text(col);
  }
  std::optional<TimePoint> optTime(std::size_t col) const {
    if (isNull(col)) return std::nullopt;
    return time(col);
  }
  policy::AccountStatus status(std::size_t col) const {
    auto v = text(col);
    auto s = policy::parseAccountStatus(v);
    if (!s) corrupt(col, v);
    return *s;
  }
  SignMode signMode(std::size_t col) const {
    auto v = text(col);
    auto m = parseSignMode(v);
    if (!m) corrupt(col, v);
    return *m;
  }
  KeyState keyState(std::size_t col) const {
    auto v = text(col);
    auto s = parseKeyState(v);
    if (!s) corrupt(col, v);
    return *s;
  }
  std::vector<std::string> release(std::size_t col) const {
    auto v = text(col);
    std::vector<std::string> out;
    try {
      Poco::JSON::Parser parser;
      auto arr = parser.parse(v).extract<Poco::JSON::Array::Ptr>();
      for (std::size_t i = 0; i < arr->size(); ++i) out.push_back(arr->getElement<std::string>(i));
    } catch (const Poco::Exception&) {
      corrupt(col, v);
    }
    return out;
  }

 private:
  [[noreturn]] void corrupt(std::size_t col, const std::string& value) const {
    std::string name = q_ ? q_->columnName(static_cast<int>(col)) : rs_->columnName(col);
    throw StoreError("store " + file_ + ": corrupt value in column " + name + ": " + oneLine(value.substr(0, 64)));
  }

  const RecordSet* rs_ = nullptr;
  std::size_t row_ = 0;
  const sqlite::Query* q_ = nullptr;
  const std::string& file_;
};

constexpr char kUserColumns[] =
    "id, uid, login, surname, given_name, middle_name, inn, snils, email, phone, "
    "email_confirmed, phone_confirmed, status, password_hash, locked, failed_logins, "
    "created_at, updated_at, locked_until";

User userFrom(const Row& r) {
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

constexpr char kSpColumns[] =
    "entity_id, metadata_xml, release, min_status, allow_sha1, sign_mode, "
    "metadata_signature_verified, valid_until, source, created_at, updated_at";

ServiceProvider spFrom(const Row& r) {
  ServiceProvider sp;
  sp.entityId = r.text(0);
  sp.metadataXml = r.text(1);
  sp.release = r.release(2);
  sp.minStatus = r.status(3);
  sp.allowSha1 = r.flag(4);
  sp.signMode = r.signMode(5);
  sp.metadataSignatureVerified = r.flag(6);
  sp.validUntil = r.optTime(7);
  sp.source = r.text(8);
  sp.createdAt = r.time(9);
  sp.updatedAt = r.time(10);
  return sp;
}

constexpr char kKeyColumns[] =
    "id, algorithm, private_key_pem, certificate_pem, state, created_at, activated_at, retired_at";

SigningKey keyFrom(const Row& r) {
  SigningKey k;
  k.id = r.text(0);
  k.algorithm = r.text(1);
  k.privateKeyPem = r.text(2);
  k.certificatePem = r.text(3);
  k.state = r.keyState(4);
  k.createdAt = r.time(5);
  k.activatedAt = r.optTime(6);
  k.retiredAt = r.optTime(7);
  return k;
}

constexpr char kSessionColumns[] =
    "id_hash, user_id, login, created_at, last_seen_at, authn_instant, authn_context";

Session sessionFrom(const Row& r) {
  Session s;
  s.idHash = r.text(0);
  s.userId = r.integer(1);
  s.login = r.text(2);
  s.createdAt = r.time(3);
  s.lastSeenAt = r.time(4);
  s.authnInstant = r.time(5);
  s.authnContextClassRef = r.text(6);
  return s;
}

constexpr char kParticipantColumns[] =
    "session_id_hash, sp_entity_id, name_id, name_id_format, session_index, issued_at";

SessionParticipant participantFrom(const Row& r) {
  SessionParticipant p;
  p.sessionIdHash = r.text(0);
  p.spEntityId = r.text(1);
  p.nameId = r.text(2);
  p.nameIdFormat = r.text(3);
  p.sessionIndex = r.text(4);
  p.issuedAt = r.time(5);
  return p;
}

constexpr char kAuditColumns[] =
    "seq, time, actor, action, target, outcome, details, prev_hash, hash";

AuditEvent auditFrom(const Row& r) {
  AuditEvent e;
  e.seq = r.integer(0);
  e.time = r.time(1);
  e.record.actor = r.text(2);
  e.record.action = r.text(3);
  e.record.target = r.text(4);
  e.record.outcome = r.text(5);
  e.record.details = r.text(6);
  e.prevHash = r.text(7);
  e.hash = r.text(8);
  return e;
}

// SQLite's message for a unique violation names the column ("UNIQUE constraint failed:
// users.inn"); the pre-insert checks normally catch these first.
UserConflict conflictFromMessage(const std::string& msg) {
  if (msg.find("users.login") != std::string::npos) return UserConflict::Login;
  if (msg.find("users.inn") != std::string::npos) return UserConflict::Inn;
  if (msg.find("users.snils") != std::string::npos) return UserConflict::Snils;
  return UserConflict::None;
}

// Creates the file 0600 when missing (so the -wal and -shm files SQLite derives from it
// are 0600 too), and refuses anything that is not a SQLite database before Poco opens it.
void prepareFile(const std::filesystem::path& file) {
  const std::string name = file.string();
  int fd = ::open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd >= 0) {
    // open() applied the umask; the mode must not depend on it.
    int rc = ::fchmod(fd, 0600);
    int err = errno;
    ::close(fd);
    if (rc != 0) throw StoreError("store " + name + ": cannot set mode 0600: " + std::strerror(err));
    return;
  }
  if (errno != EEXIST)
    throw StoreError("store " + name + ": cannot create file: " + std::strerror(errno));

  fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw StoreError("store " + name + ": cannot open file: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw StoreError("store " + name + ": not a regular file");
  }
  char head[sizeof kSqliteMagic] = {};
  ssize_t n = st.st_size > 0 ? ::read(fd, head, sizeof head) : 0;
  int err = errno;
  if (st.st_size == 0) ::fchmod(fd, 0600);  // an empty file is a new database: ours to set
  ::close(fd);
  if (n < 0) throw StoreError("store " + name + ": cannot read file: " + std::strerror(err));
  if (st.st_size > 0 &&
      (n != static_cast<ssize_t>(sizeof head) || std::memcmp(head, kSqliteMagic, sizeof head) != 0))
    throw StoreError("store " + name + ": not a SQLite database");
}

void registerSqliteOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    // SQLite's allocation statistics take one process-wide mutex on every malloc and free;
    // the server's readers and writer contended on it. Nothing here reads the statistics.
    // Only possible before SQLite initialises; harmless (SQLITE_MISUSE) if it already has.
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    Poco::Data::SQLite::Connector::registerConnector();
  });
}

class SqliteStore final : public Store {
 public:
  SqliteStore(const std::filesystem::path& file, const Clock& clock)
      : file_(file.string()), clock_(clock), session_(open(file)) {
    try {
      session_ << "PRAGMA busy_timeout = 5000", now;
      std::string mode;
      session_ << "PRAGMA journal_mode = WAL", into(mode), now;
      if (mode != "wal") throw StoreError("store " + file_ + ": cannot enable WAL (journal_mode is " + mode + ")");
      session_ << "PRAGMA foreign_keys = ON", now;
      session_ << "PRAGMA synchronous = NORMAL", now;
    } catch (const Poco::Exception& e) {
      throw fail("open", e);
    }
    migrations::migrateSqlite(session_, file);
  }

  int schemaVersion() override {
    return read("read schema version", [&] { return migrations::sqliteSchemaVersion(session_); });
  }

  // ---- users

  UserConflict addUser(User& user, const AuditRecord& audit) override {
    return write("add user", [&] {
      if (auto c = conflictOf(user, 0); c != UserConflict::None) return c;
      const TimePoint stamp = clock_.now();
      std::string uid = user.uid, login = user.login, surname = user.surname,
                  given = user.givenName, status(policy::accountStatusName(user.status)),
                  hash = user.passwordHash;
      auto middle = nullable(user.middleName), inn = nullable(user.inn),
           snils = nullable(user.snils), email = nullable(user.email), phone = nullable(user.phone);
      auto lockedUntil = nullable(user.lockedUntil);
      int emailOk = user.emailConfirmed, phoneOk = user.phoneConfirmed, locked = user.locked,
          failed = user.failedLogins;
      Int64 t = unixSeconds(stamp);
      try {
        session_ << "INSERT INTO users (uid, login, surname, given_name, middle_name, inn, snils, "
                    "email, phone, email_confirmed, phone_confirmed, status, password_hash, locked, "
                    "failed_logins, created_at, updated_at, locked_until) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            use(uid), use(login), use(surname), use(given), use(middle), use(inn), use(snils),
            use(email), use(phone), use(emailOk), use(phoneOk), use(status), use(hash),
            use(locked), use(failed), use(t), use(t), use(lockedUntil), now;
      } catch (const Poco::Data::SQLite::ConstraintViolationException& e) {
        if (auto c = conflictFromMessage(e.displayText()); c != UserConflict::None) return c;
        throw;
      }
      Int64 id = 0;
      session_ << "SELECT last_insert_rowid()", into(id), now;
      appendLocked(audit);
      user.id = id;
      user.createdAt = user.updatedAt = stamp;
      return UserConflict::None;
    });
  }

  UserConflict updateUser(const User& user, const AuditRecord& audit) override {
    return write("update user", [&] {
      if (auto c = conflictOf(user, user.id); c != UserConflict::None) return c;
      std::string login = user.login, surname = user.surname, given = user.givenName,
                  status(policy::accountStatusName(user.status)), hash = user.passwordHash;
      auto middle = nullable(user.middleName), inn = nullable(user.inn),
           snils = nullable(user.snils), email = nullable(user.email), phone = nullable(user.phone);
      auto lockedUntil = nullable(user.lockedUntil);
      int emailOk = user.emailConfirmed, phoneOk = user.phoneConfirmed, locked = user.locked,
          failed = user.failedLogins;
      Int64 t = unixSeconds(clock_.now()), id = user.id;
      std::size_t changed = 0;
      try {
        // uid and created_at never change.
        Statement st(session_);
        st << "UPDATE users SET login = ?, surname = ?, given_name = ?, middle_name = ?, inn = ?, "
              "snils = ?, email = ?, phone = ?, email_confirmed = ?, phone_confirmed = ?, "
              "status = ?, password_hash = ?, locked = ?, failed_logins = ?, updated_at = ?, "
              "locked_until = ? WHERE id = ?",
            use(login), use(surname), use(given), use(middle), use(inn), use(snils), use(email),
            use(phone), use(emailOk), use(phoneOk), use(status), use(hash), use(locked),
            use(failed), use(t), use(lockedUntil), use(id);
        changed = st.execute();
      } catch (const Poco::Data::SQLite::ConstraintViolationException& e) {
        if (auto c = conflictFromMessage(e.displayText()); c != UserConflict::None) return c;
        throw;
      }
      if (changed == 0)
        throw StoreError("store " + file_ + ": update user: no user with id " + std::to_string(id));
      appendLocked(audit);
      return UserConflict::None;
    });
  }

  std::optional<User> findUser(std::string_view login) override {
    static const std::string sql = "SELECT " + std::string(kUserColumns) + " FROM users WHERE login = ?";
    return query("find user", [&](sqlite::StatementCache& reader) -> std::optional<User> {
      auto q = reader(sql);
      q.bind(login);
      if (!q.step()) return std::nullopt;
      return userFrom(Row(q, file_));
    });
  }

  std::vector<User> listUsers() override {
    return read("list users", [&] {
      Statement st(session_);
      st << "SELECT " + std::string(kUserColumns) + " FROM users ORDER BY login";
      st.execute();
      RecordSet rs(st);
      std::vector<User> out;
      for (std::size_t i = 0; i < rs.rowCount(); ++i) out.push_back(userFrom(Row(rs, i, file_)));
      return out;
    });
  }

  // Their sessions (and those sessions' participants) go with them: ON DELETE CASCADE.
  bool removeUser(std::string_view login, const AuditRecord& audit) override {
    return write("remove user", [&] {
      std::string l(login);
      Statement st(session_);
      st << "DELETE FROM users WHERE login = ?", use(l);
      if (st.execute() == 0) return false;
      appendLocked(audit);
      return true;
    });
  }

  // ---- service providers

  void putServiceProvider(const ServiceProvider& sp, const AuditRecord& audit) override {
    write("put service provider", [&] {
      std::string entityId = sp.entityId, xml = sp.metadataXml, release = releaseToJson(sp.release),
                  minStatus(policy::accountStatusName(sp.minStatus)),
                  signMode(signModeName(sp.signMode)), source = sp.source;
      int sha1 = sp.allowSha1, verified = sp.metadataSignatureVerified;
      auto validUntil = nullable(sp.validUntil);
      Int64 t = unixSeconds(clock_.now());
      // created_at survives re-registration; everything else is replaced.
      session_ << "INSERT INTO service_providers (entity_id, metadata_xml, release, min_status, "
                  "allow_sha1, sign_mode, metadata_signature_verified, valid_until, source, "
                  "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                  "ON CONFLICT (entity_id) DO UPDATE SET metadata_xml = excluded.metadata_xml, "
                  "release = excluded.release, min_status = excluded.min_status, "
                  "allow_sha1 = excluded.allow_sha1, sign_mode = excluded.sign_mode, "
                  "metadata_signature_verified = excluded.metadata_signature_verified, "
                  "valid_until = excluded.valid_until, source = excluded.source, "
                  "updated_at = excluded.updated_at",
          use(entityId), use(xml), use(release), use(minStatus), use(sha1), use(signMode),
          use(verified), use(validUntil), use(source), use(t), use(t), now;
      appendLocked(audit);
    });
  }

  std::optional<ServiceProvider> findServiceProvider(std::string_view entityId) override {
    static const std::string sql = "SELECT " + std::string(kSpColumns) + " FROM service_providers WHERE entity_id = ?";
    return query("find service provider", [&](sqlite::StatementCache& reader) -> std::optional<ServiceProvider> {
      auto q = reader(sql);
      q.bind(entityId);
      if (!q.step()) return std::nullopt;
      return spFrom(Row(q, file_));
    });
  }

  std::vector<ServiceProvider> listServiceProviders() override {
    return read("list service providers", [&] {
      Statement st(session_);
      st << "SELECT " + std::string(kSpColumns) + " FROM service_providers ORDER BY entity_id";
      st.execute();
      RecordSet rs(st);
      std::vector<ServiceProvider> out;
      for (std::size_t i = 0; i < rs.rowCount(); ++i) out.push_back(spFrom(Row(rs, i, file_)));
      return out;
    });
  }

  bool removeServiceProvider(std::string_view entityId, const AuditRecord& audit) override {
    return write("remove service provider", [&] {
      std::string id(entityId);
      Statement st(session_);
      st << "DELETE FROM service_providers WHERE entity_id = ?", use(id);
      if (st.execute() == 0) return false;
      appendLocked(audit);
      return true;
    });
  }

  // ---- signing keys

  void addKey(const SigningKey& key, const AuditRecord& audit) override {
    write("add signing key", [&] {
      std::string id = key.id, alg = key.algorithm, priv = key.privateKeyPem,
                  cert = key.certificatePem, state(keyStateName(key.state));
      Int64 created = unixSeconds(clock_.now());
      auto activated = nullable(key.activatedAt), retired = nullable(key.retiredAt);
      session_ << "INSERT INTO signing_keys (id, algorithm, private_key_pem, certificate_pem, state, "
                  "created_at, activated_at, retired_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
          use(id), use(alg), use(priv), use(cert), use(state), use(created), use(activated),
          use(retired), now;
      appendLocked(audit);
    });
  }

  void updateKeys(const std::vector<SigningKey>& keys, const AuditRecord& audit) override {
    write("update signing keys", [&] {
      // At most one key may be active (unique index): demote before promoting.
      std::vector<const SigningKey*> order;
      for (const auto& k : keys) order.push_back(&k);
      std::stable_partition(order.begin(), order.end(),
                            [](const SigningKey* k) { return k->state != KeyState::Active; });
      for (const SigningKey* k : order) {
        std::string id = k->id, state(keyStateName(k->state));
        auto activated = nullable(k->activatedAt), retired = nullable(k->retiredAt);
        Statement st(session_);
        st << "UPDATE signing_keys SET state = ?, activated_at = ?, retired_at = ? WHERE id = ?",
            use(state), use(activated), use(retired), use(id);
        if (st.execute() == 0)
          throw StoreError("store " + file_ + ": update signing keys: no key with id " + k->id);
      }
      appendLocked(audit);
    });
  }

  std::vector<SigningKey> listKeys() override {
    static const std::string sql = "SELECT " + std::string(kKeyColumns) + " FROM signing_keys ORDER BY created_at, id";
    return query("list signing keys", [&](sqlite::StatementCache& reader) {
      auto q = reader(sql);
      std::vector<SigningKey> out;
      while (q.step()) out.push_back(keyFrom(Row(q, file_)));
      return out;
    });
  }

  // ---- SSO sessions
  //
  // On the SSO hot path: the bound values are prepared before the mutex is taken, and the
  // unaudited changes are single statements (SQLite runs each as its own transaction).

  void createSession(const Session& s, const AuditRecord& audit) override {
    std::string idHash = s.idHash, login = s.login, context = s.authnContextClassRef;
    Int64 userId = s.userId, created = unixSeconds(s.createdAt), seen = unixSeconds(s.lastSeenAt),
          authn = unixSeconds(s.authnInstant);
    write("create session", [&] {
      session_ << "INSERT INTO sessions (id_hash, user_id, login, created_at, last_seen_at, "
                  "authn_instant, authn_context) VALUES (?, ?, ?, ?, ?, ?, ?)",
          use(idHash), use(userId), use(login), use(created), use(seen), use(authn), use(context),
          now;
      appendLocked(audit);
    });
  }

  std::optional<Session> findSession(std::string_view idHash) override {
    static const std::string sql = "SELECT " + std::string(kSessionColumns) + " FROM sessions WHERE id_hash = ?";
    return query("find session", [&](sqlite::StatementCache& reader) -> std::optional<Session> {
      auto q = reader(sql);
      q.bind(idHash);
      if (!q.step()) return std::nullopt;
      return sessionFrom(Row(q, file_));
    });
  }

  // Requests of one session race on the server's threads: last_seen_at never goes back.
  void touchSession(std::string_view idHash, TimePoint lastSeenAt) override {
    std::string id(idHash);
    Int64 seen = unixSeconds(lastSeenAt);
    read("touch session", [&] {
      writer_("UPDATE sessions SET last_seen_at = MAX(last_seen_at, ?) WHERE id_hash = ?").bind(seen).bind(id).run();
    });
  }

  bool removeSession(std::string_view idHash, const AuditRecord& audit) override {
    std::string id(idHash);
    return write("remove session", [&] {
      Statement st(session_);
      st << "DELETE FROM sessions WHERE id_hash = ?", use(id);
      if (st.execute() == 0) return false;  // participants follow by ON DELETE CASCADE
      appendLocked(audit);
      return true;
    });
  }

  bool renewSession(std::string_view oldIdHash, const Session& s, const AuditRecord& audit) override {
    std::string old(oldIdHash), idHash = s.idHash, login = s.login, context = s.authnContextClassRef;
    Int64 userId = s.userId, created = unixSeconds(s.createdAt), seen = unixSeconds(s.lastSeenAt),
          authn = unixSeconds(s.authnInstant);
    return write("renew session", [&] {
      Int64 n = 0;
      session_ << "SELECT COUNT(*) FROM sessions WHERE id_hash = ? AND user_id = ?", use(old), use(userId), into(n), now;
      if (n == 0) return false;
      session_ << "INSERT INTO sessions (id_hash, user_id, login, created_at, last_seen_at, "
                  "authn_instant, authn_context) VALUES (?, ?, ?, ?, ?, ?, ?)",
          use(idHash), use(userId), use(login), use(created), use(seen), use(authn), use(context), now;
      session_ << "UPDATE session_participants SET session_id_hash = ? WHERE session_id_hash = ?", use(idHash),
          use(old), now;
      session_ << "DELETE FROM sessions WHERE id_hash = ?", use(old), now;
      appendLocked(audit);
      return true;
    });
  }

  // By login means by the user who has that login now (through user_id), so that a renamed
  // user's sessions are found under the new name and never under a reused old one.
  std::vector<Session> listSessions(std::optional<std::string_view> login) override {
    std::string l(login.value_or(""));
    std::string sql = "SELECT " + std::string(kSessionColumns) + " FROM sessions";
    if (login) sql += " WHERE user_id IN (SELECT id FROM users WHERE login = ?)";
    sql += " ORDER BY created_at DESC, id_hash";
    return read("list sessions", [&] {
      Statement st(session_);
      if (login)
        st << sql, use(l);
      else
        st << sql;
      st.execute();
      RecordSet rs(st);
      std::vector<Session> out;
      out.reserve(rs.rowCount());
      for (std::size_t i = 0; i < rs.rowCount(); ++i) out.push_back(sessionFrom(Row(rs, i, file_)));
      return out;
    });
  }

  std::size_t purgeSessions(TimePoint idleBefore, TimePoint createdBefore) override {
    Int64 idle = unixSeconds(idleBefore), created = unixSeconds(createdBefore);
    return write("purge sessions", [&] {
      Statement st(session_);
      st << "DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?", use(idle),
          use(created);
      const std::size_t n = st.execute();
      // One event for the sweep, not one per session; an empty sweep is not an event.
      if (n > 0)
        appendLocked({"system", "session.purge", "sessions", "ok",
                      "{\"count\":" + std::to_string(n) + "}"});
      return n;
    });
  }

  using Store::addSessionParticipant;
  std::unique_ptr<QueuedChange> queueSessionParticipant(const SessionParticipant& p,
                                                        std::vector<AuditRecord> audits) override {
    auto change = std::make_unique<Queued>(*this, "add session participant");
    change->write.run = [this, p, audits = std::move(audits)] {
      writer_("INSERT INTO session_participants (session_id_hash, sp_entity_id, name_id, "
              "name_id_format, session_index, issued_at) VALUES (?, ?, ?, ?, ?, ?) "
              "ON CONFLICT (session_id_hash, sp_entity_id) DO UPDATE SET "
              "name_id = excluded.name_id, name_id_format = excluded.name_id_format, "
              "session_index = excluded.session_index, issued_at = excluded.issued_at "
              "WHERE name_id <> excluded.name_id OR name_id_format <> excluded.name_id_format "
              "OR session_index <> excluded.session_index")
          .bind(p.sessionIdHash).bind(p.spEntityId).bind(p.nameId).bind(p.nameIdFormat).bind(p.sessionIndex)
          .bind(unixSeconds(p.issuedAt)).run();
      for (const AuditRecord& audit : audits) appendLocked(audit);
    };
    enqueue(change->write);
    return change;
  }

  bool retractSessionParticipant(const SessionParticipant& p, const AuditRecord& audit) override {
    return write("retract session participant", [&] {
      auto q = writer_("DELETE FROM session_participants WHERE session_id_hash = ? AND sp_entity_id = ? AND name_id = ? "
                       "AND name_id_format = ? AND session_index = ? AND issued_at = ?");
      q.bind(p.sessionIdHash).bind(p.spEntityId).bind(p.nameId).bind(p.nameIdFormat).bind(p.sessionIndex)
          .bind(unixSeconds(p.issuedAt)).run();
      const bool removed = q.changes() > 0;
      appendLocked(audit);
      return removed;
    });
  }

  std::vector<SessionParticipant> listSessionParticipants(std::string_view idHash) override {
    return participantsWhere("list session participants", "session_id_hash = ? ORDER BY issued_at, sp_entity_id",
                             {std::string(idHash)});
  }

  std::vector<SessionParticipant> findSessionParticipants(std::string_view spEntityId,
                                                          std::string_view nameId) override {
    return participantsWhere("find session participants",
                             "sp_entity_id = ? AND name_id = ? ORDER BY issued_at, session_id_hash",
                             {std::string(spEntityId), std::string(nameId)});
  }

  std::vector<SessionParticipant> participantsWhere(std::string_view op, const std::string& where,
                                                    std::vector<std::string> values) {
    const std::string sql = "SELECT " + std::string(kParticipantColumns) + " FROM session_participants WHERE " + where;
    return query(op, [&](sqlite::StatementCache& reader) {
      auto q = reader(sql);
      for (auto& v : values) q.bind(v);
      std::vector<SessionParticipant> out;
      while (q.step()) out.push_back(participantFrom(Row(q, file_)));
      return out;
    });
  }

  // ---- pending AuthnRequests

  void putPendingRequest(std::string_view id, std::string_view data, TimePoint expiresAt) override {
    std::string i(id), d(data);
    Int64 expires = unixSeconds(expiresAt);
    read("put pending request", [&] {
      session_ << "INSERT INTO pending_requests (id, data, expires_at) VALUES (?, ?, ?) "
                  "ON CONFLICT (id) DO UPDATE SET data = excluded.data, "
                  "expires_at = excluded.expires_at",
          use(i), use(d), use(expires), now;
    });
  }

  // A request is expired from its expiresAt on. The sweep is a range on the expires_at
  // index, so it costs only the rows it deletes.
  std::optional<std::string> getPendingRequest(std::string_view id, TimePoint nowTime) override {
    std::string i(id);
    Int64 t = unixSeconds(nowTime);
    return write("get pending request", [&]() -> std::optional<std::string> {
      session_ << "DELETE FROM pending_requests WHERE expires_at <= ?", use(t), now;
      Statement st(session_);
      st << "SELECT data FROM pending_requests WHERE id = ?", use(i);
      st.execute();
      RecordSet rs(st);
      if (rs.rowCount() == 0) return std::nullopt;
      return Row(rs, 0, file_).text(0);
    });
  }

  void removePendingRequest(std::string_view id) override {
    std::string i(id);
    read("remove pending request", [&] {
      session_ << "DELETE FROM pending_requests WHERE id = ?", use(i), now;
    });
  }

  // ---- settings

  std::optional<std::string> getSetting(std::string_view name) override {
    return query("get setting", [&](sqlite::StatementCache& reader) -> std::optional<std::string> {
      auto q = reader("SELECT value FROM settings WHERE name = ?");
      q.bind(name);
      if (!q.step()) return std::nullopt;
      return Row(q, file_).text(0);
    });
  }

  void putSetting(std::string_view name, std::string_view value, const AuditRecord& audit) override {
    write("put setting", [&] {
      std::string n(name), v(value);
      session_ << "INSERT INTO settings (name, value) VALUES (?, ?) "
                  "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
          use(n), use(v), now;
      appendLocked(audit);
    });
  }

  // ---- audit

  AuditEvent appendAudit(const AuditRecord& record) override {
    return write("append audit event", [&] { return appendLocked(record); });
  }

  std::vector<AuditEvent> listAudit(std::int64_t afterSeq, std::size_t limit) override {
    return read("list audit log", [&] {
      Int64 after = afterSeq;
      Int64 lim = static_cast<Int64>(std::min<std::size_t>(limit, INT64_MAX));
      Statement st(session_);
      st << "SELECT " + std::string(kAuditColumns) + " FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?",
          use(after), use(lim);
      st.execute();
      RecordSet rs(st);
      std::vector<AuditEvent> out;
      for (std::size_t i = 0; i < rs.rowCount(); ++i) out.push_back(auditFrom(Row(rs, i, file_)));
      return out;
    });
  }

  std::vector<AuditEvent> listRefusals(std::string_view target, std::size_t limit) override {
    return read("list refusals", [&] {
      std::string t(target);
      Int64 lim = static_cast<Int64>(std::min<std::size_t>(limit, INT64_MAX));
      Statement st(session_);
      // The literal outcome lets SQLite use the partial index audit_log_refusals (migration 6).
      st << "SELECT " + std::string(kAuditColumns) +
                " FROM audit_log WHERE target = ? AND outcome = 'refused' ORDER BY seq DESC LIMIT ?",
          use(t), use(lim);
      st.execute();
      RecordSet rs(st);
      std::vector<AuditEvent> out;
      for (std::size_t i = 0; i < rs.rowCount(); ++i) out.push_back(auditFrom(Row(rs, i, file_)));
      return out;
    });
  }

 private:
  static Poco::Data::Session open(const std::filesystem::path& file) {
    prepareFile(file);
    registerSqliteOnce();
    try {
      return Poco::Data::Session("SQLite", file.string());
    } catch (const Poco::Exception& e) {
      throw StoreError("store " + file.string() + ": cannot open: " + oneLine(e.displayText()));
    }
  }

  StoreError fail(std::string_view op, const Poco::Exception& e) const {
    return StoreError("store " + file_ + ": " + std::string(op) + ": " + oneLine(e.displayText()));
  }
  StoreError fail(std::string_view op, const sqlite::SqliteError& e) const {
    return StoreError("store " + file_ + ": " + std::string(op) + ": " + oneLine(e.what()));
  }

  void rollbackQuietly() {
    try {
      writer_("ROLLBACK").run();
    } catch (...) {
      // Nothing open to roll back (BEGIN or COMMIT already ended it).
    }
  }

  // Also runs single-statement changes, which SQLite commits on their own (autocommit).
  template <class F>
  auto read(std::string_view op, F&& f) -> std::invoke_result_t<F&> {
    std::lock_guard lock(mu_);
    try {
      return f();
    } catch (const Poco::Exception& e) {
      throw fail(op, e);
    } catch (const sqlite::SqliteError& e) {
      throw fail(op, e);
    }
  }

  void useBackgroundCheckpoints() override {
    std::lock_guard lock(mu_);
    try {
      session_ << "PRAGMA wal_autocheckpoint = 0", now;
    } catch (const Poco::Exception& e) {
      throw fail("disable auto-checkpoint", e);
    }
  }

  // PASSIVE: copies what it can without waiting for readers or the writer, on a connection
  // of its own, so requests never wait for it.
  void checkpoint() override {
    std::lock_guard lock(checkpointMutex_);
    try {
      if (!checkpointer_) {
        checkpointer_.emplace("SQLite", file_);
        *checkpointer_ << "PRAGMA busy_timeout = 100", now;
      }
      *checkpointer_ << "PRAGMA wal_checkpoint(PASSIVE)", now;
    } catch (const Poco::Exception& e) {
      throw fail("checkpoint", e);
    }
  }

  // Read-only queries on the hot path run on a small pool of separate connections: WAL lets
  // readers proceed while the one writer writes, so a session lookup never waits behind
  // another request's audit append (measured: with one shared connection 18 of 20 server
  // threads sat in this mutex under load).
  template <class F>
  auto query(std::string_view op, F&& f) -> std::invoke_result_t<F&, sqlite::StatementCache&> {
    Reader& r = readerFor();
    std::lock_guard lock(r.mutex);
    try {
      if (!r.connection) {
        r.connection = sqlite::openReader(file_, 5000);
        r.statements.emplace(r.connection.get());
      }
      return f(*r.statements);
    } catch (const sqlite::SqliteError& e) {
      throw fail(op, e);
    }
  }

  struct Reader {
    std::mutex mutex;
    sqlite::ConnectionPtr connection;  // opened on first use
    std::optional<sqlite::StatementCache> statements;  // declared after: gone before the connection
  };
  static constexpr std::size_t kReaders = 4;

  Reader& readerFor() {
    // A free reader if there is one, else the one this thread hashes to.
    for (auto& r : readers_)
      if (r.mutex.try_lock()) {
        r.mutex.unlock();
        return r;
      }
    return readers_[std::hash<std::thread::id>{}(std::this_thread::get_id()) % kReaders];
  }

  // Runs f inside BEGIN IMMEDIATE ... COMMIT; an exception from f undoes f's changes and
  // reaches the caller. Group commit: while one thread commits, the changes other threads
  // submit queue up, and the next of them commits the whole queue in one transaction (each
  // change in a savepoint of its own, so one failure undoes only that change). Every caller
  // still returns only after its change is committed. Measured at concurrency 32: 29 of 32
  // server threads were waiting for the writer mutex before this.
  template <class F>
  auto write(std::string_view op, F&& f) -> std::invoke_result_t<F&> {
    using R = std::invoke_result_t<F&>;
    if constexpr (std::is_void_v<R>) {
      PendingWrite w{op, [&] { f(); }, nullptr, false};
      submit(w);
    } else {
      std::optional<R> result;
      PendingWrite w{op, [&] { result.emplace(f()); }, nullptr, false};
      submit(w);
      return std::move(*result);
    }
  }

  struct PendingWrite {
    std::string_view op;
    std::function<void()> run;
    std::exception_ptr error;
    bool done = false;       // committed, undone, or withdrawn
    bool withdrawn = false;
  };

  void submit(PendingWrite& w) {
    enqueue(w);
    await(w);
  }

  void enqueue(PendingWrite& w) {
    std::lock_guard lk(queueMutex_);
    queue_.push_back(&w);
  }

  // Returns once w is committed (or rethrows what undid it). No commit under way and w not
  // yet taken: this thread commits everything queued so far, w among it.
  void await(PendingWrite& w) {
    std::unique_lock lk(queueMutex_);
    if (w.withdrawn) throw std::logic_error("store: waiting for a withdrawn change");
    queueCv_.wait(lk, [&] { return w.done || !committing_; });
    if (!w.done) {
      committing_ = true;
      std::vector<PendingWrite*> batch;
      batch.swap(queue_);
      lk.unlock();
      commitBatch(batch);
      lk.lock();
      committing_ = false;
      for (auto* b : batch) b->done = true;
      queueCv_.notify_all();
    }
    if (w.error) std::rethrow_exception(w.error);
  }

  // True when w left the queue before any commit took it; else waits until the commit that
  // took it is over (it refers to w) and returns false.
  bool withdraw(PendingWrite& w) {
    std::unique_lock lk(queueMutex_);
    if (w.done) return w.withdrawn;
    if (auto it = std::find(queue_.begin(), queue_.end(), &w); it != queue_.end()) {
      queue_.erase(it);
      w.done = w.withdrawn = true;
      return true;
    }
    queueCv_.wait(lk, [&] { return w.done; });
    return false;
  }

  class Queued final : public QueuedChange {
   public:
    Queued(SqliteStore& store, std::string_view op) : store_(store) { write.op = op; }
    ~Queued() override {
      if (!finished_) store_.withdraw(write);
    }
    void wait() override {
      finished_ = true;
      store_.await(write);
    }
    bool withdraw() override {
      finished_ = true;
      return store_.withdraw(write);
    }
    PendingWrite write;

   private:
    SqliteStore& store_;
    bool finished_ = false;
  };

  // Never throws: every failure lands in the error of the change(s) it concerns.
  void commitBatch(const std::vector<PendingWrite*>& batch) noexcept {
    std::lock_guard lock(mu_);
    // The chain head is remembered only inside this transaction (BEGIN IMMEDIATE holds the
    // write lock, so no other process can append meanwhile) and forgotten on any undo.
    struct ForgetHead {
      std::optional<std::pair<Int64, std::string>>& head;
      ~ForgetHead() { head.reset(); }
    } forget{chainHead_};
    chainHead_.reset();
    auto failAll = [&](std::string_view what, const sqlite::SqliteError& e) {
      for (auto* w : batch)
        if (!w->error) w->error = std::make_exception_ptr(fail(std::string(w->op) + " (" + std::string(what) + ")", e));
    };
    try {
      writer_("BEGIN IMMEDIATE").run();
    } catch (const sqlite::SqliteError& e) {
      failAll("begin", e);
      return;
    }
    const bool alone = batch.size() == 1;
    for (auto* w : batch) {
      try {
        if (!alone) writer_("SAVEPOINT change").run();
        w->run();
        if (!alone) writer_("RELEASE change").run();
        continue;
      } catch (const Poco::Exception& e) {
        w->error = std::make_exception_ptr(fail(w->op, e));
      } catch (const sqlite::SqliteError& e) {
        w->error = std::make_exception_ptr(fail(w->op, e));
      } catch (...) {
        w->error = std::current_exception();
      }
      if (alone) {
        rollbackQuietly();
        return;
      }
      chainHead_.reset();
      try {
        writer_("ROLLBACK TO change").run();
        writer_("RELEASE change").run();
      } catch (const sqlite::SqliteError& e) {
        rollbackQuietly();
        failAll("rollback to savepoint", e);
        return;
      }
    }
    try {
      writer_("COMMIT").run();
    } catch (const sqlite::SqliteError& e) {
      rollbackQuietly();
      failAll("commit", e);
    }
  }

  UserConflict conflictOf(const User& u, Int64 selfId) {
    if (taken("SELECT COUNT(*) FROM users WHERE login = ? AND id <> ?", u.login, selfId))
      return UserConflict::Login;
    if (u.inn && taken("SELECT COUNT(*) FROM users WHERE inn = ? AND id <> ?", *u.inn, selfId))
      return UserConflict::Inn;
    if (u.snils && taken("SELECT COUNT(*) FROM users WHERE snils = ? AND id <> ?", *u.snils, selfId))
      return UserConflict::Snils;
    return UserConflict::None;
  }

  bool taken(const std::string& sql, std::string value, Int64 selfId) {
    Int64 n = 0;
    session_ << sql, use(value), use(selfId), into(n), now;
    return n > 0;
  }

  // Caller holds mu_ and an open BEGIN IMMEDIATE transaction, so no other process can
  // append between reading the last hash and inserting the next event.
  AuditEvent appendLocked(const AuditRecord& record) {
    AuditEvent e;
    e.record = record;
    e.time = clock_.now();
    e.seq = 1;
    e.prevHash = audit::kGenesisHash;
    if (chainHead_) {  // appended earlier in this same transaction
      e.seq = chainHead_->first + 1;
      e.prevHash = chainHead_->second;
    } else {
      auto q = writer_("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1");
      if (q.step()) {
        Row last(q, file_);
        e.seq = last.integer(0) + 1;
        e.prevHash = last.text(1);
      }
    }
    e.hash = audit::eventHash(e);
    writer_("INSERT INTO audit_log (seq, time, actor, action, target, outcome, details, prev_hash, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(e.seq).bind(unixSeconds(e.time)).bind(record.actor).bind(record.action).bind(record.target)
        .bind(record.outcome).bind(record.details).bind(e.prevHash).bind(e.hash).run();
    chainHead_.emplace(e.seq, e.hash);
    return e;
  }

  std::string file_;
  const Clock& clock_;
  std::mutex mu_;  // guards session_: a Poco session is not safe for concurrent use
  Poco::Data::Session session_;
  // The writer's hot statements, on session_'s own connection (so inside its transactions);
  // declared after session_, so they are finalized before it closes.
  sqlite::StatementCache writer_{Poco::Data::SQLite::Utility::dbHandle(session_)};
  std::array<Reader, kReaders> readers_;
  std::mutex checkpointMutex_;
  std::optional<Poco::Data::Session> checkpointer_;
  std::optional<std::pair<Int64, std::string>> chainHead_;  // seq, hash; see commitBatch
  std::mutex queueMutex_;  // guards queue_, committing_ and each queued PendingWrite's done/error
  std::condition_variable queueCv_;
  std::vector<PendingWrite*> queue_;
  bool committing_ = false;
};

}  // namespace

StoreVersion inspectSqliteStore(const std::filesystem::path& file) {
  Poco::Data::SQLite::Connector::registerConnector();
  if (!std::filesystem::is_regular_file(file)) throw StoreError("store " + file.string() + ": no such file");
  try {
    // Immutable, read-only URI: SQLite neither writes nor recovers the WAL for this look.
    Poco::Data::Session session("SQLite", "file:" + file.string() + "?mode=ro");
    return {migrations::sqliteSchemaVersion(session), migrations::latestSqliteVersion()};
  } catch (const Poco::Exception& e) {
    throw StoreError("store " + file.string() + ": " + e.displayText());
  }
}

std::unique_ptr<Store> openSqliteStore(const std::filesystem::path& file, const Clock& clock) {
  return std::make_unique<SqliteStore>(file, clock);
}

}  // namespace propusk::store
