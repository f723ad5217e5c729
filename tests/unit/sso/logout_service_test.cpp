// sso/logout_service: which sessions a LogoutRequest names, the back channel (answers of a
// scripted SOAP peer, signed with the SP's real key), the front-channel flow and its audit.
#include <catch2/catch.hpp>

#include "idp/admin/bootstrap.h"
#include "idp/saml/bindings/redirect.h"
#include "idp/saml/bindings/soap.h"
#include "idp/sso/logout_service.h"
#include "saml/validation/logout_fixture.h"
#include "support.h"

using namespace propusk;
using namespace propusk::test;

namespace {

constexpr char kSp2[] = "https://sp2.example.org/sp";  // front channel only (Redirect)
constexpr char kSp3[] = "https://sp3.example.org/sp";  // no SingleLogoutService at all
constexpr char kSp2Slo[] = "https://sp2.example.org/slo";

std::string frontOnlyMetadata(const std::string& entityId, bool withSlo) {
  std::string md = R"(<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID=")" + entityId +
                   R"("><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">)";
  if (withSlo)
    md += std::string(R"(<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location=")") +
          kSp2Slo + R"("/>)";
  return md + R"(<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location=")" +
         entityId + R"(/acs" index="1"/></md:SPSSODescriptor></md:EntityDescriptor>)";
}

// The SP's SOAP endpoint, scripted per test: sees the request, decides the answer.
struct ScriptedSoap final : sso::SoapTransport {
  std::function<Result<std::string>(const saml::LogoutRequest&)> answer;
  std::vector<std::string> urls;
  Result<std::string> post(const std::string& url, const std::string& envelope, std::chrono::milliseconds) override {
    urls.push_back(url);
    auto body = saml::unwrapSoap(envelope);
    REQUIRE(body);
    auto req = saml::parseLogoutRequest(body->xml, *xml::SchemaSet::shared());
    REQUIRE(req);
    return answer(*req);
  }
};

// A LogoutResponse from SP1 to `req`, signed with `key`, in a SOAP envelope.
std::string soapAnswer(const saml::LogoutRequest& req, const crypto::KeyPair& key,
                       const std::string& status = "urn:oasis:names:tc:SAML:2.0:status:Success",
                       std::string inResponseTo = "") {
  LogoutResponseFields f;
  f.id = "_sp-answer-" + req.id;
  f.inResponseTo = inResponseTo.empty() ? req.id : inResponseTo;
  f.destination = "";
  f.status = status;
  return saml::wrapSoap(LogoutFixture::signXml(logoutResponseXml(f), key));
}

struct Fixture : StoreFixture {
  MapDirectory sps;
  store::MemoryReplayCache replay;
  ScriptedSoap soap;
  std::unique_ptr<sso::SigningKeys> keys;
  std::unique_ptr<sso::LogoutService> logout;
  store::User ivanov, petrov;

  Fixture() {
    admin::KeySettings ks;
    ks.algorithm = crypto::KeyAlgorithm::EcP256;
    admin::ensureInitialised(*store, ks, clock, rnd, "test");
    keys = std::make_unique<sso::SigningKeys>(*store, clock);
    sps.sps[kSpId] = registeredSp(logoutSpMetadata(kSpId, logoutSpKey().cert.get()));
    sps.sps[kSp2] = registeredSp(frontOnlyMetadata(kSp2, true));
    sps.sps[kSp3] = registeredSp(frontOnlyMetadata(kSp3, false));
    sso::LogoutSettings settings;
    settings.idpEntityId = kIdpEntity;
    settings.sloUrl = kSlo;
    settings.soapUrl = kSoapSlo;
    logout = std::make_unique<sso::LogoutService>(*store, sps, replay, *keys, clock, rnd, soap, settings);
    ivanov = addUser();
    petrov = addUser([](admin::NewUser& u) {
      u.login = "petrov";
      u.inn.reset();
      u.snils.reset();
      u.email = "petrov@example.org";
      u.status = "simplified";
    });
    soap.answer = [](const saml::LogoutRequest& r) -> Result<std::string> { return soapAnswer(r, logoutSpKey()); };
  }

  store::Session session(const std::string& idHash, const store::User& u) {
    store::Session s;
    s.idHash = idHash;
    s.userId = u.id;
    s.login = u.login;
    s.createdAt = s.lastSeenAt = s.authnInstant = clock.now();
    s.authnContextClassRef = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport";
    store->createSession(s, {"test", "session.create", u.login, "ok", "{}"});
    return s;
  }

  void participate(const store::Session& s, const std::string& sp, const std::string& nameId,
                   const std::string& sessionIndex) {
    store->addSessionParticipant({s.idHash, sp, nameId, "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
                                  sessionIndex, clock.now()},
                                 {"test", "assertion.issue", sp, "ok", "{}"});
  }

  static saml::LogoutRequest request(const std::string& nameId, const std::string& sessionIndex) {
    LogoutRequestFields f;
    f.identifier = R"(<saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">)" + nameId + "</saml:NameID>";
    f.sessionIndexes = sessionIndex.empty() ? "" : "<samlp:SessionIndex>" + sessionIndex + "</samlp:SessionIndex>";
    return LogoutFixture::parseRequest(logoutRequestXml(f));
  }

  std::vector<store::AuditEvent> events(const std::string& action) {
    std::vector<store::AuditEvent> out;
    for (auto& e : store->listAudit(0, 10000))
      if (e.record.action == action) out.push_back(e);
    return out;
  }
};

const std::string kA(64, 'a'), kB(64, 'b');

}  // namespace

TEST_CASE("logout: a LogoutRequest names sessions by NameID and SessionIndex", "[sso][logout]") {
  Fixture f;
  auto a = f.session(kA, f.ivanov);
  auto b = f.session(kB, f.petrov);
  f.participate(a, kSpId, "nid-ivanov", "_idx-a");
  f.participate(b, kSpId, "nid-petrov", "_idx-b");

  SECTION("the browser's own session") {
    auto m = f.logout->matchSessions(Fixture::request("nid-ivanov", "_idx-a"), kSpId, a);
    REQUIRE(m.kind == sso::SessionMatch::Kind::Found);
    CHECK(m.sessions.at(0).idHash == kA);
    CHECK(f.logout->matchSessions(Fixture::request("nid-ivanov", ""), kSpId, a).kind == sso::SessionMatch::Kind::Found);
  }
  SECTION("somebody else's NameID or SessionIndex with the browser's cookie is refused") {
    CHECK(f.logout->matchSessions(Fixture::request("nid-petrov", "_idx-b"), kSpId, a).kind ==
          sso::SessionMatch::Kind::Mismatch);
    CHECK(f.logout->matchSessions(Fixture::request("nid-ivanov", "_idx-other"), kSpId, a).kind ==
          sso::SessionMatch::Kind::Mismatch);
  }
  SECTION("a cookie whose session never reached the SP cannot end another user's session") {
    auto c = f.session(std::string(64, 'c'), f.petrov);  // petrov's browser, no SP1 participation
    CHECK(f.logout->matchSessions(Fixture::request("nid-ivanov", "_idx-a"), kSpId, c).kind ==
          sso::SessionMatch::Kind::Mismatch);
  }
  SECTION("without a cookie: by SP, NameID and SessionIndex") {
    auto m = f.logout->matchSessions(Fixture::request("nid-petrov", "_idx-b"), kSpId, std::nullopt);
    REQUIRE(m.kind == sso::SessionMatch::Kind::Found);
    CHECK(m.sessions.at(0).idHash == kB);
    CHECK(f.logout->matchSessions(Fixture::request("nid-petrov", "_idx-a"), kSpId, std::nullopt).kind ==
          sso::SessionMatch::Kind::None);
    CHECK(f.logout->matchSessions(Fixture::request("nid-nobody", ""), kSpId, std::nullopt).kind ==
          sso::SessionMatch::Kind::None);
    CHECK(f.logout->matchSessions(Fixture::request("nid-petrov", ""), kSp2, std::nullopt).kind ==
          sso::SessionMatch::Kind::None);
  }
}

TEST_CASE("logout: back channel, front channel and unreachable SPs in one flow", "[sso][logout]") {
  Fixture f;
  auto a = f.session(kA, f.ivanov);
  f.participate(a, kSpId, "nid-1", "_idx-1");
  f.participate(a, kSp2, "nid-2", "_idx-2");
  f.participate(a, kSp3, "nid-3", "_idx-3");

  auto flow = f.logout->begin(a, std::nullopt, "ivanov", false, true);
  CHECK_FALSE(f.store->findSession(kA));  // the IdP session ends first
  REQUIRE(flow.targets.size() == 3);
  auto target = [&](const std::string& sp) -> sso::LogoutTarget& {
    for (auto& t : flow.targets)
      if (t.spEntityId == sp) return t;
    FAIL("no target " << sp);
    throw 0;
  };
  CHECK(target(kSpId).channel == sso::LogoutChannel::Soap);
  CHECK(target(kSpId).outcome == sso::LogoutOutcome::Done);
  CHECK(f.soap.urls == std::vector<std::string>{"https://sp.example.org/soap"});
  CHECK(target(kSp2).outcome == sso::LogoutOutcome::Pending);
  CHECK(target(kSp3).outcome == sso::LogoutOutcome::Unreachable);

  // The browser goes to SP2 with a signed Redirect LogoutRequest whose RelayState is new for
  // SP2's turn (not the flow id, which stays between the IdP and the browser).
  auto next = f.logout->nextFrontChannelMessage(flow);
  REQUIRE(next);
  CHECK(next->destination == kSp2Slo);
  REQUIRE(next->message.redirectUrl.starts_with(std::string(kSp2Slo) + "?SAMLRequest="));
  auto sent = saml::decodeRedirect(next->message.redirectUrl.substr(std::string(kSp2Slo).size() + 1));
  REQUIRE(sent);
  REQUIRE(sent->relayState);
  CHECK(*sent->relayState == flow.awaiting()->relayState);
  CHECK(sent->relayState->size() >= 24);
  CHECK(*sent->relayState != flow.id);
  CHECK(sent->signature);
  auto sentReq = LogoutFixture::parseRequest(sent->xml);
  CHECK(sentReq.nameId->value == "nid-2");
  CHECK(sentReq.nameId->spNameQualifier == kSp2);
  CHECK(sentReq.sessionIndexes == std::vector<std::string>{"_idx-2"});
  CHECK(target(kSp2).outcome == sso::LogoutOutcome::Sent);

  // The flow survives in the store between the browser's trips.
  auto loaded = f.logout->load(flow.id);
  REQUIRE(loaded);
  REQUIRE(loaded->awaiting());
  CHECK(loaded->awaiting()->spEntityId == kSp2);

  LogoutResponseFields rf;
  rf.issuer = kSp2;
  rf.inResponseTo = "_not-ours";
  CHECK_FALSE(f.logout->recordFrontChannelResponse(*loaded, LogoutFixture::parseResponse(logoutResponseXml(rf)), kSp2));
  rf.inResponseTo = sentReq.id;
  CHECK_FALSE(f.logout->recordFrontChannelResponse(*loaded, LogoutFixture::parseResponse(logoutResponseXml(rf)), kSpId));
  REQUIRE(f.logout->recordFrontChannelResponse(*loaded, LogoutFixture::parseResponse(logoutResponseXml(rf)), kSp2));
  CHECK_FALSE(f.logout->nextFrontChannelMessage(*loaded));
  CHECK(loaded->partial());  // SP3 has no SLO endpoint

  f.logout->finish(*loaded);
  CHECK_FALSE(f.logout->load(flow.id));
  auto complete = f.events("logout.complete");
  REQUIRE(complete.size() == 1);
  CHECK(complete[0].record.outcome == "partial");
  auto propagated = f.events("logout.propagate");
  REQUIRE(propagated.size() == 3);
  CHECK(f.events("session.logout").size() == 1);
}

TEST_CASE("logout: a back-channel answer that is not a good Success leaves the SP not reached", "[sso][logout]") {
  Fixture f;
  auto a = f.session(kA, f.ivanov);
  f.participate(a, kSpId, "nid-1", "_idx-1");
  std::string expected;
  SECTION("transport failure") {
    f.soap.answer = [](const saml::LogoutRequest&) -> Result<std::string> {
      return std::unexpected(Error{StatusCode::Responder, {}, "timed out"});
    };
    expected = "timed out";
  }
  SECTION("signed by another key") {
    f.soap.answer = [](const saml::LogoutRequest& r) -> Result<std::string> { return soapAnswer(r, attackerKey()); };
    expected = "signature";
  }
  SECTION("answers another request") {
    f.soap.answer = [](const saml::LogoutRequest& r) -> Result<std::string> {
      return soapAnswer(r, logoutSpKey(), "urn:oasis:names:tc:SAML:2.0:status:Success", "_other");
    };
    expected = "does not answer";
  }
  SECTION("a non-Success status") {
    f.soap.answer = [](const saml::LogoutRequest& r) -> Result<std::string> {
      return soapAnswer(r, logoutSpKey(), "urn:oasis:names:tc:SAML:2.0:status:Responder");
    };
    expected = "Responder";
  }
  SECTION("a SOAP fault") {
    f.soap.answer = [](const saml::LogoutRequest&) -> Result<std::string> {
      return saml::buildSoapFault(saml::SoapFaultCode::Server);
    };
    expected = "Fault";
  }
  auto flow = f.logout->begin(a, std::nullopt, "cli:root", true, false);
  REQUIRE(flow.targets.size() == 1);
  CHECK(flow.targets[0].outcome == sso::LogoutOutcome::Failed);
  CHECK_THAT(flow.targets[0].detail, Catch::Contains(expected));
  CHECK(flow.partial());
  CHECK_FALSE(f.store->findSession(kA));
}

TEST_CASE("logout: the initiator is not told about itself; front-channel SPs need a browser", "[sso][logout]") {
  Fixture f;
  auto a = f.session(kA, f.ivanov);
  f.participate(a, kSpId, "nid-1", "_idx-1");
  f.participate(a, kSp2, "nid-2", "_idx-2");
  sso::LogoutInitiator init{kSpId, "_their-request", saml::Binding::Soap, std::nullopt};
  auto flow = f.logout->begin(a, init, kSpId, false, false);
  REQUIRE(flow.targets.size() == 1);
  CHECK(flow.targets[0].spEntityId == kSp2);
  CHECK(flow.targets[0].outcome == sso::LogoutOutcome::Unreachable);
  CHECK(f.soap.urls.empty());
  CHECK_FALSE(f.logout->load(flow.id));  // nothing left for a browser to do: not saved

  auto answer = f.logout->respond(*f.sps.find(kSpId), saml::Binding::Soap, "_their-request", StatusCode::Success,
                                  status::kPartialLogout, std::nullopt);
  REQUIRE(answer);
  auto resp = LogoutFixture::parseResponse(answer->message.xml);
  CHECK(resp.inResponseTo == "_their-request");
  CHECK(resp.partialLogout());
  // An SP without any SLO endpoint cannot be answered on the front channel.
  CHECK_FALSE(f.logout->respond(*f.sps.find(kSp3), saml::Binding::Redirect, "_x", StatusCode::Success, {}, std::nullopt));
  // Redirect preferred but absent: falls back to what the metadata has (SP2: Redirect).
  auto red = f.logout->respond(*f.sps.find(kSp2), saml::Binding::Post, "_y", StatusCode::Success, {}, "rs");
  REQUIRE(red);
  CHECK(red->message.binding == saml::Binding::Redirect);
  CHECK(red->destination == kSp2Slo);
}

TEST_CASE("logout: an unsigned LogoutRequest reaches only the browser's own session", "[sso][logout]") {
  Fixture f;
  auto a = f.session(kA, f.ivanov);
  f.participate(a, kSpId, "nid-ivanov", "_idx-a");
  auto req = Fixture::request("nid-ivanov", "_idx-a");
  CHECK(f.logout->matchSessions(req, kSpId, std::nullopt, false).kind == sso::SessionMatch::Kind::None);
  CHECK(f.logout->matchSessions(req, kSpId, std::nullopt, true).kind == sso::SessionMatch::Kind::Found);
  CHECK(f.logout->matchSessions(req, kSpId, a, false).kind == sso::SessionMatch::Kind::Found);
}

TEST_CASE("logout: an unsigned LogoutRequest must name the SessionIndex (logout CSRF)", "[sso][logout]") {
  Fixture f;
  auto a = f.session(kA, f.ivanov);
  f.participate(a, kSpId, "nid-ivanov", "_idx-a");
  CHECK(f.logout->matchSessions(Fixture::request("nid-ivanov", ""), kSpId, a, false).kind ==
        sso::SessionMatch::Kind::Mismatch);
  CHECK(f.logout->matchSessions(Fixture::request("nid-ivanov", "_idx-a"), kSpId, a, false).kind ==
        sso::SessionMatch::Kind::Found);
  CHECK(f.logout->matchSessions(Fixture::request("nid-ivanov", ""), kSpId, a, true).kind ==
        sso::SessionMatch::Kind::Found);
}

TEST_CASE("logout: a NameID matching two accounts' sessions ends neither", "[sso][logout]") {
  Fixture f;
  auto a = f.session(kA, f.ivanov);
  auto b = f.session(kB, f.petrov);
  f.participate(a, kSpId, "shared@example.org", "_idx-a");
  f.participate(b, kSpId, "shared@example.org", "_idx-b");
  auto m = f.logout->matchSessions(Fixture::request("shared@example.org", ""), kSpId, std::nullopt);
  CHECK(m.kind == sso::SessionMatch::Kind::Mismatch);
  CHECK(m.sessions.empty());
  // Naming the SessionIndex makes it one person's again.
  CHECK(f.logout->matchSessions(Fixture::request("shared@example.org", "_idx-b"), kSpId, std::nullopt).sessions.size() == 1);
}

TEST_CASE("logout: a second logout of an ended session tells nobody again", "[sso][logout]") {
  Fixture f;
  auto a = f.session(kA, f.ivanov);
  f.participate(a, kSpId, "nid-1", "_idx-1");
  auto first = f.logout->begin(a, std::nullopt, "ivanov", false, false);
  CHECK(first.targets.size() == 1);
  auto second = f.logout->begin(a, std::nullopt, "ivanov", false, false);  // e.g. a second tab
  CHECK(second.targets.empty());
  CHECK(f.soap.urls.size() == 1);
  CHECK(f.events("session.logout").size() == 1);
}
