#include "idp/audit/audit_chain.h"

#include <catch2/catch.hpp>

using namespace propusk;

namespace {
audit::AuditEvent event(std::int64_t seq, const std::string& prev, const std::string& action) {
  audit::AuditEvent e;
  e.seq = seq;
  e.time = *parseXsDateTime("2026-01-10T10:00:00Z") + std::chrono::seconds{seq};
  e.record = {"cli:root", action, "target-" + std::to_string(seq), "ok", R"({"n":1})"};
  e.prevHash = prev;
  e.hash = audit::eventHash(e);
  return e;
}

std::vector<audit::AuditEvent> chain(std::int64_t n, std::int64_t firstSeq = 1) {
  std::vector<audit::AuditEvent> v;
  std::string prev = audit::kGenesisHash;
  for (std::int64_t s = firstSeq; s < firstSeq + n; ++s) {
    v.push_back(event(s, prev, "user.add"));
    prev = v.back().hash;
  }
  return v;
}
}  // namespace

TEST_CASE("eventHash matches the documented length-prefixed encoding", "[audit]") {
  audit::AuditEvent e;
  e.seq = 7;
  e.time = *parseXsDateTime("2026-01-10T10:00:00Z");  // 1768039200
  e.record = {"cli:root", "user.add", "иванов", "ok", R"({"a":1})"};
  e.prevHash = audit::kGenesisHash;
  // sha256("propusk-audit-v1\n" + for each field: len ":" bytes "\n"), computed independently.
  CHECK(audit::eventHash(e) == "03b368214fb9c130e17b045307421b9ca0768aa8af5d0fb2fd223ae5ec451633");
}

TEST_CASE("eventHash covers every field", "[audit]") {
  const auto base = event(3, audit::kGenesisHash, "sp.add");
  const auto h = audit::eventHash(base);
  REQUIRE(h.size() == 64);
  auto differs = [&](auto mutate) {
    auto e = base;
    mutate(e);
    return audit::eventHash(e) != h;
  };
  CHECK(differs([](audit::AuditEvent& e) { e.prevHash[0] = '1'; }));
  CHECK(differs([](audit::AuditEvent& e) { e.seq = 4; }));
  CHECK(differs([](audit::AuditEvent& e) { e.time += std::chrono::seconds{1}; }));
  CHECK(differs([](audit::AuditEvent& e) { e.record.actor = "web"; }));
  CHECK(differs([](audit::AuditEvent& e) { e.record.action = "sp.remove"; }));
  CHECK(differs([](audit::AuditEvent& e) { e.record.target += "x"; }));
  CHECK(differs([](audit::AuditEvent& e) { e.record.outcome = "refused"; }));
  CHECK(differs([](audit::AuditEvent& e) { e.record.details = "{}"; }));
  // The stored hash itself is not an input.
  CHECK_FALSE(differs([](audit::AuditEvent& e) { e.hash = "ff"; }));
}

TEST_CASE("eventHash: moving bytes between fields changes the hash", "[audit]") {
  auto e1 = event(1, audit::kGenesisHash, "x");
  auto e2 = e1;
  e1.record.actor = "ab";
  e1.record.action = "c";
  e2.record.actor = "a";
  e2.record.action = "bc";
  CHECK(audit::eventHash(e1) != audit::eventHash(e2));
  // A separator smuggled into a field does not forge the next one.
  e1.record.actor = "a\n1:b";
  e1.record.action = "";
  e2.record.actor = "a";
  e2.record.action = "b";
  CHECK(audit::eventHash(e1) != audit::eventHash(e2));
}

TEST_CASE("firstBrokenLink: an intact chain holds", "[audit]") {
  CHECK_FALSE(audit::firstBrokenLink({}));
  CHECK_FALSE(audit::firstBrokenLink(chain(1)));
  CHECK_FALSE(audit::firstBrokenLink(chain(10)));
}

TEST_CASE("firstBrokenLink: a slice verifies from the hash before it", "[audit]") {
  auto all = chain(10);
  std::vector<audit::AuditEvent> tail(all.begin() + 4, all.end());  // seq 5..10
  CHECK_FALSE(audit::firstBrokenLink(tail, all[3].hash));
  CHECK(audit::firstBrokenLink(tail) == 5);  // against genesis it does not
}

TEST_CASE("firstBrokenLink finds the edited event", "[audit]") {
  auto c = chain(6);
  c[3].record.details = R"({"n":2})";  // seq 4, hash left as it was
  CHECK(audit::firstBrokenLink(c) == 4);
}

TEST_CASE("firstBrokenLink: re-hashing an edited event breaks the next link", "[audit]") {
  auto c = chain(6);
  c[2].record.target = "someone-else";  // seq 3
  c[2].hash = audit::eventHash(c[2]);
  CHECK(audit::firstBrokenLink(c) == 4);
}

TEST_CASE("firstBrokenLink finds a deleted or reordered event", "[audit]") {
  auto c = chain(6);
  auto gap = c;
  gap.erase(gap.begin() + 2);  // seq 3 removed
  CHECK(audit::firstBrokenLink(gap) == 4);

  auto first = c;
  first.erase(first.begin());  // seq 1 removed: seq 2 does not follow genesis
  CHECK(audit::firstBrokenLink(first) == 2);

  auto swapped = c;
  std::swap(swapped[1], swapped[2]);
  CHECK(audit::firstBrokenLink(swapped) == 3);
}

TEST_CASE("firstBrokenLink: a wrong prevHash with a self-consistent hash is found", "[audit]") {
  auto c = chain(4);
  c[1].prevHash = std::string(64, 'a');
  c[1].hash = audit::eventHash(c[1]);
  CHECK(audit::firstBrokenLink(c) == 2);
}
