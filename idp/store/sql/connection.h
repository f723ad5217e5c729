// Engine-neutral SQL (docs/store.md): a Connection hands out prepared statements, cached per
// connection and prepared once, as Query handles; the aggregates (store/aggregates/) write
// their SQL once against this, with `?` placeholders, and the engines (sqlite/, postgres/)
// implement it. Where the engines' SQL differs, the Dialect names the fragment.
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace propusk::store::sql {

enum class Engine { Sqlite, Postgres };

// A failed SQL call with the engine's message. `constraint` names a violated unique
// constraint as "table.column" (both engines), so callers can tell which value collided;
// `connectionLost` says the connection is unusable and must be opened again.
class SqlError : public std::runtime_error {
 public:
  explicit SqlError(const std::string& message, std::string constraint = {}, bool connectionLost = false)
      : std::runtime_error(message), constraint_(std::move(constraint)), connectionLost_(connectionLost) {}
  const std::string& constraint() const { return constraint_; }
  bool connectionLost() const { return connectionLost_; }

 private:
  std::string constraint_;
  bool connectionLost_;
};

// One prepared statement of a connection; the engines implement it. Parameters bind in
// order; reset() makes it ready for the next use (and forgets the bound values).
class Statement {
 public:
  virtual ~Statement() = default;
  virtual void bindText(std::string_view text) = 0;
  virtual void bindInt(std::int64_t value) = 0;
  virtual void bindNull() = 0;
  virtual bool step() = 0;  // true: a row is there to read
  virtual std::int64_t changes() const = 0;  // rows changed by the last run
  virtual bool isNull(int col) const = 0;
  // nullopt when the value is not an integer (a corrupt row).
  virtual std::optional<std::int64_t> integer(int col) const = 0;
  virtual std::string text(int col) const = 0;
  virtual std::string columnName(int col) const = 0;
  virtual void reset() noexcept = 0;
};

// One use of a cached statement: binds, steps, reads; reset when this goes (so it holds no
// read transaction, result or caller's values afterwards).
class Query {
 public:
  explicit Query(Statement& st) : st_(&st) {}
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  Query(Query&& o) noexcept : st_(o.st_) { o.st_ = nullptr; }
  ~Query() {
    if (st_) st_->reset();
  }

  Query& bind(std::string_view text) {
    st_->bindText(text);
    return *this;
  }
  Query& bind(const char* text) { return bind(std::string_view(text)); }
  Query& bind(const std::string& text) { return bind(std::string_view(text)); }
  Query& bind(std::nullopt_t) {
    st_->bindNull();
    return *this;
  }
  template <std::integral T>
  Query& bind(T value) {
    st_->bindInt(static_cast<std::int64_t>(value));
    return *this;
  }
  template <class T>
  Query& bind(const std::optional<T>& value) {
    return value ? bind(*value) : bind(std::nullopt);
  }

  bool step() { return st_->step(); }
  void run() {
    while (step()) {
    }
  }
  std::int64_t changes() const { return st_->changes(); }
  const Statement& statement() const { return *st_; }

 private:
  Statement* st_;
};

// A connection to the database, used by one thread at a time.
class Connection {
 public:
  virtual ~Connection() = default;
  // The statement for `sql` (`?` placeholders), prepared on first use and kept.
  virtual Query prepare(const std::string& sql) = 0;
  // Runs SQL without parameters or results (transaction control, DDL), not cached.
  virtual void exec(std::string_view sql) = 0;
  // False once the engine said the connection is gone (it is then opened anew).
  virtual bool usable() const = 0;
};

// The SQL the engines write differently. Everything else is written once.
struct Dialect {
  Engine engine;
  std::string_view greatest;  // the two-argument maximum: MAX (SQLite) or GREATEST
  // Statements that open a write transaction in which the audit chain can be appended to
  // without another writer (process or instance) appending in between.
  std::string_view beginWrite[2];

  static const Dialect& of(Engine e);
};

}  // namespace propusk::store::sql
