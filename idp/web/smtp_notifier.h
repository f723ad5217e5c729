// E-mail through an SMTP server (RFC 5321) with Poco's SMTPClientSession: EHLO, STARTTLS when
// the server offers it (or always, or never: `starttls`), AUTH LOGIN or PLAIN when a user is
// configured (never over an unencrypted connection unless to loopback), then one message in
// UTF-8 (RFC 6532 headers encoded as RFC 2047 words). A connection per message: codes are rare
// next to SSO, and a kept connection would be one more thing to time out.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "idp/notify/notifier.h"

namespace propusk::web {

struct SmtpSettings {
  std::string host = "127.0.0.1";
  unsigned port = 25;
  std::string from;                      // the envelope and header From: address
  std::string fromName = "Propusk";      // the header From: display name
  enum class StartTls { Auto, Required, Never } starttls = StartTls::Auto;
  std::optional<std::string> user;       // AUTH when set
  std::optional<std::string> password;   // read from [notify] smtp_password_file
  std::string caFile;                    // trust this PEM as well as the system's CAs
  std::chrono::seconds timeout{10};      // connect, and each command
};

class SmtpNotifier final : public notify::Notifier {
 public:
  explicit SmtpNotifier(SmtpSettings settings);
  void send(const notify::Message& m) override;  // Channel::Email only; NotifyError otherwise
  std::string describe() const override;

 private:
  SmtpSettings settings_;
};

}  // namespace propusk::web
