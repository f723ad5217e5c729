#include "idp/web/sso_flow.h"

#include "idp/core/json_text.h"
#include "idp/sso/assertion_issuer.h"
#include "idp/sso/gateway.h"
#include "idp/sso/logout_service.h"
#include "idp/web/http_util.h"
#include "idp/web/sso_handler.h"
#include "idp/web/pages.h"
#include "idp/web/respond.h"

namespace propusk::web {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

std::string cspOrigin(const std::string& url) {
  auto start = url.find("://");
  if (start == std::string::npos) return "*";
  auto end = url.find_first_of("/?", start + 3);
  std::string origin = url.substr(0, end);
  for (char c : origin.substr(start + 3))
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']'))
      return "*";
  return origin;
}

void sendAutoPost(WebContext& ctx, Poco::Net::HTTPServerResponse& resp, const std::string& acsUrl,
                  const std::string& responseXml, const std::optional<std::string>& relayState) {
  std::string nonce = ctx.random.token(16);
  std::string page = renderAutoPost(acsUrl, "SAMLResponse", responseXml, relayState, nonce);
  addSecurityHeaders(resp, ctx.https());
  resp.set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-" + nonce + "'; form-action " +
                                          cspOrigin(acsUrl) + "; frame-ancestors 'none'; base-uri 'none'");
  sendBody(resp, Status::HTTP_OK, "text/html; charset=utf-8", page);
}

void sendSamlError(WebContext& ctx, Poco::Net::HTTPServerResponse& resp, const saml::RegisteredSp& sp,
                   const std::string& acsUrl, const std::optional<std::string>& inResponseTo,
                   const std::optional<std::string>& relayState, const Error& err) {
  auto xml = ctx.sso->issuer.error(sp, acsUrl, inResponseTo, err);
  if (!xml) {
    sendErrorPage(ctx, resp, Status::HTTP_INTERNAL_SERVER_ERROR, "Внутренняя ошибка сервера", "Internal server error",
                  "cannot build error Response: " + xml.error().detail);
    return;
  }
  sendAutoPost(ctx, resp, acsUrl, *xml, relayState);
}

store::Session startSession(WebContext& ctx, Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
                            const store::User& user, const std::string& authnContextClassRef,
                            const sso::SessionManager::Via* via) {
  std::optional<sso::SessionManager::Created> created;
  if (auto oldToken = cookie(req, kSessionCookie)) {
    if (auto old = ctx.sso->sessions.resolve(*oldToken)) {
      if (old->userId == user.id) {
        created = ctx.sso->sessions.reauthenticate(*old, authnContextClassRef, remoteAddress(req), via);
      } else if (ctx.sso->logout) {
        auto flow = ctx.sso->logout->begin(*old, std::nullopt, user.login, false, false);
        ctx.sso->logout->finish(flow);
      } else {
        ctx.sso->sessions.destroy(*oldToken, "replaced by another person's login");
      }
    }
  }
  if (!created) created = ctx.sso->sessions.create(user, authnContextClassRef, remoteAddress(req), via);
  // SameSite=None: the SP's POST-binding AuthnRequest is a cross-site POST that must carry
  // the session; browsers accept None only with Secure.
  setCookie(resp, kSessionCookie, created->token, {"/", ctx.https(), ctx.https() ? "None" : "Lax", std::nullopt});
  return created->session;
}

DeferredAudit::~DeferredAudit() {
  if (!record_) return;
  try {
    ctx_.store.appendAudit(*record_);
  } catch (const std::exception& e) {
    ctx_.log.error("audit event %s lost: %s", record_->action, std::string(e.what()));
  }
}

void DeferredAudit::flush() {
  if (!record_) return;
  ctx_.store.appendAudit(*record_);  // if this throws, the destructor tries once more, then logs
  record_.reset();
}

void completeSso(WebContext& ctx, Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& resp,
                 const store::Session& session, const sso::PendingRequest& pending,
                 DeferredAudit* requestAudit) {
  auto writeRequestAudit = [&] {
    if (requestAudit) requestAudit->flush();
  };
  auto sp = ctx.sso->sps.find(pending.spEntityId);
  if (!sp) {
    writeRequestAudit();
    sendErrorPage(ctx, resp, Status::HTTP_BAD_REQUEST, "Сервис больше не зарегистрирован", "The service is no longer registered",
                  "SP " + pending.spEntityId + " vanished during login");
    return;
  }
  auto user = ctx.store.findUser(session.login);
  if (!user || user->locked) {
    writeRequestAudit();
    sendErrorPage(ctx, resp, Status::HTTP_FORBIDDEN, "Вход невозможен", "Sign-in is not possible",
                  "session user " + session.login + (user ? " is locked" : " no longer exists"));
    return;
  }
  const policy::AccountStatus status = sso::effectiveStatus(*user, session);
  if (status < sp->minStatus) {
    Error err{StatusCode::Requester, status::kRequestDenied,
              "account status " + std::string(policy::accountStatusName(status)) + " below the SP minimum " +
                  std::string(policy::accountStatusName(sp->minStatus))};
    writeRequestAudit();
    ctx.store.appendAudit({user->login, "assertion.refused", pending.spEntityId, "refused",
                           R"({"reason":"account-status","have":)" + jsonString(policy::accountStatusName(status)) +
                               R"(,"need":)" + jsonString(policy::accountStatusName(sp->minStatus)) + "}"});
    auto xml = ctx.sso->issuer.error(*sp, pending.acsUrl, pending.requestId, err);
    if (!xml) throw std::runtime_error("cannot build error Response: " + xml.error().detail);
    addSecurityHeaders(resp, ctx.https());
    resp.set("Content-Security-Policy", "default-src 'none'; form-action " + cspOrigin(pending.acsUrl) +
                                            "; frame-ancestors 'none'; base-uri 'none'");
    sendBody(resp, Status::HTTP_FORBIDDEN, "text/html; charset=utf-8",
             renderStatusTooLow(std::string(policy::accountStatusName(status)),
                                std::string(policy::accountStatusName(sp->minStatus)), pending.acsUrl, *xml,
                                pending.relayState));
    return;
  }
  bool requestAuditWritten = false;
  struct Written {  // also when issue() throws: the request's event must not be logged twice
    bool& written;
    DeferredAudit* audit;
    ~Written() {
      if (written && audit) audit->writtenWith();
    }
  };
  std::optional<Result<std::string>> issued;
  {
    Written mark{requestAuditWritten, requestAudit};
    issued = ctx.sso->issuer.issue(*user, session, *sp, pending, requestAudit ? requestAudit->pending() : nullptr,
                                   &requestAuditWritten);
  }
  auto& xml = *issued;
  if (!xml) {
    writeRequestAudit();  // unless issue() wrote it with an issuance it then retracted
    ctx.store.appendAudit({user->login, "assertion.refused", pending.spEntityId, "refused",
                           R"({"reason":)" + jsonString(xml.error().detail) + "}"});
    sendSamlError(ctx, resp, *sp, pending.acsUrl, pending.requestId, pending.relayState, xml.error());
    return;
  }
  sendAutoPost(ctx, resp, pending.acsUrl, *xml, pending.relayState);
}

}  // namespace propusk::web
