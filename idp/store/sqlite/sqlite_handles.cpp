#include "idp/store/sqlite/sqlite_handles.h"

#include <sqlite3.h>

#include <charconv>
#include <mutex>
#include <unordered_map>

namespace propusk::store::sqlite {

namespace {

struct CloseConnection {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
using ConnectionPtr = std::unique_ptr<sqlite3, CloseConnection>;

struct FinalizeStatement {
  void operator()(sqlite3_stmt* st) const noexcept { sqlite3_finalize(st); }
};
using StatementPtr = std::unique_ptr<sqlite3_stmt, FinalizeStatement>;

// "UNIQUE constraint failed: users.inn" -> "users.inn" (the first column named).
std::string uniqueConstraint(int extended, const char* message) {
  if (extended != SQLITE_CONSTRAINT_UNIQUE && extended != SQLITE_CONSTRAINT_PRIMARYKEY) return {};
  std::string_view m(message ? message : "");
  auto colon = m.find(": ");
  if (colon == std::string_view::npos) return {};
  m.remove_prefix(colon + 2);
  return std::string(m.substr(0, m.find(',')));
}

[[noreturn]] void fail(sqlite3* db, int rc) {
  const char* msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  int extended = db ? sqlite3_extended_errcode(db) : rc;
  throw sql::SqlError(msg ? msg : "SQLite error", uniqueConstraint(extended, msg));
}

class SqliteStatement final : public sql::Statement {
 public:
  SqliteStatement(sqlite3* db, StatementPtr st) : db_(db), st_(std::move(st)) {}

  void bindText(std::string_view text) override {
    // A null data pointer (an empty default string_view) would bind SQL NULL, not ''.
    const char* data = text.data() ? text.data() : "";
    if (int rc = sqlite3_bind_text64(st_.get(), next_++, data, text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
        rc != SQLITE_OK)
      fail(db_, rc);
  }
  void bindInt(std::int64_t value) override {
    if (int rc = sqlite3_bind_int64(st_.get(), next_++, value); rc != SQLITE_OK) fail(db_, rc);
  }
  void bindNull() override {
    if (int rc = sqlite3_bind_null(st_.get(), next_++); rc != SQLITE_OK) fail(db_, rc);
  }
  bool step() override {
    int rc = sqlite3_step(st_.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) {
      changes_ = sqlite3_changes64(db_);
      return false;
    }
    fail(db_, rc);
  }
  std::int64_t changes() const override { return changes_; }
  bool isNull(int col) const override { return sqlite3_column_type(st_.get(), col) == SQLITE_NULL; }
  std::optional<std::int64_t> integer(int col) const override {
    if (sqlite3_column_type(st_.get(), col) != SQLITE_INTEGER) return std::nullopt;
    return sqlite3_column_int64(st_.get(), col);
  }
  std::string text(int col) const override {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st_.get(), col));
    if (!p) return {};
    return std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(st_.get(), col)));
  }
  std::string columnName(int col) const override {
    const char* name = sqlite3_column_name(st_.get(), col);
    return name ? name : "?";
  }
  void reset() noexcept override {
    sqlite3_reset(st_.get());
    sqlite3_clear_bindings(st_.get());
    next_ = 1;
  }

 private:
  sqlite3* db_;
  StatementPtr st_;
  int next_ = 1;
  std::int64_t changes_ = 0;
};

class SqliteConnection final : public sql::Connection {
 public:
  explicit SqliteConnection(ConnectionPtr db) : db_(std::move(db)) {}
  ~SqliteConnection() override { statements_.clear(); }  // finalized before the connection closes

  sql::Query prepare(const std::string& sql) override {
    auto it = statements_.find(sql);
    if (it == statements_.end()) {
      sqlite3_stmt* raw = nullptr;
      int rc = sqlite3_prepare_v3(db_.get(), sql.c_str(), static_cast<int>(sql.size() + 1),
                                  SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
      StatementPtr st(raw);
      if (rc != SQLITE_OK) fail(db_.get(), rc);
      if (!st) throw sql::SqlError("empty statement");
      it = statements_.emplace(sql, std::make_unique<SqliteStatement>(db_.get(), std::move(st))).first;
    }
    return sql::Query(*it->second);
  }

  void exec(std::string_view sql) override {
    std::string s(sql);
    char* err = nullptr;
    int rc = sqlite3_exec(db_.get(), s.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errstr(rc);
      sqlite3_free(err);
      throw sql::SqlError(msg, uniqueConstraint(sqlite3_extended_errcode(db_.get()), msg.c_str()));
    }
  }

  bool usable() const override { return true; }  // a file does not go away like a server

 private:
  ConnectionPtr db_;
  std::unordered_map<std::string, std::unique_ptr<SqliteStatement>> statements_;
};

ConnectionPtr openHandle(const std::string& name, int flags) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(name.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  ConnectionPtr db(raw);  // sqlite3_open_v2 hands out a handle even when it fails
  if (rc != SQLITE_OK) fail(db.get(), rc);
  sqlite3_extended_result_codes(db.get(), 1);
  return db;
}

}  // namespace

std::unique_ptr<sql::Connection> open(const std::string& file, Access access, int busyTimeoutMs) {
  auto db = openHandle(file, SQLITE_OPEN_READWRITE);
  sqlite3_busy_timeout(db.get(), busyTimeoutMs);
  auto c = std::make_unique<SqliteConnection>(std::move(db));
  if (access == Access::Reader) {
    // Opened read-write only because a WAL reader needs the -shm file.
    c->exec("PRAGMA query_only = ON");
  } else {
    c->exec("PRAGMA foreign_keys = ON");
    c->exec("PRAGMA synchronous = NORMAL");
  }
  return c;
}

std::unique_ptr<sql::Connection> openForInspection(const std::string& file) {
  return std::make_unique<SqliteConnection>(openHandle("file:" + file + "?mode=ro", SQLITE_OPEN_READONLY | SQLITE_OPEN_URI));
}

void disableMemoryStatistics() {
  static std::once_flag once;
  std::call_once(once, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

}  // namespace propusk::store::sqlite
