#include "idp/web/sso_handler.h"

#include <algorithm>

#include "idp/core/json_text.h"
#include "idp/core/printable.h"
#include "idp/saml/messages/authn_request.h"
#include "idp/saml/validation/steps.h"
#include "idp/sso/pending_request.h"
#include "idp/sso/session_manager.h"
#include "idp/saml/build/authn_request.h"
#include "idp/web/gateway_handler.h"
#include "idp/web/http_util.h"
#include "idp/web/inbound.h"
#include "idp/web/refusal.h"
#include "idp/web/respond.h"
#include "idp/web/sso_flow.h"
#include "idp/xml/schema.h"

namespace propusk::web {

namespace {

using HttpStatus = Poco::Net::HTTPResponse::HTTPStatus;

void badRequest(WebContext& ctx, Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
                const std::string& detail) {
  recordRefusal(ctx, "web", "authn-request.refused", {"-", false, remoteAddress(req)}, "", "binding",
                Error{StatusCode::Requester, {}, detail});
  sendErrorPage(ctx, resp, HttpStatus::HTTP_BAD_REQUEST, "Некорректный запрос на вход", "Invalid sign-in request", detail);
}

// Continues with a validated request: an existing session answers at once, otherwise the
// person is sent to the login form (or, for IsPassive, NoPassive goes back to the SP).
// `accepted` (the request's audit event) is written with the issuance when there is a
// session, else here before anything else happens. (Resolving the session may itself log
// session.expire; that event then comes first.)
void proceed(WebContext& ctx, Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
             const saml::RegisteredSp& sp, const sso::PendingRequest& pending, store::AuditRecord accepted) {
  DeferredAudit audit(ctx, std::move(accepted));
  std::optional<store::Session> session;
  if (auto token = cookie(req, kSessionCookie)) session = ctx.sso->sessions.resolve(*token);
  // A session answers only if its way in is one this request allows: a password session where
  // the password form would be offered, an upstream session where that upstream would be
  // (the SP's --upstreams and --local-login, IDPList, ProxyCount, a context only an upstream
  // meets).
  auto choices = loginChoices(ctx, sp, pending);
  const bool sessionAllowed =
      session && (session->upstream.empty() ? choices.local
                                            : std::any_of(choices.upstreams.begin(), choices.upstreams.end(),
                                                          [&](auto& up) { return up->name() == session->upstream; }));
  if (sessionAllowed && !pending.forceAuthn) return completeSso(ctx, req, resp, *session, pending, &audit);
  audit.flush();
  // Gateway: one upstream and no password form — straight to the upstream (IsPassive and
  // ForceAuthn go with the request); no way in at all — the SP is told why.
  if (!choices.local && choices.upstreams.size() == 1)
    return startUpstreamLogin(ctx, req, resp, *choices.upstreams.front(), pending);
  if (!choices.local && choices.upstreams.empty()) {
    Error none{StatusCode::Responder,
               pending.proxyCount && *pending.proxyCount == 0 && !sp.upstreams.empty() ? status::kProxyCountExceeded
                                                                                        : status::kNoAvailableIDP,
               "no way to log in for this request: local login is off for the SP and no upstream it allows is left "
               "(IDPList, ProxyCount, or none registered)"};
    ctx.store.appendAudit({"web", "authn-request.no-idp", sp.metadata.entityId, "refused",
                           R"({"detail":)" + jsonString(none.detail) + "}"});
    return sendSamlError(ctx, resp, sp, pending.acsUrl, pending.requestId, pending.relayState, none);
  }
  if (pending.isPassive)
    return sendSamlError(ctx, resp, sp, pending.acsUrl, pending.requestId, pending.relayState,
                         Error{StatusCode::Responder, status::kNoPassive, "no session for an IsPassive request"});
  redirectTo(ctx, resp, "/login?flow=" + keepPending(ctx, pending));
}

}  // namespace

void SsoHandler::handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
  if (unsolicited_) handleUnsolicited(req, resp);
  else handleAuthnRequest(req, resp);
}

void SsoHandler::handleAuthnRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
  InboundMessage in;
  if (auto ok = decodeInbound(req, {.redirect = true, .post = true}, in); !ok)
    return badRequest(ctx_, req, resp, ok.error().detail);
  const saml::Binding binding = in.binding;
  const std::string& xmlText = in.xml;
  const std::optional<std::string>& relayState = in.relayState;
  const saml::QuerySignature& qs = in.querySignature;

  auto parsed = saml::parseAuthnRequest(xmlText, *xml::SchemaSet::shared());
  if (!parsed) return badRequest(ctx_, req, resp, parsed.error().detail);
  saml::RequestContext rc;
  rc.now = ctx_.clock.now();
  rc.clockSkew = ctx_.config.clockSkew;
  rc.ssoUrl = ctx_.config.publicUrl + "/saml/sso";
  rc.binding = binding;
  rc.querySignature = &qs;
  rc.requireSignedRequests = ctx_.config.wantAuthnRequestsSigned;
  rc.sps = &ctx_.sso->sps;
  rc.replay = &ctx_.sso->replay;
  auto ok = saml::runAuthnRequestSteps(*parsed, rc);
  // The last step refused only because our password login cannot give the class the SP asks
  // for: an upstream the SP allows may (the gateway checks what it reports, sso::
  // upstreamSatisfies), so the request goes on without the password form.
  bool localCannotSatisfy = false;
  if (!ok && ok.error().step == "authn-context" && rc.sp && !rc.sp->upstreams.empty()) {
    localCannotSatisfy = true;
    ok = std::expected<void, saml::StepFailure>{};
  }
  // What the sender wrote is clipped before it reaches the append-only audit log.
  std::string issuer = rc.sp ? rc.sp->metadata.entityId : printable(parsed->issuer.value_or("-"), 200);
  if (!ok) {
    recordRefusal(ctx_, "web", "authn-request.refused", {issuer, rc.senderAuthenticated, remoteAddress(req)},
                  parsed->id, ok.error().step, ok.error().error);
    if (ok.error().acsKnown)
      return sendSamlError(ctx_, resp, *rc.sp, rc.acs->location, parsed->id, relayState, ok.error().error);
    return sendErrorPage(ctx_, resp, HttpStatus::HTTP_BAD_REQUEST, "Запрос на вход отклонён", "Sign-in request refused",
                         std::string(ok.error().step) + ": " + ok.error().error.detail);
  }
  if (relayState && relayState->size() > ctx_.config.maxRelayStateBytes) {
    Error tooLong{StatusCode::Requester, status::kRequestDenied,
                  "RelayState of " + std::to_string(relayState->size()) + " bytes, longer than " +
                      std::to_string(ctx_.config.maxRelayStateBytes),
                  "the SP sends a RelayState longer than [saml] max_relay_state_bytes (bindings §3.4.3 allows 80; "
                  "mod_auth_mellon sends whole return URLs): raise max_relay_state_bytes"};
    recordRefusal(ctx_, "web", "authn-request.refused", {issuer, rc.senderAuthenticated, remoteAddress(req)},
                  parsed->id, "relay-state", tooLong);
    return sendSamlError(ctx_, resp, *rc.sp, rc.acs->location, parsed->id, std::nullopt, tooLong);
  }
  store::AuditRecord accepted{"web", "authn-request.accepted", issuer, "ok",
                              R"({"id":)" + jsonString(printable(parsed->id, 100)) + R"(,"acs":)" +
                                  jsonString(rc.acs->location) + R"(,"signed":)" +
                                  (rc.signatureVerified ? "true" : "false") +
                                  (rc.xmlSignatureIgnored ? R"(,"xml_signature_ignored":true)" : "") + "}"};
  sso::PendingRequest pending;
  pending.spEntityId = rc.sp->metadata.entityId;
  pending.requestId = parsed->id;
  pending.acsUrl = rc.acs->location;
  pending.relayState = relayState;
  pending.nameIdFormat = rc.nameIdFormat;
  pending.forceAuthn = parsed->forceAuthn;
  pending.isPassive = parsed->isPassive;
  pending.createdAt = rc.now;
  pending.localCannotSatisfy = localCannotSatisfy;
  if (parsed->requestedAuthnContext) {
    pending.requestedComparison = std::string(saml::comparisonName(parsed->requestedAuthnContext->comparison));
    pending.requestedClassRefs = parsed->requestedAuthnContext->classRefs;
  }
  if (parsed->scoping) {
    pending.proxyCount = parsed->scoping->proxyCount;
    for (auto& e : parsed->scoping->idpList) pending.idpList.push_back(e.providerId);
    pending.requesterIds = parsed->scoping->requesterIds;
  }
  proceed(ctx_, req, resp, *rc.sp, pending, std::move(accepted));
}

void SsoHandler::handleUnsolicited(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
  auto form = parseForm(rawQuery(req));
  if (!form) return badRequest(ctx_, req, resp, form.error().detail);
  auto providerId = form->find("providerId");
  if (providerId == form->end()) return badRequest(ctx_, req, resp, "no providerId");
  auto sp = ctx_.sso->sps.find(providerId->second);
  if (!sp) return badRequest(ctx_, req, resp, "providerId '" + printable(providerId->second, 200) + "' is not a registered SP");
  std::optional<std::string> target;
  if (auto t = form->find("target"); t != form->end()) target = t->second;
  if (target && target->size() > ctx_.config.maxRelayStateBytes)
    return badRequest(ctx_, req, resp, "target longer than " + std::to_string(ctx_.config.maxRelayStateBytes) + " bytes");

  // The ACS: the one named by `shire` if metadata lists it (HTTP-POST), else the default.
  const saml::Endpoint* acs = nullptr;
  if (auto shire = form->find("shire"); shire != form->end()) {
    for (auto& e : sp->metadata.assertionConsumerServices)
      if (e.binding == saml::kBindingPost && e.location == shire->second) acs = &e;
  } else {
    acs = saml::defaultPostAcs(sp->metadata);
  }
  if (!acs) return badRequest(ctx_, req, resp, "no HTTP-POST ACS in the SP's metadata matches");

  sso::PendingRequest pending;
  pending.spEntityId = sp->metadata.entityId;
  pending.acsUrl = acs->location;
  pending.relayState = target;
  pending.nameIdFormat = saml::defaultNameIdFormat(sp->metadata);
  pending.createdAt = ctx_.clock.now();
  proceed(ctx_, req, resp, *sp, pending,
          {"web", "authn-request.unsolicited", pending.spEntityId, "ok", R"({"acs":)" + jsonString(acs->location) + "}"});
}

}  // namespace propusk::web
