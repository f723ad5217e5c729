// Shared helpers for unit tests.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "idp/admin/user_admin.h"
#include "idp/core/clock.h"
#include "idp/core/random.h"
#include "idp/store/store.h"

namespace propusk::test {

std::string readFile(const std::filesystem::path& p);
void writeFile(const std::filesystem::path& p, const std::string& data);
std::filesystem::path dataPath(const std::string& rel);  // under tests/data

// A fresh directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// A real SQLite store in a temp dir with a fixed clock, fast Argon2 parameters (the
// production defaults are tested in auth/), and a way to add the usual test account.
struct StoreFixture {
  TempDir dir;
  FixedClock clock{"2026-01-10T10:00:00Z"};
  SystemRandom rnd;
  std::unique_ptr<store::Store> store = store::openSqliteStore(dir / "s.db", clock);
  auth::PasswordPolicy policy;
  auth::Argon2Params argon{8192, 1, 1, 16, 32};
  admin::UserAdminEnv env{*store, clock, rnd, policy, argon, "test"};

  // Иванов Иван Иванович, login "ivanov", password "Secret-Pass1", every field valid,
  // status confirmed; `tweak` may change any field before the account is added.
  static admin::NewUser ivanov();
  store::User addUser(const std::function<void(admin::NewUser&)>& tweak = {});
};

// Runs a shell command, returns its exit code; stdout+stderr go to *output if given.
int run(const std::string& command, std::string* output = nullptr);

}  // namespace propusk::test
