// Typed reading of the current row of a Query, shared by every aggregate and both engines:
// a NULL or malformed value in a NOT NULL column means the database was edited behind our
// back, and is reported as such (StoreError naming the column), never read as a default.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "idp/core/clock.h"
#include "idp/policy/account_status.h"
#include "idp/store/records.h"
#include "idp/store/sql/connection.h"

namespace propusk::store::sql {

inline std::int64_t unixSeconds(TimePoint t) { return t.time_since_epoch().count(); }
inline TimePoint fromUnix(std::int64_t s) { return TimePoint{std::chrono::seconds{s}}; }
inline std::optional<std::int64_t> unixSeconds(const std::optional<TimePoint>& t) {
  return t ? std::optional(unixSeconds(*t)) : std::nullopt;
}

// The error raised for a corrupt value (also used where a value is decoded outside Row).
[[noreturn]] void corruptValue(std::string_view label, std::string_view column, std::string_view value);

class Row {
 public:
  // `label` names the database in messages (the SQLite file, or the PostgreSQL target).
  Row(const Query& q, std::string_view label) : st_(q.statement()), label_(label) {}

  bool isNull(int col) const { return st_.isNull(col); }
  std::string text(int col) const;
  std::int64_t integer(int col) const;
  bool flag(int col) const { return integer(col) != 0; }
  TimePoint time(int col) const { return fromUnix(integer(col)); }
  std::optional<std::string> optText(int col) const;
  std::optional<TimePoint> optTime(int col) const;
  policy::AccountStatus status(int col) const;
  SignMode signMode(int col) const;
  KeyState keyState(int col) const;
  LinkKey linkKey(int col) const;
  std::vector<std::string> stringList(int col) const;  // a JSON array of strings

 private:
  [[noreturn]] void corrupt(int col, const std::string& value) const;

  const Statement& st_;
  std::string_view label_;
};

// A JSON array of strings, as stringList() reads it back.
std::string stringListJson(const std::vector<std::string>& items);

}  // namespace propusk::store::sql
