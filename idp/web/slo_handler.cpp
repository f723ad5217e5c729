#include "idp/web/slo_handler.h"

#include <openssl/crypto.h>

#include "idp/core/json_text.h"
#include "idp/core/printable.h"
#include "idp/saml/validation/logout_steps.h"
#include "idp/sso/logout_service.h"
#include "idp/sso/session_manager.h"
#include "idp/web/http_util.h"
#include "idp/web/inbound.h"
#include "idp/web/refusal.h"
#include "idp/web/respond.h"
#include "idp/web/slo_flow.h"
#include "idp/web/sso_handler.h"
#include "idp/xml/schema.h"

namespace propusk::web {

namespace {

using HttpStatus = Poco::Net::HTTPResponse::HTTPStatus;

using Incoming = InboundMessage;
constexpr InboundRules kSloRules{.redirect = true, .post = true, .requests = true, .responses = true};

void refusedPage(WebContext& ctx, Poco::Net::HTTPServerResponse& resp, const std::string& detail) {
  sendErrorPage(ctx, resp, HttpStatus::HTTP_BAD_REQUEST, "Запрос на выход отклонён", "Sign-out request refused", detail);
}

void audit(WebContext& ctx, const std::string& actor, const char* action, const std::string& target,
           const char* outcome, const std::string& details) {
  ctx.store.appendAudit({actor, action, printable(target, 200), outcome, details});
}

// The logout this browser carries (its propusk_logout cookie) while it waits for the answer of
// the SP the browser was sent to, if the message at hand is that answer: it brings back the
// RelayState of our LogoutRequest to that SP, as bindings §3.4.3 / §3.5.3 require. That value
// is random and new for each SP's turn, so nobody else knows it: not another page (the cookie
// alone goes with any cross-site request), nor an SP whose turn is over (it saw only its own).
std::optional<sso::LogoutFlow> awaitingFlow(WebContext& ctx, const Poco::Net::HTTPServerRequest& req,
                                            const std::optional<std::string>& relayState) {
  if (!relayState || relayState->empty() || relayState->size() > 64) return std::nullopt;
  auto flow = browserLogoutFlow(ctx, req);
  const sso::LogoutTarget* t = flow ? flow->awaiting() : nullptr;
  if (!t || t->relayState.size() != relayState->size() ||
      CRYPTO_memcmp(t->relayState.data(), relayState->data(), relayState->size()) != 0)
    return std::nullopt;
  return flow;
}

// Whatever came back in place of the awaited SP's LogoutResponse — unreadable, refused by a
// check, an answer to another request — ends that SP's turn as not confirmed (logout.propagate
// "failed", naming the step and what was wrong) and the logout goes on with the next SP, then
// answers the SP that started it (PartialLogout). One SP's bad answer never strands the browser
// on an error page with the initiating SP left without its LogoutResponse.
void giveUpOnAwaited(WebContext& ctx, Poco::Net::HTTPServerResponse& resp, sso::LogoutFlow& flow,
                     std::string_view step, const std::string& detail) {
  ctx.sso->logout->abandonAwaiting(flow, "its LogoutResponse was refused at step " + std::string(step) + ": " +
                                             printable(detail, 200));
  continueLogout(ctx, resp, flow);
}

void handleLogoutRequest(WebContext& ctx, Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
                         Incoming& in) {
  auto& logout = *ctx.sso->logout;
  auto parsed = saml::parseLogoutRequest(in.xml, *xml::SchemaSet::shared());
  if (!parsed) {
    recordRefusal(ctx, "web", "logout.request.refused", {"-", false, remoteAddress(req)}, "", "parse", parsed.error());
    return refusedPage(ctx, resp, parsed.error().detail);
  }
  auto rc = logoutStepContext(ctx, in.binding, ctx.config.publicUrl + "/saml/slo", &in.querySignature);
  auto ok = saml::runLogoutRequestSteps(*parsed, rc);
  const std::string issuer = rc.sp ? rc.sp->metadata.entityId : parsed->issuer.value_or("-");
  auto answer = [&](StatusCode top, std::string_view second) {
    auto out = logout.respond(*rc.sp, in.binding, parsed->id, top, second, in.relayState);
    if (!out) return refusedPage(ctx, resp, "cannot answer the SP: " + out.error().detail);
    sendOutgoing(ctx, resp, out->message, out->destination);
  };
  if (!ok) {
    recordRefusal(ctx, "web", "logout.request.refused", {issuer, rc.senderAuthenticated, remoteAddress(req)}, parsed->id,
                  ok.error().step, ok.error().error);
    // Only a known SP (and only at its metadata endpoint) gets an answer.
    if (rc.sp) return answer(ok.error().error.top, ok.error().error.second);
    return refusedPage(ctx, resp, std::string(ok.error().step) + ": " + ok.error().error.detail);
  }
  const std::string spId = rc.sp->metadata.entityId;
  std::optional<store::Session> browser;
  if (auto token = cookie(req, kSessionCookie)) browser = ctx.sso->sessions.resolve(*token);
  auto match = logout.matchSessions(*parsed, spId, browser, rc.signatureVerified);
  if (match.kind == sso::SessionMatch::Kind::Mismatch) {
    recordRefusal(ctx, browser ? browser->login : "web", "logout.request.refused",
                  {spId, rc.senderAuthenticated, remoteAddress(req)}, parsed->id, "session",
                  Error{StatusCode::Requester, status::kRequestDenied, match.detail});
    return answer(StatusCode::Requester, status::kRequestDenied);
  }
  audit(ctx, spId, "logout.request.accepted", browser ? browser->login : "-", "ok",
        R"({"id":)" + jsonString(printable(parsed->id, 100)) + R"(,"sessions":)" + std::to_string(match.sessions.size()) +
            R"(,"signed":)" + (rc.signatureVerified ? "true" : "false") +
            (rc.xmlSignatureIgnored ? R"(,"xml_signature_ignored":true)" : "") + "}");
  if (match.kind == sso::SessionMatch::Kind::None) return answer(StatusCode::Success, {});
  // This browser's cookie goes only with this browser's session (the request may have named
  // another browser's session of the same person).
  for (auto& s : match.sessions)
    if (browser && s.idHash == browser->idHash) clearSessionCookie(ctx, resp);

  sso::LogoutInitiator initiator{spId, parsed->id, in.binding, in.relayState};
  // The browser carries the front channel for its own session (or, when it sent no IdP
  // cookie, for the first session found: most likely its own, the cookie withheld by the
  // browser); the person's other sessions are reached over the back channel. One flow
  // answers the SP for all of them.
  std::optional<sso::LogoutFlow> flow;
  std::vector<sso::LogoutTarget> others;
  for (auto& s : match.sessions) {
    const bool own = browser ? s.idHash == browser->idHash : !flow.has_value();
    auto f = logout.begin(s, initiator, spId, false, own);
    if (own && !flow) {
      flow = std::move(f);
    } else {
      logout.finish(f);
      for (auto& t : f.targets) others.push_back(std::move(t));
    }
  }
  if (!flow) {
    flow.emplace();
    flow->id = ctx.random.token(24);
    flow->login = match.sessions.front().login;
    flow->initiator = initiator;
    flow->createdAt = ctx.clock.now();
  }
  for (auto& t : others) flow->targets.push_back(std::move(t));
  continueLogout(ctx, resp, *flow);
}

void handleLogoutResponse(WebContext& ctx, Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
                          Incoming& in) {
  auto& logout = *ctx.sso->logout;
  auto flow = awaitingFlow(ctx, req, in.relayState);
  auto parsed = saml::parseLogoutResponse(in.xml, *xml::SchemaSet::shared());
  if (!parsed) {
    // Unauthenticated: recorded under no SP (logout.propagate names the awaited one).
    recordRefusal(ctx, "web", "logout.response.refused", {"-", false, remoteAddress(req)}, "", "parse",
                  parsed.error());
    if (flow) return giveUpOnAwaited(ctx, resp, *flow, "parse", parsed.error().detail);
    return refusedPage(ctx, resp, parsed.error().detail);
  }
  auto rc = logoutStepContext(ctx, in.binding, ctx.config.publicUrl + "/saml/slo", &in.querySignature);
  auto ok = saml::runLogoutResponseSteps(*parsed, rc);
  const std::string issuer = rc.sp ? rc.sp->metadata.entityId : parsed->issuer.value_or("-");
  if (!ok) {
    recordRefusal(ctx, "web", "logout.response.refused", {issuer, rc.senderAuthenticated, remoteAddress(req)},
                  parsed->id, ok.error().step, ok.error().error);
    if (flow) return giveUpOnAwaited(ctx, resp, *flow, ok.error().step, ok.error().error.detail);
    return refusedPage(ctx, resp, std::string(ok.error().step) + ": " + ok.error().error.detail);
  }
  // A valid answer that did not bring our RelayState back still belongs to this browser's
  // logout when it answers the very request we sent (InResponseTo: a random ID only that SP
  // saw) and this browser holds the flow's secret.
  if (!flow) {
    if (auto mine = browserLogoutFlow(ctx, req); mine && mine->awaiting() && parsed->inResponseTo &&
                                                 *parsed->inResponseTo == mine->awaiting()->requestId)
      flow = std::move(mine);
  }
  if (!flow) {
    recordRefusal(ctx, "web", "logout.response.refused", {issuer, rc.senderAuthenticated, remoteAddress(req)},
                  parsed->id, "flow",
                  Error{StatusCode::Requester, status::kRequestDenied,
                        "no logout waiting for this answer in this browser (RelayState and InResponseTo name none)"});
    addSecurityHeaders(resp, ctx.https());
    return sendErrorPage(ctx, resp, HttpStatus::HTTP_BAD_REQUEST, "Выход уже завершён или устарел",
                         "The sign-out is over or expired", "LogoutResponse without a logout in progress");
  }
  if (auto st = logout.recordFrontChannelResponse(*flow, *parsed, rc.sp->metadata.entityId); !st) {
    recordRefusal(ctx, "web", "logout.response.refused", {issuer, rc.senderAuthenticated, remoteAddress(req)},
                  parsed->id, "in-response-to", st.error());
    return giveUpOnAwaited(ctx, resp, *flow, "in-response-to", st.error().detail);
  }
  continueLogout(ctx, resp, *flow);
}

}  // namespace

void SloHandler::handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
  Incoming in;
  if (auto st = decodeInbound(req, kSloRules, in); !st) {
    auto flow = in.isRequest ? std::nullopt : awaitingFlow(ctx_, req, in.relayState);
    recordRefusal(ctx_, "web", in.isRequest ? "logout.request.refused" : "logout.response.refused",
                  {"-", false, remoteAddress(req)}, "", "binding",
                  Error{StatusCode::Requester, status::kRequestDenied, st.error().detail});
    if (flow) return giveUpOnAwaited(ctx_, resp, *flow, "binding", st.error().detail);
    return refusedPage(ctx_, resp, st.error().detail);
  }
  if (in.relayState && in.relayState->size() > ctx_.config.maxRelayStateBytes) {
    Error tooLong{StatusCode::Requester, status::kRequestDenied,
                  "RelayState longer than " + std::to_string(ctx_.config.maxRelayStateBytes) + " bytes",
                  "the SP sends a RelayState longer than [saml] max_relay_state_bytes: raise it"};
    recordRefusal(ctx_, "web", in.isRequest ? "logout.request.refused" : "logout.response.refused",
                  {"-", false, remoteAddress(req)}, "",
                  "relay-state", tooLong);
    return refusedPage(ctx_, resp, "RelayState too long");
  }
  if (in.isRequest) handleLogoutRequest(ctx_, req, resp, in);
  else handleLogoutResponse(ctx_, req, resp, in);
}

}  // namespace propusk::web
