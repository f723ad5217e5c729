// Messages to a person outside the browser: one-time codes, recovery codes, "a new device
// signed in", "your password was changed" (docs/account-security.md). A Notifier delivers
// one message now; the Outbox (outbox.h) delivers them off the request thread. The SMTP and
// webhook notifiers live in web/ (the only module that speaks HTTP and SMTP); the file one,
// for development, here.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace propusk::notify {

enum class Channel { Email, Sms };
std::string_view channelName(Channel c);  // "email", "sms"

struct Message {
  Channel channel = Channel::Email;
  std::string to;       // an e-mail address, or +7XXXXXXXXXX
  std::string subject;  // e-mail only (UTF-8)
  std::string text;     // plain text (UTF-8); may carry a one-time code: never logged
  std::string purpose;  // "login-code", "recovery-code", "enrol-code", "new-device", "password-changed"
};

// A message could not be delivered. what() is one line naming the peer and the reason, and
// never the message text (it may hold a code).
class NotifyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Notifier {
 public:
  virtual ~Notifier() = default;
  // Delivers `m` (retrying as the implementation sees fit) or throws NotifyError.
  virtual void send(const Message& m) = 0;
  // Names the implementation and where it delivers ("smtp mail.example.ru:587"), for logs.
  virtual std::string describe() const = 0;
};

// "i***@example.ru", "+7******4567": enough for a person to recognise, for audit and pages.
std::string maskDestination(std::string_view to);

}  // namespace propusk::notify
