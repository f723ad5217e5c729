#include "idp/web/slo_handler.h"

#include "idp/core/base64.h"
#include "idp/core/json_text.h"
#include "idp/core/printable.h"
#include "idp/saml/bindings/redirect.h"
#include "idp/saml/validation/logout_steps.h"
#include "idp/sso/logout_service.h"
#include "idp/sso/session_manager.h"
#include "idp/web/http_util.h"
#include "idp/web/respond.h"
#include "idp/web/slo_flow.h"
#include "idp/web/sso_handler.h"
#include "idp/xml/schema.h"

namespace propusk::web {

namespace {

using HttpStatus = Poco::Net::HTTPResponse::HTTPStatus;

struct Incoming {
  saml::Binding binding = saml::Binding::Redirect;
  bool isRequest = true;  // SAMLRequest, else SAMLResponse
  std::string xml;
  std::optional<std::string> relayState;
  saml::QuerySignature qs;
};

Result<Incoming> decode(Poco::Net::HTTPServerRequest& req) {
  Incoming in;
  if (req.getMethod() == "POST") {
    in.binding = saml::Binding::Post;
    auto form = parseForm(takeBody(req));  // within kMaxSamlPostBody (request_body.h)
    if (!form) return std::unexpected(form.error());
    auto rq = form->find("SAMLRequest"), rs = form->find("SAMLResponse");
    if ((rq == form->end()) == (rs == form->end()))
      return std::unexpected(Error{StatusCode::Requester, status::kRequestDenied, "exactly one of SAMLRequest and SAMLResponse is needed"});
    in.isRequest = rq != form->end();
    auto decoded = base64Decode((in.isRequest ? rq : rs)->second, 256 * 1024);
    if (!decoded) return std::unexpected(Error{StatusCode::Requester, status::kRequestDenied, "base64: " + decoded.error().detail});
    in.xml = std::move(*decoded);
    if (auto r = form->find("RelayState"); r != form->end()) in.relayState = r->second;
  } else {
    auto m = saml::decodeRedirect(rawQuery(req));
    if (!m) return std::unexpected(m.error());
    in.isRequest = m->param == "SAMLRequest";
    in.xml = std::move(m->xml);
    in.relayState = m->relayState;
    in.qs = {m->sigAlg, m->signature, m->signedOctets};
  }
  return in;
}

void refusedPage(WebContext& ctx, Poco::Net::HTTPServerResponse& resp, const std::string& detail) {
  sendErrorPage(ctx, resp, HttpStatus::HTTP_BAD_REQUEST, "Запрос на выход отклонён", "Sign-out request refused", detail);
}

void audit(WebContext& ctx, const std::string& actor, const char* action, const std::string& target,
           const char* outcome, const std::string& details) {
  ctx.store.appendAudit({actor, action, printable(target, 200), outcome, details});
}

std::string stepDetails(std::string_view id, std::string_view step, std::string_view detail) {
  return R"({"id":)" + jsonString(printable(id, 100)) + R"(,"step":)" + jsonString(step) + R"(,"detail":)" +
         jsonString(printable(detail, 200)) + "}";
}

void handleLogoutRequest(WebContext& ctx, Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
                         Incoming& in) {
  auto& logout = *ctx.sso->logout;
  auto parsed = saml::parseLogoutRequest(in.xml, *xml::SchemaSet::shared());
  if (!parsed) {
    audit(ctx, "web", "logout.request.refused", "-", "refused", stepDetails("", "parse", parsed.error().detail));
    return refusedPage(ctx, resp, parsed.error().detail);
  }
  auto rc = logoutStepContext(ctx, in.binding, ctx.config.publicUrl + "/saml/slo", &in.qs);
  auto ok = saml::runLogoutRequestSteps(*parsed, rc);
  const std::string issuer = parsed->issuer.value_or("-");
  auto answer = [&](StatusCode top, std::string_view second) {
    auto out = logout.respond(*rc.sp, in.binding, parsed->id, top, second, in.relayState);
    if (!out) return refusedPage(ctx, resp, "cannot answer the SP: " + out.error().detail);
    sendOutgoing(ctx, resp, out->message, out->destination);
  };
  if (!ok) {
    audit(ctx, "web", "logout.request.refused", issuer, "refused", stepDetails(parsed->id, ok.error().step, ok.error().error.detail));
    // Only a known SP (and only at its metadata endpoint) gets an answer.
    if (rc.sp) return answer(ok.error().error.top, ok.error().error.second);
    return refusedPage(ctx, resp, std::string(ok.error().step) + ": " + ok.error().error.detail);
  }
  const std::string spId = rc.sp->metadata.entityId;
  std::optional<store::Session> browser;
  if (auto token = cookie(req, kSessionCookie)) browser = ctx.sso->sessions.resolve(*token);
  auto match = logout.matchSessions(*parsed, spId, browser, rc.signatureVerified);
  if (match.kind == sso::SessionMatch::Kind::Mismatch) {
    audit(ctx, browser ? browser->login : "web", "logout.request.refused", spId, "refused",
          stepDetails(parsed->id, "session", match.detail));
    return answer(StatusCode::Requester, status::kRequestDenied);
  }
  audit(ctx, spId, "logout.request.accepted", browser ? browser->login : "-", "ok",
        R"({"id":)" + jsonString(printable(parsed->id, 100)) + R"(,"sessions":)" + std::to_string(match.sessions.size()) +
            R"(,"signed":)" + (rc.signatureVerified ? "true" : "false") + "}");
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
  auto parsed = saml::parseLogoutResponse(in.xml, *xml::SchemaSet::shared());
  if (!parsed) {
    audit(ctx, "web", "logout.response.refused", "-", "refused", stepDetails("", "parse", parsed.error().detail));
    return refusedPage(ctx, resp, parsed.error().detail);
  }
  auto rc = logoutStepContext(ctx, in.binding, ctx.config.publicUrl + "/saml/slo", &in.qs);
  auto ok = saml::runLogoutResponseSteps(*parsed, rc);
  const std::string issuer = parsed->issuer.value_or("-");
  if (!ok) {
    audit(ctx, "web", "logout.response.refused", issuer, "refused", stepDetails(parsed->id, ok.error().step, ok.error().error.detail));
    return refusedPage(ctx, resp, std::string(ok.error().step) + ": " + ok.error().error.detail);
  }
  // Our LogoutRequests carry the flow id as RelayState, which the SP must send back; the
  // browser's cookie must hold that flow's secret (an SP that knows the flow id must not
  // drive somebody's logout from its own server).
  auto flow = in.relayState && in.relayState->size() <= 64 ? browserLogoutFlow(ctx, req, *in.relayState) : std::nullopt;
  if (!flow) {
    audit(ctx, "web", "logout.response.refused", issuer, "refused",
          stepDetails(parsed->id, "flow", "no logout in progress for this RelayState in this browser"));
    addSecurityHeaders(resp, ctx.https());
    return sendErrorPage(ctx, resp, HttpStatus::HTTP_BAD_REQUEST, "Выход уже завершён или устарел",
                         "The sign-out is over or expired", "LogoutResponse without a logout in progress");
  }
  if (auto st = logout.recordFrontChannelResponse(*flow, *parsed, rc.sp->metadata.entityId); !st) {
    audit(ctx, "web", "logout.response.refused", issuer, "refused", stepDetails(parsed->id, "flow", st.error().detail));
    return refusedPage(ctx, resp, st.error().detail);
  }
  continueLogout(ctx, resp, *flow);
}

}  // namespace

void SloHandler::handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
  auto in = decode(req);
  if (!in) {
    audit(ctx_, "web", "logout.request.refused", "-", "refused", stepDetails("", "binding", in.error().detail));
    return refusedPage(ctx_, resp, in.error().detail);
  }
  if (in->relayState && in->relayState->size() > ctx_.config.maxRelayStateBytes) {
    audit(ctx_, "web", in->isRequest ? "logout.request.refused" : "logout.response.refused", "-", "refused",
          stepDetails("", "relay-state", "RelayState longer than " + std::to_string(ctx_.config.maxRelayStateBytes) + " bytes"));
    return refusedPage(ctx_, resp, "RelayState too long");
  }
  if (in->isRequest) handleLogoutRequest(ctx_, req, resp, *in);
  else handleLogoutResponse(ctx_, req, resp, *in);
}

}  // namespace propusk::web
