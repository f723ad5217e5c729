// The SQLite handle layer: cached prepared statements, reader connections, and the store
// reading through them.
#include <catch2/catch.hpp>

#include "idp/store/sqlite/sqlite_handles.h"
#include "idp/store/store.h"
#include "support.h"

using namespace propusk;
using namespace propusk::store;
using namespace propusk::store::sqlite;

namespace {

struct Db {
  test::TempDir dir;
  std::string file = (dir / "h.db").string();
  ConnectionPtr writer = open(file);
  StatementCache w{writer.get()};

  static ConnectionPtr open(const std::string& f) {
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open_v2(f.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) == SQLITE_OK);
    ConnectionPtr db(raw);
    REQUIRE(sqlite3_exec(db.get(), "PRAGMA journal_mode = WAL; CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER, n TEXT)",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    return db;
  }
  // wal_checkpoint(TRUNCATE) reports busy = 1 while any reader holds a snapshot.
  std::int64_t checkpointBusy() {
    auto q = w("PRAGMA wal_checkpoint(TRUNCATE)");
    REQUIRE(q.step());
    return q.integer(0);
  }
};

}  // namespace

TEST_CASE("a cached statement binds, steps and reads, and starts clean on its next use", "[store][sqlite]") {
  Db db;
  for (int i = 0; i < 3; ++i)
    db.w("INSERT INTO t (k, v, n) VALUES (?, ?, ?)").bind("k" + std::to_string(i)).bind(i * 10).bind(std::nullopt).run();
  {
    auto q = db.w("SELECT v, n, k FROM t WHERE k = ?");
    q.bind(std::string_view("k2"));
    REQUIRE(q.step());
    CHECK(q.integer(0) == 20);
    CHECK(q.isNull(1));
    CHECK(q.text(2) == "k2");
    CHECK(q.columnName(2) == "k");
    CHECK_FALSE(q.step());
  }
  {
    // Same statement again: the old binding is gone (an unbound parameter is NULL: no row).
    auto q = db.w("SELECT v, n, k FROM t WHERE k = ?");
    CHECK_FALSE(q.step());
  }
  std::optional<std::string> some = "x", none;
  db.w("UPDATE t SET n = ? WHERE k = 'k0'").bind(some).run();
  db.w("UPDATE t SET n = ? WHERE k = 'k1'").bind(none).run();
  auto q = db.w("SELECT k FROM t WHERE n IS NOT NULL");
  REQUIRE(q.step());
  CHECK(q.text(0) == "k0");
  CHECK_FALSE(q.step());
}

TEST_CASE("a statement left mid-result holds no snapshot once its use ends", "[store][sqlite]") {
  Db db;
  db.w("INSERT INTO t (k, v) VALUES ('a', 1), ('b', 2)").run();
  auto reader = openReader(db.file, 100);
  StatementCache r(reader.get());
  {
    auto q = r("SELECT k FROM t ORDER BY k");
    REQUIRE(q.step());  // one of two rows read: the read transaction is open
    CHECK(db.checkpointBusy() == 1);
  }
  CHECK(db.checkpointBusy() == 0);  // reset on destruction ended it
}

TEST_CASE("SQLite failures surface as SqliteError with SQLite's message", "[store][sqlite]") {
  Db db;
  try {
    db.w("SELEC nonsense");
    FAIL("bad SQL prepared");
  } catch (const SqliteError& e) {
    CHECK_THAT(e.what(), Catch::Contains("syntax error"));
  }
  db.w("INSERT INTO t (k) VALUES ('dup')").run();
  try {
    db.w("INSERT INTO t (k) VALUES (?)").bind("dup").run();
    FAIL("duplicate key inserted");
  } catch (const SqliteError& e) {
    CHECK((e.code() & 0xff) == SQLITE_CONSTRAINT);
    CHECK_THAT(e.what(), Catch::Contains("UNIQUE"));
  }
  // The failed statement was reset: the connection is not stuck in it.
  db.w("INSERT INTO t (k) VALUES (?)").bind("other").run();
  auto reader = openReader(db.file, 100);
  StatementCache r(reader.get());
  CHECK_THROWS_AS(r("DELETE FROM t").run(), SqliteError);  // query_only
  auto q = r("SELECT COUNT(*) FROM t");
  REQUIRE(q.step());
  CHECK(q.integer(0) == 2);
}

TEST_CASE("a cached statement follows a schema change made by another connection", "[store][sqlite]") {
  Db db;
  auto reader = openReader(db.file, 100);
  StatementCache r(reader.get());
  db.w("INSERT INTO t (k, v) VALUES ('a', 1)").run();
  {
    auto q = r("SELECT * FROM t");
    REQUIRE(q.step());
    CHECK(sqlite3_column_count(sqlite3_next_stmt(reader.get(), nullptr)) == 3);
  }
  db.w("ALTER TABLE t ADD COLUMN extra TEXT DEFAULT 'e'").run();
  auto q = r("SELECT * FROM t");
  REQUIRE(q.step());
  CHECK(q.text(3) == "e");
}

TEST_CASE("the store names the column of a corrupt value read through a cached statement", "[store][sqlite]") {
  test::StoreFixture f;
  f.addUser();
  REQUIRE(f.store->findUser("ivanov"));
  {
    auto raw = test::rawSqliteSession(f.dir / "s.db");
    raw << "UPDATE users SET failed_logins = 'many' WHERE login = 'ivanov'", Poco::Data::Keywords::now;
  }
  try {
    f.store->findUser("ivanov");
    FAIL("text read as a number");
  } catch (const StoreError& e) {
    CHECK_THAT(e.what(), Catch::Contains("corrupt value in column failed_logins: many"));
  }
}
