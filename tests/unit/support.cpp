#include "support.h"

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace propusk::test {

std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void writeFile(const std::filesystem::path& p, const std::string& data) {
  std::ofstream out(p, std::ios::binary);
  out << data;
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

std::filesystem::path dataPath(const std::string& rel) {
  return std::filesystem::path(PROPUSK_TEST_DATA) / rel;
}

TempDir::TempDir() {
  std::random_device rd;
  for (int i = 0; i < 100; ++i) {
    auto p = std::filesystem::temp_directory_path() / ("propusk-test-" + std::to_string(rd()));
    if (std::filesystem::create_directory(p)) {
      path_ = p;
      return;
    }
  }
  throw std::runtime_error("cannot create a temp dir");
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

admin::NewUser StoreFixture::ivanov() {
  admin::NewUser u;
  u.login = "ivanov";
  u.surname = "Иванов";
  u.givenName = "Иван";
  u.middleName = "Иванович";
  u.inn = "500100732259";
  u.snils = "112-233-445 95";
  u.email = "Ivan@Example.RU";
  u.phone = "8 (912) 345-67-89";
  u.status = "confirmed";
  u.password = "Secret-Pass1";
  return u;
}

store::User StoreFixture::addUser(const std::function<void(admin::NewUser&)>& tweak) {
  auto u = ivanov();
  if (tweak) tweak(u);
  auto r = admin::addUser(env, u);
  if (!r) throw std::runtime_error("test user: " + r.error().detail);
  return *r;
}

int run(const std::string& command, std::string* output) {
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  std::string out;
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int status = pclose(p);
  if (output) *output = out;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace propusk::test
