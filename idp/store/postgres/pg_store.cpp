// The PostgreSQL engine (docs/store.md): several propusk instances on one database. One
// writer connection per process (group commit, audit appends serialised across instances by
// an advisory lock: sql::Dialect), a pool of reader connections; connections the server
// dropped are opened again on next use.
#include "idp/store/migrations/migrations.h"
#include "idp/store/postgres/pq_handles.h"
#include "idp/store/sql_store.h"

namespace propusk::store {

std::unique_ptr<Store> openPostgresStore(const StoreLocation& where, const Clock& clock) {
  postgres::ConnectionSettings settings{where.connection, where.password};
  EngineParts parts;
  parts.engine = sql::Engine::Postgres;
  parts.label = postgres::describe(where.connection);
  parts.openWriter = [settings] { return postgres::open(settings); };
  parts.openReader = [settings] { return postgres::open(settings); };
  parts.readers = where.poolSize;
  return std::make_unique<SqlStore>(std::move(parts), clock);
}

StoreVersion inspectPostgresStore(const StoreLocation& where) {
  const std::string label = postgres::describe(where.connection);
  try {
    auto c = postgres::open({where.connection, where.password});
    return {migrations::schemaVersion(*c, sql::Engine::Postgres), migrations::latestVersion()};
  } catch (const sql::SqlError& e) {
    throw StoreError("store " + label + ": " + e.what());
  }
}

}  // namespace propusk::store
