#include "idp/admin/sp_registry.h"

#include <catch2/catch.hpp>

#include "support.h"

using namespace propusk;

namespace {
const std::string kMd = R"(<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp.example.org/sp">
  <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example.org/acs" index="0"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>)";
}  // namespace

TEST_CASE("register, refuse a duplicate, replace keeping policy", "[admin][sp]") {
  test::TempDir dir;
  FixedClock clock("2026-01-10T10:00:00Z");
  auto store = store::openSqliteStore(dir / "s.db", clock);
  auto r = admin::registerSp(*store, kMd, "file.xml", {}, false, clock, "test");
  REQUIRE(r);
  CHECK_FALSE(r->replaced);
  CHECK(store->findServiceProvider("https://sp.example.org/sp")->release.empty());  // nothing by default

  admin::SpPolicyChange c;
  c.release = std::vector<std::string>{"displayName", "inn", "inn"};
  c.minStatus = "standard";
  c.signMode = "assertion";
  c.allowSha1 = true;
  auto p = admin::updateSpPolicy(*store, "https://sp.example.org/sp", c, clock, "test");
  REQUIRE(p);
  CHECK(p->release == std::vector<std::string>{"displayName", "inn"});

  auto dup = admin::registerSp(*store, kMd, "file.xml", {}, false, clock, "test");
  REQUIRE_FALSE(dup);
  CHECK(dup.error().detail.find("already registered") != std::string::npos);
  auto rep = admin::registerSp(*store, kMd, "other.xml", {}, true, clock, "test");
  REQUIRE(rep);
  CHECK(rep->replaced);
  auto sp = store->findServiceProvider("https://sp.example.org/sp");
  CHECK(sp->release == std::vector<std::string>{"displayName", "inn"});
  CHECK(sp->minStatus == policy::AccountStatus::Standard);
  CHECK(sp->signMode == store::SignMode::AssertionOnly);
  CHECK(sp->allowSha1);
  CHECK(sp->source == "other.xml");
}

TEST_CASE("policy changes are checked by field", "[admin][sp]") {
  test::TempDir dir;
  FixedClock clock("2026-01-10T10:00:00Z");
  auto store = store::openSqliteStore(dir / "s.db", clock);
  REQUIRE(admin::registerSp(*store, kMd, "f", {}, false, clock, "test"));
  auto set = [&](admin::SpPolicyChange c) { return admin::updateSpPolicy(*store, "https://sp.example.org/sp", c, clock, "t"); };
  admin::SpPolicyChange bad;
  bad.release = std::vector<std::string>{"password"};
  CHECK(set(bad).error().detail.starts_with("release:"));
  bad = {};
  bad.minStatus = "gold";
  CHECK(set(bad).error().detail.starts_with("min-status:"));
  bad = {};
  bad.signMode = "never";
  CHECK(set(bad).error().detail.starts_with("sign:"));
  CHECK(set({}).error().detail.starts_with("nothing to change"));
  CHECK(admin::updateSpPolicy(*store, "https://nope", {}, clock, "t").error().detail.starts_with("entityID:"));
  CHECK(store->findServiceProvider("https://sp.example.org/sp")->release.empty());
}

TEST_CASE("refused metadata stores nothing", "[admin][sp]") {
  test::TempDir dir;
  FixedClock clock("2026-01-10T10:00:00Z");
  auto store = store::openSqliteStore(dir / "s.db", clock);
  std::string bad = kMd;
  bad.replace(bad.find("https://sp.example.org/acs"), 26, "/relative/acs");
  auto r = admin::registerSp(*store, bad, "f", {}, false, clock, "test");
  REQUIRE_FALSE(r);
  CHECK(r.error().detail.starts_with("metadata:"));
  CHECK(store->listServiceProviders().empty());
  CHECK(store->listAudit().empty());
}
