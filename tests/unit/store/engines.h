// The store's tests run once per engine (docs/store.md "Tests"): SQLite in a temporary file,
// PostgreSQL in a schema of its own on the test server that ctest's `pg` fixture starts
// (tests/pg_server.py; its connection string is in the file PROPUSK_TEST_PG_FILE names).
//
//   TEST_CASE("...", "[store]") {
//     STORE_ENGINE_FIXTURE(f);   // f.engine, f.store, f.raw(), f.reopen()
//     ...
//   }
//
// Without PROPUSK_TEST_PG_FILE (unit_tests run by hand) only SQLite runs, with a warning; when
// it is set but the server is not there, the PostgreSQL run fails.
#pragma once

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "idp/core/clock.h"
#include "idp/store/sql/connection.h"
#include "idp/store/store.h"
#include "unit/support.h"

namespace propusk::test {

std::vector<store::sql::Engine> storeEngines();
std::string engineName(store::sql::Engine e);

struct EngineFixture {
  // openStore false: the database (an empty SQLite path, or an empty schema) without a Store yet.
  explicit EngineFixture(store::sql::Engine e, bool openStore = true);
  ~EngineFixture();
  EngineFixture(const EngineFixture&) = delete;
  EngineFixture& operator=(const EngineFixture&) = delete;

  store::sql::Engine engine;
  TempDir dir;
  FixedClock clock{"2026-01-10T10:00:00Z"};
  store::StoreLocation location;
  std::string schema;  // PostgreSQL: this fixture's own schema
  std::unique_ptr<store::Store> store;

  // Another Store object on the same database (a second instance, or propuskctl).
  std::unique_ptr<store::Store> reopen();
  // A plain connection to the same database, behind the Store's back (tampering, counting).
  std::unique_ptr<store::sql::Connection> raw() const;
  // SELECT COUNT(*) FROM `table` through raw().
  std::int64_t count(const std::string& table) const;
  bool sqlite() const { return engine == store::sql::Engine::Sqlite; }
};

}  // namespace propusk::test

#define STORE_ENGINE_FIXTURE(f)                                                  \
  ::propusk::test::EngineFixture f(GENERATE(from_range(::propusk::test::storeEngines()))); \
  INFO("engine: " << ::propusk::test::engineName(f.engine))
