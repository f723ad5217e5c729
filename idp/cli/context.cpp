#include "idp/cli/context.h"

#include <Poco/JSON/Array.h>
#include <csignal>
#include <termios.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>

namespace propusk::cli {

store::Store& Context::store() {
  if (!store_) {
    auto where = config.storeLocation();
    if (where.engine == store::StoreLocation::Engine::Sqlite && !std::filesystem::exists(where.sqliteFile))
      throw CliError("store: no store at " + where.sqliteFile.string() +
                     "; run 'propuskctl init' first (or give --data DIR)");
    store_ = store::openStore(where, clock);
  }
  return *store_;
}

store::Store& Context::createStore() {
  if (!store_) {
    std::error_code ec;
    // Only a directory we create is made private; an existing one keeps the mode its
    // owner chose (the store file itself is always 0600).
    bool created = std::filesystem::create_directories(config.dataDir, ec);
    if (ec) throw CliError("data: cannot create " + config.dataDir.string() + ": " + ec.message());
    if (created)
      std::filesystem::permissions(config.dataDir, std::filesystem::perms::owner_all,
                                   std::filesystem::perm_options::replace, ec);
    store_ = store::openStore(config.storeLocation(), clock);
  }
  return *store_;
}

namespace {
std::string readLine(std::istream& in) {
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  return line;
}

// Ctrl-C at the prompt must not leave the terminal without echo.
termios gSavedTerminal{};
void restoreTerminalAndExit(int sig) {
  tcsetattr(STDIN_FILENO, TCSANOW, &gSavedTerminal);
  signal(sig, SIG_DFL);
  raise(sig);
}

std::string readHidden(const std::string& prompt) {
  std::cerr << prompt << std::flush;
  bool restore = tcgetattr(STDIN_FILENO, &gSavedTerminal) == 0;
  if (restore) {
    termios quiet = gSavedTerminal;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    signal(SIGINT, restoreTerminalAndExit);
    signal(SIGTERM, restoreTerminalAndExit);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string s = readLine(std::cin);
  if (restore) {
    tcsetattr(STDIN_FILENO, TCSANOW, &gSavedTerminal);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
  }
  std::cerr << "\n";
  return s;
}
}  // namespace

std::string Context::readNewPassword(const std::string& prompt) {
  std::string pw;
  if (io.stdinIsTty) {
    pw = readHidden(prompt + ": ");
    if (readHidden("Repeat " + prompt + ": ") != pw) throw CliError("password: the two entries differ");
  } else {
    pw = readLine(io.in);
  }
  if (pw.empty()) throw CliError("password: empty (give it on standard input or at the prompt, never as an argument)");
  return pw;
}

Poco::JSON::Object::Ptr newJsonObject() { return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER); }

void Context::printJson(const Poco::JSON::Object::Ptr& obj) {
  obj->stringify(io.out, 2);
  io.out << "\n";
}
void Context::printJson(const Poco::JSON::Array::Ptr& arr) {
  arr->stringify(io.out, 2);
  io.out << "\n";
}

}  // namespace propusk::cli
