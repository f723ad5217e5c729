// web/smtp_notifier against a real SMTP server: Debian's aiosmtpd, started per test on a free
// loopback port and delivering into a Maildir, which Python's email package then reads back
// (tests/data/smtp/read_mail.py), so the checks decode headers and body independently.
#include "idp/web/smtp_notifier.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "idp/core/clock.h"
#include "idp/crypto/keys.h"
#include "idp/crypto/tls_cert.h"
#include "support.h"

extern char** environ;

using namespace propusk;
using namespace propusk::web;
namespace fs = std::filesystem;

namespace {

constexpr const char* kPython = "/usr/bin/python3";  // Debian's, which has python3-aiosmtpd

sockaddr_in loopback(unsigned port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  return a;
}

// A loopback port nothing listens on at the moment: bound to port 0, read back, closed.
unsigned freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in a = loopback(0);
  socklen_t len = sizeof a;
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot bind a loopback port");
  return ntohs(a.sin_port);
}

bool accepts(unsigned port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in a = loopback(port);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// A child process with its output in a log file; killed and reaped by its PID when this dies.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const fs::path& log) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  }
  ~Child() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  bool exited() {
    int status = 0;
    if (pid_ > 0 && ::waitpid(pid_, &status, WNOHANG) == pid_) pid_ = -1;
    return pid_ <= 0;
  }

 private:
  pid_t pid_ = -1;
};

struct Tls {
  fs::path cert, key;
};

// aiosmtpd on 127.0.0.1:port() with a Maildir handler; STARTTLS (required by the server) when
// given a certificate; or tests/data/smtp/auth_server.py, which requires AUTH.
class MailServer {
 public:
  struct Auth {
    std::string user, password, mechanisms = "PLAIN,LOGIN";
  };

  explicit MailServer(std::optional<Tls> tls = std::nullopt, std::optional<Auth> auth = std::nullopt)
      : port_(freePort()) {
    const std::string listen = "127.0.0.1:" + std::to_string(port_);
    std::vector<std::string> argv;
    if (auth) {
      argv = {kPython, test::dataPath("smtp/auth_server.py").string(), "127.0.0.1", std::to_string(port_),
              maildir().string(), auth->user, auth->password, auth->mechanisms};
    } else {
      argv = {kPython, "-m", "aiosmtpd", "-n", "-l", listen};
      if (tls) argv.insert(argv.end(), {"--tlscert", tls->cert.string(), "--tlskey", tls->key.string()});
      argv.insert(argv.end(), {"-c", "aiosmtpd.handlers.Mailbox", maildir().string()});
    }
    child_.emplace(argv, dir_ / "server.log");
    // Python and aiosmtpd take a few hundred milliseconds to start; poll until it answers.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!accepts(port_)) {
      if (child_->exited()) FAIL("the SMTP server exited: " << log());
      if (std::chrono::steady_clock::now() > deadline) FAIL("the SMTP server did not listen within 20 s: " << log());
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  unsigned port() const { return port_; }
  fs::path maildir() const { return dir_ / "maildir"; }
  std::string log() const { return fs::exists(dir_ / "server.log") ? test::readFile(dir_ / "server.log") : ""; }

  // The delivered messages (the Maildir's new/ directory).
  std::vector<fs::path> messages() const {
    std::vector<fs::path> out;
    if (fs::exists(maildir() / "new"))
      for (auto& e : fs::directory_iterator(maildir() / "new")) out.push_back(e.path());
    return out;
  }

 private:
  test::TempDir dir_;
  unsigned port_;
  std::optional<Child> child_;
};

// What a mail reader sees in the one delivered message.
Poco::JSON::Object::Ptr readOnlyMessage(const MailServer& server) {
  auto files = server.messages();
  REQUIRE(files.size() == 1);
  std::string out;
  int rc = test::run(std::string(kPython) + " '" + test::dataPath("smtp/read_mail.py").string() + "' '" +
                         files[0].string() + "'",
                     &out);
  INFO(out);
  REQUIRE(rc == 0);
  return Poco::JSON::Parser().parse(out).extract<Poco::JSON::Object::Ptr>();
}

// A certificate and key in `dir`, self-signed, for the given names.
Tls makeCertificate(const test::TempDir& dir, const std::string& name, const std::vector<std::string>& dns,
                    const std::vector<std::string>& ips) {
  SystemClock clock;
  auto pair = crypto::generateTlsCertificate(dns, ips, 2, clock);
  Tls t{dir / (name + ".crt"), dir / (name + ".key")};
  test::writeFile(t.cert, crypto::certificatePem(pair.cert.get()));
  test::writeFile(t.key, crypto::privateKeyPem(pair.key.get()));
  return t;
}

const std::string kText =
    "Код для входа: 482916\nНикому его не сообщайте.\n\nYour login code: 482916\nDo not share it.\n";

notify::Message loginCode(std::string to = "ivan@example.ru") {
  notify::Message m;
  m.channel = notify::Channel::Email;
  m.to = std::move(to);
  m.subject = "Код для входа в Пропуск";
  m.text = kText;
  m.purpose = "login-code";
  return m;
}

SmtpSettings settingsFor(const MailServer& server) {
  SmtpSettings s;
  s.host = "127.0.0.1";
  s.port = server.port();
  s.from = "idp@propusk.example.ru";
  s.fromName = "Пропуск — вход";
  s.timeout = std::chrono::seconds(5);
  return s;
}

// The NotifyError `send` throws, or a test failure when it throws none.
std::string refusal(SmtpNotifier& n, const notify::Message& m) {
  try {
    n.send(m);
  } catch (const notify::NotifyError& e) {
    return e.what();
  }
  FAIL("send() did not throw NotifyError");
  return {};
}

}  // namespace

TEST_CASE("smtp: a message arrives with its headers and UTF-8 text intact", "[web][notify]") {
  MailServer server;
  auto settings = settingsFor(server);
  SmtpNotifier notifier(settings);
  CHECK(notifier.describe() == "smtp 127.0.0.1:" + std::to_string(server.port()));

  auto m = loginCode();
  SECTION("a short subject") {}
  SECTION("a subject longer than one encoded-word") {
    m.subject = "Код для входа в Пропуск — никому не сообщайте его, даже сотрудникам; Your Propusk login code";
  }
  notifier.send(m);

  auto mail = readOnlyMessage(server);
  CHECK(mail->getValue<std::string>("to") == "ivan@example.ru");
  CHECK(mail->getValue<int>("toCount") == 1);
  CHECK(mail->getValue<std::string>("fromAddress") == "idp@propusk.example.ru");
  CHECK(mail->getValue<std::string>("fromName") == "Пропуск — вход");
  CHECK(mail->getValue<std::string>("subject") == m.subject);
  CHECK(mail->getValue<std::string>("body") == kText);
  CHECK(mail->getValue<std::string>("contentType") == "text/plain");
  CHECK(mail->getValue<std::string>("charset") == "utf-8");
  CHECK(mail->getValue<std::string>("mimeVersion") == "1.0");
  CHECK(mail->getValue<std::string>("transferEncoding") == "base64");
  CHECK_THAT(mail->getValue<std::string>("messageId"), Catch::Matches("<[0-9a-f]{32}@propusk\\.example\\.ru>"));
  CHECK(mail->getValue<bool>("dateHasZone"));
  // The envelope, as aiosmtpd saw it.
  CHECK(mail->getValue<std::string>("mailFrom") == "idp@propusk.example.ru");
  CHECK(mail->getValue<std::string>("rcptTo") == "ivan@example.ru");
  // RFC 2047 words, not raw UTF-8, and lines within RFC 5322's 78.
  CHECK(mail->getValue<bool>("headersAscii"));
  CHECK(mail->getValue<int>("longestHeaderLine") <= 78);
  CHECK(mail->getValue<int>("defects") == 0);
}

TEST_CASE("smtp: STARTTLS with the server's certificate checked", "[web][notify]") {
  test::TempDir keys;
  auto good = makeCertificate(keys, "good", {"localhost"}, {"127.0.0.1"});
  MailServer server(good);  // refuses MAIL before STARTTLS: a delivery proves TLS was used
  auto settings = settingsFor(server);
  settings.caFile = good.cert.string();

  SECTION("required, trusted, by address") {
    settings.starttls = SmtpSettings::StartTls::Required;
    SmtpNotifier(settings).send(loginCode());
    CHECK(readOnlyMessage(server)->getValue<std::string>("body") == kText);
  }
  SECTION("required, trusted, by name") {
    settings.starttls = SmtpSettings::StartTls::Required;
    settings.host = "localhost";
    SmtpNotifier(settings).send(loginCode());
    CHECK(readOnlyMessage(server)->getValue<std::string>("body") == kText);
  }
  SECTION("auto uses it when offered") {
    settings.starttls = SmtpSettings::StartTls::Auto;
    SmtpNotifier(settings).send(loginCode());
    CHECK(server.messages().size() == 1);
  }
  SECTION("never: no TLS, so this server refuses the message") {
    settings.starttls = SmtpSettings::StartTls::Never;
    SmtpNotifier n(settings);
    auto e = refusal(n, loginCode());
    CHECK_THAT(e, Catch::StartsWith("smtp 127.0.0.1:" + std::to_string(server.port()) + ": "));
    CHECK_THAT(e, Catch::Contains("530"));  // RFC 3207 §4: "Must issue a STARTTLS command first"
    CHECK(server.messages().empty());
  }
  SECTION("a certificate from another CA is refused") {
    auto other = makeCertificate(keys, "other", {"localhost"}, {"127.0.0.1"});
    settings.caFile = other.cert.string();
    settings.starttls = SmtpSettings::StartTls::Required;
    SmtpNotifier n(settings);
    auto e = refusal(n, loginCode());
    CHECK_THAT(e, Catch::Contains("certificate"));
    CHECK(server.messages().empty());
  }
  SECTION("a trusted certificate for another name is refused") {
    auto elsewhere = makeCertificate(keys, "elsewhere", {"mail.example.org"}, {});
    MailServer named(elsewhere);
    auto s = settingsFor(named);
    s.caFile = elsewhere.cert.string();
    SmtpNotifier n(s);
    auto e = refusal(n, loginCode());
    CHECK_THAT(e, Catch::Contains("certificate"));
    CHECK(named.messages().empty());
  }
}

TEST_CASE("smtp: STARTTLS required but not offered", "[web][notify]") {
  MailServer server;  // no certificate: no STARTTLS in its EHLO
  auto settings = settingsFor(server);
  settings.starttls = SmtpSettings::StartTls::Required;
  SmtpNotifier n(settings);
  auto e = refusal(n, loginCode());
  CHECK_THAT(e, Catch::StartsWith("smtp 127.0.0.1:" + std::to_string(server.port()) + ": "));
  CHECK_THAT(e, Catch::Contains("STARTTLS"));
  CHECK(server.messages().empty());
}

TEST_CASE("smtp: AUTH PLAIN and LOGIN", "[web][notify]") {
  const std::string password = "Pa55-w0rd-in-the-file";
  std::string mechanisms = GENERATE(std::string("PLAIN"), std::string("LOGIN"));
  INFO("mechanism " << mechanisms);
  MailServer server(std::nullopt, MailServer::Auth{"notifier", password, mechanisms});
  auto settings = settingsFor(server);  // loopback: AUTH without TLS is allowed
  settings.user = "notifier";

  SECTION("the right password delivers") {
    settings.password = password;
    SmtpNotifier(settings).send(loginCode());
    CHECK(readOnlyMessage(server)->getValue<std::string>("body") == kText);
  }
  SECTION("a wrong password is refused, and the error does not repeat it") {
    settings.password = "Wrong-" + password;
    SmtpNotifier n(settings);
    auto e = refusal(n, loginCode());
    CHECK_THAT(e, Catch::Contains("authentication"));
    CHECK_THAT(e, !Catch::Contains(password));
    CHECK(server.messages().empty());
  }
  SECTION("no user: this server refuses the message") {
    settings.user = std::nullopt;
    SmtpNotifier n(settings);
    auto e = refusal(n, loginCode());
    CHECK_THAT(e, Catch::StartsWith("smtp 127.0.0.1:" + std::to_string(server.port()) + ": "));
    CHECK_THAT(e, Catch::Contains("530"));  // RFC 4954 §6: authentication required
    CHECK(server.messages().empty());
  }
}

TEST_CASE("smtp: addresses that would inject headers or commands are refused", "[web][notify]") {
  MailServer server;
  auto settings = settingsFor(server);
  std::string e;
  SECTION("CR LF in the recipient") {
    SmtpNotifier n(settings);
    e = refusal(n, loginCode("a@b.ru\r\nBcc: x@y.ru"));
  }
  SECTION("LF alone in the recipient") {
    SmtpNotifier n(settings);
    e = refusal(n, loginCode("a@b.ru\nBcc: x@y.ru"));
  }
  SECTION("a second address after '>'") {
    SmtpNotifier n(settings);
    e = refusal(n, loginCode("a@b.ru> NOTIFY=NEVER"));
  }
  SECTION("CR LF in the sender") {
    settings.from = "idp@propusk.example.ru\r\nBcc: x@y.ru";
    SmtpNotifier n(settings);
    e = refusal(n, loginCode());
  }
  // Refused by the notifier before any command, not by the server after one.
  CHECK_THAT(e, Catch::StartsWith("smtp 127.0.0.1:") && Catch::EndsWith(" address is not a plain addr-spec"));
  CHECK(e.find('\n') == std::string::npos);
  CHECK(e.find('\r') == std::string::npos);
  CHECK(server.messages().empty());
}

TEST_CASE("smtp: an SMS is refused", "[web][notify]") {
  MailServer server;
  SmtpNotifier n(settingsFor(server));
  auto m = loginCode("+79123456789");
  m.channel = notify::Channel::Sms;
  auto e = refusal(n, m);
  CHECK(e == "smtp 127.0.0.1:" + std::to_string(server.port()) + ": only e-mail goes by SMTP, not sms");
  CHECK(server.messages().empty());
}

TEST_CASE("smtp: no server, or a silent one, fails within the timeout", "[web][notify]") {
  SmtpSettings settings;
  settings.host = "127.0.0.1";
  settings.from = "idp@propusk.example.ru";
  settings.timeout = std::chrono::seconds(1);

  SECTION("nothing listens") {
    settings.port = freePort();
    SmtpNotifier n(settings);
    auto start = std::chrono::steady_clock::now();
    auto e = refusal(n, loginCode());
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
    CHECK(e == "smtp 127.0.0.1:" + std::to_string(settings.port) + ": connection refused");
  }
  SECTION("the connection is taken but no greeting comes") {
    // A listening socket that never accepts: the kernel completes the handshake, nobody speaks.
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in a = loopback(0);
    socklen_t len = sizeof a;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd, 4) == 0);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    settings.port = ntohs(a.sin_port);
    SmtpNotifier n(settings);
    auto start = std::chrono::steady_clock::now();
    auto e = refusal(n, loginCode());
    auto took = std::chrono::steady_clock::now() - start;
    ::close(fd);
    CHECK(took >= std::chrono::milliseconds(900));
    CHECK(took < std::chrono::seconds(3));
    CHECK(e == "smtp 127.0.0.1:" + std::to_string(settings.port) + ": no answer within 1 s");
  }
}
