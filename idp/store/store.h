// The one store interface. SQLite (store/sqlite/) is the embedded default; a PostgreSQL
// implementation fills the same interface. Every change takes the AuditRecord that
// describes it and writes both in one transaction, so no change goes unaudited.
// Errors of the environment (file unreadable, disk full, schema newer than this build)
// throw StoreError; expected outcomes (not found, duplicate) are return values.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "idp/core/clock.h"
#include "idp/store/records.h"

namespace propusk::store {

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Which unique field a new or changed user collides with.
enum class UserConflict { None, Login, Inn, Snils };

class Store {
 public:
  virtual ~Store() = default;

  virtual int schemaVersion() = 0;

  // Users
  virtual UserConflict addUser(User& user, const AuditRecord& audit) = 0;  // sets user.id
  virtual UserConflict updateUser(const User& user, const AuditRecord& audit) = 0;  // by id
  virtual std::optional<User> findUser(std::string_view login) = 0;
  virtual std::vector<User> listUsers() = 0;  // ordered by login
  virtual bool removeUser(std::string_view login, const AuditRecord& audit) = 0;

  // Service providers (registered SP metadata and per-SP policy)
  virtual void putServiceProvider(const ServiceProvider& sp, const AuditRecord& audit) = 0;  // upsert
  virtual std::optional<ServiceProvider> findServiceProvider(std::string_view entityId) = 0;
  virtual std::vector<ServiceProvider> listServiceProviders() = 0;  // ordered by entityId
  virtual bool removeServiceProvider(std::string_view entityId, const AuditRecord& audit) = 0;

  // Signing keys
  virtual void addKey(const SigningKey& key, const AuditRecord& audit) = 0;
  // Replaces state/activatedAt/retiredAt of several keys in one transaction (rotation).
  virtual void updateKeys(const std::vector<SigningKey>& keys, const AuditRecord& audit) = 0;
  virtual std::vector<SigningKey> listKeys() = 0;  // ordered by createdAt, then id

  // Small settings (e.g. the pairwise-ID secret), audited like any change.
  virtual std::optional<std::string> getSetting(std::string_view name) = 0;
  virtual void putSetting(std::string_view name, std::string_view value, const AuditRecord& audit) = 0;

  // Audit log (append-only, hash-chained)
  virtual AuditEvent appendAudit(const AuditRecord& record) = 0;  // for events that change nothing
  virtual std::vector<AuditEvent> listAudit(std::int64_t afterSeq = 0, std::size_t limit = 1000) = 0;
};

// Opens (creating if needed, mode 0600) the SQLite store at `file`, in WAL mode, and runs
// pending migrations. Throws StoreError (e.g. a schema newer than this build knows).
std::unique_ptr<Store> openSqliteStore(const std::filesystem::path& file, const Clock& clock);

}  // namespace propusk::store
