#include "idp/store/sql/row.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <sstream>

#include "idp/store/store.h"

namespace propusk::store::sql {

namespace {
std::string oneLine(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}
}  // namespace

void corruptValue(std::string_view label, std::string_view column, std::string_view value) {
  throw StoreError("store " + std::string(label) + ": corrupt value in column " + std::string(column) + ": " +
                   oneLine(std::string(value.substr(0, 64))));
}

void Row::corrupt(int col, const std::string& value) const { corruptValue(label_, st_.columnName(col), value); }

std::string Row::text(int col) const {
  if (isNull(col)) corrupt(col, "NULL");
  return st_.text(col);
}

std::int64_t Row::integer(int col) const {
  if (isNull(col)) corrupt(col, "NULL");
  auto v = st_.integer(col);
  if (!v) corrupt(col, st_.text(col));  // SQLite would read text as 0; we refuse it
  return *v;
}

std::optional<std::string> Row::optText(int col) const {
  if (isNull(col)) return std::nullopt;
  return text(col);
}

std::optional<TimePoint> Row::optTime(int col) const {
  if (isNull(col)) return std::nullopt;
  return time(col);
}

policy::AccountStatus Row::status(int col) const {
  auto v = text(col);
  auto s = policy::parseAccountStatus(v);
  if (!s) corrupt(col, v);
  return *s;
}

SignMode Row::signMode(int col) const {
  auto v = text(col);
  auto m = parseSignMode(v);
  if (!m) corrupt(col, v);
  return *m;
}

KeyState Row::keyState(int col) const {
  auto v = text(col);
  auto s = parseKeyState(v);
  if (!s) corrupt(col, v);
  return *s;
}

LinkKey Row::linkKey(int col) const {
  auto v = text(col);
  auto k = parseLinkKey(v);
  if (!k) corrupt(col, v);
  return *k;
}

std::vector<std::string> Row::stringList(int col) const {
  auto v = text(col);
  std::vector<std::string> out;
  try {
    auto arr = Poco::JSON::Parser().parse(v).extract<Poco::JSON::Array::Ptr>();
    for (std::size_t i = 0; i < arr->size(); ++i) out.push_back(arr->getElement<std::string>(static_cast<unsigned>(i)));
  } catch (const Poco::Exception&) {
    corrupt(col, v);
  }
  return out;
}

std::string stringListJson(const std::vector<std::string>& items) {
  Poco::JSON::Array arr;
  for (const auto& name : items) arr.add(name);
  std::ostringstream out;
  arr.stringify(out);
  return out.str();
}

}  // namespace propusk::store::sql
