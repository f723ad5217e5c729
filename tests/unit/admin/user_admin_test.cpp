#include "idp/admin/user_admin.h"

#include <catch2/catch.hpp>

#include "support.h"

using namespace propusk;

namespace {
struct Fixture : test::StoreFixture {
  admin::NewUser ivanov() { return StoreFixture::ivanov(); }
};
std::string fieldOf(const Error& e) { return e.detail.substr(0, e.detail.find(':')); }
}  // namespace

TEST_CASE("adding a user normalises every field and hashes the password", "[admin][users]") {
  Fixture f;
  auto r = admin::addUser(f.env, f.ivanov());
  INFO((r ? "" : r.error().detail));
  REQUIRE(r);
  auto u = f.store->findUser("ivanov");
  REQUIRE(u);
  CHECK(u->snils == "11223344595");
  CHECK(u->phone == "+79123456789");
  CHECK(u->email == "Ivan@example.ru");
  CHECK(u->status == policy::AccountStatus::Confirmed);
  CHECK(u->uid.size() == 32);
  CHECK(auth::verifyPassword("Secret-Pass1", u->passwordHash));
  auto audit = f.store->listAudit();
  REQUIRE_FALSE(audit.empty());
  CHECK(audit.back().record.action == "user.add");
  CHECK(audit.back().record.details.find("Secret") == std::string::npos);
}

TEST_CASE("each bad field is refused by name and nothing is stored", "[admin][users]") {
  Fixture f;
  struct Case {
    const char* field;
    std::function<void(admin::NewUser&)> spoil;
  };
  std::vector<Case> cases = {
      {"login", [](auto& u) { u.login = "x"; }},
      {"surname", [](auto& u) { u.surname = "Ivanov1"; }},
      {"given-name", [](auto& u) { u.givenName = ""; }},
      {"middle-name", [](auto& u) { u.middleName = "<b>"; }},
      {"inn", [](auto& u) { u.inn = "500100732258"; }},
      {"snils", [](auto& u) { u.snils = "112-233-445 96"; }},
      {"email", [](auto& u) { u.email = "ivan@"; }},
      {"phone", [](auto& u) { u.phone = "+1 555 0100"; }},
      {"status", [](auto& u) { u.status = "gold"; }},
      {"status", [](auto& u) { u.snils.reset(); }},                  // confirmed needs a SNILS
      {"status", [](auto& u) { u.email.reset(); u.phone.reset(); }},  // a contact is required
      {"password", [](auto& u) { u.password = "short"; }},
  };
  for (auto& c : cases) {
    auto u = f.ivanov();
    c.spoil(u);
    auto r = admin::addUser(f.env, u);
    INFO(c.field);
    REQUIRE_FALSE(r);
    CHECK(fieldOf(r.error()) == c.field);
  }
  CHECK(f.store->listUsers().empty());
}

TEST_CASE("duplicates are refused by field", "[admin][users]") {
  Fixture f;
  REQUIRE(admin::addUser(f.env, f.ivanov()));
  auto same = f.ivanov();
  CHECK(fieldOf(admin::addUser(f.env, same).error()) == "login");
  auto otherLogin = f.ivanov();
  otherLogin.login = "ivanov2";
  CHECK(fieldOf(admin::addUser(f.env, otherLogin).error()) == "inn");
  otherLogin.inn.reset();
  CHECK(fieldOf(admin::addUser(f.env, otherLogin).error()) == "snils");
  CHECK(f.store->listUsers().size() == 1);
}

TEST_CASE("status, lock, password and removal", "[admin][users]") {
  Fixture f;
  auto u = f.ivanov();
  u.status = "simplified";
  u.snils.reset();
  REQUIRE(admin::addUser(f.env, u));
  CHECK(fieldOf(admin::setStatus(f.env, "ivanov", "standard").error()) == "status");  // no SNILS yet
  CHECK(admin::setStatus(f.env, "IVANOV", "simplified"));
  CHECK(fieldOf(admin::setStatus(f.env, "nobody", "simplified").error()) == "login");

  REQUIRE(admin::setLocked(f.env, "ivanov", true));
  CHECK(f.store->findUser("ivanov")->locked);
  auto backoff = *f.store->findUser("ivanov");
  backoff.failedLogins = 7;
  backoff.lockedUntil = f.clock.now() + std::chrono::minutes(10);
  f.store->updateUser(backoff, {"t", "login.failure", "ivanov", "refused", "{}"});
  REQUIRE(admin::setLocked(f.env, "ivanov", false));
  CHECK_FALSE(f.store->findUser("ivanov")->locked);
  CHECK_FALSE(f.store->findUser("ivanov")->lockedUntil);  // unlock lifts the backoff too
  CHECK(f.store->findUser("ivanov")->failedLogins == 0);

  CHECK(fieldOf(admin::setPassword(f.env, "ivanov", "weak").error()) == "password");
  REQUIRE(admin::setPassword(f.env, "ivanov", "Another-Pass2"));
  CHECK(auth::verifyPassword("Another-Pass2", f.store->findUser("ivanov")->passwordHash));

  REQUIRE(admin::removeUser(f.env, "ivanov"));
  CHECK_FALSE(f.store->findUser("ivanov"));
  CHECK(fieldOf(admin::removeUser(f.env, "ivanov").error()) == "login");
}
