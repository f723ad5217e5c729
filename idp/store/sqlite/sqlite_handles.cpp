#include "idp/store/sqlite/sqlite_handles.h"

namespace propusk::store::sqlite {

ConnectionPtr openReader(const std::string& file, int busyTimeoutMs) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  ConnectionPtr db(raw);  // sqlite3_open_v2 hands out a handle even when it fails
  if (rc != SQLITE_OK)
    throw SqliteError(rc, std::string("cannot open for reading: ") + (db ? sqlite3_errmsg(db.get()) : sqlite3_errstr(rc)));
  sqlite3_busy_timeout(db.get(), busyTimeoutMs);
  // Opened read-write only because a WAL reader needs the -shm file; it never writes, even by mistake.
  if (int r = sqlite3_exec(db.get(), "PRAGMA query_only = ON", nullptr, nullptr, nullptr); r != SQLITE_OK)
    throw SqliteError(r, sqlite3_errmsg(db.get()));
  return db;
}

Query::~Query() {
  sqlite3_reset(st_);
  sqlite3_clear_bindings(st_);
}

void Query::fail(int rc) const { throw SqliteError(rc, sqlite3_errmsg(db_)); }

Query& Query::bind(std::string_view text) {
  // A null data pointer (an empty default string_view) would bind SQL NULL, not ''.
  const char* data = text.data() ? text.data() : "";
  if (int rc = sqlite3_bind_text64(st_, next_++, data, text.size(), SQLITE_TRANSIENT, SQLITE_UTF8); rc != SQLITE_OK)
    fail(rc);
  return *this;
}

Query& Query::bind(std::nullopt_t) {
  if (int rc = sqlite3_bind_null(st_, next_++); rc != SQLITE_OK) fail(rc);
  return *this;
}

Query& Query::bindInt(std::int64_t value) {
  if (int rc = sqlite3_bind_int64(st_, next_++, value); rc != SQLITE_OK) fail(rc);
  return *this;
}

bool Query::step() {
  int rc = sqlite3_step(st_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(rc);
}

void Query::run() {
  while (step()) {
  }
}

std::string Query::text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st_, col));
  if (!p) return {};
  return std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(st_, col)));
}

std::string Query::columnName(int col) const {
  const char* name = sqlite3_column_name(st_, col);
  return name ? name : "?";
}

Query StatementCache::operator()(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size() + 1), SQLITE_PREPARE_PERSISTENT, &raw,
                                nullptr);
    StatementPtr st(raw);
    if (rc != SQLITE_OK) throw SqliteError(rc, sqlite3_errmsg(db_));
    if (!st) throw SqliteError(SQLITE_MISUSE, "empty statement");
    it = statements_.emplace(sql, std::move(st)).first;
  }
  return Query(db_, it->second.get());
}

}  // namespace propusk::store::sqlite
