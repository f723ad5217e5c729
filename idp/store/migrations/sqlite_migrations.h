// The SQLite schema as an ordered list of migrations, and the runner that brings a file
// up to date. The schema version lives in the database header (PRAGMA user_version): it
// needs no bootstrap table, and SQLite writes it inside the same transaction as the
// migration's DDL, so a crash leaves either the old or the new version, never half of one.
#pragma once

#include <filesystem>
#include <string_view>
#include <vector>

#include <Poco/Data/Session.h>

namespace propusk::store::migrations {

struct Migration {
  int version;                              // 1, 2, ... without gaps
  std::string_view summary;
  std::vector<std::string_view> statements;  // one SQL statement each, no bound values
};

const std::vector<Migration>& sqliteMigrations();
int latestSqliteVersion();

// PRAGMA user_version of the open database (0 for a new file).
int sqliteSchemaVersion(Poco::Data::Session& session);

// Applies each migration above the file's version, up to `target` (default: the latest),
// each in its own BEGIN IMMEDIATE transaction that also sets the version, so two processes
// starting at once apply each migration exactly once. Returns the version reached.
// Throws StoreError when the file's version is newer than this build knows, or a
// migration fails (`file` only names the database in messages).
int migrateSqlite(Poco::Data::Session& session, const std::filesystem::path& file,
                  int target = -1);

}  // namespace propusk::store::migrations
