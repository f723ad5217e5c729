// web/soap_client: SP metadata must not make the IdP call into its own network.
#include "idp/web/soap_client.h"

#include <catch2/catch.hpp>

using namespace propusk::web;

TEST_CASE("private, loopback and special addresses are recognised", "[web][soap]") {
  for (const char* a : {"127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
                        "169.254.169.254", "0.0.0.0", "100.64.0.1", "::1", "::", "fe80::1", "fd12:3456::1",
                        "fc00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "224.0.0.1", "not-an-address"})
    CHECK(isPrivateAddress(a));
  for (const char* a : {"8.8.8.8", "172.32.0.1", "100.128.0.1", "192.169.0.1", "2001:db8::1", "2a00:1450::1",
                        "::ffff:8.8.8.8"})
    CHECK_FALSE(isPrivateAddress(a));
}

TEST_CASE("a SOAP endpoint on a private address is refused unless allowed", "[web][soap]") {
  SoapClient strict;
  for (const char* url : {"http://127.0.0.1:9/soap", "https://[::1]:9/soap", "http://localhost:9/soap",
                          "http://169.254.169.254/latest/meta-data"}) {
    auto r = strict.post(url, "<x/>", std::chrono::milliseconds(1000));
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().detail, Catch::Contains("loopback/private address"));
  }
  // Allowed: the call is made (and fails here only because nothing listens on port 9).
  SoapClient lenient(true);
  auto r = lenient.post("http://127.0.0.1:9/soap", "<x/>", std::chrono::milliseconds(1000));
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().detail, !Catch::Contains("loopback/private address"));
}
