#include "idp/web/url.h"

#include <catch2/catch.hpp>

using namespace propusk::web;

TEST_CASE("http URLs are split without re-encoding", "[web][url][samlflow]") {
  auto u = parseHttpUrl("HTTPS://IdP.Example:8443/saml/sso?SAMLRequest=a%2Bb&x=1#frag");
  REQUIRE(u);
  CHECK(u->scheme == "https");
  CHECK(u->host == "idp.example");
  CHECK(u->port == 8443);
  CHECK(u->target == "/saml/sso?SAMLRequest=a%2Bb&x=1");
  CHECK(u->path == "/saml/sso");
  CHECK(u->origin() == "https://idp.example:8443");
  CHECK(parseHttpUrl("http://127.0.0.1")->target == "/");
  CHECK(parseHttpUrl("http://[::1]:80/x")->origin() == "http://[::1]");
  CHECK_FALSE(parseHttpUrl("ftp://x/"));
  CHECK_FALSE(parseHttpUrl("https://user@x/"));
  CHECK_FALSE(parseHttpUrl("https://x:99999/"));
  CHECK_FALSE(parseHttpUrl("/relative"));
}

TEST_CASE("references resolve as RFC 3986 §5.4 says", "[web][url][samlflow]") {
  const char* base = "https://a.example/b/c/d;p?q";
  CHECK(resolveUrl(base, "g") == "https://a.example/b/c/g");
  CHECK(resolveUrl(base, "./g") == "https://a.example/b/c/g");
  CHECK(resolveUrl(base, "g/") == "https://a.example/b/c/g/");
  CHECK(resolveUrl(base, "/g") == "https://a.example/g");
  CHECK(resolveUrl(base, "//g.example/x") == "https://g.example/x");
  CHECK(resolveUrl(base, "?y") == "https://a.example/b/c/d;p?y");
  CHECK(resolveUrl(base, "g?y") == "https://a.example/b/c/g?y");
  CHECK(resolveUrl(base, "#s") == "https://a.example/b/c/d;p?q");
  CHECK(resolveUrl(base, "") == "https://a.example/b/c/d;p?q");
  CHECK(resolveUrl(base, "../g") == "https://a.example/b/g");
  CHECK(resolveUrl(base, "../../../g") == "https://a.example/g");
  CHECK(resolveUrl(base, "http://other:8080/x?SAMLRequest=%2B") == "http://other:8080/x?SAMLRequest=%2B");
  CHECK(resolveUrl(base, "  /login?flow=1 ") == "https://a.example/login?flow=1");
  CHECK(resolveUrl(base, "javascript:alert(1)") == "javascript:alert(1)");
  CHECK_FALSE(resolveUrl("not a url", "g"));
}
