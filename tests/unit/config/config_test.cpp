#include "idp/config/config.h"

#include <catch2/catch.hpp>

#include "support.h"

using namespace propusk;

TEST_CASE("config file sets values; data_dir is relative to the file", "[app][config]") {
  test::TempDir dir;
  test::writeFile(dir / "p.ini",
                  "[store]\ndata_dir = state\n[server]\nlisten = 0.0.0.0:9443\npublic_url = https://idp.example.ru/\n"
                  "[saml]\nclock_skew_seconds = 60\nwant_authn_requests_signed = true\nmax_relay_state_bytes = 1024\n[keys]\nalgorithm = ec-p256\n"
                  "[password]\nmin_length = 12\n[session]\nidle_minutes = 15\nabsolute_minutes = 240\n"
                  "[login]\nlockout_threshold = 3\n");
  auto c = config::loadConfigFile(dir / "p.ini");
  CHECK(c.dataDir == dir.path() / "state");
  CHECK(c.listenHost == "0.0.0.0");
  CHECK(c.listenPort == 9443);
  CHECK(c.publicUrl == "https://idp.example.ru");
  CHECK(c.idpEntityId() == "https://idp.example.ru/saml/metadata");
  CHECK(c.clockSkew == std::chrono::seconds(60));
  CHECK(c.keyAlgorithm == crypto::KeyAlgorithm::EcP256);
  CHECK(c.passwordPolicy.minLength == 12);
  CHECK(c.wantAuthnRequestsSigned);
  CHECK(c.maxRelayStateBytes == 1024);
  CHECK(c.sessionIdle == std::chrono::minutes(15));
  CHECK(c.sessionAbsolute == std::chrono::minutes(240));
  CHECK(c.lockoutThreshold == 3);
}

TEST_CASE("config refuses unknown keys and bad values, naming them", "[app][config]") {
  test::TempDir dir;
  test::writeFile(dir / "a.ini", "[server]\nlisen = 1.2.3.4:1\n");
  CHECK_THROWS_WITH(config::loadConfigFile(dir / "a.ini"), Catch::Contains("unknown key 'server.lisen'"));
  test::writeFile(dir / "b.ini", "[password]\nmin_length = 4\n");
  CHECK_THROWS_WITH(config::loadConfigFile(dir / "b.ini"), Catch::Contains("password.min_length"));
  test::writeFile(dir / "d.ini", "[saml]\nwant_authn_requests_signed = yes\n");
  CHECK_THROWS_WITH(config::loadConfigFile(dir / "d.ini"), Catch::Contains("want_authn_requests_signed"));
  test::writeFile(dir / "c.ini", "[server]\npublic_url = ftp://x\n");
  CHECK_THROWS_WITH(config::loadConfigFile(dir / "c.ini"), Catch::Contains("public-url"));
  CHECK_THROWS_WITH(config::loadConfigFile(dir / "missing.ini"), Catch::Contains("no such config file"));
}

TEST_CASE("listen accepts IPv6 in brackets and refuses a bad port", "[app][config]") {
  config::Config c;
  config::setListen(c, "[::1]:8443");
  CHECK(c.listenHost == "::1");
  CHECK_THROWS(config::setListen(c, "127.0.0.1:99999"));
  CHECK_THROWS(config::setListen(c, "127.0.0.1"));
}
