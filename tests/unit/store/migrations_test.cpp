#include "idp/store/migrations/migrations.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <thread>

#include "idp/audit/audit_chain.h"
#include "idp/store/sqlite/sqlite_handles.h"
#include "idp/store/store.h"
#include "store/engines.h"
#include "unit/support.h"

using namespace propusk;
using namespace propusk::store;

namespace {

// A plain connection to an SQLite file (created if missing), behind the store's back.
std::unique_ptr<sql::Connection> rawSqlite(const std::filesystem::path& file) {
  if (!std::filesystem::exists(file)) test::writeFile(file, "");
  return sqlite::open(file.string(), sqlite::Access::Writer, 5000);
}

std::int64_t scalar(sql::Connection& db, const std::string& sqlText) {
  auto q = db.prepare(sqlText);
  REQUIRE(q.step());
  return q.statement().integer(0).value_or(-1);
}

int sqliteObjects(sql::Connection& db, const std::string& type, const std::string& name) {
  return static_cast<int>(
      scalar(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = '" + type + "' AND name = '" + name + "'"));
}

unsigned mode(const std::filesystem::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

std::string storeErrorOf(const std::filesystem::path& file) {
  FixedClock clock{"2026-01-10T10:00:00Z"};
  try {
    openSqliteStore(file, clock);
  } catch (const StoreError& e) {
    return e.what();
  }
  return "";
}

// Restores the process umask when a test ends.
struct UmaskGuard {
  explicit UmaskGuard(mode_t m) : old(::umask(m)) {}
  ~UmaskGuard() { ::umask(old); }
  mode_t old;
};

}  // namespace

TEST_CASE("migrations are numbered 1..N without gaps", "[store]") {
  const auto& ms = migrations::all();
  REQUIRE(ms.size() >= 2);
  for (std::size_t i = 0; i < ms.size(); ++i) {
    CHECK(ms[i].version == static_cast<int>(i + 1));
    CHECK_FALSE(ms[i].sqlite.empty());
    CHECK_FALSE(ms[i].postgres.empty());  // every version exists in both engines
  }
  CHECK(migrations::latestVersion() == ms.back().version);
}

TEST_CASE("the file is 0600 whatever the umask", "[store]") {
  for (mode_t mask : {mode_t(0), mode_t(0277)}) {
    test::TempDir dir;
    FixedClock clock{"2026-01-10T10:00:00Z"};
    UmaskGuard guard(mask);
    auto store = openSqliteStore(dir / "p.db", clock);
    store->appendAudit({"test", "noop", "", "ok", "{}"});
    CHECK(mode(dir / "p.db") == 0600);
    CHECK(mode(dir / "p.db-wal") == 0600);
  }
}

TEST_CASE("a new file is created 0600 at the latest version with every table", "[store]") {
  test::TempDir dir;
  FixedClock clock{"2026-01-10T10:00:00Z"};
  const auto file = dir / "propusk.db";
  REQUIRE_FALSE(std::filesystem::exists(file));
  {
    UmaskGuard permissive(0);  // the mode must not depend on the umask
    auto store = openSqliteStore(file, clock);
    CHECK(store->schemaVersion() == migrations::latestVersion());
    store->putSetting("x", "y", {"test", "setting.put", "x", "ok", "{}"});
    CHECK(mode(file) == 0600);
    REQUIRE(std::filesystem::exists(dir / "propusk.db-wal"));
    CHECK(mode(dir / "propusk.db-wal") == 0600);
  }
  auto raw = rawSqlite(file);
  for (auto t : {"users", "service_providers", "signing_keys", "settings", "audit_log", "sessions",
                 "session_participants", "pending_requests"})
    CHECK(sqliteObjects(*raw, "table", t) == 1);
  for (auto i : {"sessions_user_id", "sessions_last_seen_at", "sessions_created_at",
                 "pending_requests_expires_at"})
    CHECK(sqliteObjects(*raw, "index", i) == 1);
  CHECK(sqliteObjects(*raw, "trigger", "audit_log_no_update") == 1);
  CHECK(sqliteObjects(*raw, "trigger", "audit_log_no_delete") == 1);
  auto journal = raw->prepare("PRAGMA journal_mode");
  REQUIRE(journal.step());
  CHECK(journal.statement().text(0) == "wal");  // persistent in the file
}

TEST_CASE("a file at version 1 is migrated and keeps its rows", "[store]") {
  test::TempDir dir;
  const auto file = dir / "old.db";
  {
    auto raw = rawSqlite(file);
    CHECK(migrations::migrate(*raw, sql::Engine::Sqlite, file.string(), 1) == 1);
    CHECK(migrations::schemaVersion(*raw, sql::Engine::Sqlite) == 1);
    CHECK(sqliteObjects(*raw, "trigger", "audit_log_no_update") == 0);
    raw->exec("INSERT INTO users (uid, login, surname, given_name, inn, status, password_hash, "
           "created_at, updated_at) VALUES ('u1', 'old', 'Старый', 'Пользователь', '500100732259', "
           "'standard', 'h', 1700000000, 1700000000)");
    raw->exec("INSERT INTO audit_log VALUES (1, 1700000000, 'a', 'b', 'c', 'ok', '{}', '0', 'x')");
  }
  FixedClock clock{"2026-01-10T10:00:00Z"};
  auto store = openSqliteStore(file, clock);
  CHECK(store->schemaVersion() == migrations::latestVersion());
  auto u = store->findUser("old");
  REQUIRE(u);
  CHECK(u->uid == "u1");
  CHECK(u->surname == "Старый");
  CHECK(u->inn == "500100732259");
  CHECK(u->status == policy::AccountStatus::Standard);
  CHECK(u->createdAt.time_since_epoch().count() == 1700000000);
  CHECK_FALSE(u->middleName);

  // Migration 2's trigger now guards the pre-existing row.
  auto raw = rawSqlite(file);
  CHECK_THROWS(raw->exec("DELETE FROM audit_log WHERE seq = 1"));
  CHECK(store->listAudit().size() == 1);
}

TEST_CASE("a file at version 3 with a user migrates to 4", "[store]") {
  test::TempDir dir;
  const auto file = dir / "v3.db";
  {
    auto raw = rawSqlite(file);
    CHECK(migrations::migrate(*raw, sql::Engine::Sqlite, file.string(), 3) == 3);
    CHECK(sqliteObjects(*raw, "table", "sessions") == 0);
    raw->exec("INSERT INTO users (uid, login, surname, given_name, status, password_hash, locked, "
           "failed_logins, created_at, updated_at) VALUES ('u3', 'three', 'Третьяков', 'Иван', "
           "'confirmed', 'h', 1, 4, 1700000000, 1700000100)");
  }
  FixedClock clock{"2026-01-10T10:00:00Z"};
  auto store = openSqliteStore(file, clock);
  CHECK(store->schemaVersion() == migrations::latestVersion());
  auto u = store->findUser("three");
  REQUIRE(u);
  CHECK(u->uid == "u3");
  CHECK(u->surname == "Третьяков");
  CHECK(u->status == policy::AccountStatus::Confirmed);
  CHECK(u->locked);
  CHECK(u->failedLogins == 4);
  CHECK(u->updatedAt.time_since_epoch().count() == 1700000100);
  CHECK_FALSE(u->lockedUntil);

  // The new tables work with the old row, cascade included.
  Session s;
  s.idHash = std::string(64, 'e');
  s.userId = u->id;
  s.login = "three";
  s.createdAt = s.lastSeenAt = s.authnInstant = clock.now();
  s.authnContextClassRef = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport";
  store->createSession(s, {"web", "session.create", "three", "ok", "{}"});
  CHECK(store->listSessions("three").size() == 1);
  REQUIRE(store->removeUser("three", {"cli:root", "user.remove", "three", "ok", "{}"}));
  CHECK_FALSE(store->findSession(s.idHash));
}

TEST_CASE("running the migrations again changes nothing", "[store]") {
  test::TempDir dir;
  const auto file = dir / "p.db";
  auto raw = rawSqlite(file);
  const int latest = migrations::latestVersion();
  CHECK(migrations::migrate(*raw, sql::Engine::Sqlite, file.string()) == latest);
  CHECK(migrations::migrate(*raw, sql::Engine::Sqlite, file.string()) == latest);
  CHECK(migrations::migrate(*raw, sql::Engine::Sqlite, file.string(), 1) == latest);  // never goes down
  CHECK(migrations::schemaVersion(*raw, sql::Engine::Sqlite) == latest);
}

TEST_CASE("reopening an up-to-date store is a no-op", "[store]") {
  test::TempDir dir;
  FixedClock clock{"2026-01-10T10:00:00Z"};
  const auto file = dir / "p.db";
  {
    auto s = openSqliteStore(file, clock);
    s->putSetting("k", "v", {"test", "setting.put", "k", "ok", "{}"});
  }
  auto s = openSqliteStore(file, clock);
  CHECK(s->schemaVersion() == migrations::latestVersion());
  CHECK(s->getSetting("k") == "v");
  auto events = s->listAudit();
  CHECK(events.size() == 1);  // opening audits nothing
  CHECK_FALSE(audit::firstBrokenLink(events));
  CHECK(mode(file) == 0600);
}

TEST_CASE("a schema newer than this build is refused", "[store]") {
  test::TempDir dir;
  const auto file = dir / "future.db";
  {
    auto raw = rawSqlite(file);
    CHECK(migrations::migrate(*raw, sql::Engine::Sqlite, file.string()) == migrations::latestVersion());
    raw->exec("PRAGMA user_version = 999");
  }
  auto msg = storeErrorOf(file);
  CHECK_THAT(msg, Catch::Contains("newer") && Catch::Contains("999") &&
                      Catch::Contains(file.string()));
  auto raw = rawSqlite(file);
  CHECK(migrations::schemaVersion(*raw, sql::Engine::Sqlite) == 999);  // left as it was
}

TEST_CASE("a file that is not a SQLite database is refused", "[store]") {
  test::TempDir dir;
  const auto garbage = dir / "garbage.db";
  test::writeFile(garbage, "this is not a database, just some text that is long enough\n");
  auto msg = storeErrorOf(garbage);
  CHECK_THAT(msg, Catch::Contains("not a SQLite database") && Catch::Contains(garbage.string()));
  CHECK(test::readFile(garbage).starts_with("this is not"));  // untouched

  // Right magic, garbage after it: SQLite itself refuses, still a StoreError naming the file.
  const auto corrupt = dir / "corrupt.db";
  test::writeFile(corrupt, std::string("SQLite format 3\0", 16) + std::string(4096, '\x5a'));
  auto msg2 = storeErrorOf(corrupt);
  CHECK_THAT(msg2, Catch::Contains(corrupt.string()));
  CHECK(msg2.find('\n') == std::string::npos);
}

TEST_CASE("a missing data directory is an error, not created", "[store]") {
  test::TempDir dir;
  const auto file = dir / "missing" / "p.db";
  auto msg = storeErrorOf(file);
  CHECK_THAT(msg, Catch::Contains(file.string()));
  CHECK_FALSE(std::filesystem::exists(dir / "missing"));
}

TEST_CASE("an empty existing file becomes a new store", "[store]") {
  test::TempDir dir;
  FixedClock clock{"2026-01-10T10:00:00Z"};
  const auto file = dir / "empty.db";
  test::writeFile(file, "");
  std::filesystem::permissions(file, std::filesystem::perms(0644));
  auto s = openSqliteStore(file, clock);
  CHECK(s->schemaVersion() == migrations::latestVersion());
  CHECK(mode(file) == 0600);
}

// ---- both engines

TEST_CASE("a new database gets every table, index and trigger, at the latest version", "[store]") {
  STORE_ENGINE_FIXTURE(f);
  CHECK(f.store->schemaVersion() == migrations::latestVersion());
  auto raw = f.raw();
  auto has = [&](const std::string& kind, const std::string& name) {
    if (f.sqlite()) return sqliteObjects(*raw, kind, name) == 1;
    const std::string sqlText =
        kind == "table"   ? "SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = '" + name + "'"
        : kind == "index" ? "SELECT COUNT(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = '" + name + "'"
                          : "SELECT COUNT(*) FROM pg_trigger WHERE tgname = '" + name +
                                "' AND tgrelid = (current_schema() || '.audit_log')::regclass";
    return scalar(*raw, sqlText) == 1;
  };
  for (auto t : {"users", "service_providers", "signing_keys", "settings", "audit_log", "sessions",
                 "session_participants", "pending_requests", "replay_ids", "upstreams", "account_links"})
    CHECK(has("table", t));
  for (auto i : {"sessions_user_id", "sessions_last_seen_at", "sessions_created_at", "pending_requests_expires_at",
                 "signing_keys_one_active", "session_participants_sp_name_id", "audit_log_refusals",
                 "replay_ids_expires_at", "account_links_user_id", "users_confirmed_email",
                 "sessions_upstream_name_id"})
    CHECK(has("index", i));
  if (f.sqlite()) {
    CHECK(has("trigger", "audit_log_no_update"));
    CHECK(has("trigger", "audit_log_no_delete"));
  } else {
    CHECK(has("trigger", "audit_log_no_update_or_delete"));
    CHECK(has("trigger", "audit_log_no_truncate"));
  }
}

TEST_CASE("a database at version 3 with rows is migrated and keeps them", "[store]") {
  STORE_ENGINE_FIXTURE(f);
  f.store.reset();
  // Start again from an empty database brought to version 3 by hand.
  test::EngineFixture empty(f.engine, false);
  {
    auto db = empty.sqlite() ? rawSqlite(empty.location.sqliteFile) : empty.raw();
    CHECK(migrations::migrate(*db, f.engine, "test", 3) == 3);
    CHECK(migrations::schemaVersion(*db, f.engine) == 3);
    db->exec("INSERT INTO users (uid, login, surname, given_name, inn, status, password_hash, locked, failed_logins, "
             "created_at, updated_at) VALUES ('u3', 'three', 'Третьяков', 'Иван', '500100732259', 'confirmed', 'h', 1, 4, "
             "1700000000, 1700000100)");
    db->exec("INSERT INTO audit_log VALUES (1, 1700000000, 'a', 'b', 'c', 'ok', '{}', '0', 'x')");
  }
  auto store = empty.reopen();
  CHECK(store->schemaVersion() == migrations::latestVersion());
  auto u = store->findUser("three");
  REQUIRE(u);
  CHECK(u->surname == "Третьяков");
  CHECK(u->inn == "500100732259");
  CHECK(u->locked);
  CHECK(u->failedLogins == 4);
  CHECK(u->updatedAt.time_since_epoch().count() == 1700000100);
  CHECK_FALSE(u->lockedUntil);
  CHECK(store->listAudit().size() == 1);
  CHECK_THROWS(empty.raw()->exec("DELETE FROM audit_log WHERE seq = 1"));  // migration 2 guards old rows
}

// Migration 8 (gateway) adds columns to tables that hold rows on every running instance.
TEST_CASE("a database at version 7 with an SP and a session gets the gateway's defaults", "[store][upstream]") {
  STORE_ENGINE_FIXTURE(f);
  f.store.reset();
  test::EngineFixture empty(f.engine, false);
  {
    auto db = empty.sqlite() ? rawSqlite(empty.location.sqliteFile) : empty.raw();
    CHECK(migrations::migrate(*db, f.engine, "test", 7) == 7);
    db->exec("INSERT INTO users (uid, login, surname, given_name, status, password_hash, created_at, updated_at) "
             "VALUES ('u7', 'seven', 'Семёнов', 'Семён', 'standard', 'h', 1700000000, 1700000000)");
    db->exec("INSERT INTO service_providers (entity_id, metadata_xml, release, min_status, allow_sha1, sign_mode, "
             "metadata_signature_verified, source, created_at, updated_at) VALUES ('https://sp7/', '<x/>', "
             "'[\"inn\"]', 'standard', 0, 'both', 0, 'f', 1700000000, 1700000000)");
    db->exec("INSERT INTO sessions (id_hash, user_id, login, created_at, last_seen_at, authn_instant, authn_context) "
             "SELECT '" + std::string(64, '7') + "', id, login, 1700000000, 1700000000, 1700000000, 'pw' FROM users");
  }
  auto store = empty.reopen();
  CHECK(store->schemaVersion() == migrations::latestVersion());
  auto sp = store->findServiceProvider("https://sp7/");
  REQUIRE(sp);
  CHECK(sp->release == std::vector<std::string>{"inn"});
  CHECK(sp->upstreams.empty());  // no upstream until an administrator allows one
  CHECK(sp->localLogin);         // and the password form stays
  auto s = store->findSession(std::string(64, '7'));
  REQUIRE(s);
  CHECK(s->login == "seven");
  CHECK(s->upstream.empty());
  CHECK(s->upstreamNameId.empty());
  CHECK(s->upstreamData.empty());
  CHECK(store->listUpstreams().empty());
  CHECK(store->listAccountLinks(s->userId).empty());
}

TEST_CASE("a schema newer than this build is refused, and left as it was", "[store]") {
  STORE_ENGINE_FIXTURE(f);
  f.store.reset();
  f.raw()->exec(f.sqlite() ? "PRAGMA user_version = 999" : "UPDATE propusk_schema SET version = 999");
  std::string msg;
  try {
    f.reopen();
  } catch (const StoreError& e) {
    msg = e.what();
  }
  CHECK_THAT(msg, Catch::Contains("newer") && Catch::Contains("999"));
  CHECK(migrations::schemaVersion(*f.raw(), f.engine) == 999);
}

TEST_CASE("stores opening a new database at once migrate it exactly once", "[store]") {
  STORE_ENGINE_FIXTURE(f);
  f.store.reset();
  test::EngineFixture fresh(f.engine, false);
  if (fresh.sqlite()) test::writeFile(fresh.location.sqliteFile, "");
  std::vector<std::unique_ptr<Store>> stores(4);
  std::vector<std::string> errors(4);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < stores.size(); ++i)
    threads.emplace_back([&, i] {
      try {
        stores[i] = fresh.reopen();
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  for (auto& t : threads) t.join();
  for (std::size_t i = 0; i < stores.size(); ++i) {
    CHECK(errors[i] == "");
    if (stores[i]) CHECK(stores[i]->schemaVersion() == migrations::latestVersion());
  }
  if (!fresh.sqlite()) CHECK(scalar(*fresh.raw(), "SELECT COUNT(*) FROM propusk_schema") == 1);
}
