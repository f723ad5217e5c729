#include "idp/web/smtp_notifier.h"

#include <Poco/DateTimeFormatter.h>
#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/MailMessage.h>
#include <Poco/Net/MailRecipient.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SMTPClientSession.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Timestamp.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>
#include <vector>

#include "idp/core/base64.h"
#include "idp/core/random.h"
#include "idp/identity/validators.h"

namespace propusk::web {

namespace {

using Poco::Net::SMTPClientSession;

// Poco's SecureSMTPClientSession checks the certificate against the host name only when it
// connects by name itself, and that connect has no timeout. Here the socket is connected
// first (with one) and swapped for a TLS one in place, under the configured host name.
class Session final : public SMTPClientSession {
 public:
  explicit Session(const Poco::Net::StreamSocket& socket) : SMTPClientSession(socket) {}

  Poco::Net::SocketAddress peer() { return socket().peerAddress(); }
  Poco::Net::SocketAddress local() { return socket().address(); }

  // The greeting (RFC 5321 §4.3.1). Read here rather than by open(), which would make the
  // destructor send QUIT and wait for its answer, also after a timeout.
  int readReply(std::string& reply) { return socket().receiveStatusMessage(reply); }

  // RFC 3207 §4: after the server's 220 to STARTTLS, the TLS handshake on the same
  // connection. Assigning to the DialogSocket empties its read buffer, so anything the
  // server sent after the 220 in clear is dropped, never read as if it came over TLS
  // (RFC 3207 §6; the 2011 STARTTLS command injection bugs).
  void startTls(const std::string& host, Poco::Net::Context::Ptr context) {
    socket() = Poco::Net::SecureStreamSocket::attach(socket(), host, context);
  }
};

bool positive(int status) { return status / 100 == 2; }

// The EHLO keywords (RFC 5321 §4.1.1.1: every line after the first is "250-KEYWORD params")
// and the SASL mechanisms of the AUTH line (RFC 4954 §3).
struct Extensions {
  std::set<std::string> keywords;
  std::set<std::string> authMechanisms;
};

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

Extensions parseEhlo(const std::string& reply) {
  Extensions ext;
  std::istringstream lines(reply);
  std::string line;
  for (bool first = true; std::getline(lines, line); first = false) {
    if (first || line.size() < 5) continue;
    std::istringstream words(line.substr(4));
    std::string keyword;
    words >> keyword;
    keyword = upper(keyword);
    if (keyword.empty()) continue;
    ext.keywords.insert(keyword);
    if (keyword == "AUTH")
      for (std::string m; words >> m;) ext.authMechanisms.insert(upper(m));
  }
  return ext;
}

// An address as the envelope and the headers carry it: what identity accepts for a person's
// e-mail (a dot-atom local part, an LDH domain), so no CR, LF, space, "<", ">" or "," can
// reach a header or an SMTP command line. Checked before the validator, which trims.
bool plainAddress(std::string_view a) {
  if (a.empty() || a.size() > 254) return false;
  for (unsigned char c : a)
    if (c <= 0x20 || c >= 0x7f) return false;
  return identity::normalizeEmail(a).has_value();
}

// RFC 2047 §2: an encoded-word is at most 75 characters and a line holding one at most 76;
// 39 bytes make 52 base64 characters, 64 with "=?UTF-8?B?" and "?=", so "Subject: " and a
// word stay within RFC 5322's 78 too. §5 (3): each word holds whole characters, so a cut
// falls on a UTF-8 lead byte (a sequence is at most four bytes).
constexpr std::size_t kWordBytes = 39;
constexpr std::size_t kLineLength = 78;  // RFC 5322 §2.1.1

bool continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Words separated by folding white space (RFC 5322 §2.2.3), which a decoder drops between
// adjacent encoded-words (RFC 2047 §6.2).
std::string encodedWords(std::string_view text) {
  std::string out;
  while (!text.empty()) {
    std::size_t n = std::min(kWordBytes, text.size());
    if (n < text.size()) {
      std::size_t cut = n;
      while (cut > n - 3 && continuation(text[cut])) --cut;
      if (!continuation(text[cut])) n = cut;  // else not UTF-8: any cut will do
    }
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?";
    appendBase64(out, text.substr(0, n));
    out += "?=";
    text.remove_prefix(n);
  }
  return out;
}

// Printable ASCII that no decoder would take for an encoded-word, short enough for one line.
bool plainText(std::string_view s, std::size_t maxLength) {
  if (s.size() > maxLength || s.find("=?") != std::string_view::npos) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

std::string subjectHeader(std::string_view subject) {
  return plainText(subject, kLineLength - std::string_view("Subject: ").size()) ? std::string(subject)
                                                                                : encodedWords(subject);
}

// RFC 5322 §3.2.3/§3.4: a display name of atext and spaces goes as it is; anything else (a
// comma, a quote, Cyrillic) as encoded-words, which RFC 2047 §5 (3) allows in a phrase.
std::string fromHeader(std::string_view name, const std::string& address) {
  static constexpr std::string_view kAtextSpecials = "!#$%&'*+-/=?^_`{|}~ ";
  bool atext = plainText(name, 60) && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || kAtextSpecials.find(c) != std::string_view::npos;
  });
  if (name.empty()) return "<" + address + ">";
  std::string phrase = atext ? std::string(name) : encodedWords(name);
  // The address goes on a line of its own when it would make the last one too long.
  const auto lastBreak = phrase.rfind('\n');
  const std::size_t last = lastBreak == std::string::npos ? std::string_view("From: ").size() + phrase.size()
                                                          : phrase.size() - lastBreak - 1;
  return phrase + (last + 3 + address.size() > kLineLength ? "\r\n <" : " <") + address + ">";
}

// RFC 2046 §4.1.1: text is sent with CRLF line breaks, and base64 encodes that canonical form
// (RFC 2045 §6.8), so every bare LF or CR becomes CRLF before encoding.
std::string canonicalLines(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 16);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out += "\r\n";
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else if (text[i] == '\n') {
      out += "\r\n";
    } else {
      out += text[i];
    }
  }
  return out;
}

// RFC 5321 §4.1.3: without a known host name, EHLO names the client by its address literal.
std::string helloName(const Poco::Net::SocketAddress& local) {
  const auto host = local.host();
  if (host.family() == Poco::Net::IPAddress::IPv6) return "[IPv6:" + host.toString() + "]";
  return "[" + host.toString() + "]";
}

// One line naming the peer; the server's words may follow, never the message or the
// password (a server echoing what it got is not trusted with it).
[[noreturn]] void refuse(const std::string& where, std::string reason, const std::string& password) {
  for (char& c : reason)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  if (reason.size() > 300) reason.resize(300);
  if (!password.empty())
    for (const std::string& secret : {password, base64Encode(password)})
      for (std::size_t at; (at = reason.find(secret)) != std::string::npos;) reason.replace(at, secret.size(), "***");
  throw notify::NotifyError(where + ": " + reason);
}

}  // namespace

SmtpNotifier::SmtpNotifier(SmtpSettings settings) : settings_(std::move(settings)) {}

std::string SmtpNotifier::describe() const {
  const bool v6 = settings_.host.find(':') != std::string::npos;
  return "smtp " + (v6 ? "[" + settings_.host + "]" : settings_.host) + ":" + std::to_string(settings_.port);
}

void SmtpNotifier::send(const notify::Message& m) {
  const std::string password = settings_.password.value_or("");
  const std::string where = describe();
  auto fail = [&](std::string reason) { refuse(where, std::move(reason), password); };

  if (m.channel != notify::Channel::Email)
    fail("only e-mail goes by SMTP, not " + std::string(notify::channelName(m.channel)));
  if (!plainAddress(settings_.from)) fail("the sender address is not a plain addr-spec");
  if (!plainAddress(m.to)) fail("the recipient address is not a plain addr-spec");

  const Poco::Timespan timeout(std::chrono::duration_cast<std::chrono::microseconds>(settings_.timeout).count());
  const std::string seconds = std::to_string(settings_.timeout.count()) + " s";
  try {
    // The session holds the only handle on the socket, so the TLS one that replaces it
    // (startTls) is the one that closes it.
    Session session([&] {
      Poco::Net::StreamSocket socket;
      socket.connect(Poco::Net::SocketAddress(settings_.host, static_cast<Poco::UInt16>(settings_.port)), timeout);
      socket.setReceiveTimeout(timeout);
      socket.setSendTimeout(timeout);
      return socket;
    }());
    // Credentials in clear only to this machine: nobody else can read a loopback connection.
    const bool loopback = session.peer().host().isLoopback();
    const std::string hello = helloName(session.local());

    std::string reply;
    int status = session.readReply(reply);
    if (status == 0) fail("the server closed the connection before its greeting");
    if (!positive(status)) fail("greeting: " + reply);

    auto ehlo = [&] {
      int s = session.sendCommand("EHLO", hello, reply);
      // RFC 5321 §3.2: a server that does not know EHLO gets HELO, and offers no extensions.
      if (s / 100 == 5) {
        s = session.sendCommand("HELO", hello, reply);
        if (!positive(s)) fail("HELO: " + reply);
        return Extensions{};
      }
      if (!positive(s)) fail("EHLO: " + reply);
      return parseEhlo(reply);
    };
    Extensions ext = ehlo();

    bool tls = false;
    using StartTls = SmtpSettings::StartTls;
    const bool offered = ext.keywords.contains("STARTTLS");
    if (settings_.starttls == StartTls::Required && !offered)
      fail("the server does not offer STARTTLS, which is required");
    if (settings_.starttls != StartTls::Never && offered) {
      using Ctx = Poco::Net::Context;
      // As HttpClient: the system's CAs and caFile; VERIFY_STRICT checks the host name for
      // loopback names too (RELAXED skips it there).
      Ctx::Ptr context = new Ctx(Ctx::TLS_CLIENT_USE, "", "", settings_.caFile, Ctx::VERIFY_STRICT, 9, true,
                                 "ALL:!ADH:!LOW:!EXP:!MD5:@STRENGTH");
      context->requireMinimumProtocol(Ctx::PROTO_TLSV1_2);
      status = session.sendCommand("STARTTLS", reply);
      if (status != 220) fail("STARTTLS refused: " + reply);
      session.startTls(settings_.host, context);
      tls = true;
      // RFC 3207 §4.2: what the server said before TLS is forgotten; ask again.
      ext = ehlo();
    }

    if (settings_.user) {
      if (!tls && !loopback) fail("refusing to send the password over a connection without TLS");
      const std::string& user = *settings_.user;
      if (ext.authMechanisms.contains("PLAIN")) {
        // RFC 4616 §2: authzid (empty) NUL authcid NUL passwd, as the initial response.
        std::string blob;
        blob += '\0';
        blob += user;
        blob += '\0';
        blob += password;
        status = session.sendCommand("AUTH PLAIN", base64Encode(blob), reply);
        if (status != 235) fail("authentication failed: " + reply);
      } else if (ext.authMechanisms.contains("LOGIN")) {
        // draft-murchison-sasl-login: the user name, then the password, each after a 334.
        status = session.sendCommand("AUTH LOGIN", reply);
        if (status == 334) status = session.sendCommand(base64Encode(user), reply);
        if (status == 334) status = session.sendCommand(base64Encode(password), reply);
        if (status != 235) fail("authentication failed: " + reply);
      } else {
        fail("the server offers neither AUTH PLAIN nor AUTH LOGIN");
      }
    }

    Poco::Net::MailMessage mail;
    mail.setSender(fromHeader(settings_.fromName, settings_.from));
    mail.addRecipient(Poco::Net::MailRecipient(Poco::Net::MailRecipient::PRIMARY_RECIPIENT, m.to));
    mail.setSubject(subjectHeader(m.subject));
    // RFC 5322 §3.3 with a numeric zone (Poco writes "GMT", obsolete syntax there).
    mail.set("Date", Poco::DateTimeFormatter::format(Poco::Timestamp(), "%w, %e %b %Y %H:%M:%S +0000"));
    // RFC 5322 §3.6.4: unique left part, the sender's domain on the right.
    mail.set("Message-ID",
             "<" + SystemRandom().hex(16) + "@" + settings_.from.substr(settings_.from.rfind('@') + 1) + ">");
    mail.set("MIME-Version", "1.0");  // RFC 2045 §4; Poco does not add it
    mail.setContentType("text/plain; charset=UTF-8");
    // base64 rather than quoted-printable: a Cyrillic letter is two bytes, six characters in
    // quoted-printable ("=D0=9A"); and no base64 line can start with a dot or run too long.
    mail.setContent(canonicalLines(m.text), Poco::Net::MailMessage::ENCODING_BASE64);
    // MAIL FROM:<from> (the part of the From header in angle brackets), RCPT TO, DATA.
    session.sendMessage(mail);

    // The message is the server's now; a lost answer to QUIT changes nothing.
    try {
      session.sendCommand("QUIT", reply);
    } catch (const Poco::Exception&) {
    }
  } catch (const notify::NotifyError&) {
    throw;
  } catch (const Poco::TimeoutException&) {
    fail("no answer within " + seconds);
  } catch (const Poco::Net::ConnectionRefusedException&) {
    fail("connection refused");
  } catch (const Poco::Net::DNSException& e) {
    fail("cannot resolve the host: " + e.displayText());
  } catch (const Poco::Net::CertificateValidationException& e) {
    fail("STARTTLS: server certificate not accepted: " + e.displayText());
  } catch (const Poco::Net::SSLContextException& e) {
    fail("TLS setup (caFile?): " + e.displayText());
  } catch (const Poco::Net::SSLException& e) {
    fail("STARTTLS: TLS handshake failed: " + e.displayText());
  } catch (const Poco::Net::SMTPException& e) {
    fail(e.message());  // what was refused, and the server's reply
  } catch (const Poco::Exception& e) {
    fail(e.displayText());
  } catch (const std::exception& e) {
    fail(e.what());
  }
}

}  // namespace propusk::web
