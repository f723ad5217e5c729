#include "idp/store/postgres/pq_handles.h"

#include <libpq-fe.h>

#include <charconv>
#include <cstdlib>
#include <unordered_map>
#include <vector>

namespace propusk::store::postgres {

namespace {

struct FinishConnection {
  void operator()(PGconn* c) const noexcept { PQfinish(c); }
};
using PgConnPtr = std::unique_ptr<PGconn, FinishConnection>;

struct ClearResult {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using PgResultPtr = std::unique_ptr<PGresult, ClearResult>;

struct FreeConninfo {
  void operator()(PQconninfoOption* o) const noexcept { PQconninfoFree(o); }
};
using ConninfoPtr = std::unique_ptr<PQconninfoOption, FreeConninfo>;

std::string trimmed(const char* s) {
  std::string m = s ? s : "";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  for (char& c : m)
    if (c == '\n') c = ' ';
  return m;
}

// A unique violation names its constraint ("users_inn_key", PostgreSQL's default name for
// UNIQUE on users.inn): reported as "users.inn", the form SQLite uses.
std::string uniqueConstraint(const PGresult* r) {
  const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  if (!state || std::string_view(state) != "23505") return {};
  std::string table = PQresultErrorField(r, PG_DIAG_TABLE_NAME) ? PQresultErrorField(r, PG_DIAG_TABLE_NAME) : "";
  std::string name = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME) ? PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME) : "";
  if (!table.empty() && name.starts_with(table + "_") && name.ends_with("_key"))
    return table + "." + name.substr(table.size() + 1, name.size() - table.size() - 5);
  if (!table.empty() && name.ends_with("_pkey")) return table + ".(primary key)";
  return name;
}

// `?` -> $1, $2, ... outside quoted text (the aggregates' SQL has no `?` in literals, but a
// literal must not be changed if it ever does).
std::string numberedPlaceholders(const std::string& sql, int* count) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  char quote = 0;
  for (char c : sql) {
    if (quote) {
      if (c == quote) quote = 0;
      out += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      out += c;
    } else if (c == '?') {
      out += "$" + std::to_string(++n);
    } else {
      out += c;
    }
  }
  *count = n;
  return out;
}

class PgConnection;

class PgStatement final : public sql::Statement {
 public:
  PgStatement(PgConnection& owner, std::string name, int params) : owner_(owner), name_(std::move(name)) {
    values_.reserve(static_cast<std::size_t>(params));
  }

  void bindText(std::string_view text) override { values_.emplace_back(std::string(text)); }
  void bindInt(std::int64_t value) override { values_.emplace_back(std::to_string(value)); }
  void bindNull() override { values_.emplace_back(std::nullopt); }
  bool step() override;
  std::int64_t changes() const override { return changes_; }
  bool isNull(int col) const override { return PQgetisnull(result_.get(), row_, col) != 0; }
  std::optional<std::int64_t> integer(int col) const override {
    const char* p = PQgetvalue(result_.get(), row_, col);
    std::size_t len = static_cast<std::size_t>(PQgetlength(result_.get(), row_, col));
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(p, p + len, v);
    if (ec != std::errc() || end != p + len) return std::nullopt;
    return v;
  }
  std::string text(int col) const override {
    return std::string(PQgetvalue(result_.get(), row_, col),
                       static_cast<std::size_t>(PQgetlength(result_.get(), row_, col)));
  }
  std::string columnName(int col) const override {
    const char* n = result_ ? PQfname(result_.get(), col) : nullptr;
    return n ? n : "?";
  }
  void reset() noexcept override {
    result_.reset();
    values_.clear();
    row_ = -1;
    rows_ = 0;
  }

 private:
  PgConnection& owner_;
  std::string name_;
  std::vector<std::optional<std::string>> values_;
  PgResultPtr result_;
  int row_ = -1;
  int rows_ = 0;
  std::int64_t changes_ = 0;
};

class PgConnection final : public sql::Connection {
 public:
  explicit PgConnection(PgConnPtr conn) : conn_(std::move(conn)) {}

  sql::Query prepare(const std::string& sql) override {
    auto it = statements_.find(sql);
    if (it == statements_.end()) {
      int params = 0;
      std::string text = numberedPlaceholders(sql, &params);
      std::string name = "p" + std::to_string(statements_.size() + 1);
      PgResultPtr r(PQprepare(conn_.get(), name.c_str(), text.c_str(), params, nullptr));
      check(r.get(), PGRES_COMMAND_OK);
      it = statements_.emplace(sql, std::make_unique<PgStatement>(*this, name, params)).first;
    }
    return sql::Query(*it->second);
  }

  void exec(std::string_view sql) override {
    std::string s(sql);
    PgResultPtr r(PQexec(conn_.get(), s.c_str()));
    auto st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) check(r.get(), PGRES_COMMAND_OK);
  }

  bool usable() const override { return !lost_ && PQstatus(conn_.get()) == CONNECTION_OK; }

  PGconn* get() const { return conn_.get(); }

  // Throws SqlError unless `r` has status `want`; a dropped connection is remembered.
  void check(const PGresult* r, ExecStatusType want) {
    if (r && PQresultStatus(r) == want) return;
    if (PQstatus(conn_.get()) != CONNECTION_OK) lost_ = true;
    std::string msg = r ? trimmed(PQresultErrorMessage(r)) : std::string();
    if (msg.empty()) msg = trimmed(PQerrorMessage(conn_.get()));
    throw sql::SqlError(msg.empty() ? "PostgreSQL error" : msg, r ? uniqueConstraint(r) : std::string(), lost_);
  }

 private:
  PgConnPtr conn_;
  std::unordered_map<std::string, std::unique_ptr<PgStatement>> statements_;
  bool lost_ = false;
};

bool PgStatement::step() {
  if (row_ < 0) {
    std::vector<const char*> values;
    values.reserve(values_.size());
    for (auto& v : values_) values.push_back(v ? v->c_str() : nullptr);
    result_.reset(PQexecPrepared(owner_.get(), name_.c_str(), static_cast<int>(values.size()), values.data(), nullptr,
                                 nullptr, 0));
    auto st = result_ ? PQresultStatus(result_.get()) : PGRES_FATAL_ERROR;
    if (st != PGRES_TUPLES_OK) owner_.check(result_.get(), PGRES_COMMAND_OK);
    rows_ = st == PGRES_TUPLES_OK ? PQntuples(result_.get()) : 0;
    const char* tuples = PQcmdTuples(result_.get());
    changes_ = tuples && *tuples ? std::strtoll(tuples, nullptr, 10) : 0;
  }
  ++row_;
  return row_ < rows_;
}

}  // namespace

std::map<std::string, std::string> parseConninfo(const std::string& conninfo) {
  char* err = nullptr;
  ConninfoPtr opts(PQconninfoParse(conninfo.c_str(), &err));
  if (!opts) {
    std::string msg = err ? trimmed(err) : "cannot parse";
    PQfreemem(err);
    throw sql::SqlError("connection: " + msg);
  }
  std::map<std::string, std::string> out;
  for (PQconninfoOption* o = opts.get(); o->keyword; ++o)
    if (o->val) out[o->keyword] = o->val;
  return out;
}

std::unique_ptr<sql::Connection> open(const ConnectionSettings& settings) {
  auto kv = parseConninfo(settings.conninfo);
  kv.try_emplace("application_name", "propusk");
  kv.try_emplace("connect_timeout", "5");
  kv.try_emplace("keepalives", "1");
  kv.try_emplace("keepalives_idle", "30");
  // A database that stops answering (network gone) fails the call within 10 s instead of
  // holding the request's thread until the kernel gives up on the connection.
  kv.try_emplace("tcp_user_timeout", "10000");
  if (settings.password) kv["password"] = *settings.password;
  std::vector<const char*> keys, values;
  for (auto& [k, v] : kv) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PgConnPtr conn(PQconnectdbParams(keys.data(), values.data(), 0));
  if (!conn) throw sql::SqlError("cannot allocate a PostgreSQL connection", {}, true);
  if (PQstatus(conn.get()) != CONNECTION_OK)
    throw sql::SqlError("cannot connect: " + trimmed(PQerrorMessage(conn.get())), {}, true);
  // Notices ("relation already exists, skipping") are the server talking to a human: not
  // printed on the server's stderr.
  PQsetNoticeProcessor(conn.get(), [](void*, const char*) {}, nullptr);
  return std::make_unique<PgConnection>(std::move(conn));
}

std::string describe(const std::string& conninfo) {
  try {
    auto kv = parseConninfo(conninfo);
    std::string out;
    for (const char* k : {"host", "hostaddr", "port", "dbname", "user"})
      if (auto it = kv.find(k); it != kv.end()) out += (out.empty() ? "" : " ") + std::string(k) + "=" + it->second;
    return "postgresql " + (out.empty() ? std::string("(libpq defaults)") : out);
  } catch (const sql::SqlError&) {
    return "postgresql (unreadable connection string)";
  }
}

}  // namespace propusk::store::postgres
