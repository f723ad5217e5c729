#include "idp/store/sql_store.h"

#include "idp/store/migrations/migrations.h"

namespace propusk::store {

namespace sql {

const Dialect& Dialect::of(Engine e) {
  // SQLite: BEGIN IMMEDIATE takes the database's write lock before the first read, so no other
  // process can append to the audit chain between our reading its head and appending.
  static const Dialect kSqlite{Engine::Sqlite, "MAX", {"BEGIN IMMEDIATE", ""}};
  // PostgreSQL: every writer (instance or propuskctl) takes this transaction-scoped advisory
  // lock first, so audit appends are serialised across instances (one chain, no fork, no gap).
  // Both in one exec: one round trip to the server, not two.
  static const Dialect kPostgres{Engine::Postgres, "GREATEST", {"BEGIN; SELECT pg_advisory_xact_lock(7202611)", ""}};
  return e == Engine::Sqlite ? kSqlite : kPostgres;
}

}  // namespace sql

SqlStore::SqlStore(EngineParts parts, const Clock& clock)
    : parts_(std::move(parts)),
      dialect_(sql::Dialect::of(parts_.engine)),
      clock_(clock),
      writer_(parts_.openWriter, dialect_, clock, parts_.label),
      readers_(parts_.openReader, parts_.readers) {
  try {
    writer_.direct([&](sql::Connection& db) { migrations::migrate(db, parts_.engine, parts_.label); });
  } catch (const sql::SqlError& e) {
    std::rethrow_exception(sql::storeError(parts_.label, "open", e));
  }
}

int SqlStore::schemaVersion() {
  return direct("read schema version",
                [&](sql::Connection& db) { return migrations::schemaVersion(db, parts_.engine); });
}

// The writer and every open reader: a connection lost while the database was away is found
// here (and opened again, or dropped to be opened on next use), not by a request.
void SqlStore::ping() {
  auto ask = [](sql::Connection& db) { db.prepare("SELECT 1").run(); };
  try {
    writer_.direct(ask);
    readers_.probe(ask);
  } catch (const sql::SqlError& e) {
    std::rethrow_exception(sql::storeError(parts_.label, "ping", e));
  }
}

void SqlStore::useBackgroundCheckpoints() {
  if (parts_.engine != sql::Engine::Sqlite) return;
  direct("disable auto-checkpoint", [](sql::Connection& db) { db.exec("PRAGMA wal_autocheckpoint = 0"); });
}

void SqlStore::checkpoint() {
  if (!parts_.checkpoint) return;
  try {
    parts_.checkpoint();
  } catch (const sql::SqlError& e) {
    std::rethrow_exception(sql::storeError(parts_.label, "checkpoint", e));
  }
}

}  // namespace propusk::store
