#include "idp/sso/session_manager.h"

#include <catch2/catch.hpp>

#include "idp/admin/user_admin.h"
#include "support.h"

using namespace propusk;

namespace {
struct Fixture : test::StoreFixture {
  sso::SessionManager sessions{*store, clock, rnd, {std::chrono::minutes(30), std::chrono::hours(8)}};
  store::User user = addUser();
};
}  // namespace

TEST_CASE("the cookie token is never stored; only its hash", "[sso][session]") {
  Fixture f;
  auto c = f.sessions.create(f.user, "ppt", "127.0.0.1");
  CHECK(c.token.size() >= 43);
  CHECK(c.session.idHash == sso::SessionManager::hashToken(c.token));
  CHECK(c.session.idHash != c.token);
  CHECK(f.store->findSession(c.session.idHash));
  for (auto& e : f.store->listAudit()) CHECK(e.record.details.find(c.token) == std::string::npos);
  REQUIRE(f.sessions.resolve(c.token));
  CHECK_FALSE(f.sessions.resolve(c.session.idHash));  // the hash is not a valid cookie
  CHECK_FALSE(f.sessions.resolve("forged"));
}

TEST_CASE("idle timeout, activity extends it, absolute timeout ends it", "[sso][session]") {
  Fixture f;
  auto c = f.sessions.create(f.user, "ppt", "ip");
  for (int i = 0; i < 20; ++i) {  // 20 x 25 min of activity: idle never reached, absolute 8 h is
    f.clock.advance(std::chrono::minutes(25));
    if (i < 19) REQUIRE(f.sessions.resolve(c.token));
  }
  CHECK_FALSE(f.sessions.resolve(c.token));  // 500 min > 8 h
  CHECK_FALSE(f.store->findSession(c.session.idHash));

  auto d = f.sessions.create(f.user, "ppt", "ip");
  f.clock.advance(std::chrono::minutes(31));
  CHECK_FALSE(f.sessions.resolve(d.token));
}

TEST_CASE("destroy ends the session", "[sso][session]") {
  Fixture f;
  auto c = f.sessions.create(f.user, "ppt", "ip");
  f.sessions.destroy(c.token, "logout");
  CHECK_FALSE(f.sessions.resolve(c.token));
}
