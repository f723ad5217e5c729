// What the store keeps. Plain data; validation happens before a record gets here.
#pragma once

#include <chrono>
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
  // Gateway (docs/gateway.md): the upstream IdPs (Upstream::name) this SP's users may log in
  // through; {"*"} means every registered upstream, empty none (the default: local login only).
  std::vector<std::string> upstreams;
  bool localLogin = true;                // the password form is offered for this SP
  // Account security (docs/account-security.md): every login for this SP needs a second factor;
  // and, when not empty, client addresses (CIDR ranges) outside these are refused.
  bool requireMfa = false;
  std::vector<std::string> allowIp;
  TimePoint createdAt{};
  TimePoint updatedAt{};
};

// Which attribute of an upstream's assertion finds an existing account to link to.
enum class LinkKey { Snils, Inn, Email, None };

// An upstream identity provider (gateway): its registered metadata, attribute map and policy.
struct Upstream {
  std::string name;                      // unique key: 1..32 of [a-z0-9-], starts with a letter
  std::string entityId;                  // unique
  std::string metadataXml;               // as registered (exact bytes)
  std::string mapText;                   // the attribute map file as registered (identity/attribute_map.h)
  std::string displayName;               // on the login page ("log in with ..."); defaults to name
  policy::AccountStatus level = policy::AccountStatus::Simplified;  // the most it vouches for
  LinkKey linkBy = LinkKey::None;
  bool allowSha1 = false;
  bool metadataSignatureVerified = false;
  std::optional<TimePoint> validUntil;   // from the metadata, if any
  std::string source;                    // file path or URL it was registered from
  TimePoint createdAt{};
  TimePoint updatedAt{};
};

// A Propusk account linked to a subject of an upstream (its persistent NameID).
struct AccountLink {
  std::string upstream;                  // Upstream::name
  std::string subject;                   // the upstream's NameID value
  std::int64_t userId = 0;
  std::string login;                     // filled by reads
  TimePoint linkedAt{};
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
  // Logged in through an upstream IdP (gateway): its name and the NameID it gave (so that its
  // LogoutRequest finds this session), and what Single Logout needs to reach it (opaque JSON
  // written by sso/, e.g. NameID format, qualifiers, SessionIndex). Empty for local logins.
  std::string upstream;
  std::string upstreamNameId;
  std::string upstreamData;
  // What the person proved in this session (policy::Factors::encode: "password,totp"), and
  // where from: the client address and user agent at the login (for /account).
  std::string factors;
  std::string remote;
  std::string userAgent;
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

// A second factor of an account. TOTP: `secret` is the sealed shared secret (auth/factor_key.h);
// e-mail and SMS: codes to the account's confirmed address or phone, `secret` empty. Until
// confirmedAt is set the row is an enrolment waiting for its first code.
enum class FactorKind { Totp, Email, Sms };
struct UserFactor {
  std::int64_t userId = 0;
  FactorKind kind = FactorKind::Totp;
  std::string secret;
  std::optional<TimePoint> confirmedAt;
  std::int64_t lastStep = 0;  // TOTP: the latest time step accepted (each is accepted once)
  TimePoint createdAt{};
};

// A one-time code sent by e-mail or SMS. Only its HMAC is kept (auth/one_time_code.h).
struct OneTimeCode {
  std::string id;                      // random; names the code in the page that asks for it
  std::optional<std::int64_t> userId;  // nullopt: a recovery for an unknown login (never matches)
  std::string purpose;                 // "login", "recovery", "enrol"
  std::string channel;                 // "email", "sms"
  std::string destination;             // where it was sent
  std::string binding;                 // what it belongs to: a session's hash, a browser's token
  std::string codeHash;
  TimePoint createdAt{};
  TimePoint expiresAt{};
  int attempts = 0;
  std::optional<TimePoint> usedAt;
};
// The outcome of Store::useOneTimeCode.
enum class CodeCheck { Ok, Wrong, Expired, TooManyAttempts, Unknown };

// One login attempt of a known account, for the person's own history on /account.
struct LoginHistoryEntry {
  std::int64_t userId = 0;
  TimePoint at{};
  std::string ip;
  std::string userAgent;
  std::string sp;       // the SP the login was for, "" for the IdP's own pages
  std::string factors;  // policy::Factors::encode of what was proved (or tried)
  std::string result;   // "ok", "wrong-password", "wrong-code", "locked", ...
};

// Failures counted for one client address (Store::recordAddressFailure).
struct AddressFailures {
  int failures = 0;                       // in the current window, this one included
  std::optional<TimePoint> blockedUntil;  // as stored now
  std::chrono::seconds block{0};          // what this failure added (0: no new block)
};

// The audit module owns the records (its chain hashes them); the store keeps them, under
// these names in its interface.
using audit::AuditEvent;
using audit::AuditRecord;

std::string_view keyStateName(KeyState s);
std::optional<KeyState> parseKeyState(std::string_view s);
std::string_view signModeName(SignMode m);              // "both", "assertion", "response"
std::optional<SignMode> parseSignMode(std::string_view s);
std::string_view linkKeyName(LinkKey k);                // "snils", "inn", "email", "none"
std::optional<LinkKey> parseLinkKey(std::string_view s);
std::string_view factorKindName(FactorKind k);          // "totp", "email", "sms"
std::optional<FactorKind> parseFactorKind(std::string_view s);

}  // namespace propusk::store
