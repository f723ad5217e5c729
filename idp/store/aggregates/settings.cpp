// Small named settings (the pairwise-ID secret, the URL the server last served as...).
#include "idp/store/sql_store.h"

namespace propusk::store {

std::optional<std::string> SqlStore::getSetting(std::string_view name) {
  return read("get setting", [&](sql::Connection& db) -> std::optional<std::string> {
    auto q = db.prepare("SELECT value FROM settings WHERE name = ?");
    q.bind(name);
    if (!q.step()) return std::nullopt;
    return row(q).text(0);
  });
}

void SqlStore::putSetting(std::string_view name, std::string_view value, const AuditRecord& audit) {
  write("put setting", [&](sql::WriteTx& tx) {
    tx.db.prepare("INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value")
        .bind(name)
        .bind(value)
        .run();
    appendIn(tx, audit);
  });
}

}  // namespace propusk::store
