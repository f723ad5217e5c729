// The one store interface. SQLite (store/sqlite/) is the embedded default; a PostgreSQL
// implementation fills the same interface. Every change takes the AuditRecord that
// describes it and writes both in one transaction, so no change goes unaudited.
// Errors of the environment (file unreadable, disk full, schema newer than this build)
// throw StoreError; expected outcomes (not found, duplicate) are return values.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
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

// Which unique field a new or changed user collides with. Link: addLinkedUser's upstream
// subject is linked to an account already (another instance linked it first).
enum class UserConflict { None, Login, Inn, Snils, Link };

// A wrong password, counted (Store::recordFailedLogin).
struct FailedLogin {
  int failures = 0;                      // consecutive, this one included
  std::optional<TimePoint> lockedUntil;  // as stored now
  std::chrono::seconds lockout{0};       // what this failure added (0: not locked by it)
};
// How long an account is locked after `failures` consecutive wrong passwords (0: not).
using LockoutRule = std::function<std::chrono::seconds(int failures)>;

// A change queued for a later group commit (Store::queueSessionParticipant). wait() returns
// once a commit has made it durable, or throws the StoreError that undid it. withdraw() takes
// it back out if no commit has taken it yet (true), else waits for that commit and returns
// false. A change dropped without either is withdrawn.
class QueuedChange {
 public:
  virtual ~QueuedChange() = default;
  virtual void wait() = 0;
  virtual bool withdraw() = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  virtual int schemaVersion() = 0;
  // Which database this is, for messages: the SQLite file, or "postgresql host=... dbname=...".
  virtual std::string describe() const = 0;
  // A cheap round trip to the database (readiness); throws StoreError when it is unreachable.
  virtual void ping() = 0;

  // Users
  virtual UserConflict addUser(User& user, const AuditRecord& audit) = 0;  // sets user.id
  virtual UserConflict updateUser(const User& user, const AuditRecord& audit) = 0;  // by id
  virtual std::optional<User> findUser(std::string_view login) = 0;
  virtual std::vector<User> listUsers() = 0;  // ordered by login
  virtual bool removeUser(std::string_view login, const AuditRecord& audit) = 0;
  // A wrong password for user `userId`: failed_logins + 1 in one statement, so that concurrent
  // attempts (threads, instances) are all counted, then locked_until = now + lockFor(n) when
  // that is later than it was; audit(result) is logged in the same transaction. Never a
  // read-modify-write of the whole row (which lost counts and could undo an admin's change).
  virtual FailedLogin recordFailedLogin(std::int64_t userId, TimePoint now, const LockoutRule& lockFor,
                                        const std::function<AuditRecord(const FailedLogin&)>& audit) = 0;
  // A right password: the failure count and the backoff are cleared (and the password hash
  // replaced when given: parameters raised). False when the user is gone.
  virtual bool recordSuccessfulLogin(std::int64_t userId, TimePoint now,
                                     const std::optional<std::string>& newPasswordHash, const AuditRecord& audit) = 0;

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

  // SSO sessions (auth/). Creating and removing are audited; touching is not (too chatty).
  virtual void createSession(const Session& session, const AuditRecord& audit) = 0;
  virtual std::optional<Session> findSession(std::string_view idHash) = 0;
  virtual void touchSession(std::string_view idHash, TimePoint lastSeenAt) = 0;
  virtual bool removeSession(std::string_view idHash, const AuditRecord& audit) = 0;  // and its participants
  // Re-authentication inside a session (ForceAuthn): `renewed` (a new id, the same user)
  // replaces the session `oldIdHash` and takes over its participants, in one transaction;
  // false (nothing changed) when the old session is gone.
  virtual bool renewSession(std::string_view oldIdHash, const Session& renewed, const AuditRecord& audit) = 0;
  virtual std::vector<Session> listSessions(std::optional<std::string_view> login = std::nullopt) = 0;
  // Removes sessions idle since before idleBefore or created before createdBefore; returns how many.
  virtual std::size_t purgeSessions(TimePoint idleBefore, TimePoint createdBefore) = 0;
  // Upsert by (session, SP): a second assertion to the same SP replaces the first's NameID,
  // format and SessionIndex; when those are unchanged the row (and its issuedAt, the first
  // issuance) is left as it is, so a repeat login at an SP writes only its audit. Written
  // with its audit records (the assertion.issue event, after the event of the request it
  // answers when that is not in the log yet) in one transaction, in the order given.
  void addSessionParticipant(const SessionParticipant& p, std::span<const AuditRecord> audits) {
    queueSessionParticipant(p, {audits.begin(), audits.end()})->wait();
  }
  void addSessionParticipant(const SessionParticipant& p, const AuditRecord& audit) {
    addSessionParticipant(p, std::span<const AuditRecord>(&audit, 1));
  }
  // The same change, queued: whichever thread commits next takes it along in its transaction.
  // The SSO path queues it before signing and waits after, so at load the commit usually
  // happened meanwhile (one transaction for several Responses, no thread asleep for it).
  virtual std::unique_ptr<QueuedChange> queueSessionParticipant(const SessionParticipant& p,
                                                                std::vector<AuditRecord> audits) = 0;
  // Takes back a participation whose Response never left after its change was committed:
  // removes the row if it is still exactly `p` (this issue wrote or replaced it; a row kept
  // from an earlier issue, e.g. the same persistent NameID, stays), and logs `audit`, in one
  // transaction. True when the row was removed.
  virtual bool retractSessionParticipant(const SessionParticipant& p, const AuditRecord& audit) = 0;
  virtual std::vector<SessionParticipant> listSessionParticipants(std::string_view idHash) = 0;
  // Single Logout without the IdP's cookie: the participations of one SP under one NameID,
  // across all sessions, ordered by issuedAt.
  virtual std::vector<SessionParticipant> findSessionParticipants(std::string_view spEntityId,
                                                                  std::string_view nameId) = 0;

  // AuthnRequests waiting for the person to log in (shared by every instance that uses this
  // store). `data` is opaque to the store.
  virtual void putPendingRequest(std::string_view id, std::string_view data, TimePoint expiresAt) = 0;
  // nullopt when unknown or expired (expired rows are deleted on the way).
  virtual std::optional<std::string> getPendingRequest(std::string_view id, TimePoint now) = 0;
  virtual void removePendingRequest(std::string_view id) = 0;

  // The replay cache shared by every instance on this store (store/shared_replay_cache.h):
  // true when `digest` was not remembered (or its time had passed) and is now, until
  // expiresAt; false when it is remembered already — in one statement, so two instances
  // seeing the same message at once cannot both get true.
  virtual bool rememberOnce(std::string_view digest, TimePoint expiresAt, TimePoint now) = 0;
  // Deletes expired pending requests, replay digests, one-time codes (a day after expiry),
  // throttle windows that ended, and login history older than a year; returns how many rows went.
  virtual std::size_t purgeExpired(TimePoint now) = 0;

  // Upstream identity providers (gateway). putUpstream inserts or replaces by name; false
  // (nothing written) when another upstream already has that entityID.
  virtual bool putUpstream(const Upstream& upstream, const AuditRecord& audit) = 0;
  virtual std::optional<Upstream> findUpstream(std::string_view name) = 0;
  virtual std::optional<Upstream> findUpstreamByEntityId(std::string_view entityId) = 0;
  virtual std::vector<Upstream> listUpstreams() = 0;  // ordered by name
  // Also removes its account links (the accounts stay), audited as one change.
  virtual bool removeUpstream(std::string_view name, const AuditRecord& audit) = 0;

  // Accounts linked to upstream subjects. A subject links to at most one account.
  virtual std::optional<AccountLink> findAccountLink(std::string_view upstream, std::string_view subject) = 0;
  virtual std::vector<AccountLink> listAccountLinks(std::int64_t userId) = 0;  // ordered by upstream, subject
  virtual std::size_t countAccountLinks(std::string_view upstream) = 0;       // for `upstream show`
  // False (nothing written) when the subject is linked already, or the user or the upstream
  // is gone. link.linkedAt is the time stored (the store's clock when left at the epoch).
  virtual bool addAccountLink(const AccountLink& link, const AuditRecord& audit) = 0;
  // A new account and its first link in one transaction (sets user.id); a conflict writes
  // nothing (UserConflict::Link: the subject is linked already; an unknown upstream throws).
  virtual UserConflict addLinkedUser(User& user, const AccountLink& link, std::span<const AuditRecord> audits) = 0;
  // The accounts whose SNILS, INN or (confirmed, compared case-insensitively) e-mail is
  // `value`, ordered by login; empty for LinkKey::None.
  virtual std::vector<User> findUsersByKey(LinkKey key, std::string_view value) = 0;
  // Live sessions opened through `upstream` for its NameID `nameId` (its LogoutRequest).
  virtual std::vector<Session> findUpstreamSessions(std::string_view upstream, std::string_view nameId) = 0;

  // Account security (aggregates/account_security.cpp; docs/account-security.md).
  // A new password for `userId` (a change on /account or a recovery): the hash replaced, the
  // failure count and backoff cleared, in one statement, with `audit`. False when the user is gone.
  virtual bool setPasswordHash(std::int64_t userId, std::string_view passwordHash, const AuditRecord& audit) = 0;
  virtual std::vector<UserFactor> listFactors(std::int64_t userId) = 0;  // ordered by kind
  // Inserts or replaces the factor (user, kind); with `recoveryCodeHashes`, the account's
  // recovery codes are replaced by these in the same transaction (an enrolment and its codes
  // are one change). False when the user is gone.
  virtual bool putFactor(const UserFactor& factor, const std::vector<std::string>* recoveryCodeHashes,
                         const AuditRecord& audit) = 0;
  // Also removes the recovery codes when no confirmed factor is left.
  virtual bool removeFactor(std::int64_t userId, FactorKind kind, const AuditRecord& audit) = 0;
  // A TOTP code of time step `step` was right: true (recorded, with `audit`) when `step` is
  // later than the last step accepted for this confirmed factor — in one statement, so the
  // same code is never accepted twice, on any instance. False changes nothing.
  virtual bool acceptTotpStep(std::int64_t userId, std::int64_t step, const AuditRecord& audit) = 0;
  virtual void replaceRecoveryCodes(std::int64_t userId, const std::vector<std::string>& hashes,
                                    const AuditRecord& audit) = 0;
  // Marks the unused code `hash` of `userId` used (true), in one statement; false: no such unused code.
  virtual bool useRecoveryCode(std::int64_t userId, std::string_view hash, TimePoint now, const AuditRecord& audit) = 0;
  virtual std::size_t countRecoveryCodes(std::int64_t userId) = 0;  // unused ones

  virtual void addOneTimeCode(const OneTimeCode& code, const AuditRecord& audit) = 0;
  virtual std::optional<OneTimeCode> findOneTimeCode(std::string_view id) = 0;
  // One attempt at code `id`: attempts + 1, then Ok (and used now) when `codeHash` is its hash,
  // it is unused, unexpired and the attempt is within `maxAttempts`; all in one transaction with
  // audit(result). Unknown: no such code, or used already.
  virtual CodeCheck useOneTimeCode(std::string_view id, std::string_view codeHash, TimePoint now, int maxAttempts,
                                   const std::function<AuditRecord(CodeCheck)>& audit) = 0;
  // Codes created since `since` for an account, and to a destination (rate limits).
  virtual std::size_t countOneTimeCodesForUser(std::int64_t userId, TimePoint since) = 0;
  virtual std::size_t countOneTimeCodesTo(std::string_view destination, TimePoint since) = 0;

  // Not audited themselves: the login's own audit event is.
  virtual void addLoginHistory(const LoginHistoryEntry& entry) = 0;
  virtual std::vector<LoginHistoryEntry> listLoginHistory(std::int64_t userId, std::size_t limit) = 0;  // newest first
  // True when (user, device) was not known: it is now. A known one gets its last_seen updated.
  virtual bool rememberDevice(std::int64_t userId, std::string_view deviceHash, TimePoint now) = 0;

  // A failed password or code from `address`: counted in one statement (a window of `window`
  // starting at the first failure), then blocked until now + blockFor(failures) when that is
  // later than it was; audit(result), when it gives a record, in the same transaction.
  virtual AddressFailures recordAddressFailure(
      std::string_view address, TimePoint now, std::chrono::seconds window, const LockoutRule& blockFor,
      const std::function<std::optional<AuditRecord>(const AddressFailures&)>& audit) = 0;
  // When `address` is blocked past `now`, until when.
  virtual std::optional<TimePoint> addressBlockedUntil(std::string_view address, TimePoint now) = 0;

  // Small settings (e.g. the pairwise-ID secret), audited like any change.
  virtual std::optional<std::string> getSetting(std::string_view name) = 0;
  virtual void putSetting(std::string_view name, std::string_view value, const AuditRecord& audit) = 0;

  // Housekeeping for a long-running server: stop checkpointing inside commits (a
  // checkpoint there stalls every request queued behind the writer) and let the server
  // call checkpoint() from a background thread instead. No-ops where not applicable.
  virtual void useBackgroundCheckpoints() = 0;
  virtual void checkpoint() = 0;

  // Audit log (append-only, hash-chained)
  virtual AuditEvent appendAudit(const AuditRecord& record) = 0;  // for events that change nothing
  virtual std::vector<AuditEvent> listAudit(std::int64_t afterSeq = 0, std::size_t limit = 1000) = 0;
  // The newest `limit` events with outcome "refused" and this target (an SP's entityID: why
  // its messages were refused, for `propuskctl sp show`), newest first.
  virtual std::vector<AuditEvent> listRefusals(std::string_view target, std::size_t limit) = 0;
};

// Where the store is (DESIGN.md "Storage"; [store] in the configuration).
struct StoreLocation {
  enum class Engine { Sqlite, Postgresql } engine = Engine::Sqlite;
  std::filesystem::path sqliteFile;          // SQLite: the file (created 0600 if missing)
  std::string connection;                    // PostgreSQL: libpq keyword=value string, no password
  std::optional<std::string> password;       // PostgreSQL: from [store] password_file
  std::size_t poolSize = 4;                  // reader connections
};

// The schema version of an existing store, read without changing anything (no WAL switch, no
// migration), for `propusk --check-config`. Throws StoreError (e.g. no such file, or the
// database cannot be reached).
struct StoreVersion {
  int version = 0;  // of the database
  int latest = 0;   // this build's newest migration
};
StoreVersion inspectStore(const StoreLocation& where);

// Opens the store (creating an SQLite file, mode 0600, in WAL mode) and runs pending
// migrations. Throws StoreError (unreachable, a schema newer than this build...).
std::unique_ptr<Store> openStore(const StoreLocation& where, const Clock& clock);

// The SQLite store in `file`: openStore with that location.
std::unique_ptr<Store> openSqliteStore(const std::filesystem::path& file, const Clock& clock);
StoreVersion inspectSqliteStore(const std::filesystem::path& file);

}  // namespace propusk::store
