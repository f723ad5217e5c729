// The pages of account security (docs/account-security.md): the second-factor step of a login
// (/login/mfa), the page that explains a missing second factor, password recovery
// (/login/recover) and the account page (/account). Plain forms, no JavaScript, every value
// escaped; Russian first, English second. Rendering only: web/*_handler.cpp decide.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "idp/core/clock.h"

namespace propusk::web {

struct Notice {
  std::string ru, en;
  bool error = true;  // else a confirmation (green)
};

struct MfaPage {
  std::string flow, csrf;
  std::string serviceName;
  bool totp = false, email = false, sms = false, recovery = false;
  std::string maskedEmail, maskedPhone;
  std::string codeId;     // a code was sent: the form for it
  std::string codeTo;     // where (masked)
  std::optional<Notice> notice;
};
std::string renderMfaPage(const MfaPage& p, const std::string& styleNonce);

// The SP (or the request) needs a second factor the account has not set up: how to do it, a
// link to /account, and a button back to the service, which receives NoAuthnContext.
std::string renderEnrolNeeded(bool accountHasFactor, const std::string& action, std::string_view samlMessage,
                              const std::optional<std::string>& relayState, const std::string& styleNonce);

struct RecoverPage {
  enum class Stage { Start, Code, Done } stage = Stage::Start;
  std::string csrf;
  std::string recoveryId;  // Code
  std::string login;       // re-filled
  std::optional<Notice> notice;
};
std::string renderRecoverPage(const RecoverPage& p, const std::string& styleNonce);

struct AccountSessionLine {
  std::string handle;  // what the "end" button posts (a prefix of the session's hash)
  bool current = false;
  TimePoint createdAt{}, lastSeenAt{};
  std::string remote, userAgent, factors;
  std::vector<std::string> services;
};
struct AccountHistoryLine {
  TimePoint at{};
  std::string ip, userAgent, service, factors, result;
};
struct AccountPage {
  std::string csrf;
  std::string displayName, login, status;  // status: simplified|standard|confirmed
  std::string inn, snils;                  // masked, or empty
  std::string email, phone;                // with (подтверждён / confirmed) or not
  bool emailConfirmed = false, phoneConfirmed = false;
  bool totp = false, emailFactor = false, smsFactor = false;
  bool emailFactorPossible = false, smsFactorPossible = false;  // a confirmed contact and a channel
  std::size_t recoveryLeft = 0;
  std::vector<AccountSessionLine> sessions;
  std::vector<AccountHistoryLine> history;
  std::optional<Notice> notice;
};
std::string renderAccountPage(const AccountPage& p, const std::string& styleNonce);

// TOTP enrolment: the QR code (inline SVG), the otpauth:// URI and the secret, and the form for
// the first code.
std::string renderTotpEnrol(const std::string& csrf, const std::string& qrSvg, const std::string& uri,
                            const std::string& secret, const std::optional<Notice>& notice,
                            const std::string& styleNonce);
// E-mail or SMS factor: the form for the code just sent to `maskedTo`.
std::string renderContactConfirm(const std::string& csrf, const std::string& kind, const std::string& codeId,
                                 const std::string& maskedTo, const std::optional<Notice>& notice,
                                 const std::string& styleNonce);
// Ten recovery codes, shown once.
std::string renderRecoveryCodes(const std::vector<std::string>& codes, const std::string& styleNonce);

// "***-***-445 95" (the last five digits of a SNILS), "********9324" (INN).
std::string maskSnils(const std::string& digits);
std::string maskInn(const std::string& digits);

}  // namespace propusk::web
