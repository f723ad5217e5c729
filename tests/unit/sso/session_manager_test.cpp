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
  auto c = f.sessions.create(f.user, "ppt", "password", "127.0.0.1", "test-agent");
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
  auto c = f.sessions.create(f.user, "ppt", "password", "ip", "test-agent");
  for (int i = 0; i < 20; ++i) {  // 20 x 25 min of activity: idle never reached, absolute 8 h is
    f.clock.advance(std::chrono::minutes(25));
    if (i < 19) REQUIRE(f.sessions.resolve(c.token));
  }
  CHECK_FALSE(f.sessions.resolve(c.token));  // 500 min > 8 h
  CHECK_FALSE(f.store->findSession(c.session.idHash));

  auto d = f.sessions.create(f.user, "ppt", "password", "ip", "test-agent");
  f.clock.advance(std::chrono::minutes(31));
  CHECK_FALSE(f.sessions.resolve(d.token));
}

TEST_CASE("destroy ends the session", "[sso][session]") {
  Fixture f;
  auto c = f.sessions.create(f.user, "ppt", "password", "ip", "test-agent");
  f.sessions.destroy(c.token, "logout");
  CHECK_FALSE(f.sessions.resolve(c.token));
}

TEST_CASE("a second factor renews the session id and adds to what it proved", "[sso][session][mfa]") {
  Fixture f;
  auto c = f.sessions.create(f.user, "ppt", "password", "10.0.0.1", "agent/1");
  f.clock.advance(std::chrono::minutes(2));
  auto up = f.sessions.addFactor(c.session, "totp", "10.0.0.1");
  REQUIRE(up);
  CHECK(up->token != c.token);
  CHECK_FALSE(f.sessions.resolve(c.token));  // the old id is gone: no fixation across the step up
  auto s = f.sessions.resolve(up->token);
  REQUIRE(s);
  CHECK(s->factors == "password,totp");
  CHECK(s->authnInstant == f.clock.now());
  CHECK(s->createdAt == c.session.createdAt);  // the absolute timeout still counts from the first login
  CHECK(s->remote == "10.0.0.1");
  CHECK(s->userAgent == "agent/1");
  CHECK_FALSE(f.sessions.addFactor(c.session, "sms", "10.0.0.1"));  // the old session is gone
}
