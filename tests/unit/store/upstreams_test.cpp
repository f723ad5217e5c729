// Upstream IdPs, account links and the look-ups that find an account to link, on both engines.
#include <catch2/catch.hpp>

#include "idp/audit/audit_chain.h"
#include "idp/store/store.h"
#include "store/engines.h"
#include "unit/support.h"

using namespace propusk;
using namespace propusk::store;

namespace {

AuditRecord rec(std::string action, std::string target) {
  return {"cli:root", std::move(action), std::move(target), "ok", "{}"};
}

Upstream upstream(const std::string& name, const std::string& entityId) {
  Upstream u;
  u.name = name;
  u.entityId = entityId;
  u.metadataXml = "<md:EntityDescriptor entityID=\"" + entityId + "\"/>\n";
  u.mapText = "urn:oid:1.2.643.100.3 = snils | digits\n# comment\n";
  u.displayName = "Госуслуги";
  u.level = policy::AccountStatus::Confirmed;
  u.linkBy = LinkKey::Snils;
  u.allowSha1 = true;
  u.metadataSignatureVerified = true;
  u.validUntil = *parseXsDateTime("2100-01-01T00:00:00Z");
  u.source = "https://esia.example.ru/metadata";
  return u;
}

User user(const std::string& login) {
  User u;
  u.uid = "uid-" + login;
  u.login = login;
  u.surname = "Иванов";
  u.givenName = "Иван";
  u.passwordHash = "$argon2id$x";
  return u;
}

AccountLink link(const std::string& upstream, const std::string& subject, std::int64_t userId) {
  AccountLink l;
  l.upstream = upstream;
  l.subject = subject;
  l.userId = userId;
  return l;
}

std::int64_t addUser(Store& store, User u) {
  REQUIRE(store.addUser(u, rec("user.add", u.login)) == UserConflict::None);
  return u.id;
}

}  // namespace

TEST_CASE("link keys have names", "[store][upstream]") {
  for (auto k : {LinkKey::Snils, LinkKey::Inn, LinkKey::Email, LinkKey::None}) CHECK(parseLinkKey(linkKeyName(k)) == k);
  CHECK(linkKeyName(LinkKey::Email) == "email");
  CHECK_FALSE(parseLinkKey("SNILS"));
  CHECK_FALSE(parseLinkKey(""));
}

TEST_CASE("upstreams: put, find by name and entityID, list, replace", "[store][upstream]") {
  STORE_ENGINE_FIXTURE(f);
  auto a = upstream("esia", "https://esia.example.ru/idp");
  REQUIRE(f.store->putUpstream(a, rec("upstream.add", "esia")));
  auto got = f.store->findUpstream("esia");
  REQUIRE(got);
  CHECK(got->name == "esia");
  CHECK(got->entityId == a.entityId);
  CHECK(got->metadataXml == a.metadataXml);
  CHECK(got->mapText == a.mapText);
  CHECK(got->displayName == "Госуслуги");
  CHECK(got->level == policy::AccountStatus::Confirmed);
  CHECK(got->linkBy == LinkKey::Snils);
  CHECK(got->allowSha1);
  CHECK(got->metadataSignatureVerified);
  CHECK(got->validUntil == a.validUntil);
  CHECK(got->source == a.source);
  CHECK(got->createdAt == f.clock.now());
  CHECK(got->updatedAt == f.clock.now());
  auto byEntity = f.store->findUpstreamByEntityId("https://esia.example.ru/idp");
  REQUIRE(byEntity);
  CHECK(byEntity->name == "esia");
  CHECK_FALSE(f.store->findUpstream("ESIA"));
  CHECK_FALSE(f.store->findUpstreamByEntityId("https://esia.example.ru/idp/"));
  const auto created = f.clock.now();

  f.clock.advance(std::chrono::minutes{5});
  auto b = a;
  b.entityId = "https://esia2.example.ru/idp";  // a replacement may move to a new entityID
  b.mapText = "";
  b.displayName = "esia";
  b.level = policy::AccountStatus::Simplified;
  b.linkBy = LinkKey::None;
  b.allowSha1 = false;
  b.metadataSignatureVerified = false;
  b.validUntil.reset();
  b.source = "/etc/propusk/esia.xml";
  REQUIRE(f.store->putUpstream(b, rec("upstream.replace", "esia")));
  got = f.store->findUpstream("esia");
  REQUIRE(got);
  CHECK(got->entityId == b.entityId);
  CHECK(got->mapText.empty());
  CHECK(got->displayName == "esia");
  CHECK(got->level == policy::AccountStatus::Simplified);
  CHECK(got->linkBy == LinkKey::None);
  CHECK_FALSE(got->allowSha1);
  CHECK_FALSE(got->metadataSignatureVerified);
  CHECK_FALSE(got->validUntil);
  CHECK(got->source == b.source);
  CHECK(got->createdAt == created);
  CHECK(got->updatedAt == f.clock.now());
  CHECK_FALSE(f.store->findUpstreamByEntityId(a.entityId));

  REQUIRE(f.store->putUpstream(upstream("bank-id", "https://bank.example.ru/idp"), rec("upstream.add", "bank-id")));
  auto all = f.store->listUpstreams();
  REQUIRE(all.size() == 2);
  CHECK(all[0].name == "bank-id");
  CHECK(all[1].name == "esia");
  auto events = f.store->listAudit();
  CHECK(events.size() == 3);
  CHECK(events[1].record.action == "upstream.replace");
  CHECK_FALSE(audit::firstBrokenLink(events));
}

TEST_CASE("upstreams: an entityID another upstream has is refused and writes nothing", "[store][upstream]") {
  STORE_ENGINE_FIXTURE(f);
  REQUIRE(f.store->putUpstream(upstream("esia", "https://esia.example.ru/idp"), rec("upstream.add", "esia")));
  CHECK_FALSE(f.store->putUpstream(upstream("esia-copy", "https://esia.example.ru/idp"), rec("upstream.add", "x")));
  CHECK_FALSE(f.store->findUpstream("esia-copy"));
  auto other = upstream("bank-id", "https://bank.example.ru/idp");
  REQUIRE(f.store->putUpstream(other, rec("upstream.add", "bank-id")));
  other.entityId = "https://esia.example.ru/idp";  // replacing into esia's entityID
  CHECK_FALSE(f.store->putUpstream(other, rec("upstream.replace", "bank-id")));
  CHECK(f.store->findUpstream("bank-id")->entityId == "https://bank.example.ru/idp");
  CHECK(f.store->listAudit().size() == 2);
  CHECK(f.count("upstreams") == 2);
}

TEST_CASE("account links: add, find, list, count; a subject links once", "[store][upstream]") {
  STORE_ENGINE_FIXTURE(f);
  REQUIRE(f.store->putUpstream(upstream("esia", "https://esia.example.ru/idp"), rec("upstream.add", "esia")));
  REQUIRE(f.store->putUpstream(upstream("bank-id", "https://bank.example.ru/idp"), rec("upstream.add", "bank-id")));
  const auto ivanov = addUser(*f.store, user("ivanov"));
  const auto petrov = addUser(*f.store, user("petrov"));
  const auto events = f.store->listAudit().size();

  REQUIRE(f.store->addAccountLink(link("esia", "subj-1", ivanov), rec("account.link", "ivanov")));
  f.clock.advance(std::chrono::minutes{1});
  auto dated = link("bank-id", "b-77", ivanov);
  dated.linkedAt = *parseXsDateTime("2025-12-31T23:00:00Z");  // given: kept
  REQUIRE(f.store->addAccountLink(dated, rec("account.link", "ivanov")));
  REQUIRE(f.store->addAccountLink(link("esia", "subj-2", petrov), rec("account.link", "petrov")));

  auto l = f.store->findAccountLink("esia", "subj-1");
  REQUIRE(l);
  CHECK(l->upstream == "esia");
  CHECK(l->subject == "subj-1");
  CHECK(l->userId == ivanov);
  CHECK(l->login == "ivanov");
  CHECK(l->linkedAt == f.clock.now() - std::chrono::minutes{1});
  CHECK_FALSE(f.store->findAccountLink("esia", "SUBJ-1"));
  CHECK_FALSE(f.store->findAccountLink("bank-id", "subj-1"));

  auto mine = f.store->listAccountLinks(ivanov);
  REQUIRE(mine.size() == 2);
  CHECK(mine[0].upstream == "bank-id");
  CHECK(mine[0].linkedAt == dated.linkedAt);
  CHECK(mine[1].upstream == "esia");
  CHECK(f.store->listAccountLinks(987654).empty());
  CHECK(f.store->countAccountLinks("esia") == 2);
  CHECK(f.store->countAccountLinks("bank-id") == 1);
  CHECK(f.store->countAccountLinks("nope") == 0);
  CHECK(f.store->listAudit().size() == events + 3);

  // Refused, nothing written or audited: the subject taken (even for another account), the
  // user gone, the upstream unknown.
  CHECK_FALSE(f.store->addAccountLink(link("esia", "subj-1", petrov), rec("account.link", "petrov")));
  CHECK_FALSE(f.store->addAccountLink(link("esia", "subj-9", 987654), rec("account.link", "ghost")));
  CHECK_FALSE(f.store->addAccountLink(link("nope", "subj-9", petrov), rec("account.link", "petrov")));
  CHECK(f.store->findAccountLink("esia", "subj-1")->userId == ivanov);
  CHECK(f.count("account_links") == 3);
  CHECK(f.store->listAudit().size() == events + 3);
}

TEST_CASE("account links follow their account: a rename, a removal", "[store][upstream]") {
  STORE_ENGINE_FIXTURE(f);
  REQUIRE(f.store->putUpstream(upstream("esia", "https://esia.example.ru/idp"), rec("upstream.add", "esia")));
  const auto ivanov = addUser(*f.store, user("ivanov"));
  REQUIRE(f.store->addAccountLink(link("esia", "subj-1", ivanov), rec("account.link", "ivanov")));
  auto u = *f.store->findUser("ivanov");
  u.login = "ivanov2";
  REQUIRE(f.store->updateUser(u, rec("user.update", "ivanov2")) == UserConflict::None);
  CHECK(f.store->findAccountLink("esia", "subj-1")->login == "ivanov2");
  REQUIRE(f.store->removeUser("ivanov2", rec("user.remove", "ivanov2")));
  CHECK_FALSE(f.store->findAccountLink("esia", "subj-1"));
  CHECK(f.count("account_links") == 0);
  CHECK(f.store->findUpstream("esia"));
}

TEST_CASE("upstreams: remove takes the links, keeps the accounts, audits once", "[store][upstream]") {
  STORE_ENGINE_FIXTURE(f);
  REQUIRE(f.store->putUpstream(upstream("esia", "https://esia.example.ru/idp"), rec("upstream.add", "esia")));
  REQUIRE(f.store->putUpstream(upstream("bank-id", "https://bank.example.ru/idp"), rec("upstream.add", "bank-id")));
  const auto ivanov = addUser(*f.store, user("ivanov"));
  REQUIRE(f.store->addAccountLink(link("esia", "subj-1", ivanov), rec("account.link", "ivanov")));
  REQUIRE(f.store->addAccountLink(link("bank-id", "b-1", ivanov), rec("account.link", "ivanov")));
  const auto events = f.store->listAudit().size();

  REQUIRE(f.store->removeUpstream("esia", rec("upstream.remove", "esia")));
  CHECK_FALSE(f.store->findUpstream("esia"));
  CHECK_FALSE(f.store->findAccountLink("esia", "subj-1"));
  CHECK(f.store->findAccountLink("bank-id", "b-1"));
  CHECK(f.store->findUser("ivanov"));
  CHECK(f.store->listAudit().size() == events + 1);
  CHECK(f.store->listAudit().back().record.action == "upstream.remove");

  CHECK_FALSE(f.store->removeUpstream("esia", rec("upstream.remove", "esia")));
  CHECK(f.store->listAudit().size() == events + 1);

  // The name is free again, with no links left over from before.
  REQUIRE(f.store->putUpstream(upstream("esia", "https://esia.example.ru/idp"), rec("upstream.add", "esia")));
  CHECK(f.store->countAccountLinks("esia") == 0);
}

TEST_CASE("a linked user is added with its link in one transaction", "[store][upstream]") {
  STORE_ENGINE_FIXTURE(f);
  REQUIRE(f.store->putUpstream(upstream("esia", "https://esia.example.ru/idp"), rec("upstream.add", "esia")));
  const auto events = f.store->listAudit().size();
  const AuditRecord audits[] = {rec("user.add", "esia-1"), rec("account.link", "esia-1")};

  auto u = user("esia-1");
  u.snils = "11223344595";
  REQUIRE(f.store->addLinkedUser(u, link("esia", "subj-1", 0), audits) == UserConflict::None);
  CHECK(u.id > 0);
  CHECK(u.createdAt == f.clock.now());
  auto l = f.store->findAccountLink("esia", "subj-1");
  REQUIRE(l);
  CHECK(l->userId == u.id);
  CHECK(l->login == "esia-1");
  CHECK(l->linkedAt == f.clock.now());
  auto got = f.store->listAudit();
  REQUIRE(got.size() == events + 2);
  CHECK(got[events].record.action == "user.add");
  CHECK(got[events + 1].record.action == "account.link");

  // Each conflict writes nothing: neither the account nor the link nor an event.
  auto again = user("esia-2");
  CHECK(f.store->addLinkedUser(again, link("esia", "subj-1", 0), audits) == UserConflict::Link);
  auto sameLogin = user("esia-1");
  CHECK(f.store->addLinkedUser(sameLogin, link("esia", "subj-2", 0), audits) == UserConflict::Login);
  auto sameSnils = user("esia-3");
  sameSnils.snils = "11223344595";
  CHECK(f.store->addLinkedUser(sameSnils, link("esia", "subj-3", 0), audits) == UserConflict::Snils);
  CHECK(again.id == 0);
  CHECK(f.count("users") == 1);
  CHECK(f.count("account_links") == 1);
  CHECK(f.store->listAudit().size() == events + 2);

  // An unknown upstream is a caller's bug: thrown, nothing written.
  auto orphan = user("esia-4");
  CHECK_THROWS_AS(f.store->addLinkedUser(orphan, link("nope", "subj-4", 0), audits), StoreError);
  CHECK_FALSE(f.store->findUser("esia-4"));
  CHECK(f.store->listAudit().size() == events + 2);
}

TEST_CASE("accounts found by SNILS, INN or confirmed e-mail", "[store][upstream]") {
  STORE_ENGINE_FIXTURE(f);
  auto a = user("ivanov");
  a.snils = "11223344595";
  a.inn = "500100732259";
  a.email = "Ivan.Ivanov@Example.RU";
  a.emailConfirmed = true;
  addUser(*f.store, a);
  auto b = user("petrov");
  b.email = "ivan.ivanov@example.ru";  // the same address, not confirmed: never a match
  addUser(*f.store, b);
  auto c = user("aivanov");
  c.email = "IVAN.IVANOV@example.ru";
  c.emailConfirmed = true;
  addUser(*f.store, c);

  auto bySnils = f.store->findUsersByKey(LinkKey::Snils, "11223344595");
  REQUIRE(bySnils.size() == 1);
  CHECK(bySnils[0].login == "ivanov");
  CHECK(bySnils[0].snils == "11223344595");
  CHECK(f.store->findUsersByKey(LinkKey::Inn, "500100732259").size() == 1);
  CHECK(f.store->findUsersByKey(LinkKey::Inn, "11223344595").empty());
  CHECK(f.store->findUsersByKey(LinkKey::Snils, "500100732259").empty());

  auto byEmail = f.store->findUsersByKey(LinkKey::Email, "ivan.ivanov@EXAMPLE.ru");
  REQUIRE(byEmail.size() == 2);  // ordered by login; the caller decides what two matches mean
  CHECK(byEmail[0].login == "aivanov");
  CHECK(byEmail[1].login == "ivanov");
  CHECK(f.store->findUsersByKey(LinkKey::Email, "other@example.ru").empty());

  CHECK(f.store->findUsersByKey(LinkKey::None, "11223344595").empty());
  CHECK(f.store->findUsersByKey(LinkKey::Snils, "").empty());
}

TEST_CASE("upstreams: a corrupt level or link key is reported, not read as a default", "[store][upstream]") {
  STORE_ENGINE_FIXTURE(f);
  REQUIRE(f.store->putUpstream(upstream("esia", "https://esia.example.ru/idp"), rec("upstream.add", "esia")));
  // The CHECK constraints refuse it through SQL...
  CHECK_THROWS(f.raw()->exec("UPDATE upstreams SET link_by = 'passport' WHERE name = 'esia'"));
  CHECK_THROWS(f.raw()->exec("UPDATE upstreams SET level = 'gold' WHERE name = 'esia'"));
  CHECK(f.store->findUpstream("esia")->linkBy == LinkKey::Snils);
}
