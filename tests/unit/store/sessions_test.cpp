// SSO sessions, their participants and pending AuthnRequests, on both engines.
#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "idp/audit/audit_chain.h"
#include "idp/store/store.h"
#include "store/engines.h"
#include "support.h"

using namespace propusk;
using namespace propusk::store;

namespace {

const AuditRecord kIssued{"test", "assertion.issue", "https://sp1/", "ok", "{}"};

AuditRecord rec(std::string action, std::string target) {
  return {"web", std::move(action), std::move(target), "ok", "{}"};
}

TimePoint at(std::int64_t unix) { return TimePoint{std::chrono::seconds{unix}}; }

// The store of one engine, and accounts to hang sessions on.
struct Fixture {
  explicit Fixture(store::sql::Engine e) : db(e), clock(db.clock), store(db.store) {}
  test::EngineFixture db;
  FixedClock& clock;
  std::unique_ptr<Store>& store;
  int users = 0;

  std::int64_t addUser(const std::string& login) {
    User u;
    u.uid = "uid-" + std::to_string(++users) + "-" + login;
    u.login = login;
    u.surname = "Иванов";
    u.givenName = "Иван";
    u.passwordHash = "$argon2id$x";
    REQUIRE(store->addUser(u, {"cli:root", "user.add", login, "ok", "{}"}) == UserConflict::None);
    return u.id;
  }

  // Rows in `table`, counted on a connection of its own (not through the store).
  int rows(const std::string& table) { return static_cast<int>(db.count(table)); }
};

#define SESSIONS_FIXTURE(f)                                                          \
  Fixture f(GENERATE(from_range(::propusk::test::storeEngines())));                  \
  INFO("engine: " << ::propusk::test::engineName(f.db.engine))

Session session(const std::string& idHash, std::int64_t userId, const std::string& login,
                std::int64_t created, std::int64_t lastSeen) {
  Session s;
  s.idHash = idHash;
  s.userId = userId;
  s.login = login;
  s.createdAt = at(created);
  s.lastSeenAt = at(lastSeen);
  s.authnInstant = at(created);
  s.authnContextClassRef = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport";
  return s;
}

SessionParticipant participant(const std::string& idHash, const std::string& sp,
                               const std::string& nameId, std::int64_t issued) {
  SessionParticipant p;
  p.sessionIdHash = idHash;
  p.spEntityId = sp;
  p.nameId = nameId;
  p.nameIdFormat = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
  p.sessionIndex = "_idx-" + nameId;
  p.issuedAt = at(issued);
  return p;
}

// Runs work(0) .. work(n - 1) on n threads at once and waits for all of them.
template <class F>
void runThreads(int n, F& work) {
  std::vector<std::thread> threads;
  for (int t = 0; t < n; ++t) threads.emplace_back(work, t);
  for (auto& th : threads) th.join();
}

const std::string kHashA(64, 'a');
const std::string kHashB(64, 'b');
const std::string kHashC(64, 'c');
const std::string kHashD(64, 'd');

// A user "ivanov" with one session, kHashA.
void addSessionA(Fixture& f) {
  const auto uid = f.addUser("ivanov");
  f.store->createSession(session(kHashA, uid, "ivanov", 1, 1), rec("session.create", "a"));
}

}  // namespace

TEST_CASE("sessions: create and find round-trip every field", "[store][sessions]") {
  SESSIONS_FIXTURE(f);
  const auto uid = f.addUser("ivanov");
  Session s;
  s.idHash = kHashA;
  s.userId = uid;
  s.login = "ivanov";
  s.createdAt = at(1768039200);
  s.lastSeenAt = at(1768039260);
  s.authnInstant = at(1768039100);
  s.authnContextClassRef = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport";
  f.store->createSession(s, rec("session.create", "ivanov"));

  auto got = f.store->findSession(kHashA);
  REQUIRE(got);
  CHECK(got->idHash == kHashA);
  CHECK(got->userId == uid);
  CHECK(got->login == "ivanov");
  CHECK(got->createdAt == at(1768039200));
  CHECK(got->lastSeenAt == at(1768039260));
  CHECK(got->authnInstant == at(1768039100));
  CHECK(got->authnContextClassRef == s.authnContextClassRef);
  CHECK(got->upstream.empty());  // a local login
  CHECK(got->upstreamNameId.empty());
  CHECK(got->upstreamData.empty());

  CHECK_FALSE(f.store->findSession(kHashB));
  CHECK_FALSE(f.store->findSession(std::string(63, 'a')));

  auto events = f.store->listAudit();
  REQUIRE(events.size() == 2);
  CHECK(events[1].record.action == "session.create");
  CHECK(events[1].record.target == "ivanov");
  CHECK_FALSE(audit::firstBrokenLink(events));
}

TEST_CASE("sessions: a duplicate id or an unknown user is refused and audits nothing",
          "[store][sessions]") {
  SESSIONS_FIXTURE(f);
  const auto uid = f.addUser("ivanov");
  f.store->createSession(session(kHashA, uid, "ivanov", 100, 100), rec("session.create", "ivanov"));
  CHECK_THROWS_AS(f.store->createSession(session(kHashA, uid, "ivanov", 200, 200),
                                         rec("session.create", "ivanov")),
                  StoreError);
  CHECK_THROWS_AS(f.store->createSession(session(kHashB, uid + 100, "ghost", 200, 200),
                                         rec("session.create", "ghost")),
                  StoreError);
  CHECK(f.store->findSession(kHashA)->createdAt == at(100));
  CHECK_FALSE(f.store->findSession(kHashB));
  CHECK(f.store->listAudit().size() == 2);  // user.add, the one session.create
}

TEST_CASE("sessions: touch updates lastSeenAt only, never backwards, unaudited",
          "[store][sessions]") {
  SESSIONS_FIXTURE(f);
  const auto uid = f.addUser("ivanov");
  const auto s = session(kHashA, uid, "ivanov", 1000, 1000);
  f.store->createSession(s, rec("session.create", "ivanov"));
  const auto auditBefore = f.store->listAudit().size();

  f.store->touchSession(kHashA, at(1500));
  auto got = f.store->findSession(kHashA);
  REQUIRE(got);
  CHECK(got->lastSeenAt == at(1500));
  CHECK(got->createdAt == s.createdAt);
  CHECK(got->authnInstant == s.authnInstant);
  CHECK(got->login == s.login);
  CHECK(got->userId == s.userId);
  CHECK(got->authnContextClassRef == s.authnContextClassRef);

  f.store->touchSession(kHashA, at(1200));  // a slower request of the same session
  CHECK(f.store->findSession(kHashA)->lastSeenAt == at(1500));

  f.store->touchSession(kHashB, at(2000));  // unknown: nothing happens
  CHECK_FALSE(f.store->findSession(kHashB));
  CHECK(f.store->listAudit().size() == auditBefore);
}

TEST_CASE("sessions: remove takes the participants; unknown is false and unaudited",
          "[store][sessions]") {
  SESSIONS_FIXTURE(f);
  const auto uid = f.addUser("ivanov");
  f.store->createSession(session(kHashA, uid, "ivanov", 100, 100), rec("session.create", "ivanov"));
  f.store->createSession(session(kHashB, uid, "ivanov", 100, 100), rec("session.create", "ivanov"));
  f.store->addSessionParticipant(participant(kHashA, "https://sp1/", "n1", 110), kIssued);
  f.store->addSessionParticipant(participant(kHashA, "https://sp2/", "n2", 120), kIssued);
  f.store->addSessionParticipant(participant(kHashB, "https://sp1/", "n3", 130), kIssued);
  REQUIRE(f.rows("session_participants") == 3);
  const auto auditBefore = f.store->listAudit().size();

  CHECK_FALSE(f.store->removeSession(kHashC, rec("session.remove", "ivanov")));
  CHECK(f.store->listAudit().size() == auditBefore);

  CHECK(f.store->removeSession(kHashA, rec("session.remove", "ivanov")));
  CHECK_FALSE(f.store->findSession(kHashA));
  CHECK(f.store->listSessionParticipants(kHashA).empty());
  CHECK(f.rows("session_participants") == 1);
  CHECK(f.store->listSessionParticipants(kHashB).size() == 1);
  auto events = f.store->listAudit();
  REQUIRE(events.size() == auditBefore + 1);
  CHECK(events.back().record.action == "session.remove");

  CHECK_FALSE(f.store->removeSession(kHashA, rec("session.remove", "ivanov")));
  CHECK(f.store->listAudit().size() == auditBefore + 1);
}

TEST_CASE("sessions: list all or by login, newest first", "[store][sessions]") {
  SESSIONS_FIXTURE(f);
  const auto ivanov = f.addUser("ivanov");
  const auto petrov = f.addUser("petrov");
  f.store->createSession(session(kHashA, ivanov, "ivanov", 100, 500), rec("session.create", "ivanov"));
  f.store->createSession(session(kHashB, petrov, "petrov", 300, 300), rec("session.create", "petrov"));
  f.store->createSession(session(kHashC, ivanov, "ivanov", 200, 200), rec("session.create", "ivanov"));

  auto all = f.store->listSessions();
  REQUIRE(all.size() == 3);
  CHECK(all[0].idHash == kHashB);
  CHECK(all[1].idHash == kHashC);
  CHECK(all[2].idHash == kHashA);
  CHECK(all[2].lastSeenAt == at(500));

  auto mine = f.store->listSessions("ivanov");
  REQUIRE(mine.size() == 2);
  CHECK(mine[0].idHash == kHashC);
  CHECK(mine[1].idHash == kHashA);
  CHECK(mine[0].login == "ivanov");

  auto his = f.store->listSessions("petrov");
  REQUIRE(his.size() == 1);
  CHECK(his[0].idHash == kHashB);

  CHECK(f.store->listSessions("sidorov").empty());
  CHECK(f.store->listSessions("IVANOV").empty());  // exact, as findUser
}

TEST_CASE("sessions: by login follows the user through a rename", "[store][sessions]") {
  SESSIONS_FIXTURE(f);
  const auto ivanov = f.addUser("ivanov");
  f.store->createSession(session(kHashA, ivanov, "ivanov", 100, 100), rec("session.create", "ivanov"));
  auto u = f.store->findUser("ivanov");
  REQUIRE(u);
  u->login = "ivanov2";
  REQUIRE(f.store->updateUser(*u, rec("user.update", "ivanov2")) == UserConflict::None);
  f.addUser("ivanov");  // someone else takes the old login

  auto renamed = f.store->listSessions("ivanov2");
  REQUIRE(renamed.size() == 1);
  CHECK(renamed[0].idHash == kHashA);
  CHECK(f.store->listSessions("ivanov").empty());
}

TEST_CASE("sessions: purge by idle time and by absolute age, one audit event with the count",
          "[store][sessions][audit]") {
  SESSIONS_FIXTURE(f);
  const auto uid = f.addUser("ivanov");
  // created, lastSeen
  f.store->createSession(session(kHashA, uid, "ivanov", 1000, 5000), rec("session.create", "a"));  // old, active
  f.store->createSession(session(kHashB, uid, "ivanov", 3000, 3000), rec("session.create", "b"));  // idle
  f.store->createSession(session(kHashC, uid, "ivanov", 4000, 5000), rec("session.create", "c"));  // fresh
  f.store->createSession(session(kHashD, uid, "ivanov", 2000, 2000), rec("session.create", "d"));  // both
  f.store->addSessionParticipant(participant(kHashA, "https://sp1/", "n1", 1000), kIssued);
  f.store->addSessionParticipant(participant(kHashD, "https://sp1/", "n2", 2000), kIssued);
  f.store->addSessionParticipant(participant(kHashC, "https://sp1/", "n3", 4000), kIssued);
  const auto auditBefore = f.store->listAudit().size();

  // Exactly at either limit is not before it: nothing goes, nothing is audited.
  CHECK(f.store->purgeSessions(at(2000), at(1000)) == 0);
  CHECK(f.store->listSessions().size() == 4);
  CHECK(f.store->listAudit().size() == auditBefore);

  // Idle: lastSeenAt < 2001 takes only D.
  CHECK(f.store->purgeSessions(at(2001), at(1000)) == 1);
  CHECK_FALSE(f.store->findSession(kHashD));
  auto events = f.store->listAudit();
  REQUIRE(events.size() == auditBefore + 1);
  CHECK(events.back().record.action == "session.purge");
  CHECK(events.back().record.details == R"({"count":1})");
  CHECK(events.back().record.outcome == "ok");

  // Idle B (3000 < 3001) and old A (1000 < 1001) in one sweep; C stays.
  CHECK(f.store->purgeSessions(at(3001), at(1001)) == 2);
  auto left = f.store->listSessions();
  REQUIRE(left.size() == 1);
  CHECK(left[0].idHash == kHashC);
  events = f.store->listAudit();
  REQUIRE(events.size() == auditBefore + 2);
  CHECK(events.back().record.action == "session.purge");
  CHECK(events.back().record.details == R"({"count":2})");
  CHECK_FALSE(audit::firstBrokenLink(events));

  // The purged sessions' participants went with them.
  CHECK(f.rows("session_participants") == 1);
  CHECK(f.store->listSessionParticipants(kHashC).size() == 1);

  // Absolute age alone: C was created at 4000.
  CHECK(f.store->purgeSessions(at(0), at(4000)) == 0);
  CHECK(f.store->purgeSessions(at(0), at(4001)) == 1);
  CHECK(f.store->listSessions().empty());
  CHECK(f.rows("session_participants") == 0);
  CHECK(f.store->purgeSessions(at(99999), at(99999)) == 0);
  CHECK(f.store->listAudit().size() == auditBefore + 3);
}

TEST_CASE("sessions: participants are upserted per SP and listed by issuedAt",
          "[store][sessions]") {
  SESSIONS_FIXTURE(f);
  const auto uid = f.addUser("ivanov");
  f.store->createSession(session(kHashA, uid, "ivanov", 100, 100), rec("session.create", "ivanov"));
  const auto auditBefore = f.store->listAudit().size();

  f.store->addSessionParticipant(participant(kHashA, "https://sp1/", "n1", 200), kIssued);
  f.store->addSessionParticipant(participant(kHashA, "https://sp2/", "n2", 150), kIssued);
  auto ps = f.store->listSessionParticipants(kHashA);
  REQUIRE(ps.size() == 2);
  CHECK(ps[0].spEntityId == "https://sp2/");
  CHECK(ps[1].spEntityId == "https://sp1/");
  CHECK(ps[1].sessionIdHash == kHashA);
  CHECK(ps[1].nameId == "n1");
  CHECK(ps[1].nameIdFormat == "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent");
  CHECK(ps[1].sessionIndex == "_idx-n1");
  CHECK(ps[1].issuedAt == at(200));

  // A second assertion to sp2 replaces the first.
  auto again = participant(kHashA, "https://sp2/", "n2-new", 300);
  again.nameIdFormat = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
  f.store->addSessionParticipant(again, kIssued);
  ps = f.store->listSessionParticipants(kHashA);
  REQUIRE(ps.size() == 2);
  CHECK(ps[0].spEntityId == "https://sp1/");
  CHECK(ps[1].spEntityId == "https://sp2/");
  CHECK(ps[1].nameId == "n2-new");
  CHECK(ps[1].sessionIndex == "_idx-n2-new");
  CHECK(ps[1].nameIdFormat == "urn:oasis:names:tc:SAML:2.0:nameid-format:transient");
  CHECK(ps[1].issuedAt == at(300));
  CHECK(f.rows("session_participants") == 2);

  // The same values again (a repeat login at sp2): the row keeps its first issuedAt, the
  // audit record is still written.
  const auto auditNow = f.store->listAudit().size();
  auto same = again;
  same.issuedAt = at(400);
  f.store->addSessionParticipant(same, kIssued);
  ps = f.store->listSessionParticipants(kHashA);
  REQUIRE(ps.size() == 2);
  CHECK(ps[1].issuedAt == at(300));
  CHECK(f.store->listAudit().size() == auditNow + 1);
  // Only the SessionIndex differs: replaced, with the new issuedAt.
  auto newIndex = same;
  newIndex.sessionIndex = "_idx-other";
  f.store->addSessionParticipant(newIndex, kIssued);
  ps = f.store->listSessionParticipants(kHashA);
  REQUIRE(ps.size() == 2);
  CHECK(ps[1].sessionIndex == "_idx-other");
  CHECK(ps[1].issuedAt == at(400));

  CHECK(f.store->listSessionParticipants(kHashB).empty());
  // A participant needs its session.
  CHECK_THROWS_AS(f.store->addSessionParticipant(participant(kHashB, "https://sp1/", "x", 1), kIssued),
                  StoreError);
  // Each participant came with its audit event; the refused one wrote neither.
  CHECK(f.store->listAudit().size() == auditBefore + 5);
}

TEST_CASE("sessions: removing a user removes their sessions and participants",
          "[store][sessions]") {
  SESSIONS_FIXTURE(f);
  const auto ivanov = f.addUser("ivanov");
  const auto petrov = f.addUser("petrov");
  f.store->createSession(session(kHashA, ivanov, "ivanov", 100, 100), rec("session.create", "ivanov"));
  f.store->createSession(session(kHashB, ivanov, "ivanov", 100, 100), rec("session.create", "ivanov"));
  f.store->createSession(session(kHashC, petrov, "petrov", 100, 100), rec("session.create", "petrov"));
  f.store->addSessionParticipant(participant(kHashA, "https://sp1/", "n1", 110), kIssued);
  f.store->addSessionParticipant(participant(kHashB, "https://sp1/", "n2", 110), kIssued);
  f.store->addSessionParticipant(participant(kHashC, "https://sp1/", "n3", 110), kIssued);

  REQUIRE(f.store->removeUser("ivanov", {"cli:root", "user.remove", "ivanov", "ok", "{}"}));
  CHECK_FALSE(f.store->findSession(kHashA));
  CHECK_FALSE(f.store->findSession(kHashB));
  CHECK(f.store->findSession(kHashC));
  CHECK(f.rows("sessions") == 1);
  CHECK(f.rows("session_participants") == 1);
  CHECK(f.store->listSessionParticipants(kHashC).size() == 1);
  CHECK(f.store->listAudit().back().record.action == "user.remove");  // no per-session events
}

TEST_CASE("pending requests: put, get, remove, upsert", "[store][sessions]") {
  SESSIONS_FIXTURE(f);
  CHECK_FALSE(f.store->getPendingRequest("r1", at(1000)));
  f.store->putPendingRequest("r1", R"({"id":"_a1","sp":"https://sp1/"})", at(2000));
  f.store->putPendingRequest("r2", std::string(20000, 'x'), at(9000));  // big data is fine
  CHECK(f.store->getPendingRequest("r1", at(1000)) == R"({"id":"_a1","sp":"https://sp1/"})");
  CHECK(f.store->getPendingRequest("r1", at(1999)) == R"({"id":"_a1","sp":"https://sp1/"})");
  CHECK(f.store->getPendingRequest("r2", at(1000)) == std::string(20000, 'x'));
  CHECK_FALSE(f.store->getPendingRequest("r3", at(1000)));

  // Upsert replaces data and expiry.
  f.store->putPendingRequest("r1", "second", at(5000));
  CHECK(f.store->getPendingRequest("r1", at(3000)) == "second");
  CHECK(f.rows("pending_requests") == 2);

  f.store->removePendingRequest("r1");
  CHECK_FALSE(f.store->getPendingRequest("r1", at(1000)));
  f.store->removePendingRequest("r1");  // again: nothing to do
  f.store->removePendingRequest("never");
  CHECK(f.rows("pending_requests") == 1);

  // Empty data round-trips as empty, not as missing.
  f.store->putPendingRequest("empty", "", at(2000));
  CHECK(f.store->getPendingRequest("empty", at(1000)) == "");

  CHECK(f.store->listAudit().empty());  // none of this is audited
}

TEST_CASE("pending requests: expired ones are invisible at once and purged by purgeExpired",
          "[store][sessions]") {
  SESSIONS_FIXTURE(f);
  f.store->putPendingRequest("a", "A", at(1010));
  f.store->putPendingRequest("b", "B", at(1100));
  f.store->putPendingRequest("c", "C", at(1005));
  f.store->putPendingRequest("d", "D", at(1500));
  REQUIRE(f.rows("pending_requests") == 4);

  // At expiresAt exactly the request has expired.
  CHECK_FALSE(f.store->getPendingRequest("a", at(1010)));
  CHECK(f.store->getPendingRequest("b", at(1010)) == "B");

  // The server's housekeeping sweeps what has expired (a range on the expires_at index).
  CHECK(f.store->purgeExpired(at(1100)) == 3);
  CHECK(f.rows("pending_requests") == 1);
  CHECK_FALSE(f.store->getPendingRequest("a", at(1000)));  // gone, not merely hidden
  CHECK(f.store->getPendingRequest("d", at(1100)) == "D");
  CHECK(f.store->purgeExpired(at(1100)) == 0);

  // An expired request can be put again (new expiry) under the same id.
  f.store->putPendingRequest("b", "B2", at(3000));
  CHECK(f.store->getPendingRequest("b", at(2000)) == "B2");
  CHECK(f.store->listAudit().empty());  // none of this is audited
}

TEST_CASE("shared replay cache: the first sight wins, a live digest is a replay, an expired one is new",
          "[store][sessions]") {
  SESSIONS_FIXTURE(f);
  const std::string d1(32, '1'), d2(32, '2');
  CHECK(f.store->rememberOnce(d1, at(2000), at(1000)));
  CHECK_FALSE(f.store->rememberOnce(d1, at(2500), at(1500)));  // still remembered: a replay
  CHECK_FALSE(f.store->rememberOnce(d1, at(2500), at(1999)));
  CHECK(f.store->rememberOnce(d2, at(2000), at(1000)));
  CHECK(f.store->rememberOnce(d1, at(3000), at(2000)));        // expired at 2000: new again
  CHECK_FALSE(f.store->rememberOnce(d1, at(3000), at(2999)));  // with the new expiry
  CHECK(f.store->purgeExpired(at(2000)) == 1);                 // d2
  CHECK(f.rows("replay_ids") == 1);

  // Another Store on the same database (another instance) sees the same cache.
  auto other = f.db.reopen();
  CHECK_FALSE(other->rememberOnce(d1, at(3000), at(2100)));

  // Many threads and two stores racing for the same digests: exactly one first sight each.
  std::atomic<int> firsts{0};
  auto work = [&](int t) {
    Store& s = t % 2 ? *other : *f.store;
    for (int i = 0; i < 50; ++i)
      if (s.rememberOnce("race-" + std::to_string(i), at(9000), at(2100))) ++firsts;
  };
  runThreads(8, work);
  CHECK(firsts == 50);
}

TEST_CASE("sessions: many threads on one store", "[store][sessions]") {
  SESSIONS_FIXTURE(f);
  const auto uid = f.addUser("ivanov");
  constexpr int kThreads = 6, kPerThread = 40;
  std::atomic<int> failures{0};
  auto work = [&](int t) {
    try {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string id = std::to_string(t) + "-" + std::to_string(i);
        f.store->createSession(session(id, uid, "ivanov", 100 + i, 100 + i), rec("session.create", id));
        f.store->touchSession(id, at(1000 + i));
        f.store->addSessionParticipant(participant(id, "https://sp1/", id, 200), kIssued);
        f.store->putPendingRequest(id, id, at(5000));
        if (f.store->getPendingRequest(id, at(1000)) != id) ++failures;
        if (i % 2 && !f.store->removeSession(id, rec("session.remove", id))) ++failures;
      }
    } catch (const std::exception&) {
      ++failures;
    }
  };
  runThreads(kThreads, work);
  CHECK(failures == 0);

  const auto sessions = f.store->listSessions("ivanov");
  CHECK(sessions.size() == kThreads * kPerThread / 2);
  for (const auto& s : sessions) CHECK(s.lastSeenAt >= at(1000));
  CHECK(f.rows("session_participants") == kThreads * kPerThread / 2);
  CHECK(f.rows("pending_requests") == kThreads * kPerThread);
  auto events = f.store->listAudit(0, 100000);
  // user.add + per thread: create, participant (with its audit event) each time, remove every other time.
  CHECK(events.size() == 1 + kThreads * kPerThread * 5 / 2);
  CHECK_FALSE(audit::firstBrokenLink(events));
}

// Group commit: changes from many threads share transactions; a failing change must undo
// only itself (its savepoint), reach only its own caller, and leave no audit event behind.
TEST_CASE("sessions: concurrent failing changes undo only themselves", "[store][sessions]") {
  SESSIONS_FIXTURE(f);
  const auto uid = f.addUser("ivanov");
  f.store->createSession(session("taken", uid, "ivanov", 1, 1), rec("session.create", "taken"));
  constexpr int kThreads = 8, kPerThread = 30;
  std::atomic<int> refused{0}, unexpected{0};
  auto work = [&](int t) {
    for (int i = 0; i < kPerThread; ++i) {
      const std::string id = std::to_string(t) + "-" + std::to_string(i);
      const bool dup = i % 3 == 0;  // every third change collides with an existing session
      try {
        f.store->createSession(session(dup ? "taken" : id, uid, "ivanov", 100, 100), rec("session.create", id));
        if (dup) ++unexpected;
      } catch (const StoreError&) {
        (dup ? refused : unexpected)++;
      }
      f.store->appendAudit(rec("probe", id));  // a change that always succeeds, interleaved
    }
  };
  runThreads(kThreads, work);
  CHECK(unexpected == 0);
  CHECK(refused == kThreads * kPerThread / 3);
  CHECK(f.rows("sessions") == 1 + kThreads * kPerThread * 2 / 3);
  auto events = f.store->listAudit(0, 100000);
  // user.add, the first session, one create per accepted change, one probe per change.
  CHECK(events.size() == 2 + kThreads * kPerThread * 2 / 3 + kThreads * kPerThread);
  CHECK_FALSE(audit::firstBrokenLink(events));
}

TEST_CASE("sessions: participants found by SP and NameID across sessions", "[store][sessions]") {
  SESSIONS_FIXTURE(f);
  const auto uid = f.addUser("ivanov");
  f.store->createSession(session(kHashA, uid, "ivanov", 100, 100), rec("session.create", "a"));
  f.store->createSession(session(kHashB, uid, "ivanov", 110, 110), rec("session.create", "b"));
  f.store->addSessionParticipant(participant(kHashA, "https://sp1/", "n1", 300), kIssued);
  f.store->addSessionParticipant(participant(kHashB, "https://sp1/", "n1", 200), kIssued);
  f.store->addSessionParticipant(participant(kHashB, "https://sp2/", "n1", 250), kIssued);
  auto ps = f.store->findSessionParticipants("https://sp1/", "n1");
  REQUIRE(ps.size() == 2);
  CHECK(ps[0].sessionIdHash == kHashB);  // by issuedAt
  CHECK(ps[1].sessionIdHash == kHashA);
  CHECK(f.store->findSessionParticipants("https://sp2/", "n1").size() == 1);
  CHECK(f.store->findSessionParticipants("https://sp1/", "n2").empty());
  CHECK(f.store->findSessionParticipants("https://sp3/", "n1").empty());
  f.store->removeSession(kHashB, rec("session.remove", "b"));
  CHECK(f.store->findSessionParticipants("https://sp1/", "n1").size() == 1);
}

TEST_CASE("sessions: renew moves the participants to the new id, atomically", "[store][sessions]") {
  SESSIONS_FIXTURE(f);
  const auto uid = f.addUser("ivanov");
  const auto other = f.addUser("petrov");
  f.store->createSession(session(kHashA, uid, "ivanov", 100, 100), rec("session.create", "a"));
  f.store->addSessionParticipant(participant(kHashA, "https://sp1/", "n1", 200), kIssued);
  f.store->addSessionParticipant(participant(kHashA, "https://sp2/", "n2", 210), kIssued);
  const auto events = f.store->listAudit().size();

  auto renewed = session(kHashB, uid, "ivanov", 100, 500);
  CHECK(f.store->renewSession(kHashA, renewed, rec("session.reauthenticate", "b")));
  CHECK_FALSE(f.store->findSession(kHashA));
  REQUIRE(f.store->findSession(kHashB));
  CHECK(f.store->findSession(kHashB)->lastSeenAt == at(500));
  auto ps = f.store->listSessionParticipants(kHashB);
  REQUIRE(ps.size() == 2);
  CHECK(ps[0].spEntityId == "https://sp1/");
  CHECK(f.store->listSessionParticipants(kHashA).empty());
  CHECK(f.store->listAudit().size() == events + 1);

  // Gone, or another user's: nothing changes, nothing audited.
  CHECK_FALSE(f.store->renewSession(kHashA, session(kHashC, uid, "ivanov", 1, 1), rec("session.reauthenticate", "c")));
  CHECK_FALSE(f.store->renewSession(kHashB, session(kHashC, other, "petrov", 1, 1), rec("session.reauthenticate", "c")));
  CHECK_FALSE(f.store->findSession(kHashC));
  CHECK(f.store->listSessionParticipants(kHashB).size() == 2);
  CHECK(f.store->listAudit().size() == events + 1);
}

TEST_CASE("sessions: the upstream fields round-trip through create, find, list and renew",
          "[store][sessions][upstream]") {
  SESSIONS_FIXTURE(f);
  const auto uid = f.addUser("ivanov");
  auto s = session(kHashA, uid, "ivanov", 100, 100);
  s.upstream = "esia";
  s.upstreamNameId = "AAdzZWNyZXQxMjM0NTY=";
  s.upstreamData = R"({"format":"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent","sessionIndex":"_s1"})";
  f.store->createSession(s, rec("session.create", "a"));
  f.store->createSession(session(kHashB, uid, "ivanov", 200, 200), rec("session.create", "b"));

  auto got = f.store->findSession(kHashA);
  REQUIRE(got);
  CHECK(got->upstream == "esia");
  CHECK(got->upstreamNameId == s.upstreamNameId);
  CHECK(got->upstreamData == s.upstreamData);
  auto listed = f.store->listSessions("ivanov");
  REQUIRE(listed.size() == 2);
  CHECK(listed[1].upstream == "esia");
  CHECK(listed[1].upstreamData == s.upstreamData);
  CHECK(listed[0].upstream.empty());

  auto renewed = s;
  renewed.idHash = kHashC;
  renewed.upstreamData = R"({"sessionIndex":"_s2"})";
  REQUIRE(f.store->renewSession(kHashA, renewed, rec("session.reauthenticate", "c")));
  got = f.store->findSession(kHashC);
  REQUIRE(got);
  CHECK(got->upstream == "esia");
  CHECK(got->upstreamNameId == s.upstreamNameId);
  CHECK(got->upstreamData == renewed.upstreamData);
}

TEST_CASE("sessions: an upstream's LogoutRequest finds the sessions by its NameID", "[store][sessions][upstream]") {
  SESSIONS_FIXTURE(f);
  const auto ivanov = f.addUser("ivanov");
  const auto petrov = f.addUser("petrov");
  auto through = [&](const std::string& hash, std::int64_t uid, const std::string& login, const std::string& upstream,
                     const std::string& nameId, std::int64_t created) {
    auto s = session(hash, uid, login, created, created);
    s.upstream = upstream;
    s.upstreamNameId = nameId;
    f.store->createSession(s, rec("session.create", hash.substr(0, 1)));
  };
  through(kHashA, ivanov, "ivanov", "esia", "n-ivanov", 100);
  through(kHashB, ivanov, "ivanov", "esia", "n-ivanov", 200);
  through(kHashC, petrov, "petrov", "esia", "n-petrov", 300);
  through(kHashD, ivanov, "ivanov", "sber-id", "n-ivanov", 400);  // same NameID, another upstream

  auto found = f.store->findUpstreamSessions("esia", "n-ivanov");
  REQUIRE(found.size() == 2);
  CHECK(found[0].idHash == kHashB);  // newest first
  CHECK(found[1].idHash == kHashA);
  CHECK(found[0].upstreamNameId == "n-ivanov");
  CHECK(f.store->findUpstreamSessions("sber-id", "n-ivanov").size() == 1);
  CHECK(f.store->findUpstreamSessions("esia", "n-sidorov").empty());
  CHECK(f.store->findUpstreamSessions("esia", "N-IVANOV").empty());  // NameIDs compare exactly

  // Local sessions have an empty upstream: never found as somebody's upstream session.
  f.store->createSession(session(std::string(64, 'e'), petrov, "petrov", 500, 500), rec("session.create", "e"));
  CHECK(f.store->findUpstreamSessions("", "").empty());

  REQUIRE(f.store->removeSession(kHashB, rec("session.remove", "b")));
  CHECK(f.store->findUpstreamSessions("esia", "n-ivanov").size() == 1);
}

// The SSO path queues its participation (with its audit events) before signing and waits for
// it after: any commit in between takes it along.
TEST_CASE("sessions: a queued participation rides along with the next commit", "[store][sessions]") {
  SESSIONS_FIXTURE(f);
  addSessionA(f);
  const auto before = f.store->listAudit().size();

  auto change = f.store->queueSessionParticipant(participant(kHashA, "https://sp1/", "n1", 100),
                                                 {rec("sso.request", "r1"), kIssued});
  // Queued, not written: nothing to see yet.
  CHECK(f.store->listSessionParticipants(kHashA).empty());
  CHECK(f.store->listAudit().size() == before);

  // Another thread's change commits it too, in order, before its own event.
  f.store->appendAudit(rec("other", "x"));
  REQUIRE(f.store->listSessionParticipants(kHashA).size() == 1);
  auto events = f.store->listAudit();
  REQUIRE(events.size() == before + 3);
  CHECK(events[before].record.action == "sso.request");
  CHECK(events[before + 1].record.action == "assertion.issue");
  CHECK(events[before + 2].record.action == "other");
  CHECK_FALSE(audit::firstBrokenLink(events));

  change->wait();  // already committed: returns at once
  CHECK_FALSE(change->withdraw());  // too late to take back
  CHECK(f.store->listAudit().size() == before + 3);
}

TEST_CASE("sessions: a queued participation waited for commits itself", "[store][sessions]") {
  SESSIONS_FIXTURE(f);
  addSessionA(f);
  auto change = f.store->queueSessionParticipant(participant(kHashA, "https://sp1/", "n1", 100), {kIssued});
  change->wait();
  CHECK(f.store->listSessionParticipants(kHashA).size() == 1);
  CHECK(f.store->listAudit().back().record.action == "assertion.issue");
  CHECK_NOTHROW(change->wait());  // asking again: still committed
}

TEST_CASE("sessions: a withdrawn or dropped participation is never written", "[store][sessions]") {
  SESSIONS_FIXTURE(f);
  addSessionA(f);
  const auto before = f.store->listAudit().size();

  auto withdrawn = f.store->queueSessionParticipant(participant(kHashA, "https://sp1/", "n1", 100), {kIssued});
  CHECK(withdrawn->withdraw());
  CHECK(withdrawn->withdraw());  // asking again gives the same answer
  CHECK_THROWS_AS(withdrawn->wait(), std::logic_error);
  {
    auto dropped = f.store->queueSessionParticipant(participant(kHashA, "https://sp2/", "n2", 100), {kIssued});
  }
  f.store->appendAudit(rec("other", "x"));  // a commit after both: neither is in it
  CHECK(f.store->listSessionParticipants(kHashA).empty());
  auto events = f.store->listAudit();
  REQUIRE(events.size() == before + 1);
  CHECK(events.back().record.action == "other");
}

TEST_CASE("sessions: a queued participation that fails reaches only its own waiter", "[store][sessions]") {
  SESSIONS_FIXTURE(f);
  addSessionA(f);
  const auto before = f.store->listAudit().size();
  // No session kHashB: the participation is refused when a commit takes it.
  auto bad = f.store->queueSessionParticipant(participant(kHashB, "https://sp1/", "x", 1), {kIssued});
  auto good = f.store->queueSessionParticipant(participant(kHashA, "https://sp1/", "n1", 100), {kIssued});
  f.store->appendAudit(rec("other", "x"));  // commits all three; only `bad` is undone
  CHECK_THROWS_AS(bad->wait(), StoreError);
  good->wait();
  CHECK(f.store->listSessionParticipants(kHashA).size() == 1);
  auto events = f.store->listAudit();
  CHECK(events.size() == before + 2);
  CHECK_FALSE(audit::firstBrokenLink(events));
}

// A Response that never left after its participation was committed: the row goes only when
// this issue wrote it; the retraction is logged either way.
TEST_CASE("sessions: retracting a participation removes only the row that issue wrote", "[store][sessions]") {
  SESSIONS_FIXTURE(f);
  addSessionA(f);
  const AuditRecord retracted{"ivanov", "assertion.issue", "https://sp1/", "error", "{}"};

  // First issue at this SP: written by it, so retracted.
  auto first = participant(kHashA, "https://sp1/", "n1", 100);
  f.store->addSessionParticipant(first, kIssued);
  CHECK(f.store->retractSessionParticipant(first, retracted));
  CHECK(f.store->listSessionParticipants(kHashA).empty());
  CHECK(f.store->listAudit().back().record.outcome == "error");

  // A repeat issue with the same NameID and SessionIndex kept the earlier row (issuedAt 100):
  // retracting the repeat leaves the earlier, real participation alone.
  f.store->addSessionParticipant(first, kIssued);
  auto repeat = participant(kHashA, "https://sp1/", "n1", 200);
  f.store->addSessionParticipant(repeat, kIssued);
  const auto before = f.store->listAudit().size();
  CHECK_FALSE(f.store->retractSessionParticipant(repeat, retracted));
  auto ps = f.store->listSessionParticipants(kHashA);
  REQUIRE(ps.size() == 1);
  CHECK(ps[0].issuedAt == at(100));
  CHECK(f.store->listAudit().size() == before + 1);
  CHECK_FALSE(audit::firstBrokenLink(f.store->listAudit()));
}

TEST_CASE("sessions: queued participations from many threads", "[store][sessions]") {
  SESSIONS_FIXTURE(f);
  const auto uid = f.addUser("ivanov");
  constexpr int kThreads = 8, kPerThread = 40;
  for (int t = 0; t < kThreads; ++t)
    f.store->createSession(session("s" + std::to_string(t), uid, "ivanov", 1, 1), rec("session.create", "s"));
  const auto before = f.store->listAudit().size();
  std::atomic<int> failures{0};
  auto work = [&](int t) {
    try {
      const std::string id = "s" + std::to_string(t);
      for (int i = 0; i < kPerThread; ++i) {
        auto change = f.store->queueSessionParticipant(
            participant(id, "https://sp" + std::to_string(i) + "/", id + "-" + std::to_string(i), 200), {kIssued});
        if (i % 5 == 4) {
          change->withdraw();  // whether or not it was taken already, it ends consistent
          continue;
        }
        std::this_thread::yield();
        change->wait();
      }
    } catch (const std::exception&) {
      ++failures;
    }
  };
  runThreads(kThreads, work);
  CHECK(failures == 0);
  // Every waited-for change is there with its event; a withdrawn one either fully or not at all.
  const int rows = f.rows("session_participants");
  auto events = f.store->listAudit(0, 100000);
  CHECK(rows >= kThreads * kPerThread * 4 / 5);
  CHECK(rows <= kThreads * kPerThread);
  CHECK(static_cast<int>(events.size() - before) == rows);
  CHECK_FALSE(audit::firstBrokenLink(events));
}
