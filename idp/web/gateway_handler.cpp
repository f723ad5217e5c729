#include "idp/web/gateway_handler.h"

#include <algorithm>

#include "idp/admin/key_ring.h"
#include "idp/core/json_text.h"
#include "idp/core/printable.h"
#include "idp/crypto/keys.h"
#include "idp/saml/build/sp_metadata.h"
#include "idp/sso/gateway.h"
#include "idp/sso/session_manager.h"
#include "idp/saml/messages/logout_request.h"
#include "idp/saml/messages/logout_response.h"
#include "idp/saml/validation/logout_steps.h"
#include "idp/sso/logout_service.h"
#include "idp/web/http_util.h"
#include "idp/web/inbound.h"
#include "idp/web/refusal.h"
#include "idp/web/respond.h"
#include "idp/web/slo_flow.h"
#include "idp/web/sso_flow.h"
#include "idp/web/sso_handler.h"
#include "idp/xml/schema.h"

namespace propusk::web {

namespace {

using HttpStatus = Poco::Net::HTTPResponse::HTTPStatus;

// One cookie per upstream login in progress, named after its RelayState, so that two tabs
// logging in at once do not overwrite each other's. Path /saml/acs: sent nowhere else.
// SameSite=None: the upstream's answer is a cross-site POST that must carry it.
constexpr std::string_view kUpstreamCookiePrefix = "propusk_up_";
std::string upstreamCookieName(std::string_view relayState) {
  return std::string(kUpstreamCookiePrefix) + std::string(relayState.substr(0, 12));
}
CookieOptions upstreamCookieOptions(WebContext& ctx, std::optional<long> maxAge) {
  return {"/saml/acs", ctx.https(), ctx.https() ? "None" : "Lax", maxAge};
}

void refusedPage(WebContext& ctx, Poco::Net::HTTPServerResponse& resp, const std::string& detail) {
  sendErrorPage(ctx, resp, HttpStatus::HTTP_FORBIDDEN, "Ответ поставщика удостоверений отклонён",
                "The identity provider's answer was refused", detail);
}

}  // namespace

LoginChoices loginChoices(WebContext& ctx, const saml::RegisteredSp& sp, const sso::PendingRequest& pending) {
  LoginChoices c;
  if (!ctx.sso->gateway) return c;
  c.upstreams = ctx.sso->gateway->allowedFor(sp, pending);
  c.local = ctx.sso->gateway->localLoginFor(sp, pending);
  return c;
}

void startUpstreamLogin(WebContext& ctx, Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
                        const sso::RegisteredUpstream& upstream, const sso::PendingRequest& pending) {
  auto start = ctx.sso->gateway->start(upstream, pending);
  if (!start) {
    ctx.store.appendAudit({"web", "upstream.request.error", upstream.name(), "error",
                           R"({"detail":)" + jsonString(start.error().detail) + "}"});
    return sendErrorPage(ctx, resp, HttpStatus::HTTP_BAD_GATEWAY, "Поставщик удостоверений недоступен",
                         "The identity provider cannot be reached", start.error().detail);
  }
  ctx.store.appendAudit({"web", "upstream.request", upstream.name(), "ok",
                         R"({"id":)" + jsonString(start->requestId) + R"(,"sp":)" + jsonString(pending.spEntityId) +
                             R"(,"remote":)" + jsonString(remoteAddress(req)) + "}"});
  setCookie(resp, upstreamCookieName(*start->message.relayState), start->browserToken,
            upstreamCookieOptions(ctx, std::chrono::duration_cast<std::chrono::seconds>(
                                           ctx.sso->gateway->settings().requestLifetime)
                                           .count()));
  sendOutgoing(ctx, resp, start->message, start->destination);
}

void AcsHandler::handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
  const std::string remote = remoteAddress(req);
  if (!ctx_.sso->gateway) return refusedPage(ctx_, resp, "no gateway");
  InboundMessage in;
  // HTTP-POST only: profiles §4.1.4.5 forbids HTTP-Redirect for a Response (a bearer
  // assertion would sit in URLs, logs and Referer headers).
  if (auto ok = decodeInbound(req, {.post = true, .requests = false, .responses = true}, in); !ok) {
    recordRefusal(ctx_, "web", "upstream.response.refused", {"-", false, remote}, "", "binding",
                  Error{StatusCode::Requester, status::kRequestDenied, ok.error().detail});
    return sendErrorPage(ctx_, resp, HttpStatus::HTTP_BAD_REQUEST, "Некорректный ответ поставщика удостоверений",
                         "Invalid answer from the identity provider", ok.error().detail);
  }
  std::optional<std::string> token;
  if (in.relayState && !in.relayState->empty()) token = cookie(req, upstreamCookieName(*in.relayState));
  auto login = ctx_.sso->gateway->finish(in.xml, in.relayState, token, remote);
  if (!login) {
    auto& r = login.error();
    // Before the RelayState led anywhere, the refusal is filed under the upstream the message
    // names (unproven: "not authenticated"), so that `upstream show` lists it.
    if (r.upstream == "-") r.upstream = ctx_.sso->gateway->claimedUpstream(in.xml);
    const bool authenticated = r.authenticated;
    recordRefusal(ctx_, "web", "upstream.response.refused", {r.upstream, authenticated, remote}, "", r.step, r.error);
    if (r.upstreamStatus && r.downstream) {
      // The upstream said no (NoPassive, AuthnFailed...): the SP is told in SAML, as a proxy must.
      if (auto sp = ctx_.sso->sps.find(r.downstream->spEntityId))
        return sendSamlError(ctx_, resp, *sp, r.downstream->acsUrl, r.downstream->requestId, r.downstream->relayState,
                             r.error);
    }
    return refusedPage(ctx_, resp, r.step + ": " + r.error.detail);
  }
  if (in.relayState) setCookie(resp, upstreamCookieName(*in.relayState), "", upstreamCookieOptions(ctx_, 0));
  ctx_.store.appendAudit({login->user.login, "upstream.login", login->upstream->name(), "ok",
                          R"({"assertion_id":)" + jsonString(printable(login->assertionId, 100)) + R"(,"subject":)" +
                              jsonString(printable(login->session.nameId, 256)) + R"(,"link":)" +
                              jsonString(login->link) + R"(,"authn_context":)" +
                              jsonString(printable(login->session.authnContextClassRef, 200)) + R"(,"sp":)" +
                              jsonString(login->downstream.spEntityId) + R"(,"remote":)" + jsonString(remote) + "}"});
  sso::SessionManager::Via via{login->upstream->name(), login->session.nameId,
                               sso::encodeUpstreamSession(login->session)};
  auto session = startSession(ctx_, req, resp, login->user, std::string(policy::factorName(policy::Factor::Upstream)),
                              login->session.authnContextClassRef, &via);
  completeSso(ctx_, req, resp, session, login->downstream, nullptr, true);
}

void SpMetadataHandler::handleRequest(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& resp) {
  // Every published key may decrypt (sso::SigningKeys::published), so every one is offered
  // for encryption; the active one signs our AuthnRequests.
  std::vector<crypto::X509Ptr> certs;
  const X509* signing = nullptr;
  for (auto& k : admin::publishedKeys(ctx_.store)) {
    auto cert = crypto::loadCertificatePem(k.certificatePem);
    if (!cert) throw std::runtime_error("stored certificate of key " + k.id + " unreadable: " + cert.error().detail);
    certs.push_back(std::move(*cert));
    if (k.state == store::KeyState::Active) signing = certs.back().get();
  }
  if (!signing) throw std::runtime_error("no active signing key");
  const auto& gw = ctx_.sso->gateway->settings();
  saml::SpMetadataInput in;
  in.entityId = gw.spEntityId;
  in.acsUrl = gw.acsUrl;
  in.sloUrl = gw.sloUrl;
  in.certificate = signing;
  for (auto& c : certs) in.encryptionCertificates.push_back(c.get());
  in.nameIdFormats = {"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
                      "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"};
  in.displayName = "Propusk";
  auto xml = saml::buildSpMetadata(in);
  if (!xml) throw std::runtime_error("SP metadata: " + xml.error().detail);
  addSecurityHeaders(resp, ctx_.https());
  resp.set("Cache-Control", "public, max-age=600");
  sendBody(resp, HttpStatus::HTTP_OK, "application/samlmetadata+xml", *xml);
}

namespace {

void upstreamLogoutPage(WebContext& ctx, Poco::Net::HTTPServerResponse& resp, const std::string& detail) {
  sendErrorPage(ctx, resp, HttpStatus::HTTP_BAD_REQUEST, "Запрос на выход отклонён", "Sign-out request refused", detail);
}

// The upstream's answer to our LogoutRequest: only for the logout this browser carries, and
// only while it waits for that upstream (its RelayState, random and for this turn, or the
// InResponseTo of our request). Whatever it says, the logout goes on to its end.
void upstreamLogoutResponse(WebContext& ctx, Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
                            InboundMessage& in) {
  const std::string remote = remoteAddress(req);
  auto flow = browserLogoutFlow(ctx, req);
  sso::LogoutTarget* awaited = flow ? flow->awaiting() : nullptr;
  if (awaited && !awaited->upstream) awaited = nullptr;
  // Only a message carrying the RelayState of our request (random, known to the upstream and
  // this browser) may end the upstream's turn unanswered; any other page posting rubbish here
  // must not (the logout cookie goes with cross-site requests).
  const bool carriesOurRelay = awaited && in.relayState && sameToken(*in.relayState, awaited->relayState);
  auto parsed = saml::parseLogoutResponse(in.xml, *xml::SchemaSet::shared());
  auto giveUp = [&](std::string_view step, const std::string& detail) {
    awaited->outcome = sso::LogoutOutcome::Failed;
    awaited->detail = "its LogoutResponse was refused at step " + std::string(step) + ": " + printable(detail, 200);
    continueLogout(ctx, resp, *flow);
  };
  if (!parsed) {
    recordRefusal(ctx, "web", "upstream.logout.refused", {"-", false, remote}, "", "parse", parsed.error());
    if (carriesOurRelay) return giveUp("parse", parsed.error().detail);
    return upstreamLogoutPage(ctx, resp, parsed.error().detail);
  }
  auto rc = logoutStepContext(ctx, in.binding, ctx.sso->gateway->settings().sloUrl, &in.querySignature);
  rc.sps = &ctx.sso->gateway->peers();
  auto ok = saml::runLogoutResponseSteps(*parsed, rc);
  const std::string issuer = parsed->issuer.value_or("-");
  auto up = ctx.sso->gateway->upstreams().findByEntityId(issuer);
  const std::string name = up ? up->name() : printable(issuer, 200);
  if (!ok) {
    recordRefusal(ctx, "web", "upstream.logout.refused", {name, rc.senderAuthenticated, remote}, parsed->id,
                  ok.error().step, ok.error().error);
    if (carriesOurRelay) return giveUp(ok.error().step, ok.error().error.detail);
    return upstreamLogoutPage(ctx, resp, std::string(ok.error().step) + ": " + ok.error().error.detail);
  }
  const bool mine = awaited && up && awaited->spEntityId == up->name() &&
                    ((in.relayState && sameToken(*in.relayState, awaited->relayState)) ||
                     (parsed->inResponseTo && *parsed->inResponseTo == awaited->requestId));
  if (!mine) {
    recordRefusal(ctx, "web", "upstream.logout.refused", {name, true, remote}, parsed->id, "flow",
                  Error{StatusCode::Requester, status::kRequestDenied,
                        "no logout in this browser waits for this upstream's answer"});
    return sendErrorPage(ctx, resp, HttpStatus::HTTP_BAD_REQUEST, "Выход уже завершён или устарел",
                         "The sign-out is over or expired", "upstream LogoutResponse without a logout in progress");
  }
  if (!parsed->inResponseTo || *parsed->inResponseTo != awaited->requestId)
    return giveUp("in-response-to", "InResponseTo is not our LogoutRequest " + awaited->requestId);
  const bool success = parsed->success();
  awaited->outcome = success ? sso::LogoutOutcome::Done : sso::LogoutOutcome::Failed;
  if (!success) awaited->detail = "the upstream answered " + std::string(statusCodeUri(parsed->status));
  continueLogout(ctx, resp, *flow);
}

// The upstream ends the person's session there and tells us: every Propusk session it opened
// for that NameID (and SessionIndex, if named) ends, its SPs are told over the back channel
// (front-channel-only SPs cannot be reached without the browser going round them: the answer
// is then PartialLogout), and the upstream gets its LogoutResponse.
void upstreamLogoutRequest(WebContext& ctx, Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
                           InboundMessage& in) {
  const std::string remote = remoteAddress(req);
  auto parsed = saml::parseLogoutRequest(in.xml, *xml::SchemaSet::shared());
  if (!parsed) {
    recordRefusal(ctx, "web", "upstream.logout.refused", {"-", false, remote}, "", "parse", parsed.error());
    return upstreamLogoutPage(ctx, resp, parsed.error().detail);
  }
  auto rc = logoutStepContext(ctx, in.binding, ctx.sso->gateway->settings().sloUrl, &in.querySignature);
  rc.sps = &ctx.sso->gateway->peers();
  auto ok = saml::runLogoutRequestSteps(*parsed, rc);
  auto up = rc.sp ? ctx.sso->gateway->upstreams().findByEntityId(rc.sp->metadata.entityId) : nullptr;
  const std::string name = up ? up->name() : printable(parsed->issuer.value_or("-"), 200);
  auto answer = [&](StatusCode top, std::string_view second) {
    if (!up) return upstreamLogoutPage(ctx, resp, "the upstream is no longer registered");
    std::string destination;
    auto out = ctx.sso->gateway->logoutResponse(*up, in.binding, parsed->id, top, second, in.relayState, destination);
    if (!out) return upstreamLogoutPage(ctx, resp, "cannot answer the upstream: " + out.error().detail);
    sendOutgoing(ctx, resp, *out, destination);
  };
  if (!ok) {
    recordRefusal(ctx, "web", "upstream.logout.refused", {name, rc.senderAuthenticated, remote}, parsed->id,
                  ok.error().step, ok.error().error);
    // A signed answer only to a request its upstream's key signed: nobody else gets Propusk to
    // sign a LogoutResponse echoing their ID and RelayState.
    if (up && rc.senderAuthenticated) return answer(ok.error().error.top, ok.error().error.second);
    return upstreamLogoutPage(ctx, resp, std::string(ok.error().step) + ": " + ok.error().error.detail);
  }
  if (!up) return upstreamLogoutPage(ctx, resp, "the upstream is no longer registered");
  std::vector<store::Session> sessions;
  for (auto& s : ctx.store.findUpstreamSessions(up->name(), parsed->nameId->value)) {
    auto data = sso::decodeUpstreamSession(s.upstreamData);
    // core §3.7.3.1: with SessionIndex(es), only the sessions they name.
    if (!parsed->sessionIndexes.empty() &&
        (!data || !data->sessionIndex ||
         std::find(parsed->sessionIndexes.begin(), parsed->sessionIndexes.end(), *data->sessionIndex) ==
             parsed->sessionIndexes.end()))
      continue;
    sessions.push_back(std::move(s));
  }
  ctx.store.appendAudit({"upstream:" + up->name(), "upstream.logout.request", up->name(), "ok",
                         R"({"id":)" + jsonString(printable(parsed->id, 100)) + R"(,"sessions":)" +
                             std::to_string(sessions.size()) + "}"});
  // The browser carries the front channel for its own session (its SPs in turn, then the
  // upstream's answer); the person's other sessions are reached over the back channel.
  std::optional<store::Session> own;
  if (auto token = cookie(req, kSessionCookie)) {
    const auto hash = sso::SessionManager::hashToken(*token);
    for (auto& s : sessions)
      if (s.idHash == hash) own = s;
  }
  bool partial = false;
  std::vector<sso::LogoutTarget> others;
  for (auto& s : sessions) {
    if (own && s.idHash == own->idHash) continue;
    auto flow = ctx.sso->logout->begin(s, std::nullopt, "upstream:" + up->name(), false, false, false);
    partial = partial || flow.partial();
    ctx.sso->logout->finish(flow);
  }
  if (own) {
    clearSessionCookie(ctx, resp);
    sso::LogoutInitiator initiator{up->name(), parsed->id, in.binding, in.relayState, true};
    auto flow = ctx.sso->logout->begin(*own, initiator, "upstream:" + up->name(), false, true, false);
    // (The answer then speaks for this browser's session; the others' outcomes are audited.)
    return continueLogout(ctx, resp, flow);
  }
  answer(StatusCode::Success, partial ? status::kPartialLogout : std::string_view());
}

}  // namespace

void SpSloHandler::handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
  if (!ctx_.sso->gateway || !ctx_.sso->logout) return upstreamLogoutPage(ctx_, resp, "no gateway");
  InboundMessage in;
  if (auto ok = decodeInbound(req, {.redirect = true, .post = true, .requests = true, .responses = true}, in); !ok) {
    recordRefusal(ctx_, "web", "upstream.logout.refused", {"-", false, remoteAddress(req)}, "", "binding",
                  Error{StatusCode::Requester, status::kRequestDenied, ok.error().detail});
    return upstreamLogoutPage(ctx_, resp, ok.error().detail);
  }
  if (in.relayState && in.relayState->size() > ctx_.config.maxRelayStateBytes) {
    recordRefusal(ctx_, "web", "upstream.logout.refused", {"-", false, remoteAddress(req)}, "", "relay-state",
                  Error{StatusCode::Requester, status::kRequestDenied,
                        "RelayState longer than " + std::to_string(ctx_.config.maxRelayStateBytes) + " bytes"});
    return upstreamLogoutPage(ctx_, resp, "RelayState too long");
  }
  if (in.isRequest) upstreamLogoutRequest(ctx_, req, resp, in);
  else upstreamLogoutResponse(ctx_, req, resp, in);
}

}  // namespace propusk::web
