#include "store/engines.h"

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include "idp/store/postgres/pq_handles.h"
#include "idp/store/sqlite/sqlite_handles.h"

namespace propusk::test {

namespace {

// The test server's connection string, or "" when none was configured.
std::string testServer() {
  const char* file = std::getenv("PROPUSK_TEST_PG_FILE");
  if (!file || !*file) return {};
  std::ifstream in(file);
  std::string conninfo;
  if (!in || !std::getline(in, conninfo) || conninfo.empty())
    throw std::runtime_error(std::string("PROPUSK_TEST_PG_FILE=") + file +
                             ": no connection string (is the ctest fixture pg.start running?)");
  return conninfo;
}

std::string randomSchema() {
  static std::mt19937_64 rng{std::random_device{}()};
  std::ostringstream s;
  s << "t_" << std::hex << rng();
  return s.str();
}

}  // namespace

std::vector<store::sql::Engine> storeEngines() {
  static const bool pg = [] {
    bool configured = !testServer().empty();
    if (!configured)
      WARN("PROPUSK_TEST_PG_FILE is not set: the store tests run on SQLite only (ctest runs both)");
    return configured;
  }();
  if (pg) return {store::sql::Engine::Sqlite, store::sql::Engine::Postgres};
  return {store::sql::Engine::Sqlite};
}

std::string engineName(store::sql::Engine e) { return e == store::sql::Engine::Sqlite ? "sqlite" : "postgresql"; }

EngineFixture::EngineFixture(store::sql::Engine e, bool openStore) : engine(e) {
  if (e == store::sql::Engine::Sqlite) {
    location.engine = store::StoreLocation::Engine::Sqlite;
    location.sqliteFile = dir / "propusk.db";
  } else {
    schema = randomSchema();
    const std::string server = testServer();
    {
      auto admin = store::postgres::open({server, std::nullopt});
      admin->exec("CREATE SCHEMA " + schema);
    }
    location.engine = store::StoreLocation::Engine::Postgresql;
    // application_name names this fixture's connections (tests may cut them on purpose).
    location.connection = server + " options='-csearch_path=" + schema + "' application_name=" + schema;
    location.poolSize = 2;
  }
  if (openStore) store = store::openStore(location, clock);
}

EngineFixture::~EngineFixture() {
  store.reset();
  if (!schema.empty()) {
    try {
      auto admin = store::postgres::open({testServer(), std::nullopt});
      admin->exec("DROP SCHEMA " + schema + " CASCADE");
    } catch (...) {
      // The server is gone (a test stopped it on purpose, or it failed): nothing to drop.
    }
  }
}

std::unique_ptr<store::Store> EngineFixture::reopen() { return store::openStore(location, clock); }

std::unique_ptr<store::sql::Connection> EngineFixture::raw() const {
  if (sqlite()) return store::sqlite::open(location.sqliteFile.string(), store::sqlite::Access::Writer, 5000);
  return store::postgres::open({location.connection, std::nullopt});
}

std::int64_t EngineFixture::count(const std::string& table) const {
  auto c = raw();
  auto q = c->prepare("SELECT COUNT(*) FROM " + table);
  if (!q.step()) return -1;
  return q.statement().integer(0).value_or(-1);
}

}  // namespace propusk::test
