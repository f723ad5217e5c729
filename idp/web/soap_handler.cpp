#include "idp/core/json_text.h"
#include "idp/core/printable.h"
#include "idp/saml/bindings/soap.h"
#include "idp/saml/validation/logout_steps.h"
#include "idp/sso/logout_service.h"
#include "idp/web/http_util.h"
#include "idp/web/inbound.h"
#include "idp/web/refusal.h"
#include "idp/web/respond.h"
#include "idp/web/slo_flow.h"
#include "idp/web/slo_handler.h"
#include "idp/xml/schema.h"

namespace propusk::web {

namespace {

using HttpStatus = Poco::Net::HTTPResponse::HTTPStatus;

// bindings §3.2.3.3: SAML answers travel with 200, faults with 500.
void sendSoap(WebContext& ctx, Poco::Net::HTTPServerResponse& resp, HttpStatus status, const std::string& envelope) {
  addSecurityHeaders(resp, ctx.https());
  resp.set("Cache-Control", "no-cache, no-store");
  sendBody(resp, status, saml::kSoapContentType, envelope);
}

void fault(WebContext& ctx, Poco::Net::HTTPServerResponse& resp, saml::SoapFaultCode code, const RefusalSource& source,
           std::string_view step, const Error& error, std::string_view messageId = {}) {
  recordRefusal(ctx, "soap", "logout.request.refused", source, messageId, step, error);
  sendSoap(ctx, resp, HttpStatus::HTTP_INTERNAL_SERVER_ERROR, saml::buildSoapFault(code));
}

}  // namespace

void SoapHandler::handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
  auto& logout = *ctx_.sso->logout;
  InboundMessage in;
  if (auto ok = decodeInbound(req, {.soap = true}, in); !ok)
    return fault(ctx_, resp, ok.error().soapFault, {"-", false, remoteAddress(req)}, "soap",
                 Error{StatusCode::Requester, {}, ok.error().detail});
  if (in.soapElement != "LogoutRequest" || in.soapNamespace != "urn:oasis:names:tc:SAML:2.0:protocol")
    return fault(ctx_, resp, saml::SoapFaultCode::Client, {"-", false, remoteAddress(req)}, "soap",
                 Error{StatusCode::Requester, {}, "unsupported SOAP request " + printable(in.soapElement, 60) + " (only LogoutRequest)"});
  auto parsed = saml::parseLogoutRequest(in.xml, *xml::SchemaSet::shared());
  if (!parsed) return fault(ctx_, resp, saml::SoapFaultCode::Client, {"-", false, remoteAddress(req)}, "parse", parsed.error());

  auto rc = logoutStepContext(ctx_, saml::Binding::Soap, ctx_.config.publicUrl + "/saml/soap", nullptr);
  auto ok = saml::runLogoutRequestSteps(*parsed, rc);
  const std::string issuer = rc.sp ? rc.sp->metadata.entityId : parsed->issuer.value_or("-");
  auto answer = [&](StatusCode top, std::string_view second) {
    auto out = logout.respond(*rc.sp, saml::Binding::Soap, parsed->id, top, second, std::nullopt);
    if (!out) return fault(ctx_, resp, saml::SoapFaultCode::Server, {issuer, rc.senderAuthenticated, remoteAddress(req)}, "answer", out.error(), parsed->id);
    sendSoap(ctx_, resp, HttpStatus::HTTP_OK, saml::wrapSoap(out->message.xml));
  };
  if (!ok) {
    if (!rc.sp)
      return fault(ctx_, resp, saml::SoapFaultCode::Client, {issuer, false, remoteAddress(req)}, ok.error().step, ok.error().error, parsed->id);
    recordRefusal(ctx_, "soap", "logout.request.refused", {issuer, rc.senderAuthenticated, remoteAddress(req)},
                  parsed->id, ok.error().step, ok.error().error);
    return answer(ok.error().error.top, ok.error().error.second);
  }
  const std::string spId = rc.sp->metadata.entityId;
  auto match = logout.matchSessions(*parsed, spId, std::nullopt);
  ctx_.store.appendAudit({spId, "logout.request.accepted", "-", "ok",
                          R"({"id":)" + jsonString(printable(parsed->id, 100)) + R"(,"binding":"soap","sessions":)" +
                              std::to_string(match.sessions.size()) + "}"});
  bool partial = false;
  for (auto& s : match.sessions) {
    sso::LogoutInitiator initiator{spId, parsed->id, saml::Binding::Soap, std::nullopt};
    auto flow = logout.begin(s, initiator, spId, false, false);
    partial = partial || flow.partial();
    logout.finish(flow);
  }
  answer(StatusCode::Success, partial ? status::kPartialLogout : std::string_view());
}

}  // namespace propusk::web
