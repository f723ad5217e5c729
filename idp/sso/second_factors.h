// Second factors of an account (docs/account-security.md): TOTP (RFC 6238) with its enrolment
// and recovery codes, and one-time codes by e-mail or SMS through the Outbox. Everything is
// kept through the store (shared by instances); secrets and codes only sealed or as MACs under
// the factor key; every change and every attempt audited, never a code or secret.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "idp/auth/factor_key.h"
#include "idp/auth/totp.h"
#include "idp/core/clock.h"
#include "idp/core/random.h"
#include "idp/core/result.h"
#include "idp/notify/outbox.h"
#include "idp/sso/login_steps.h"
#include "idp/store/store.h"

namespace propusk::sso {

struct SecondFactorSettings {
  std::string issuer = "Propusk";  // the account's label in authenticator apps
  auth::TotpParams totp;           // SHA-1, 6 digits, 30 s: what common apps expect
  int totpWindow = 1;              // steps accepted either side of now
  std::chrono::seconds codeLifetime{300};
  int codeAttempts = 5;
  // Sends of one-time codes: at most this many per account, and per destination, in the window.
  int codesPerAccount = 5;
  int codesPerDestination = 5;
  std::chrono::seconds codeWindow{900};
};

struct TotpSecret {
  std::string uri;     // otpauth://totp/...
  std::string secret;  // base32, as typed into an app by hand
};

struct SentCode {
  std::string id;        // goes into the form that asks for the code
  std::string maskedTo;  // "i***@example.ru"
};

class SecondFactors {
 public:
  // `outbox` may be null: no channel is configured, codes by e-mail and SMS are not offered.
  SecondFactors(store::Store& store, const auth::FactorKey& key, const Clock& clock, Random& random,
                notify::Outbox* outbox, SecondFactorSettings settings)
      : store_(store), key_(key), clock_(clock), random_(random), outbox_(outbox), settings_(std::move(settings)) {}

  // What `user` can use as a second factor now (one store read).
  AvailableFactors available(const store::User& user);
  bool channelAvailable(notify::Channel c) const { return outbox_ && outbox_->available(c); }

  // TOTP. begin: a new secret waiting for its first code (a confirmed TOTP stays until
  // replaced: refused with "already enrolled"). confirm: the first code makes it the account's
  // factor, and returns ten new recovery codes (shown once; only their MACs are kept).
  Result<TotpSecret> beginTotp(const store::User& user, const std::string& actor);
  Result<std::vector<std::string>> confirmTotp(const store::User& user, std::string_view code, const std::string& actor);
  // An administrator's enrolment (propuskctl user totp enroll|reset): confirmed at once.
  // `replace`: reset an existing one (else refused when one exists).
  Result<TotpSecret> enrolTotp(const store::User& user, bool replace, const std::string& actor);
  // The code is right and its time step was not accepted before (then never again).
  bool verifyTotp(const store::User& user, std::string_view code, const std::string& actor);

  bool useRecoveryCode(const store::User& user, std::string_view code, const std::string& actor);
  Result<std::vector<std::string>> newRecoveryCodes(const store::User& user, const std::string& actor);
  std::size_t recoveryCodesLeft(const store::User& user) { return store_.countRecoveryCodes(user.id); }
  bool remove(const store::User& user, store::FactorKind kind, const std::string& actor);

  // A one-time code by `channel` to the account's confirmed contact, bound to `binding` (the
  // session's hash, or a recovery's id). A null `user` (recovery for an unknown login) does the
  // same work and sends nothing. Refused: no confirmed contact, no channel, or too many sends.
  Result<SentCode> sendCode(const store::User* user, notify::Channel channel, std::string_view purpose,
                            std::string_view binding, const std::string& actor);
  // One attempt at code `id` for `user`, `purpose` and `binding`; only Ok lets the caller go on.
  store::CodeCheck checkCode(std::string_view id, std::string_view typed, const store::User* user,
                             std::string_view purpose, std::string_view binding, const std::string& actor);
  // E-mail or SMS as a second factor: a code to the confirmed contact, then the code confirms it
  // (with recovery codes returned when it is the account's first factor).
  Result<SentCode> beginContactFactor(const store::User& user, store::FactorKind kind, std::string_view binding,
                                      const std::string& actor);
  Result<std::vector<std::string>> confirmContactFactor(const store::User& user, store::FactorKind kind,
                                                        std::string_view codeId, std::string_view typed,
                                                        std::string_view binding, const std::string& actor);

  // A notice to the account's confirmed e-mail (else phone): a new device, a password changed.
  // False when the account has no confirmed contact or no channel works for it.
  bool notice(const store::User& user, std::string purpose, std::string subject, std::string text);

  const SecondFactorSettings& settings() const { return settings_; }

 private:
  std::string aad(const store::User& user) const { return user.uid + ":totp"; }
  std::vector<std::string> recoveryHashes(const store::User& user, const std::vector<std::string>& codes) const;

  store::Store& store_;
  const auth::FactorKey& key_;
  const Clock& clock_;
  Random& random_;
  notify::Outbox* outbox_;
  SecondFactorSettings settings_;
};

// "+7******4567" / "i***@example.ru" of the account's contact for `channel` (empty if none confirmed).
std::string maskedContact(const store::User& user, notify::Channel channel);

}  // namespace propusk::sso
