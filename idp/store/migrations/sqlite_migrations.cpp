#include "idp/store/migrations/sqlite_migrations.h"

#include <Poco/Data/Session.h>
#include <Poco/Exception.h>

#include <string>

#include "idp/store/store.h"

namespace propusk::store::migrations {

using namespace Poco::Data::Keywords;

namespace {

// Append only: never edit a migration that has shipped; add a new one.
// Times are integer Unix seconds (UTC); booleans are 0/1; enums are their names from
// records.h / account_status.h. Logins are stored as given (the CLI lowercases them).
const std::vector<Migration> kMigrations = {
    {1,
     "initial schema",
     {
         R"(CREATE TABLE users (
              id INTEGER PRIMARY KEY,
              uid TEXT NOT NULL UNIQUE,
              login TEXT NOT NULL UNIQUE,
              surname TEXT NOT NULL,
              given_name TEXT NOT NULL,
              middle_name TEXT,
              inn TEXT UNIQUE,
              snils TEXT UNIQUE,
              email TEXT,
              phone TEXT,
              email_confirmed INTEGER NOT NULL DEFAULT 0,
              phone_confirmed INTEGER NOT NULL DEFAULT 0,
              status TEXT NOT NULL CHECK (status IN ('simplified', 'standard', 'confirmed')),
              password_hash TEXT NOT NULL,
              locked INTEGER NOT NULL DEFAULT 0,
              failed_logins INTEGER NOT NULL DEFAULT 0,
              created_at INTEGER NOT NULL,
              updated_at INTEGER NOT NULL))",
         // release: JSON array of attribute FriendlyNames, "[]" for none.
         R"(CREATE TABLE service_providers (
              entity_id TEXT PRIMARY KEY NOT NULL,
              metadata_xml TEXT NOT NULL,
              release TEXT NOT NULL DEFAULT '[]',
              min_status TEXT NOT NULL CHECK (min_status IN ('simplified', 'standard', 'confirmed')),
              allow_sha1 INTEGER NOT NULL DEFAULT 0,
              sign_mode TEXT NOT NULL CHECK (sign_mode IN ('both', 'assertion', 'response')),
              metadata_signature_verified INTEGER NOT NULL DEFAULT 0,
              valid_until INTEGER,
              source TEXT NOT NULL,
              created_at INTEGER NOT NULL,
              updated_at INTEGER NOT NULL))",
         R"(CREATE TABLE signing_keys (
              id TEXT PRIMARY KEY NOT NULL,
              algorithm TEXT NOT NULL,
              private_key_pem TEXT NOT NULL,
              certificate_pem TEXT NOT NULL,
              state TEXT NOT NULL CHECK (state IN ('next', 'active', 'previous', 'retired')),
              created_at INTEGER NOT NULL,
              activated_at INTEGER,
              retired_at INTEGER))",
         R"(CREATE TABLE settings (
              name TEXT PRIMARY KEY NOT NULL,
              value TEXT NOT NULL))",
         R"(CREATE TABLE audit_log (
              seq INTEGER PRIMARY KEY,
              time INTEGER NOT NULL,
              actor TEXT NOT NULL,
              action TEXT NOT NULL,
              target TEXT NOT NULL,
              outcome TEXT NOT NULL,
              details TEXT NOT NULL,
              prev_hash TEXT NOT NULL,
              hash TEXT NOT NULL))",
     }},
    {2,
     "audit_log is append-only",
     {
         R"(CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END)",
         R"(CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END)",
     }},
    {3,
     "at most one active signing key",
     {
         R"(CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (state)
            WHERE state = 'active')",
     }},
    {4,
     "lockout backoff, SSO sessions, pending requests",
     {
         R"(ALTER TABLE users ADD COLUMN locked_until INTEGER)",
         // id_hash: hex SHA-256 of the cookie token. Small rows keyed by text: WITHOUT ROWID
         // keeps them in the primary-key b-tree itself (one lookup, no rowid indirection).
         // user_id is indexed so that removing a user finds (and cascades to) their sessions.
         R"(CREATE TABLE sessions (
              id_hash TEXT PRIMARY KEY NOT NULL,
              user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
              login TEXT NOT NULL,
              created_at INTEGER NOT NULL,
              last_seen_at INTEGER NOT NULL,
              authn_instant INTEGER NOT NULL,
              authn_context TEXT NOT NULL) WITHOUT ROWID)",
         R"(CREATE INDEX sessions_user_id ON sessions (user_id))",
         R"(CREATE INDEX sessions_last_seen_at ON sessions (last_seen_at))",
         // With both purge conditions indexed, the purge reads only the rows it deletes.
         R"(CREATE INDEX sessions_created_at ON sessions (created_at))",
         // The primary key starts with session_id_hash, so it also serves the cascade.
         R"(CREATE TABLE session_participants (
              session_id_hash TEXT NOT NULL REFERENCES sessions (id_hash) ON DELETE CASCADE,
              sp_entity_id TEXT NOT NULL,
              name_id TEXT NOT NULL,
              name_id_format TEXT NOT NULL,
              session_index TEXT NOT NULL,
              issued_at INTEGER NOT NULL,
              PRIMARY KEY (session_id_hash, sp_entity_id)) WITHOUT ROWID)",
         // data is an opaque blob of text that may run to kilobytes: an ordinary rowid table.
         R"(CREATE TABLE pending_requests (
              id TEXT PRIMARY KEY NOT NULL,
              data TEXT NOT NULL,
              expires_at INTEGER NOT NULL))",
         R"(CREATE INDEX pending_requests_expires_at ON pending_requests (expires_at))",
     }},
    {5,
     "Single Logout: find a session by the NameID an SP was given",
     {
         // A LogoutRequest without the IdP's cookie (SOAP back channel, or a browser that
         // did not send it) names the session only by SP, NameID and SessionIndex.
         R"(CREATE INDEX session_participants_sp_name_id ON session_participants (sp_entity_id, name_id))",
     }},
    {6,
     "an SP's last refusals",
     {
         // Partial: only refused events are indexed, so the SSO hot path (two "ok" events a
         // Response) writes no index entry for it.
         R"(CREATE INDEX audit_log_refusals ON audit_log (target, seq) WHERE outcome = 'refused')",
     }},
};

std::string oneLine(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

void rollbackQuietly(Poco::Data::Session& session) {
  try {
    session << "ROLLBACK", now;
  } catch (...) {
    // No transaction open (BEGIN itself failed): nothing to undo.
  }
}

}  // namespace

const std::vector<Migration>& sqliteMigrations() { return kMigrations; }

int latestSqliteVersion() { return kMigrations.back().version; }

int sqliteSchemaVersion(Poco::Data::Session& session) {
  int version = 0;
  session << "PRAGMA user_version", into(version), now;
  return version;
}

int migrateSqlite(Poco::Data::Session& session, const std::filesystem::path& file, int target) {
  const int latest = latestSqliteVersion();
  if (target < 0 || target > latest) target = latest;
  auto newerError = [&](int v) {
    return StoreError("store " + file.string() + ": schema version " + std::to_string(v) +
                      " is newer than this build (" + std::to_string(latest) + ")");
  };
  int version = 0;
  try {
    version = sqliteSchemaVersion(session);
  } catch (const Poco::Exception& e) {
    throw StoreError("store " + file.string() + ": cannot read schema version: " +
                     oneLine(e.displayText()));
  }
  if (version > latest) throw newerError(version);

  for (const auto& m : kMigrations) {
    if (m.version > target) break;
    if (m.version <= version) continue;
    try {
      session << "BEGIN IMMEDIATE", now;
      // Re-read under the write lock: another process may have migrated meanwhile.
      version = sqliteSchemaVersion(session);
      if (version > latest) {
        rollbackQuietly(session);
        throw newerError(version);
      }
      if (m.version <= version) {
        rollbackQuietly(session);
        continue;
      }
      for (auto sql : m.statements) session << std::string(sql), now;
      // PRAGMA takes no bound parameters; the number is this build's constant.
      session << "PRAGMA user_version = " + std::to_string(m.version), now;
      session << "COMMIT", now;
      version = m.version;
    } catch (const Poco::Exception& e) {
      rollbackQuietly(session);
      throw StoreError("store " + file.string() + ": migration " + std::to_string(m.version) +
                       " (" + std::string(m.summary) + ") failed: " + oneLine(e.displayText()));
    }
  }
  return version;
}

}  // namespace propusk::store::migrations
