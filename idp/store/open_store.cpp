#include "idp/store/store.h"

namespace propusk::store {

// Defined by the engines (sqlite/sqlite_store.cpp, postgres/pg_store.cpp).
std::unique_ptr<Store> openPostgresStore(const StoreLocation& where, const Clock& clock);
StoreVersion inspectPostgresStore(const StoreLocation& where);

std::unique_ptr<Store> openStore(const StoreLocation& where, const Clock& clock) {
  if (where.engine == StoreLocation::Engine::Postgresql) return openPostgresStore(where, clock);
  return openSqliteStore(where.sqliteFile, clock);
}

StoreVersion inspectStore(const StoreLocation& where) {
  if (where.engine == StoreLocation::Engine::Postgresql) return inspectPostgresStore(where);
  return inspectSqliteStore(where.sqliteFile);
}

}  // namespace propusk::store
