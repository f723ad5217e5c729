#include "idp/web/cookie_jar.h"

#include <catch2/catch.hpp>

using namespace propusk;
using namespace std::chrono_literals;

TEST_CASE("cookies: host-only, path, secure, replacement, expiry", "[web][cookies][samlflow]") {
  FixedClock clock("2026-01-10T10:00:00Z");
  web::CookieJar jar;
  jar.store("https://idp.example/login", "propusk_session=s1; Path=/; HttpOnly; Secure; SameSite=None", clock.now());
  jar.store("https://idp.example/login/step", "csrf=c1", clock.now());  // default path /login
  jar.store("https://idp.example/", "short=x; Max-Age=60", clock.now());
  CHECK(jar.header("https://idp.example/login/x", clock.now()) == "csrf=c1; propusk_session=s1; short=x");
  CHECK(jar.header("https://idp.example/saml/sso", clock.now()) == "propusk_session=s1; short=x");
  CHECK(jar.header("http://idp.example/login", clock.now()) == "csrf=c1; short=x");  // Secure only over https
  CHECK(jar.header("https://sub.idp.example/", clock.now()) == "");                   // host-only
  CHECK(jar.header("https://idp.example/", clock.now() + 61s) == "propusk_session=s1");  // Max-Age

  jar.store("https://idp.example/", "propusk_session=s2; Path=/", clock.now());
  CHECK(jar.header("https://idp.example/", clock.now()) == "propusk_session=s2; short=x");
  jar.store("https://idp.example/", "propusk_session=; Path=/; Max-Age=0", clock.now());
  CHECK(jar.header("https://idp.example/", clock.now()) == "short=x");
  jar.store("https://idp.example/", "old=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT", clock.now());
  CHECK(jar.header("https://idp.example/", clock.now()) == "short=x");
}

TEST_CASE("cookies: Domain attribute and what is ignored", "[web][cookies][samlflow]") {
  FixedClock clock("2026-01-10T10:00:00Z");
  web::CookieJar jar;
  jar.store("https://login.example.org/", "d=1; Domain=.example.org", clock.now());
  jar.store("https://login.example.org/", "evil=1; Domain=other.org", clock.now());  // not a superdomain
  jar.store("http://login.example.org/", "s=1; Secure", clock.now());              // Secure over http
  jar.store("https://login.example.org/", "novalue", clock.now());
  CHECK(jar.header("https://idp.example.org/", clock.now()) == "d=1");
  CHECK(jar.header("https://other.org/", clock.now()) == "");
  CHECK(jar.cookies().size() == 1);
}
