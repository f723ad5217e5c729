// What the store keeps. Plain data; validation happens before a record gets here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "idp/audit/audit_record.h"
#include "idp/core/clock.h"
#include "idp/policy/account_status.h"

namespace propusk::store {

struct User {
  std::int64_t id = 0;            // row id, set by the store
  std::string uid;                // opaque, random, never changes: source of pairwise NameIDs
  std::string login;              // unique
  std::string surname;
  std::string givenName;
  std::optional<std::string> middleName;
  std::optional<std::string> inn;    // 12 digits, unique when present
  std::optional<std::string> snils;  // 11 digits, unique when present
  std::optional<std::string> email;
  std::optional<std::string> phone;  // +7XXXXXXXXXX
  bool emailConfirmed = false;
  bool phoneConfirmed = false;
  policy::AccountStatus status = policy::AccountStatus::Simplified;
  std::string passwordHash;          // Argon2id encoded string (carries its parameters)
  bool locked = false;                    // by an administrator: no login until unlocked
  int failedLogins = 0;                   // consecutive, reset by a successful login
  std::optional<TimePoint> lockedUntil;   // automatic lockout with backoff after failures
  TimePoint createdAt{};
  TimePoint updatedAt{};
};

enum class SignMode { Both, AssertionOnly, ResponseOnly };

struct ServiceProvider {
  std::string entityId;                  // unique key
  std::string metadataXml;               // the EntityDescriptor as registered (exact bytes)
  std::vector<std::string> release;      // attribute FriendlyNames released (DESIGN.md); default none
  policy::AccountStatus minStatus = policy::AccountStatus::Simplified;
  bool allowSha1 = false;
  SignMode signMode = SignMode::Both;
  bool metadataSignatureVerified = false;
  std::optional<TimePoint> validUntil;   // from the metadata, if any
  std::string source;                    // file path or URL it was registered from
  TimePoint createdAt{};
  TimePoint updatedAt{};
};

// next: published in metadata, not yet signing (pre-announced for rollover);
// active: the one signing key, published; previous: published, no longer signing,
// kept until retired; retired: neither published nor used.
enum class KeyState { Next, Active, Previous, Retired };

struct SigningKey {
  std::string id;               // short opaque id (hex of the cert fingerprint prefix)
  std::string algorithm;        // crypto::keyAlgorithmName
  std::string privateKeyPem;
  std::string certificatePem;
  KeyState state = KeyState::Next;
  TimePoint createdAt{};
  std::optional<TimePoint> activatedAt;
  std::optional<TimePoint> retiredAt;
};

// An SSO session. The cookie carries a random token; only its SHA-256 is stored, so a
// copy of the database does not let anyone take over a session.
struct Session {
  std::string idHash;                // hex sha256 of the cookie token
  std::int64_t userId = 0;
  std::string login;
  TimePoint createdAt{};
  TimePoint lastSeenAt{};
  TimePoint authnInstant{};          // when the person last proved who they are
  std::string authnContextClassRef;
};

// An SP that received an assertion in a session (what Single Logout must reach).
struct SessionParticipant {
  std::string sessionIdHash;
  std::string spEntityId;
  std::string nameId;
  std::string nameIdFormat;
  std::string sessionIndex;
  TimePoint issuedAt{};
};

// The audit module owns the records (its chain hashes them); the store keeps them, under
// these names in its interface.
using audit::AuditEvent;
using audit::AuditRecord;

std::string_view keyStateName(KeyState s);
std::optional<KeyState> parseKeyState(std::string_view s);
std::string_view signModeName(SignMode m);              // "both", "assertion", "response"
std::optional<SignMode> parseSignMode(std::string_view s);

}  // namespace propusk::store
