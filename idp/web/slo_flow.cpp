#include "idp/web/slo_flow.h"

#include <openssl/crypto.h>

#include "idp/saml/sp_directory.h"
#include "idp/sso/gateway.h"
#include "idp/sso/logout_service.h"
#include "idp/sso/session_manager.h"
#include "idp/web/http_util.h"
#include "idp/web/pages.h"
#include "idp/web/respond.h"
#include "idp/web/sso_flow.h"
#include "idp/web/sso_handler.h"

namespace propusk::web {

using HttpStatus = Poco::Net::HTTPResponse::HTTPStatus;

void sendOutgoing(WebContext& ctx, Poco::Net::HTTPServerResponse& resp, const saml::OutgoingMessage& msg,
                  const std::string& destination) {
  addSecurityHeaders(resp, ctx.https());
  if (msg.binding == saml::Binding::Redirect) {
    resp.setStatusAndReason(HttpStatus::HTTP_SEE_OTHER);
    resp.set("Location", msg.redirectUrl);
    resp.setContentLength(0);
    resp.send();
    return;
  }
  std::string nonce = ctx.random.token(16);
  std::string page = renderAutoPost(destination, std::string(msg.formField), msg.xml, msg.relayState, nonce);
  resp.set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-" + nonce + "'; form-action " +
                                          cspOrigin(destination) + "; frame-ancestors 'none'; base-uri 'none'");
  sendBody(resp, HttpStatus::HTTP_OK, "text/html; charset=utf-8", page);
}

void clearSessionCookie(WebContext& ctx, Poco::Net::HTTPServerResponse& resp) {
  setCookie(resp, kSessionCookie, "", {"/", ctx.https(), ctx.https() ? "None" : "Lax", 0});
}

namespace {
CookieOptions logoutCookieOptions(WebContext& ctx, std::optional<long> maxAge) {
  // SameSite=None on https: an SP's HTTP-POST LogoutResponse is a cross-site POST.
  return {"/", ctx.https(), ctx.https() ? "None" : "Lax", maxAge};
}
}  // namespace

std::optional<sso::LogoutFlow> browserLogoutFlow(WebContext& ctx, const Poco::Net::HTTPServerRequest& req) {
  auto c = cookie(req, kLogoutCookie);
  if (!c || c->size() > 128) return std::nullopt;
  auto dot = c->find('.');
  if (dot == std::string::npos) return std::nullopt;
  std::string id = c->substr(0, dot), secret = c->substr(dot + 1);
  auto flow = ctx.sso->logout->load(id);
  if (!flow || flow->browserKeyHash.empty()) return std::nullopt;
  const std::string hash = sso::SessionManager::hashToken(secret);
  if (hash.size() != flow->browserKeyHash.size() ||
      CRYPTO_memcmp(hash.data(), flow->browserKeyHash.data(), hash.size()) != 0)
    return std::nullopt;
  return flow;
}

void continueLogout(WebContext& ctx, Poco::Net::HTTPServerResponse& resp, sso::LogoutFlow& flow) {
  auto& logout = *ctx.sso->logout;
  std::string secret;
  if (flow.browserKeyHash.empty()) {
    secret = ctx.random.token(24);
    flow.browserKeyHash = sso::SessionManager::hashToken(secret);  // saved with the flow below
  }
  if (auto next = logout.nextFrontChannelMessage(flow)) {
    if (!secret.empty()) setCookie(resp, kLogoutCookie, flow.id + "." + secret, logoutCookieOptions(ctx, std::nullopt));
    return sendOutgoing(ctx, resp, next->message, next->destination);
  }
  // Every SP had its turn: the upstream IdP the session came from (gateway) is last. Its
  // answer comes to /saml/sp/slo (web/gateway_handler.cpp), which continues from here.
  while (sso::LogoutTarget* up = flow.pendingUpstream()) {
    if (!ctx.sso->gateway) {
      up->outcome = sso::LogoutOutcome::Unreachable;
      up->detail = "no gateway";
      break;
    }
    up->relayState = ctx.random.token(24);
    std::string destination;
    auto msg = ctx.sso->gateway->logoutRequest(*up, destination);
    if (!msg) {
      up->outcome = sso::LogoutOutcome::Failed;
      up->detail = "cannot build its LogoutRequest: " + msg.error().detail;
      continue;
    }
    up->outcome = sso::LogoutOutcome::Sent;
    up->sentAt = ctx.clock.now();
    logout.save(flow);
    if (!secret.empty()) setCookie(resp, kLogoutCookie, flow.id + "." + secret, logoutCookieOptions(ctx, std::nullopt));
    return sendOutgoing(ctx, resp, *msg, destination);
  }
  logout.finish(flow);
  setCookie(resp, kLogoutCookie, "", logoutCookieOptions(ctx, 0));
  if (flow.initiator && flow.initiator->upstream && ctx.sso->gateway) {
    // An upstream IdP started it (gateway): its LogoutResponse, from our SP entity.
    if (auto up = ctx.sso->gateway->upstreams().find(flow.initiator->spEntityId)) {
      std::string destination;
      auto out = ctx.sso->gateway->logoutResponse(*up, flow.initiator->binding, flow.initiator->requestId,
                                                  StatusCode::Success,
                                                  flow.partial() ? status::kPartialLogout : std::string_view(),
                                                  flow.initiator->relayState, destination);
      if (out) return sendOutgoing(ctx, resp, *out, destination);
      ctx.log.warning("logout: cannot answer upstream %s: %s", flow.initiator->spEntityId, out.error().detail);
    }
  } else if (flow.initiator) {
    auto sp = ctx.sso->sps.find(flow.initiator->spEntityId);
    if (sp) {
      auto out = logout.respond(*sp, flow.initiator->binding, flow.initiator->requestId, StatusCode::Success,
                                flow.partial() ? status::kPartialLogout : std::string_view(), flow.initiator->relayState);
      if (out) return sendOutgoing(ctx, resp, out->message, out->destination);
      ctx.log.warning("logout: cannot answer %s: %s", flow.initiator->spEntityId, out.error().detail);
    }
  }
  std::vector<LogoutResultLine> lines;
  for (auto& t : flow.targets) {
    if (t.upstream) {
      lines.push_back({t.spEntityId, t.outcome == sso::LogoutOutcome::Done});
      continue;
    }
    auto sp = ctx.sso->sps.find(t.spEntityId);
    lines.push_back({sp ? saml::displayNameFor(sp->metadata) : t.spEntityId, t.outcome == sso::LogoutOutcome::Done});
  }
  std::string nonce = ctx.random.token(16);
  addSecurityHeaders(resp, ctx.https());
  resp.set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-" + nonce + "'; frame-ancestors 'none'; base-uri 'none'");
  sendBody(resp, HttpStatus::HTTP_OK, "text/html; charset=utf-8", renderLoggedOut(lines, nonce));
}

}  // namespace propusk::web

namespace propusk::web {

saml::RequestContext logoutStepContext(WebContext& ctx, saml::Binding binding, const std::string& endpointUrl,
                                       const saml::QuerySignature* qs) {
  saml::RequestContext rc;
  rc.now = ctx.clock.now();
  rc.clockSkew = ctx.config.clockSkew;
  rc.sloUrl = endpointUrl;
  rc.binding = binding;
  rc.querySignature = qs;
  rc.requireSignedRequests = ctx.config.wantAuthnRequestsSigned;
  rc.sps = &ctx.sso->sps;
  rc.replay = &ctx.sso->replay;
  return rc;
}

}  // namespace propusk::web
