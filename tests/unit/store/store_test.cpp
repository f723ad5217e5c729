#include <set>
#include <catch2/catch.hpp>
#include <thread>

#include "idp/audit/audit_chain.h"
#include "idp/store/store.h"
#include "idp/store/postgres/pq_handles.h"
#include "store/engines.h"
#include "unit/support.h"

using namespace propusk;
using namespace propusk::store;

namespace {


AuditRecord rec(std::string action, std::string target) {
  return {"cli:root", std::move(action), std::move(target), "ok", "{}"};
}

User fullUser(const std::string& login, const std::string& inn, const std::string& snils) {
  User u;
  u.uid = "uid-" + login;
  u.login = login;
  u.surname = "Иванов";
  u.givenName = "Иван";
  u.middleName = "Иванович";
  u.inn = inn;
  u.snils = snils;
  u.email = login + "@example.ru";
  u.phone = "+79001234567";
  u.emailConfirmed = true;
  u.phoneConfirmed = true;
  u.status = policy::AccountStatus::Confirmed;
  u.passwordHash = "$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA";
  u.locked = true;
  u.failedLogins = 3;
  return u;
}

User bareUser(const std::string& login) {
  User u;
  u.uid = "uid-" + login;
  u.login = login;
  u.surname = "Петров";
  u.givenName = "Пётр";
  u.passwordHash = "$argon2id$x";
  return u;
}

void checkSameUser(const User& a, const User& b) {
  CHECK(a.id == b.id);
  CHECK(a.uid == b.uid);
  CHECK(a.login == b.login);
  CHECK(a.surname == b.surname);
  CHECK(a.givenName == b.givenName);
  CHECK(a.middleName == b.middleName);
  CHECK(a.inn == b.inn);
  CHECK(a.snils == b.snils);
  CHECK(a.email == b.email);
  CHECK(a.phone == b.phone);
  CHECK(a.emailConfirmed == b.emailConfirmed);
  CHECK(a.phoneConfirmed == b.phoneConfirmed);
  CHECK(a.status == b.status);
  CHECK(a.passwordHash == b.passwordHash);
  CHECK(a.locked == b.locked);
  CHECK(a.failedLogins == b.failedLogins);
  CHECK(a.lockedUntil == b.lockedUntil);
  CHECK(a.createdAt == b.createdAt);
  CHECK(a.updatedAt == b.updatedAt);
}

ServiceProvider sp(const std::string& entityId) {
  ServiceProvider s;
  s.entityId = entityId;
  s.metadataXml = "<md:EntityDescriptor entityID=\"" + entityId + "\"/>\n";
  s.release = {"displayName", "inn", "snils"};
  s.minStatus = policy::AccountStatus::Standard;
  s.allowSha1 = true;
  s.signMode = SignMode::AssertionOnly;
  s.metadataSignatureVerified = true;
  s.validUntil = *parseXsDateTime("2100-01-01T00:00:00Z");  // beyond 32-bit time_t
  s.source = "/etc/propusk/sp-metadata/x.xml";
  s.upstreams = {"esia", "sber-id"};
  s.localLogin = false;
  return s;
}

SigningKey key(const std::string& id, KeyState state) {
  SigningKey k;
  k.id = id;
  k.algorithm = "rsa-2048";
  k.privateKeyPem = "-----BEGIN PRIVATE KEY-----\n" + id + "\n-----END PRIVATE KEY-----\n";
  k.certificatePem = "-----BEGIN CERTIFICATE-----\n" + id + "\n-----END CERTIFICATE-----\n";
  k.state = state;
  return k;
}

}  // namespace

TEST_CASE("users: add and find round-trip every field", "[store]") {
  STORE_ENGINE_FIXTURE(f);
  auto u = fullUser("ivanov", "500100732259", "11223344595");
  REQUIRE(f.store->addUser(u, rec("user.add", "ivanov")) == UserConflict::None);
  CHECK(u.id > 0);
  CHECK(u.createdAt == f.clock.now());
  CHECK(u.updatedAt == f.clock.now());
  auto got = f.store->findUser("ivanov");
  REQUIRE(got);
  checkSameUser(*got, u);

  auto b = bareUser("petrov");
  REQUIRE(f.store->addUser(b, rec("user.add", "petrov")) == UserConflict::None);
  CHECK(b.id != u.id);
  auto gb = f.store->findUser("petrov");
  REQUIRE(gb);
  checkSameUser(*gb, b);
  CHECK_FALSE(gb->middleName);
  CHECK_FALSE(gb->inn);
  CHECK_FALSE(gb->snils);
  CHECK_FALSE(gb->email);
  CHECK_FALSE(gb->phone);
  CHECK(gb->status == policy::AccountStatus::Simplified);

  CHECK_FALSE(f.store->findUser("sidorov"));
  CHECK_FALSE(f.store->findUser("IVANOV"));  // exact match; the CLI lowercases logins
}

TEST_CASE("users: lockedUntil is stored, changed and cleared", "[store]") {
  STORE_ENGINE_FIXTURE(f);
  const auto until = f.clock.now() + std::chrono::minutes{15};
  auto u = fullUser("ivanov", "500100732259", "11223344595");
  u.failedLogins = 5;
  u.lockedUntil = until;
  REQUIRE(f.store->addUser(u, rec("user.add", "ivanov")) == UserConflict::None);
  auto got = f.store->findUser("ivanov");
  REQUIRE(got);
  CHECK(got->lockedUntil == until);
  checkSameUser(*got, u);

  // Longer backoff after another failure.
  auto later = *got;
  later.failedLogins = 6;
  later.lockedUntil = until + std::chrono::hours{1};
  REQUIRE(f.store->updateUser(later, rec("user.update", "ivanov")) == UserConflict::None);
  got = f.store->findUser("ivanov");
  REQUIRE(got);
  CHECK(got->lockedUntil == until + std::chrono::hours{1});
  CHECK(got->failedLogins == 6);

  // A successful login clears it.
  auto cleared = *got;
  cleared.failedLogins = 0;
  cleared.lockedUntil.reset();
  REQUIRE(f.store->updateUser(cleared, rec("user.update", "ivanov")) == UserConflict::None);
  got = f.store->findUser("ivanov");
  REQUIRE(got);
  CHECK_FALSE(got->lockedUntil);
  CHECK(got->failedLogins == 0);

  auto b = bareUser("petrov");
  b.lockedUntil = *parseXsDateTime("2100-01-01T00:00:00Z");  // beyond 32-bit time_t
  REQUIRE(f.store->addUser(b, rec("user.add", "petrov")) == UserConflict::None);
  auto all = f.store->listUsers();
  REQUIRE(all.size() == 2);
  CHECK_FALSE(all[0].lockedUntil);  // ivanov
  CHECK(all[1].lockedUntil == b.lockedUntil);
}

TEST_CASE("users: list is ordered by login", "[store]") {
  STORE_ENGINE_FIXTURE(f);
  for (auto login : {"zoe", "adam", "maria"}) {
    auto u = bareUser(login);
    REQUIRE(f.store->addUser(u, rec("user.add", login)) == UserConflict::None);
  }
  auto all = f.store->listUsers();
  REQUIRE(all.size() == 3);
  CHECK(all[0].login == "adam");
  CHECK(all[1].login == "maria");
  CHECK(all[2].login == "zoe");
}

TEST_CASE("users: update changes fields, keeps uid and createdAt", "[store]") {
  STORE_ENGINE_FIXTURE(f);
  auto u = fullUser("ivanov", "500100732259", "11223344595");
  REQUIRE(f.store->addUser(u, rec("user.add", "ivanov")) == UserConflict::None);
  const auto created = u.createdAt;
  f.clock.advance(std::chrono::hours{1});

  User changed = u;
  changed.uid = "attempt-to-change";
  changed.login = "ivanov2";
  changed.surname = "Сидоров";
  changed.middleName.reset();
  changed.inn.reset();
  changed.email = "new@example.ru";
  changed.emailConfirmed = false;
  changed.status = policy::AccountStatus::Standard;
  changed.locked = false;
  changed.failedLogins = 0;
  REQUIRE(f.store->updateUser(changed, rec("user.update", "ivanov2")) == UserConflict::None);

  CHECK_FALSE(f.store->findUser("ivanov"));
  auto got = f.store->findUser("ivanov2");
  REQUIRE(got);
  CHECK(got->id == u.id);
  CHECK(got->uid == "uid-ivanov");
  CHECK(got->surname == "Сидоров");
  CHECK_FALSE(got->middleName);
  CHECK_FALSE(got->inn);
  CHECK(got->snils == "11223344595");
  CHECK(got->email == "new@example.ru");
  CHECK_FALSE(got->emailConfirmed);
  CHECK(got->status == policy::AccountStatus::Standard);
  CHECK_FALSE(got->locked);
  CHECK(got->failedLogins == 0);
  CHECK(got->createdAt == created);
  CHECK(got->updatedAt == f.clock.now());
}

TEST_CASE("users: duplicates return the conflict and write nothing", "[store]") {
  STORE_ENGINE_FIXTURE(f);
  auto a = fullUser("ivanov", "500100732259", "11223344595");
  REQUIRE(f.store->addUser(a, rec("user.add", "ivanov")) == UserConflict::None);
  const auto auditBefore = f.store->listAudit().size();

  auto dupLogin = fullUser("ivanov", "770000000001", "00000000001");
  dupLogin.uid = "uid-other1";
  CHECK(f.store->addUser(dupLogin, rec("user.add", "ivanov")) == UserConflict::Login);
  CHECK(dupLogin.id == 0);

  auto dupInn = fullUser("petrov", "500100732259", "00000000002");
  CHECK(f.store->addUser(dupInn, rec("user.add", "petrov")) == UserConflict::Inn);

  auto dupSnils = fullUser("sidorov", "770000000003", "11223344595");
  CHECK(f.store->addUser(dupSnils, rec("user.add", "sidorov")) == UserConflict::Snils);

  CHECK(f.store->listUsers().size() == 1);
  CHECK(f.store->listAudit().size() == auditBefore);

  // Two users without INN/SNILS do not collide on NULL.
  auto b1 = bareUser("b1"), b2 = bareUser("b2");
  CHECK(f.store->addUser(b1, rec("user.add", "b1")) == UserConflict::None);
  CHECK(f.store->addUser(b2, rec("user.add", "b2")) == UserConflict::None);
}

TEST_CASE("users: update into another user's login/INN/SNILS is refused", "[store]") {
  STORE_ENGINE_FIXTURE(f);
  auto a = fullUser("ivanov", "500100732259", "11223344595");
  auto b = fullUser("petrov", "770000000001", "00000000001");
  REQUIRE(f.store->addUser(a, rec("user.add", "ivanov")) == UserConflict::None);
  REQUIRE(f.store->addUser(b, rec("user.add", "petrov")) == UserConflict::None);
  const auto auditBefore = f.store->listAudit().size();

  auto c = b;
  c.login = "ivanov";
  CHECK(f.store->updateUser(c, rec("user.update", "petrov")) == UserConflict::Login);
  c = b;
  c.inn = a.inn;
  CHECK(f.store->updateUser(c, rec("user.update", "petrov")) == UserConflict::Inn);
  c = b;
  c.snils = a.snils;
  c.surname = "Changed";
  CHECK(f.store->updateUser(c, rec("user.update", "petrov")) == UserConflict::Snils);

  auto got = f.store->findUser("petrov");
  REQUIRE(got);
  checkSameUser(*got, b);
  CHECK(f.store->listAudit().size() == auditBefore);

  // Keeping one's own INN is not a conflict.
  c = b;
  c.surname = "Петрова";
  CHECK(f.store->updateUser(c, rec("user.update", "petrov")) == UserConflict::None);
}

TEST_CASE("users: updating a missing id throws and writes nothing", "[store]") {
  STORE_ENGINE_FIXTURE(f);
  auto u = bareUser("ghost");
  u.id = 42;
  CHECK_THROWS_AS(f.store->updateUser(u, rec("user.update", "ghost")), StoreError);
  CHECK(f.store->listAudit().empty());
}

TEST_CASE("users: remove", "[store]") {
  STORE_ENGINE_FIXTURE(f);
  auto u = bareUser("ivanov");
  REQUIRE(f.store->addUser(u, rec("user.add", "ivanov")) == UserConflict::None);
  CHECK(f.store->removeUser("ivanov", rec("user.remove", "ivanov")));
  CHECK_FALSE(f.store->findUser("ivanov"));
  CHECK(f.store->listAudit().size() == 2);
  CHECK_FALSE(f.store->removeUser("ivanov", rec("user.remove", "ivanov")));
  CHECK_FALSE(f.store->removeUser("nobody", rec("user.remove", "nobody")));
  CHECK(f.store->listAudit().size() == 2);
}

TEST_CASE("service providers: put, find, list, upsert, remove", "[store]") {
  STORE_ENGINE_FIXTURE(f);
  auto a = sp("https://sp.example.ru/shibboleth");
  f.store->putServiceProvider(a, rec("sp.add", a.entityId));
  auto got = f.store->findServiceProvider(a.entityId);
  REQUIRE(got);
  CHECK(got->entityId == a.entityId);
  CHECK(got->metadataXml == a.metadataXml);
  CHECK(got->release == a.release);
  CHECK(got->minStatus == policy::AccountStatus::Standard);
  CHECK(got->allowSha1);
  CHECK(got->signMode == SignMode::AssertionOnly);
  CHECK(got->metadataSignatureVerified);
  CHECK(got->validUntil == a.validUntil);
  CHECK(got->source == a.source);
  CHECK(got->upstreams == a.upstreams);
  CHECK_FALSE(got->localLogin);
  CHECK(got->createdAt == f.clock.now());
  CHECK(got->updatedAt == f.clock.now());
  const auto created = f.clock.now();

  f.clock.advance(std::chrono::minutes{5});
  auto b = a;
  b.metadataXml = "<md:EntityDescriptor/>";
  b.release.clear();
  b.minStatus = policy::AccountStatus::Simplified;
  b.allowSha1 = false;
  b.signMode = SignMode::ResponseOnly;
  b.metadataSignatureVerified = false;
  b.validUntil.reset();
  b.source = "https://mdq.example.ru/";
  b.upstreams = {"*"};
  b.localLogin = true;
  f.store->putServiceProvider(b, rec("sp.update", b.entityId));
  auto got2 = f.store->findServiceProvider(a.entityId);
  REQUIRE(got2);
  CHECK(got2->metadataXml == b.metadataXml);
  CHECK(got2->release.empty());
  CHECK(got2->minStatus == policy::AccountStatus::Simplified);
  CHECK_FALSE(got2->allowSha1);
  CHECK(got2->signMode == SignMode::ResponseOnly);
  CHECK_FALSE(got2->metadataSignatureVerified);
  CHECK_FALSE(got2->validUntil);
  CHECK(got2->source == b.source);
  CHECK(got2->upstreams == std::vector<std::string>{"*"});
  CHECK(got2->localLogin);
  CHECK(got2->createdAt == created);
  CHECK(got2->updatedAt == f.clock.now());

  f.store->putServiceProvider(sp("https://a.example.ru/"), rec("sp.add", "https://a.example.ru/"));
  auto all = f.store->listServiceProviders();
  REQUIRE(all.size() == 2);
  CHECK(all[0].entityId == "https://a.example.ru/");
  CHECK(all[1].entityId == a.entityId);

  CHECK(f.store->removeServiceProvider(a.entityId, rec("sp.remove", a.entityId)));
  CHECK_FALSE(f.store->findServiceProvider(a.entityId));
  CHECK_FALSE(f.store->removeServiceProvider(a.entityId, rec("sp.remove", a.entityId)));
  CHECK(f.store->listServiceProviders().size() == 1);
  CHECK(f.store->listAudit().size() == 4);
}

TEST_CASE("service providers: no upstreams and local login unless set", "[store]") {
  STORE_ENGINE_FIXTURE(f);
  ServiceProvider plain;
  plain.entityId = "https://plain.example.ru/";
  plain.metadataXml = "<md:EntityDescriptor/>";
  plain.source = "f";
  f.store->putServiceProvider(plain, rec("sp.add", plain.entityId));
  auto got = f.store->findServiceProvider(plain.entityId);
  REQUIRE(got);
  CHECK(got->upstreams.empty());
  CHECK(got->localLogin);
  CHECK(f.store->listServiceProviders().at(0).upstreams.empty());
}

TEST_CASE("keys: add, list order, rotate atomically", "[store]") {
  STORE_ENGINE_FIXTURE(f);
  auto k1 = key("k1", KeyState::Active);
  k1.activatedAt = f.clock.now();
  f.store->addKey(k1, rec("key.add", "k1"));
  f.clock.advance(std::chrono::hours{1});
  // Same creation second: ordered by id.
  f.store->addKey(key("kb", KeyState::Next), rec("key.add", "kb"));
  f.store->addKey(key("ka", KeyState::Next), rec("key.add", "ka"));

  auto keys = f.store->listKeys();
  REQUIRE(keys.size() == 3);
  CHECK(keys[0].id == "k1");
  CHECK(keys[1].id == "ka");
  CHECK(keys[2].id == "kb");
  CHECK(keys[0].state == KeyState::Active);
  CHECK(keys[0].activatedAt == k1.activatedAt);
  CHECK_FALSE(keys[0].retiredAt);
  CHECK(keys[0].algorithm == "rsa-2048");
  CHECK(keys[0].privateKeyPem == k1.privateKeyPem);
  CHECK(keys[0].certificatePem == k1.certificatePem);
  CHECK(keys[0].createdAt + std::chrono::hours{1} == f.clock.now());

  // Rotation: the new key listed first still ends up the only active one.
  f.clock.advance(std::chrono::hours{1});
  auto promote = keys[1];
  promote.state = KeyState::Active;
  promote.activatedAt = f.clock.now();
  auto demote = keys[0];
  demote.state = KeyState::Previous;
  f.store->updateKeys({promote, demote}, rec("key.rotate", "ka"));
  keys = f.store->listKeys();
  CHECK(keys[0].state == KeyState::Previous);
  CHECK(keys[1].state == KeyState::Active);
  CHECK(keys[1].activatedAt == f.clock.now());
  CHECK(keys[2].state == KeyState::Next);
  auto events = f.store->listAudit();
  REQUIRE(events.size() == 4);  // one event for the whole rotation
  CHECK(events.back().record.action == "key.rotate");

  // One unknown id: nothing of the batch is applied.
  auto retire = keys[0];
  retire.state = KeyState::Retired;
  retire.retiredAt = f.clock.now();
  CHECK_THROWS_AS(f.store->updateKeys({retire, key("missing", KeyState::Next)}, rec("key.retire", "k1")),
                  StoreError);
  keys = f.store->listKeys();
  CHECK(keys[0].state == KeyState::Previous);
  CHECK_FALSE(keys[0].retiredAt);
  CHECK(f.store->listAudit().size() == 4);

  // A second active key is refused by the schema.
  CHECK_THROWS_AS(f.store->addKey(key("k9", KeyState::Active), rec("key.add", "k9")), StoreError);
  CHECK(f.store->listKeys().size() == 3);
}

TEST_CASE("settings: get and put", "[store]") {
  STORE_ENGINE_FIXTURE(f);
  CHECK_FALSE(f.store->getSetting("pairwise-secret"));
  f.store->putSetting("pairwise-secret", "s1", rec("setting.put", "pairwise-secret"));
  CHECK(f.store->getSetting("pairwise-secret") == "s1");
  f.store->putSetting("pairwise-secret", "s2", rec("setting.put", "pairwise-secret"));
  CHECK(f.store->getSetting("pairwise-secret") == "s2");
  f.store->putSetting("empty", "", rec("setting.put", "empty"));
  CHECK(f.store->getSetting("empty") == "");
  CHECK(f.store->listAudit().size() == 3);
}

TEST_CASE("audit: each change appends one event, chained", "[store][audit]") {
  STORE_ENGINE_FIXTURE(f);
  auto u = bareUser("ivanov");
  REQUIRE(f.store->addUser(u, rec("user.add", "ivanov")) == UserConflict::None);
  f.clock.advance(std::chrono::seconds{10});
  u.surname = "X";
  REQUIRE(f.store->updateUser(u, rec("user.update", "ivanov")) == UserConflict::None);
  f.store->putServiceProvider(sp("https://sp/"), rec("sp.add", "https://sp/"));
  f.store->addKey(key("k1", KeyState::Next), rec("key.add", "k1"));
  f.store->updateKeys({key("k1", KeyState::Active)}, rec("key.rotate", "k1"));
  f.store->putSetting("a", "b", rec("setting.put", "a"));
  auto appended = f.store->appendAudit({"web", "login", "ivanov", "refused", R"({"step":"password"})"});
  CHECK(appended.seq == 7);
  CHECK(f.store->removeServiceProvider("https://sp/", rec("sp.remove", "https://sp/")));
  CHECK(f.store->removeUser("ivanov", rec("user.remove", "ivanov")));

  auto events = f.store->listAudit();
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"user.add", "ivanov"},   {"user.update", "ivanov"}, {"sp.add", "https://sp/"},
      {"key.add", "k1"},        {"key.rotate", "k1"},      {"setting.put", "a"},
      {"login", "ivanov"},      {"sp.remove", "https://sp/"}, {"user.remove", "ivanov"}};
  REQUIRE(events.size() == expected.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    CHECK(events[i].seq == static_cast<std::int64_t>(i + 1));
    CHECK(events[i].record.action == expected[i].first);
    CHECK(events[i].record.target == expected[i].second);
  }
  CHECK(events[0].prevHash == audit::kGenesisHash);
  CHECK(events[0].time + std::chrono::seconds{10} == f.clock.now());
  CHECK(events[1].time == f.clock.now());
  CHECK(events[6].record.actor == "web");
  CHECK(events[6].record.outcome == "refused");
  CHECK(events[6].record.details == R"({"step":"password"})");
  CHECK(events[6].hash == appended.hash);
  CHECK_FALSE(audit::firstBrokenLink(events));

  // Paging continues the chain from the hash before the page.
  auto page = f.store->listAudit(3, 2);
  REQUIRE(page.size() == 2);
  CHECK(page[0].seq == 4);
  CHECK(page[1].seq == 5);
  CHECK_FALSE(audit::firstBrokenLink(page, events[2].hash));
}

TEST_CASE("audit: an SP's last refusals, newest first, only its own and only refusals", "[store][audit]") {
  STORE_ENGINE_FIXTURE(f);
  const std::string sp = "https://sp.example/", other = "https://other.example/";
  for (int i = 1; i <= 7; ++i) {
    f.store->appendAudit({"web", "authn-request.refused", sp, "refused", R"({"step":"s)" + std::to_string(i) + "\"}"});
    f.store->appendAudit({"web", "authn-request.accepted", sp, "ok", "{}"});
    f.store->appendAudit({"web", "authn-request.refused", other, "refused", "{}"});
  }
  auto last = f.store->listRefusals(sp, 5);
  REQUIRE(last.size() == 5);
  for (std::size_t i = 0; i < last.size(); ++i) {
    CHECK(last[i].record.target == sp);
    CHECK(last[i].record.outcome == "refused");
    CHECK(last[i].record.details == R"({"step":"s)" + std::to_string(7 - i) + "\"}");
  }
  CHECK(last[0].seq > last[1].seq);
  CHECK(f.store->listRefusals("https://nobody.example/", 5).empty());
  CHECK(f.store->listRefusals(other, 100).size() == 7);
}

TEST_CASE("audit: SQL edits are refused; a forced edit is found", "[store][audit]") {
  STORE_ENGINE_FIXTURE(f);
  for (int i = 0; i < 4; ++i) f.store->appendAudit(rec("test", std::to_string(i)));

  auto raw = f.raw();
  auto refused = [&](const std::string& sql) {
    try {
      raw->exec(sql);
    } catch (const store::sql::SqlError& e) {
      return std::string(e.what()).find("audit log is append-only") != std::string::npos;
    }
    return false;
  };
  CHECK(refused("UPDATE audit_log SET details = '{\"x\":1}' WHERE seq = 2"));
  CHECK(refused("DELETE FROM audit_log WHERE seq = 4"));
  if (!f.sqlite()) CHECK(refused("TRUNCATE audit_log"));
  CHECK(f.store->listAudit().size() == 4);
  CHECK_FALSE(audit::firstBrokenLink(f.store->listAudit()));

  raw->exec(f.sqlite() ? "DROP TRIGGER audit_log_no_update" : "DROP TRIGGER audit_log_no_update_or_delete ON audit_log");
  raw->exec("UPDATE audit_log SET details = '{\"x\":1}' WHERE seq = 2");
  CHECK(audit::firstBrokenLink(f.store->listAudit()) == 2);
}

TEST_CASE("audit: two stores on one database keep one chain", "[store][audit]") {
  // Two processes on one SQLite file (server and propuskctl), or two instances on one
  // PostgreSQL database: each Store has its own writer connection.
  STORE_ENGINE_FIXTURE(f);
  auto a = std::move(f.store);
  auto b = f.reopen();
  for (int i = 0; i < 10; ++i) {
    auto ea = a->appendAudit(rec("a", std::to_string(i)));
    auto eb = b->appendAudit(rec("b", std::to_string(i)));
    CHECK(eb.seq == ea.seq + 1);
    CHECK(eb.prevHash == ea.hash);
  }
  auto u = bareUser("x");
  REQUIRE(b->addUser(u, rec("user.add", "x")) == UserConflict::None);
  CHECK(a->findUser("x"));  // a sees b's commit

  // Concurrent writers on separate connections (as the CLI and the server would be).
  auto hammer = [&](Store& s, std::string who) {
    for (int i = 0; i < 25; ++i) s.appendAudit(rec(who, std::to_string(i)));
  };
  std::thread t1(hammer, std::ref(*a), "a");
  std::thread t2(hammer, std::ref(*b), "b");
  std::thread t3(hammer, std::ref(*a), "a2");  // and one connection shared by threads
  t1.join();
  t2.join();
  t3.join();

  auto events = a->listAudit(0, 10000);
  REQUIRE(events.size() == 96);
  CHECK(events.back().seq == 96);
  CHECK_FALSE(audit::firstBrokenLink(events));
  CHECK(b->listAudit(0, 10000).size() == 96);
}

TEST_CASE("connections the database dropped are replaced without failing a request", "[store]") {
  STORE_ENGINE_FIXTURE(f);
  if (f.sqlite()) return;  // a file is not a server that restarts
  auto u = bareUser("ivanov");
  REQUIRE(f.store->addUser(u, rec("user.add", "ivanov")) == UserConflict::None);
  REQUIRE(f.store->findUser("ivanov"));
  f.store->putPendingRequest("p", "x", f.clock.now() + std::chrono::minutes(1));
  // What a database restart does to idle connections: the server ends every backend of ours.
  auto cut = [&] {
    auto admin = store::postgres::open({f.location.connection + " application_name=cutter", std::nullopt});
    auto q = admin->prepare("SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = ?");
    q.bind(f.schema);
    REQUIRE(q.step());
    return q.statement().integer(0).value_or(0);
  };
  CHECK(cut() >= 2);  // the writer and at least one reader
  CHECK(f.store->findUser("ivanov"));  // a reader: opened again, asked again
  CHECK(cut() >= 1);
  auto v = bareUser("petrov");
  CHECK(f.store->addUser(v, rec("user.add", "petrov")) == UserConflict::None);  // a write: BEGIN again
  CHECK(cut() >= 1);
  CHECK(f.store->getPendingRequest("p", f.clock.now()) == "x");
  CHECK(cut() >= 1);
  f.store->ping();  // finds the lost ones and replaces them
  CHECK(f.store->findUser("petrov"));
  CHECK_FALSE(audit::firstBrokenLink(f.store->listAudit()));
  CHECK(f.store->listAudit().size() == 2);  // each change written exactly once
}

TEST_CASE("lockout: every failed login is counted, by concurrent threads and stores", "[store]") {
  STORE_ENGINE_FIXTURE(f);
  auto u = bareUser("guessed");
  REQUIRE(f.store->addUser(u, rec("user.add", "guessed")) == UserConflict::None);
  auto other = f.reopen();  // a second instance on the same database
  const LockoutRule rule = [](int n) { return n >= 5 ? std::chrono::seconds(30 * (n - 4)) : std::chrono::seconds(0); };
  auto audit = [](const FailedLogin& fl) {
    return AuditRecord{"web", "login.failure", "guessed", "refused", "{\"failures\":" + std::to_string(fl.failures) + "}"};
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      Store& s = t % 2 ? *other : *f.store;
      for (int i = 0; i < 5; ++i) s.recordFailedLogin(u.id, f.clock.now(), rule, audit);
    });
  for (auto& t : threads) t.join();
  auto after = f.store->findUser("guessed");
  REQUIRE(after);
  CHECK(after->failedLogins == 40);  // a read-modify-write of the row would lose some
  REQUIRE(after->lockedUntil);
  CHECK(*after->lockedUntil == f.clock.now() + std::chrono::seconds(30 * 36));
  // Each count appears once in the audit, 1..40.
  std::set<std::string> seen;
  for (auto& e : f.store->listAudit(0, 1000))
    if (e.record.action == "login.failure") seen.insert(e.record.details);
  CHECK(seen.size() == 40);
  // A right password clears the count and the backoff.
  CHECK(f.store->recordSuccessfulLogin(u.id, f.clock.now(), std::nullopt, rec("login.success", "guessed")));
  after = f.store->findUser("guessed");
  CHECK(after->failedLogins == 0);
  CHECK_FALSE(after->lockedUntil);
}
