// The Store over SQL, for both engines (docs/store.md): one writer connection whose changes
// go through the group-commit WriteQueue, a pool of reader connections for look-ups, and the
// SQL of each aggregate in a file of its own under store/aggregates/ (the member functions
// below are defined there). The engine-specific parts come in as an Engine: how to open
// connections, which Dialect, and the SQLite file's housekeeping.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <variant>

#include "idp/store/sql/connection.h"
#include "idp/store/sql/pool.h"
#include "idp/store/sql/row.h"
#include "idp/store/sql/write_queue.h"
#include "idp/store/store.h"

namespace propusk::store {

struct EngineParts {
  sql::Engine engine = sql::Engine::Sqlite;
  std::string label;  // names the database in every StoreError (file path, or "postgresql host=...")
  std::function<std::unique_ptr<sql::Connection>()> openWriter;
  std::function<std::unique_ptr<sql::Connection>()> openReader;
  std::size_t readers = 4;
  // SQLite: a checkpoint of the WAL on a connection of its own; empty elsewhere.
  std::function<void()> checkpoint;
};

class SqlStore final : public Store {
 public:
  // Opens the writer and runs pending migrations on it. Throws StoreError.
  SqlStore(EngineParts parts, const Clock& clock);

  int schemaVersion() override;
  std::string describe() const override { return parts_.label; }
  void ping() override;

  // users (aggregates/users.cpp)
  UserConflict addUser(User& user, const AuditRecord& audit) override;
  UserConflict updateUser(const User& user, const AuditRecord& audit) override;
  std::optional<User> findUser(std::string_view login) override;
  std::vector<User> listUsers() override;
  bool removeUser(std::string_view login, const AuditRecord& audit) override;
  FailedLogin recordFailedLogin(std::int64_t userId, TimePoint now, const LockoutRule& lockFor,
                                const std::function<AuditRecord(const FailedLogin&)>& audit) override;
  bool recordSuccessfulLogin(std::int64_t userId, TimePoint now, const std::optional<std::string>& newPasswordHash,
                             const AuditRecord& audit) override;

  // service providers (aggregates/service_providers.cpp)
  void putServiceProvider(const ServiceProvider& sp, const AuditRecord& audit) override;
  std::optional<ServiceProvider> findServiceProvider(std::string_view entityId) override;
  std::vector<ServiceProvider> listServiceProviders() override;
  bool removeServiceProvider(std::string_view entityId, const AuditRecord& audit) override;

  // signing keys (aggregates/keys.cpp)
  void addKey(const SigningKey& key, const AuditRecord& audit) override;
  void updateKeys(const std::vector<SigningKey>& keys, const AuditRecord& audit) override;
  std::vector<SigningKey> listKeys() override;

  // sessions and their participants (aggregates/sessions.cpp)
  void createSession(const Session& session, const AuditRecord& audit) override;
  std::optional<Session> findSession(std::string_view idHash) override;
  void touchSession(std::string_view idHash, TimePoint lastSeenAt) override;
  bool removeSession(std::string_view idHash, const AuditRecord& audit) override;
  bool renewSession(std::string_view oldIdHash, const Session& renewed, const AuditRecord& audit) override;
  std::vector<Session> listSessions(std::optional<std::string_view> login) override;
  std::size_t purgeSessions(TimePoint idleBefore, TimePoint createdBefore) override;
  using Store::addSessionParticipant;
  std::unique_ptr<QueuedChange> queueSessionParticipant(const SessionParticipant& p,
                                                        std::vector<AuditRecord> audits) override;
  bool retractSessionParticipant(const SessionParticipant& p, const AuditRecord& audit) override;
  std::vector<SessionParticipant> listSessionParticipants(std::string_view idHash) override;
  std::vector<SessionParticipant> findSessionParticipants(std::string_view spEntityId,
                                                          std::string_view nameId) override;

  // pending requests and the shared replay cache (aggregates/pending.cpp)
  void putPendingRequest(std::string_view id, std::string_view data, TimePoint expiresAt) override;
  std::optional<std::string> getPendingRequest(std::string_view id, TimePoint now) override;
  void removePendingRequest(std::string_view id) override;
  bool rememberOnce(std::string_view digest, TimePoint expiresAt, TimePoint now) override;
  std::size_t purgeExpired(TimePoint now) override;

  // upstream IdPs and account links (aggregates/upstreams.cpp)
  bool putUpstream(const Upstream& upstream, const AuditRecord& audit) override;
  std::optional<Upstream> findUpstream(std::string_view name) override;
  std::optional<Upstream> findUpstreamByEntityId(std::string_view entityId) override;
  std::vector<Upstream> listUpstreams() override;
  bool removeUpstream(std::string_view name, const AuditRecord& audit) override;
  std::optional<AccountLink> findAccountLink(std::string_view upstream, std::string_view subject) override;
  std::vector<AccountLink> listAccountLinks(std::int64_t userId) override;
  std::size_t countAccountLinks(std::string_view upstream) override;
  bool addAccountLink(const AccountLink& link, const AuditRecord& audit) override;
  // (aggregates/users.cpp)
  UserConflict addLinkedUser(User& user, const AccountLink& link, std::span<const AuditRecord> audits) override;
  std::vector<User> findUsersByKey(LinkKey key, std::string_view value) override;
  // (aggregates/sessions.cpp)
  std::vector<Session> findUpstreamSessions(std::string_view upstream, std::string_view nameId) override;

  // account security (aggregates/account_security.cpp)
  bool setPasswordHash(std::int64_t userId, std::string_view passwordHash, const AuditRecord& audit) override;
  std::vector<UserFactor> listFactors(std::int64_t userId) override;
  bool putFactor(const UserFactor& factor, const std::vector<std::string>* recoveryCodeHashes,
                 const AuditRecord& audit) override;
  bool removeFactor(std::int64_t userId, FactorKind kind, const AuditRecord& audit) override;
  bool acceptTotpStep(std::int64_t userId, std::int64_t step, const AuditRecord& audit) override;
  void replaceRecoveryCodes(std::int64_t userId, const std::vector<std::string>& hashes, const AuditRecord& audit) override;
  bool useRecoveryCode(std::int64_t userId, std::string_view hash, TimePoint now, const AuditRecord& audit) override;
  std::size_t countRecoveryCodes(std::int64_t userId) override;
  void addOneTimeCode(const OneTimeCode& code, const AuditRecord& audit) override;
  std::optional<OneTimeCode> findOneTimeCode(std::string_view id) override;
  CodeCheck useOneTimeCode(std::string_view id, std::string_view codeHash, TimePoint now, int maxAttempts,
                           const std::function<AuditRecord(CodeCheck)>& audit) override;
  std::size_t countOneTimeCodesForUser(std::int64_t userId, TimePoint since) override;
  std::size_t countOneTimeCodesTo(std::string_view destination, TimePoint since) override;
  void addLoginHistory(const LoginHistoryEntry& entry) override;
  std::vector<LoginHistoryEntry> listLoginHistory(std::int64_t userId, std::size_t limit) override;
  bool rememberDevice(std::int64_t userId, std::string_view deviceHash, TimePoint now) override;
  AddressFailures recordAddressFailure(
      std::string_view address, TimePoint now, std::chrono::seconds window, const LockoutRule& blockFor,
      const std::function<std::optional<AuditRecord>(const AddressFailures&)>& audit) override;
  std::optional<TimePoint> addressBlockedUntil(std::string_view address, TimePoint now) override;

  // settings (aggregates/settings.cpp)
  std::optional<std::string> getSetting(std::string_view name) override;
  void putSetting(std::string_view name, std::string_view value, const AuditRecord& audit) override;

  // audit (aggregates/audit.cpp)
  AuditEvent appendAudit(const AuditRecord& record) override;
  std::vector<AuditEvent> listAudit(std::int64_t afterSeq, std::size_t limit) override;
  std::vector<AuditEvent> listRefusals(std::string_view target, std::size_t limit) override;

  void useBackgroundCheckpoints() override;
  void checkpoint() override;

  const std::string& label() const { return parts_.label; }

 private:
  // A change in the write queue, committed with whatever else is queued (group commit).
  template <class F>
  auto write(std::string_view op, F&& f) -> std::invoke_result_t<F&, sql::WriteTx&> {
    using R = std::invoke_result_t<F&, sql::WriteTx&>;
    if constexpr (std::is_void_v<R>) {
      sql::WriteQueue::Change c{op, [&](sql::WriteTx& tx) { f(tx); }};
      queue_.submit(c);
    } else {
      std::optional<R> result;
      sql::WriteQueue::Change c{op, [&](sql::WriteTx& tx) { result.emplace(f(tx)); }};
      queue_.submit(c);
      return std::move(*result);
    }
  }

  // A look-up on a reader connection.
  template <class F>
  auto read(std::string_view op, F&& f) -> std::invoke_result_t<F&, sql::Connection&> {
    try {
      return readers_.with(f);
    } catch (const sql::SqlError& e) {
      std::rethrow_exception(sql::storeError(parts_.label, op, e));
    }
  }

  // A single statement that changes nothing audited (autocommit): on SQLite the writer (its
  // readers are query_only), elsewhere a reader connection, so it never waits for a commit.
  template <class F>
  auto direct(std::string_view op, F&& f) -> std::invoke_result_t<F&, sql::Connection&> {
    try {
      if (parts_.engine == sql::Engine::Sqlite) return writer_.direct(f);
      return readers_.with(f);
    } catch (const sql::SqlError& e) {
      std::rethrow_exception(sql::storeError(parts_.label, op, e));
    }
  }

  sql::Row row(const sql::Query& q) const { return sql::Row(q, parts_.label); }

  // Appends one audit event inside `tx` (aggregates/audit.cpp): the chain head is read under
  // the write transaction's lock, so no other writer appends in between.
  static AuditEvent appendIn(sql::WriteTx& tx, const AuditRecord& record);
  UserConflict conflictOf(sql::Connection& db, const User& u, std::int64_t selfId);
  // Inserts `user` inside `tx` (aggregates/users.cpp): its id, or the unique field it collides with.
  std::variant<std::int64_t, UserConflict> insertUser(sql::WriteTx& tx, const User& user, TimePoint stamp);
  // Inserts `link` inside `tx` unless its subject is linked already (aggregates/upstreams.cpp).
  bool insertLink(sql::WriteTx& tx, const AccountLink& link, TimePoint stamp);

  class Queued;

  EngineParts parts_;
  const sql::Dialect& dialect_;
  const Clock& clock_;
  sql::Writer writer_;
  sql::WriteQueue queue_{writer_};
  sql::ReaderPool readers_;
};

}  // namespace propusk::store
