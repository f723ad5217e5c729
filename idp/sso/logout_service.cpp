#include "idp/sso/logout_service.h"

#include <algorithm>
#include <future>

#include "idp/core/json_text.h"
#include "idp/core/printable.h"
#include "idp/saml/bindings/soap.h"
#include "idp/saml/validation/logout_steps.h"
#include "idp/sso/gateway.h"
#include "idp/xml/schema.h"

namespace propusk::sso {

namespace {

constexpr std::string_view kFlowPrefix = "logout:";  // pending_requests key space

bool namesSessionIndex(const saml::LogoutRequest& req, const std::string& sessionIndex) {
  return req.sessionIndexes.empty() ||
         std::find(req.sessionIndexes.begin(), req.sessionIndexes.end(), sessionIndex) != req.sessionIndexes.end();
}

// core §3.3.4 / §3.7.3.1: the NameID matches by value, and by Format when the request gives one.
bool namesParticipant(const saml::LogoutRequest& req, const store::SessionParticipant& p) {
  if (!req.nameId || req.nameId->value != p.nameId) return false;
  if (req.nameId->format && *req.nameId->format != p.nameIdFormat &&
      *req.nameId->format != "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified")
    return false;
  return namesSessionIndex(req, p.sessionIndex);
}

std::string sessionLabel(const std::string& idHash) { return idHash.substr(0, 16); }  // as session.create and `propuskctl session list` show it

}  // namespace

saml::MessageSigning LogoutService::signing(const LoadedKey& key) const {
  saml::MessageSigning s;
  s.key = key.key.get();
  s.cert = key.cert.get();
  s.algorithm = crypto::defaultAlgorithmFor(key.key.get());
  return s;
}

// The NameID exactly as the assertion carried it (sso/assertion_issuer.cpp): persistent and
// transient ones are qualified by both entityIDs.
saml::NameID LogoutService::nameIdOf(const LogoutTarget& t) const {
  saml::NameID n;
  n.value = t.nameId;
  n.format = t.nameIdFormat;
  if (t.nameIdFormat == saml::kNameIdPersistent || t.nameIdFormat == saml::kNameIdTransient) {
    n.nameQualifier = settings_.idpEntityId;
    n.spNameQualifier = t.spEntityId;
  }
  return n;
}

SessionMatch LogoutService::matchSessions(const saml::LogoutRequest& req, const std::string& spEntityId,
                                          const std::optional<store::Session>& browserSession, bool signedRequest) {
  SessionMatch m;
  if (browserSession) {
    for (auto& p : store_.listSessionParticipants(browserSession->idHash)) {
      if (p.spEntityId != spEntityId) continue;
      // Unsigned (an SP without a key): only the SessionIndex, an HMAC per session, SP and
      // NameID known to that SP alone, shows the request comes from it and not from a page
      // that made this browser send it (logout CSRF).
      if (!signedRequest && req.sessionIndexes.empty()) {
        m.kind = SessionMatch::Kind::Mismatch;
        m.detail = "an unsigned LogoutRequest must name the SessionIndex";
        return m;
      }
      if (namesParticipant(req, p)) {
        m.kind = SessionMatch::Kind::Found;
        m.sessions.push_back(*browserSession);
        return m;
      }
      m.kind = SessionMatch::Kind::Mismatch;
      m.detail = "the LogoutRequest names another NameID or SessionIndex than this browser's session at the SP";
      return m;
    }
    // This browser's session never reached that SP: the request may be about another
    // browser's session of the same person (the SP's cookie outlived ours); look it up below,
    // but never let it end somebody else's.
  }
  if (!req.nameId || !signedRequest) return m;
  for (auto& p : store_.findSessionParticipants(spEntityId, req.nameId->value)) {
    if (!namesParticipant(req, p)) continue;
    auto s = store_.findSession(p.sessionIdHash);
    if (!s) continue;
    if (browserSession && s->userId != browserSession->userId) {
      m.kind = SessionMatch::Kind::Mismatch;
      m.sessions.clear();
      m.detail = "the LogoutRequest names a session of another user than this browser's";
      return m;
    }
    m.sessions.push_back(*s);
  }
  // A NameID names one person: if sessions of several accounts match (an e-mail address
  // two accounts share), the request is ambiguous and ends nothing.
  for (auto& s : m.sessions)
    if (s.userId != m.sessions.front().userId) {
      m.kind = SessionMatch::Kind::Mismatch;
      m.sessions.clear();
      m.detail = "the NameID matches sessions of more than one account";
      return m;
    }
  if (!m.sessions.empty()) m.kind = SessionMatch::Kind::Found;
  return m;
}

LogoutFlow LogoutService::begin(const store::Session& session, std::optional<LogoutInitiator> initiator,
                                const std::string& actor, bool byOperator, bool frontChannel, bool tellUpstream) {
  LogoutFlow flow;
  flow.id = random_.token(24);
  flow.login = session.login;
  flow.initiator = std::move(initiator);
  flow.createdAt = clock_.now();
  auto participants = store_.listSessionParticipants(session.idHash);

  std::string details = R"({"session":)" + jsonString(sessionLabel(session.idHash)) + R"(,"by":)" +
                        jsonString(printable(actor, 200)) + R"(,"participants":)" +
                        std::to_string(participants.size()) + "}";
  // Two logouts of one session at once (two tabs, SOAP and browser, a renewal): only the
  // one that really ended it tells the SPs; the other finds it already over.
  if (!store_.removeSession(session.idHash, {actor, "session.logout", session.login, "ok", details})) return flow;

  for (auto& p : participants) {
    if (flow.initiator && p.spEntityId == flow.initiator->spEntityId) continue;
    LogoutTarget t;
    t.spEntityId = p.spEntityId;
    t.nameId = p.nameId;
    t.nameIdFormat = p.nameIdFormat;
    t.sessionIndex = p.sessionIndex;
    auto sp = sps_.find(p.spEntityId);
    const saml::Endpoint* ep = nullptr;
    if (!sp) {
      t.outcome = LogoutOutcome::Unreachable;
      t.detail = "the SP is no longer registered";
    } else if ((ep = saml::findSingleLogoutService(sp->metadata, saml::Binding::Soap))) {
      t.channel = LogoutChannel::Soap;  // called below, all at once
    } else if (saml::findSingleLogoutService(sp->metadata, saml::Binding::Redirect)) {
      t.channel = LogoutChannel::Redirect;
    } else if (saml::findSingleLogoutService(sp->metadata, saml::Binding::Post)) {
      t.channel = LogoutChannel::Post;
    } else {
      t.outcome = LogoutOutcome::Unreachable;
      t.detail = "no SingleLogoutService for SOAP, HTTP-Redirect or HTTP-POST in the SP's metadata";
    }
    if ((t.channel == LogoutChannel::Redirect || t.channel == LogoutChannel::Post) && !frontChannel) {
      t.outcome = LogoutOutcome::Unreachable;
      t.detail = "the SP has only front-channel SLO endpoints and no browser is present";
    }
    if (t.outcome != LogoutOutcome::Pending && t.channel != LogoutChannel::Soap) auditTarget(flow, t);
    flow.targets.push_back(std::move(t));
  }
  if (!session.upstream.empty() && tellUpstream) {
    // Gateway: the upstream IdP's session ends too (its SLO, through the browser, last).
    LogoutTarget t;
    t.upstream = true;
    t.spEntityId = session.upstream;
    t.nameId = session.upstreamNameId;
    t.upstreamData = session.upstreamData;
    if (auto up = decodeUpstreamSession(session.upstreamData)) {
      t.nameIdFormat = up->nameIdFormat;
      t.sessionIndex = up->sessionIndex.value_or("");
    }
    t.channel = LogoutChannel::Redirect;
    if (!frontChannel) {
      t.outcome = LogoutOutcome::Unreachable;
      t.detail = "the upstream IdP is told through the browser and no browser is present";
      auditTarget(flow, t);
    }
    flow.targets.push_back(std::move(t));
  }
  // The SOAP calls run side by side: the person (or the SP that asked) waits for the slowest
  // one, at most soapTimeout, not for the sum.
  std::vector<std::future<void>> calls;
  for (auto& t : flow.targets)
    if (t.channel == LogoutChannel::Soap && t.outcome == LogoutOutcome::Pending)
      calls.push_back(std::async(std::launch::async, [this, &t, byOperator] {
        auto sp = sps_.find(t.spEntityId);
        const saml::Endpoint* ep = sp ? saml::findSingleLogoutService(sp->metadata, saml::Binding::Soap) : nullptr;
        if (!ep) {
          t.outcome = LogoutOutcome::Unreachable;
          t.detail = "the SP or its SOAP SingleLogoutService is gone";
          return;
        }
        // At most kMaxBackChannelCalls SOAP calls in flight in this process: logouts hitting
        // slow SPs must not take every server thread.
        if (!backChannelSlots_.try_acquire_for(settings_.soapTimeout)) {
          t.outcome = LogoutOutcome::Failed;
          t.detail = "back channel busy: too many logout calls in flight";
          return;
        }
        struct Release {
          std::counting_semaphore<kMaxBackChannelCalls>& s;
          ~Release() { s.release(); }
        } release{backChannelSlots_};
        try {
          backChannel(t, *sp, *ep, byOperator);
        } catch (const std::exception& e) {
          t.outcome = LogoutOutcome::Failed;
          t.detail = std::string("back channel: ") + e.what();
        }
      }));
  for (auto& c : calls) c.get();
  for (auto& t : flow.targets)
    if (t.channel == LogoutChannel::Soap) auditTarget(flow, t);
  if (flow.nextFrontChannel() || flow.pendingUpstream()) save(flow);
  return flow;
}

void LogoutService::backChannel(LogoutTarget& t, const saml::RegisteredSp& sp, const saml::Endpoint& ep,
                                bool byOperator) {
  auto fail = [&](std::string why) {
    t.outcome = LogoutOutcome::Failed;
    t.detail = std::move(why);
  };
  auto key = keys_.active();
  saml::LogoutRequestInput in;
  in.issuer = settings_.idpEntityId;
  in.destination = ep.location;
  in.nameId = nameIdOf(t);
  in.sessionIndexes = {t.sessionIndex};
  in.reason = byOperator ? saml::kLogoutReasonAdmin : saml::kLogoutReasonUser;
  in.now = clock_.now();
  auto msg = saml::buildLogoutRequest(in, saml::Binding::Soap, signing(*key), random_);
  if (!msg) return fail("cannot build the LogoutRequest: " + msg.error().detail);
  t.requestId = msg->id;
  t.sentAt = in.now;
  auto answer = soap_.post(ep.location, saml::wrapSoap(msg->xml), settings_.soapTimeout);
  if (!answer) return fail("SOAP call to " + ep.location + ": " + answer.error().detail);
  auto body = saml::unwrapSoap(*answer);
  if (!body) return fail("SOAP answer: " + body.error().detail);
  if (body->localName != "LogoutResponse") return fail("SOAP answer carries " + printable(body->localName, 60));
  auto resp = saml::parseLogoutResponse(body->xml, *xml::SchemaSet::shared());
  if (!resp) return fail("LogoutResponse: " + resp.error().detail);
  saml::RequestContext rc;
  rc.now = clock_.now();
  rc.clockSkew = settings_.clockSkew;
  rc.sloUrl = settings_.soapUrl;
  rc.binding = saml::Binding::Soap;
  rc.sps = &sps_;
  rc.replay = &replay_;
  auto ok = saml::runLogoutResponseSteps(*resp, rc);
  if (!ok) return fail(std::string(ok.error().step) + ": " + ok.error().error.detail);
  if (rc.sp->metadata.entityId != sp.metadata.entityId)
    return fail("LogoutResponse issued by " + printable(rc.sp->metadata.entityId, 200));
  if (resp->inResponseTo != t.requestId) return fail("LogoutResponse does not answer our LogoutRequest");
  if (!resp->success() || resp->partialLogout())
    return fail("the SP answered " + std::string(statusCodeUri(resp->status)) +
                (resp->secondLevelStatus ? " / " + printable(*resp->secondLevelStatus, 100) : ""));
  t.outcome = LogoutOutcome::Done;
}

std::optional<Delivery> LogoutService::nextFrontChannelMessage(LogoutFlow& flow) {
  while (LogoutTarget* t = flow.nextFrontChannel()) {
    auto sp = sps_.find(t->spEntityId);
    const saml::Binding binding = t->channel == LogoutChannel::Post ? saml::Binding::Post : saml::Binding::Redirect;
    const saml::Endpoint* ep = sp ? saml::findSingleLogoutService(sp->metadata, binding) : nullptr;
    if (!ep) {
      t->outcome = LogoutOutcome::Unreachable;
      t->detail = "the SP or its SingleLogoutService is gone";
      auditTarget(flow, *t);
      continue;
    }
    auto key = keys_.active();
    saml::LogoutRequestInput in;
    in.issuer = settings_.idpEntityId;
    in.destination = ep->location;
    in.nameId = nameIdOf(*t);
    in.sessionIndexes = {t->sessionIndex};
    in.now = clock_.now();
    t->relayState = random_.token(24);
    in.relayState = t->relayState;
    auto msg = saml::buildLogoutRequest(in, binding, signing(*key), random_);
    if (!msg) {
      t->outcome = LogoutOutcome::Failed;
      t->detail = "cannot build the LogoutRequest: " + msg.error().detail;
      auditTarget(flow, *t);
      continue;
    }
    t->outcome = LogoutOutcome::Sent;
    t->requestId = msg->id;
    t->sentAt = in.now;
    save(flow);
    return Delivery{std::move(*msg), ep->location};
  }
  save(flow);
  return std::nullopt;
}

Status LogoutService::recordFrontChannelResponse(LogoutFlow& flow, const saml::LogoutResponse& resp,
                                                 const std::string& spEntityId) {
  LogoutTarget* t = flow.awaiting();
  if (!t || t->spEntityId != spEntityId || !resp.inResponseTo || *resp.inResponseTo != t->requestId)
    return requestDenied("LogoutResponse from " + printable(spEntityId, 200) +
                         " does not answer the LogoutRequest this logout is waiting for");
  if (resp.success() && !resp.partialLogout()) {
    t->outcome = LogoutOutcome::Done;
  } else {
    t->outcome = LogoutOutcome::Failed;
    t->detail = "the SP answered " + std::string(statusCodeUri(resp.status)) +
                (resp.secondLevelStatus ? " / " + printable(*resp.secondLevelStatus, 100) : "");
  }
  auditTarget(flow, *t);
  save(flow);
  return {};
}

void LogoutService::abandonAwaiting(LogoutFlow& flow, const std::string& why) {
  if (LogoutTarget* t = flow.awaiting()) {
    t->outcome = LogoutOutcome::Failed;
    t->detail = why;
    auditTarget(flow, *t);
    save(flow);
  }
}

void LogoutService::finish(LogoutFlow& flow) {
  std::size_t done = 0;
  for (auto& t : flow.targets) done += t.outcome == LogoutOutcome::Done;
  store_.appendAudit({flow.login, "logout.complete", flow.initiator ? flow.initiator->spEntityId : "idp",
                      flow.partial() ? "partial" : "ok",
                      R"({"reached":)" + std::to_string(done) + R"(,"of":)" + std::to_string(flow.targets.size()) +
                          "}"});
  store_.removePendingRequest(std::string(kFlowPrefix) + flow.id);
}

Result<Delivery> LogoutService::respond(const saml::RegisteredSp& sp, saml::Binding preferred,
                                                     const std::string& inResponseTo, StatusCode top,
                                                     std::string_view second,
                                                     const std::optional<std::string>& relayState) {
  saml::Binding binding = preferred;
  const saml::Endpoint* ep = saml::findSingleLogoutService(sp.metadata, binding);
  if (preferred != saml::Binding::Soap) {
    for (auto b : {saml::Binding::Redirect, saml::Binding::Post}) {
      if (ep) break;
      binding = b;
      ep = saml::findSingleLogoutService(sp.metadata, b);
    }
  }
  saml::LogoutResponseInput in;
  in.issuer = settings_.idpEntityId;
  in.inResponseTo = inResponseTo;
  in.top = top;
  in.second = second;
  in.now = clock_.now();
  if (binding == saml::Binding::Soap) {
    in.destination = "";  // the SOAP answer goes back on the same connection
  } else {
    if (!ep) return std::unexpected(Error{StatusCode::Responder, {}, "the SP's metadata has no SingleLogoutService to answer at"});
    in.destination = std::string(saml::responseLocationOf(*ep));
    in.relayState = relayState;
  }
  auto key = keys_.active();
  auto msg = saml::buildLogoutResponse(in, binding, signing(*key), random_);
  if (!msg) return std::unexpected(msg.error());
  return Delivery{std::move(*msg), in.destination};
}

void LogoutService::auditTarget(const LogoutFlow& flow, const LogoutTarget& t) {
  std::string outcome = t.outcome == LogoutOutcome::Done ? "ok" : std::string(outcomeName(t.outcome));
  store_.appendAudit({flow.login, "logout.propagate", t.spEntityId, outcome,
                      R"({"channel":)" + jsonString(channelName(t.channel)) + R"(,"detail":)" +
                          jsonString(printable(t.detail, 200)) + "}"});
}

std::optional<LogoutFlow> LogoutService::load(std::string_view flowId) {
  auto data = store_.getPendingRequest(std::string(kFlowPrefix) + std::string(flowId), clock_.now());
  if (!data) return std::nullopt;
  auto flow = decodeFlow(*data);
  if (!flow || flow->id != flowId) return std::nullopt;
  return flow;
}

void LogoutService::save(const LogoutFlow& flow) {
  store_.putPendingRequest(std::string(kFlowPrefix) + flow.id, encodeFlow(flow), flow.createdAt + settings_.flowLifetime);
}

}  // namespace propusk::sso
