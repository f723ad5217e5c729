// The one place that names SQLite's own C API (STYLE: C handles, one place each): reader
// connections, and prepared statements cached per connection for the hot path. Poco::Data
// stays for the administrative statements; it prepares (parses and plans) every statement
// on every call, which was 12 % of the server's CPU per issued assertion.
#pragma once

#include <sqlite3.h>

#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

namespace propusk::store::sqlite {

// A failed SQLite call, with SQLite's message; the store turns it into a StoreError naming
// the operation and the file.
class SqliteError : public std::runtime_error {
 public:
  SqliteError(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

struct CloseConnection {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
using ConnectionPtr = std::unique_ptr<sqlite3, CloseConnection>;

struct FinalizeStatement {
  void operator()(sqlite3_stmt* st) const noexcept { sqlite3_finalize(st); }
};
using StatementPtr = std::unique_ptr<sqlite3_stmt, FinalizeStatement>;

// A reader connection (query_only) with a busy timeout.
ConnectionPtr openReader(const std::string& file, int busyTimeoutMs);

// One use of a cached prepared statement. Parameters bind in order; step() moves to the
// next row. On destruction the statement is reset and its bindings cleared, so it holds
// neither a read transaction nor the caller's values once this is gone.
class Query {
 public:
  Query(sqlite3* db, sqlite3_stmt* st) : db_(db), st_(st) {}
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  ~Query();

  Query& bind(std::string_view text);
  Query& bind(const char* text) { return bind(std::string_view(text)); }
  Query& bind(const std::string& text) { return bind(std::string_view(text)); }
  Query& bind(std::nullopt_t);
  template <std::integral T>
  Query& bind(T value) {
    return bindInt(static_cast<std::int64_t>(value));
  }
  template <class T>
  Query& bind(const std::optional<T>& value) {
    return value ? bind(*value) : bind(std::nullopt);
  }

  bool step();  // true: a row is there to read; false: done
  void run();   // steps to the end: for statements that return no rows
  int changes() const { return sqlite3_changes(db_); }

  bool isNull(int col) const { return sqlite3_column_type(st_, col) == SQLITE_NULL; }
  bool isInteger(int col) const { return sqlite3_column_type(st_, col) == SQLITE_INTEGER; }
  std::int64_t integer(int col) const { return sqlite3_column_int64(st_, col); }
  std::string text(int col) const;
  std::string columnName(int col) const;

 private:
  Query& bindInt(std::int64_t value);
  [[noreturn]] void fail(int rc) const;

  sqlite3* db_;
  sqlite3_stmt* st_;
  int next_ = 1;
};

// Statements prepared once per connection and kept (SQLITE_PREPARE_PERSISTENT); SQLite
// re-prepares one by itself if a migration changes the schema under it. The connection
// must outlive the cache and must be used by one thread at a time, as the store does.
class StatementCache {
 public:
  explicit StatementCache(sqlite3* db) : db_(db) {}
  Query operator()(const std::string& sql);

 private:
  sqlite3* db_;
  std::unordered_map<std::string, StatementPtr> statements_;
};

}  // namespace propusk::store::sqlite
