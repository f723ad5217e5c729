#include "idp/store/store_sp_directory.h"

#include <catch2/catch.hpp>

#include "idp/admin/sp_registry.h"
#include "support.h"

using namespace propusk;

namespace {
std::string md(const std::string& validUntil = "") {
  return R"(<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp.example.org/sp")" +
         (validUntil.empty() ? std::string() : " validUntil=\"" + validUntil + "\"") + R"(>
  <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example.org/acs" index="0"/>
  </md:SPSSODescriptor></md:EntityDescriptor>)";
}
}  // namespace

TEST_CASE("directory serves parsed SPs and sees policy changes and removal at once", "[store][directory]") {
  test::TempDir dir;
  FixedClock clock("2026-01-10T10:00:00Z");
  auto store = store::openSqliteStore(dir / "s.db", clock);
  store::StoreSpDirectory directory(*store, clock);
  CHECK_FALSE(directory.find("https://sp.example.org/sp"));
  REQUIRE(admin::registerSp(*store, md(), "f", {}, false, clock, "t"));
  auto sp = directory.find("https://sp.example.org/sp");
  REQUIRE(sp);
  CHECK(sp->metadata.assertionConsumerServices.at(0).location == "https://sp.example.org/acs");
  CHECK(directory.find("https://sp.example.org/sp") == sp);  // cached: same object

  admin::SpPolicyChange c;
  c.release = std::vector<std::string>{"inn"};
  REQUIRE(admin::updateSpPolicy(*store, "https://sp.example.org/sp", c, clock, "t"));  // same second
  clock.advance(std::chrono::seconds(6));
  auto updated = directory.find("https://sp.example.org/sp");
  REQUIRE(updated);
  CHECK(updated->release == std::vector<std::string>{"inn"});
  CHECK(updated->upstreams.empty());
  CHECK(updated->localLogin);

  // The gateway's settings reach the directory like any other policy.
  auto row = store->findServiceProvider("https://sp.example.org/sp");
  row->upstreams = {"esia", "sber-id"};
  row->localLogin = false;
  store->putServiceProvider(*row, {"t", "sp.set", row->entityId, "ok", "{}"});
  clock.advance(std::chrono::seconds(6));
  auto gateway = directory.find("https://sp.example.org/sp");
  REQUIRE(gateway);
  CHECK(gateway->upstreams == std::vector<std::string>{"esia", "sber-id"});
  CHECK_FALSE(gateway->localLogin);

  REQUIRE(store->removeServiceProvider("https://sp.example.org/sp", {"t", "sp.remove", "x", "ok", "{}"}));
  clock.advance(std::chrono::seconds(6));
  CHECK_FALSE(directory.find("https://sp.example.org/sp"));
}

TEST_CASE("metadata past its validUntil is not used", "[store][directory]") {
  test::TempDir dir;
  FixedClock clock("2026-01-10T10:00:00Z");
  auto store = store::openSqliteStore(dir / "s.db", clock);
  REQUIRE(admin::registerSp(*store, md("2026-01-10T11:00:00Z"), "f", {}, false, clock, "t"));
  store::StoreSpDirectory directory(*store, clock);
  CHECK(directory.find("https://sp.example.org/sp"));
  clock.advance(std::chrono::hours(2));
  CHECK_FALSE(directory.find("https://sp.example.org/sp"));
}
