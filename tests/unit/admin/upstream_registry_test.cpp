#include "idp/admin/upstream_registry.h"

#include <catch2/catch.hpp>

#include "idp/admin/sp_registry.h"
#include "idp/crypto/keys.h"
#include "idp/saml/build/idp_metadata.h"
#include "support.h"

using namespace propusk;

namespace {

const crypto::KeyPair& key(int which) {
  static const crypto::KeyPair a = crypto::generateKeyPair(crypto::KeyAlgorithm::Rsa2048, "up-a", 30, SystemClock());
  static const crypto::KeyPair b = crypto::generateKeyPair(crypto::KeyAlgorithm::EcP256, "up-b", 30, SystemClock());
  return which == 0 ? a : b;
}

const char kMap[] =
    "# ESIA\n"
    "urn:oid:1.2.643.100.3 = snils | digits\n"
    "urn:oid:1.2.643.3.131.1.1 = inn\n"
    "urn:oid:2.16.840.1.113730.3.1.241 = displayName\n"
    "urn:oid:0.9.2342.19200300.100.1.3 = mail | lower\n";

// IdP metadata as Propusk itself publishes it (an upstream may well be another Propusk).
std::string idpMetadata(const std::string& entityId, TimePoint now, bool sign = false,
                        std::chrono::seconds validity = std::chrono::hours(24 * 7)) {
  SystemRandom rnd;
  saml::IdpMetadataInput in;
  in.entityId = entityId;
  in.baseUrl = "https://idp.example.ru";
  in.publishedCertificates = {key(0).cert.get()};
  in.now = now;
  in.validity = validity;
  if (sign) {
    in.signingKey = key(0).key.get();
    in.signingCertificate = key(0).cert.get();
  }
  auto x = saml::buildIdpMetadata(in, rnd);
  REQUIRE(x);
  return *x;
}

struct Fixture {
  test::TempDir dir;
  FixedClock clock{"2026-01-10T10:00:00Z"};
  std::unique_ptr<store::Store> store = store::openSqliteStore(dir / "s.db", clock);
  const std::string md = idpMetadata("https://esia.example.ru/idp", clock.now());

  Result<admin::UpstreamRegistration> add(const std::string& name, const std::string& metadata,
                                          std::span<X509* const> trust = {}, const std::string& map = kMap,
                                          const std::string& level = "confirmed", const std::string& linkBy = "snils",
                                          const std::string& displayName = "", bool replace = false) {
    return admin::registerUpstream(*store, metadata, "esia.xml", trust, name, map, level, linkBy, displayName, false,
                                   replace, clock, "test");
  }
  std::string refusal(const Result<admin::UpstreamRegistration>& r) {
    REQUIRE_FALSE(r);
    return r.error().detail;
  }
};

}  // namespace

TEST_CASE("an upstream is registered with its map and policy, audited", "[admin][upstream]") {
  Fixture f;
  auto r = admin::registerUpstream(*f.store, f.md, "https://esia.example.ru/md", {}, "esia", kMap, "confirmed", "snils",
                                   "", true, false, f.clock, "cli:root");
  INFO((r ? "" : r.error().detail));
  REQUIRE(r);
  CHECK_FALSE(r->replaced);
  CHECK_FALSE(r->signatureChecked);
  CHECK_FALSE(r->signedButUnchecked);
  auto u = f.store->findUpstream("esia");
  REQUIRE(u);
  CHECK(u->entityId == "https://esia.example.ru/idp");
  CHECK(u->metadataXml == f.md);
  CHECK(u->mapText == kMap);
  CHECK(u->displayName == "esia");  // defaults to the name
  CHECK(u->level == policy::AccountStatus::Confirmed);
  CHECK(u->linkBy == store::LinkKey::Snils);
  CHECK(u->allowSha1);
  CHECK_FALSE(u->metadataSignatureVerified);
  CHECK(u->validUntil == f.clock.now() + std::chrono::hours(24 * 7));
  CHECK(u->source == "https://esia.example.ru/md");
  auto events = f.store->listAudit();
  REQUIRE(events.size() == 1);
  CHECK(events[0].record.action == "upstream.add");
  CHECK(events[0].record.target == "esia");
  CHECK(events[0].record.actor == "cli:root");
  CHECK_THAT(events[0].record.details, Catch::Contains("\"entity_id\":\"https://esia.example.ru/idp\"") &&
                                           Catch::Contains("\"link_by\":\"snils\""));

  REQUIRE(f.add("gosuslugi", idpMetadata("https://other.example.ru/idp", f.clock.now()), {}, "", "simplified", "none",
                "  Госуслуги  "));
  CHECK(f.store->findUpstream("gosuslugi")->displayName == "Госуслуги");
  CHECK(f.store->findUpstream("gosuslugi")->mapText.empty());
}

TEST_CASE("upstream names: 1..32 of a-z, 0-9, '-', starting with a letter", "[admin][upstream]") {
  Fixture f;
  for (const std::string& bad : std::vector<std::string>{"", "1esia", "-esia", "Esia", "es_ia", "es ia", "есиа", std::string(33, 'a'), "all", "none"}) {
    INFO(bad);
    CHECK(f.refusal(f.add(bad, f.md)).starts_with("name: "));
  }
  CHECK(f.store->listUpstreams().empty());
  CHECK(f.store->listAudit().empty());
  CHECK(admin::checkUpstreamName("a"));
  CHECK(admin::checkUpstreamName("esia-2"));
  CHECK(admin::checkUpstreamName(std::string(32, 'z')));
  CHECK(admin::checkUpstreamName("all").error().detail.find("reserved") != std::string::npos);
}

TEST_CASE("upstream: map, level, link key and display name are checked by field", "[admin][upstream]") {
  Fixture f;
  CHECK(f.refusal(f.add("esia", f.md, {}, "sn = sn\nbroken line\n")) ==
        "map: line 2: no '=' (a mapping is UPSTREAM-ATTRIBUTE = PROPUSK-ATTRIBUTE [| TRANSFORM ...])");
  CHECK(f.refusal(f.add("esia", f.md, {}, kMap, "gold")).starts_with("level: "));
  CHECK(f.refusal(f.add("esia", f.md, {}, kMap, "confirmed", "passport")).starts_with("link-by: "));
  // Linking by a key the map never fills would never find anybody.
  CHECK(f.refusal(f.add("esia", f.md, {}, "cn = displayName\n", "confirmed", "snils")) ==
        "link-by: snils needs the map to fill snils (a line 'UPSTREAM-ATTRIBUTE = snils')");
  CHECK(f.refusal(f.add("esia", f.md, {}, "x = snils\n", "confirmed", "email")).starts_with("link-by: email"));
  REQUIRE(f.add("esia", f.md, {}, "x = inn\n", "standard", "inn"));
  CHECK(f.refusal(f.add("esia2", idpMetadata("https://e2/idp", f.clock.now()), {}, kMap, "confirmed", "snils",
                        "Bad\x1b[31m name"))
            .starts_with("display-name: "));
  CHECK(f.store->listUpstreams().size() == 1);
  CHECK(f.store->listAudit().size() == 1);
}

TEST_CASE("upstream metadata: expired, not an IdP, signed with and without a trust anchor", "[admin][upstream]") {
  Fixture f;
  const auto past = f.clock.now() - std::chrono::hours(24 * 30);
  auto expired = f.refusal(f.add("esia", idpMetadata("https://esia.example.ru/idp", past, false, std::chrono::hours(24))));
  CHECK_THAT(expired, Catch::StartsWith("metadata: ") && Catch::Contains("expired"));

  const std::string spMd = R"(<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp.example.org/sp">
  <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example.org/acs" index="0"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>)";
  CHECK(f.refusal(f.add("esia", spMd)).starts_with("metadata: "));
  CHECK(f.refusal(f.add("esia", "<not-xml")).starts_with("metadata: "));

  const auto signedMd = idpMetadata("https://esia.example.ru/idp", f.clock.now(), true);
  X509* wrong[] = {key(1).cert.get()};
  CHECK(f.refusal(f.add("esia", signedMd, wrong)).starts_with("metadata: "));
  X509* right[] = {key(0).cert.get()};
  CHECK(f.refusal(f.add("esia", f.md, right)).starts_with("metadata: "));  // unsigned, but a trust anchor given
  CHECK(f.store->listUpstreams().empty());

  auto unchecked = f.add("esia", signedMd);
  REQUIRE(unchecked);
  CHECK(unchecked->signedButUnchecked);
  CHECK_FALSE(f.store->findUpstream("esia")->metadataSignatureVerified);
  auto checked = f.add("esia", signedMd, right, kMap, "confirmed", "snils", "", true);
  REQUIRE(checked);
  CHECK(checked->signatureChecked);
  CHECK(f.store->findUpstream("esia")->metadataSignatureVerified);
}

TEST_CASE("upstream: a name or an entityID registered already", "[admin][upstream]") {
  Fixture f;
  REQUIRE(f.add("esia", f.md));
  const auto created = f.clock.now();
  CHECK(f.refusal(f.add("esia", f.md)) == "name: upstream 'esia' is already registered (use --replace to update it)");
  CHECK(f.refusal(f.add("esia-copy", f.md)) ==
        "entityID: https://esia.example.ru/idp is already registered as upstream 'esia'");
  CHECK(f.store->listAudit().size() == 1);

  f.clock.advance(std::chrono::minutes(5));
  auto rep = f.add("esia", idpMetadata("https://esia.example.ru/idp", f.clock.now()), {}, "x = inn\n", "standard",
                   "inn", "", true);
  REQUIRE(rep);
  CHECK(rep->replaced);
  auto u = f.store->findUpstream("esia");
  CHECK(u->createdAt == created);
  CHECK(u->updatedAt == f.clock.now());
  CHECK(u->linkBy == store::LinkKey::Inn);
  CHECK(f.store->listAudit().back().record.action == "upstream.replace");

  // The same entity may be an SP of ours as well: the roles are separate.
  const std::string both = idpMetadata("https://both.example.ru/md", f.clock.now());
  REQUIRE(f.add("both", both));
  CHECK(f.store->findUpstreamByEntityId("https://both.example.ru/md"));
}

TEST_CASE("upstream set: each setting, checked, audited", "[admin][upstream]") {
  Fixture f;
  REQUIRE(f.add("esia", f.md));
  admin::UpstreamChange c;
  c.level = "standard";
  c.allowSha1 = true;
  c.displayName = "Госуслуги";
  auto u = admin::updateUpstream(*f.store, "esia", c, f.clock, "test");
  REQUIRE(u);
  CHECK(u->level == policy::AccountStatus::Standard);
  CHECK(u->allowSha1);
  CHECK(u->displayName == "Госуслуги");
  CHECK(f.store->findUpstream("esia")->displayName == "Госуслуги");
  auto last = f.store->listAudit().back().record;
  CHECK(last.action == "upstream.set");
  CHECK(last.details == R"({"level":"standard","allow_sha1":true,"display_name":"Госуслуги"})");

  auto set = [&](admin::UpstreamChange ch) { return admin::updateUpstream(*f.store, "esia", ch, f.clock, "t"); };
  admin::UpstreamChange bad;
  bad.mapText = "x = surname";
  CHECK(set(bad).error().detail.starts_with("map: line 1: unknown Propusk attribute"));
  bad = {};
  bad.mapText = "x = inn";  // link-by is snils: the map must keep filling it
  CHECK(set(bad).error().detail.starts_with("link-by: snils needs"));
  bad = {};
  bad.linkBy = "email";
  REQUIRE(set(bad));  // the map fills mail
  CHECK(f.store->findUpstream("esia")->linkBy == store::LinkKey::Email);
  bad = {};
  bad.level = "gold";
  CHECK(set(bad).error().detail.starts_with("level: "));
  CHECK(set({}).error().detail.starts_with("nothing to change"));
  CHECK(admin::updateUpstream(*f.store, "nope", c, f.clock, "t").error().detail == "name: no registered upstream 'nope'");

  admin::UpstreamChange both;
  both.mapText = "x = inn";
  both.linkBy = "inn";
  auto changed = set(both);
  REQUIRE(changed);
  CHECK(f.store->findUpstream("esia")->mapText == "x = inn");
  CHECK(f.store->findUpstream("esia")->linkBy == store::LinkKey::Inn);
  bad = {};
  bad.displayName = "";
  REQUIRE(set(bad));
  CHECK(f.store->findUpstream("esia")->displayName == "esia");
}

TEST_CASE("sp set: upstreams must be registered; 'all' and local login", "[admin][upstream][sp]") {
  Fixture f;
  const std::string spMd = R"(<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp.example.org/sp">
  <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example.org/acs" index="0"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>)";
  REQUIRE(admin::registerSp(*f.store, spMd, "f", {}, false, f.clock, "t"));
  REQUIRE(f.add("esia", f.md));
  auto set = [&](admin::SpPolicyChange c) {
    return admin::updateSpPolicy(*f.store, "https://sp.example.org/sp", c, f.clock, "t");
  };
  admin::SpPolicyChange c;
  c.upstreams = std::vector<std::string>{"esia", "bank"};
  CHECK(set(c).error().detail == "upstreams: no registered upstream 'bank' (see 'propuskctl upstream list')");
  c.upstreams = std::vector<std::string>{"all", "esia"};
  CHECK(set(c).error().detail.starts_with("upstreams: 'all' stands alone"));
  c.upstreams = std::vector<std::string>{"esia", "esia"};
  REQUIRE(set(c));
  CHECK(f.store->findServiceProvider("https://sp.example.org/sp")->upstreams == std::vector<std::string>{"esia"});
  c.upstreams = std::vector<std::string>{"all"};
  REQUIRE(set(c));
  CHECK(f.store->findServiceProvider("https://sp.example.org/sp")->upstreams == std::vector<std::string>{"*"});
  CHECK(f.store->listAudit().back().record.details == R"({"upstreams":["*"]})");

  admin::SpPolicyChange off;
  off.localLogin = false;
  REQUIRE(set(off));
  CHECK_FALSE(f.store->findServiceProvider("https://sp.example.org/sp")->localLogin);
  admin::SpPolicyChange none;
  none.upstreams = std::vector<std::string>{};
  CHECK(set(none).error().detail.starts_with("local-login: "));  // nobody could log in
  none.localLogin = true;
  REQUIRE(set(none));
  auto sp = f.store->findServiceProvider("https://sp.example.org/sp");
  CHECK(sp->upstreams.empty());
  CHECK(sp->localLogin);
}
