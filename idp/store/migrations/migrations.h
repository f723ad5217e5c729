// The schema as one ordered list of migrations, each with its SQLite and its PostgreSQL DDL
// (the same tables, indexes and rules in each engine's words), and the runner that brings a
// database up to date. Versions never change once shipped: add a new one.
//
// Where the version lives: SQLite, the database header (PRAGMA user_version), written in the
// migration's own transaction; PostgreSQL, the one-row table propusk_schema. Each migration
// runs in a transaction of its own that also sets the version, under the database's write
// lock (BEGIN IMMEDIATE) or an advisory lock (PostgreSQL), so two processes starting at once
// apply each migration exactly once; a crash leaves the old or the new version, never half.
#pragma once

#include <string_view>
#include <vector>

#include "idp/store/sql/connection.h"

namespace propusk::store::migrations {

struct Migration {
  int version;  // 1, 2, ... without gaps
  std::string_view summary;
  std::vector<std::string_view> sqlite;    // one statement each, no bound values
  std::vector<std::string_view> postgres;  // the same, for PostgreSQL
};

const std::vector<Migration>& all();
int latestVersion();

// The database's schema version (0 for a new one). Throws sql::SqlError.
int schemaVersion(sql::Connection& db, sql::Engine engine);

// Applies each migration above the database's version up to `target` (default: the latest).
// Returns the version reached. Throws StoreError when the database's version is newer than
// this build knows, or a migration fails (`label` names the database in messages).
int migrate(sql::Connection& db, sql::Engine engine, std::string_view label, int target = -1);

}  // namespace propusk::store::migrations
