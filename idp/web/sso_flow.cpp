#include "idp/web/sso_flow.h"

#include "idp/core/json_text.h"
#include "idp/core/printable.h"
#include "idp/crypto/digest.h"
#include "idp/sso/assertion_issuer.h"
#include "idp/sso/gateway.h"
#include "idp/sso/login_steps.h"
#include "idp/sso/logout_service.h"
#include "idp/sso/second_factors.h"
#include "idp/web/account_pages.h"
#include "idp/web/http_util.h"
#include "idp/web/pages.h"
#include "idp/web/respond.h"
#include "idp/web/sso_handler.h"

namespace propusk::web {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

namespace {

constexpr char kDeviceCookie[] = "propusk_device";

// Pages of the login steps carry no script and post only to the ACS (or to us).
void stepPageHeaders(WebContext& ctx, Poco::Net::HTTPServerResponse& resp, const std::string& nonce,
                     const std::string& formTarget) {
  addSecurityHeaders(resp, ctx.https());
  resp.set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-" + nonce + "'; form-action " +
                                          formTarget + "; frame-ancestors 'none'; base-uri 'none'");
}

// A login just completed: remembered in the person's history, and a device this account was
// not seen on (a device cookie plus the user agent) gets a notice by the account's channel.
void loginCompleted(WebContext& ctx, Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
                    const store::User& user, const store::Session& session, const sso::PendingRequest& pending) {
  const auto client = clientOf(req, pending);
  ctx.store.addLoginHistory({user.id, ctx.clock.now(), client.remote, client.userAgent, client.sp,
                             sso::sessionFactors(session).encode(), "ok"});
  std::string device = cookie(req, kDeviceCookie).value_or("");
  if (device.size() != 32) {
    device = ctx.random.token(24);
    setCookie(resp, kDeviceCookie, device, {"/", ctx.https(), "Lax", 400L * 24 * 3600});
  }
  const std::string hash = crypto::toHex(crypto::sha256(device + "\n" + client.userAgent));
  if (!ctx.store.rememberDevice(user.id, hash, ctx.clock.now()) || !ctx.sso->factors) return;
  const std::string when = formatXsDateTime(ctx.clock.now());
  ctx.sso->factors->notice(
      user, "new-device", "Вход с нового устройства / Sign-in from a new device",
      "В вашу учётную запись " + user.login + " выполнен вход с нового устройства.\nВремя: " + when +
          "\nАдрес: " + client.remote + "\nБраузер: " + client.userAgent +
          "\nЕсли это были не вы, смените пароль и завершите сеансы в личном кабинете.\n\n"
          "Your account " + user.login + " was signed in to from a new device.\nTime: " + when + "\nAddress: " +
          client.remote + "\nBrowser: " + client.userAgent +
          "\nIf this was not you, change your password and end the sessions on your account page.\n");
}

}  // namespace

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

void redirectTo(WebContext& ctx, Poco::Net::HTTPServerResponse& resp, const std::string& path) {
  addSecurityHeaders(resp, ctx.https());
  resp.setStatusAndReason(Status::HTTP_SEE_OTHER);
  resp.set("Location", ctx.config.publicUrl + path);
  resp.setContentLength(0);
  resp.send();
}

sso::Client clientOf(const Poco::Net::HTTPServerRequest& req, const sso::PendingRequest& pending) {
  return {remoteAddress(req), printable(req.get("User-Agent", ""), 200), pending.spEntityId};
}

std::string keepPending(WebContext& ctx, const sso::PendingRequest& pending) {
  std::string flow = ctx.random.token(24);
  ctx.store.putPendingRequest(flow, sso::encodePending(pending), ctx.clock.now() + kPendingLifetime);
  return flow;
}

void setSessionCookie(WebContext& ctx, Poco::Net::HTTPServerResponse& resp, const std::string& token) {
  // SameSite=None: the SP's POST-binding AuthnRequest is a cross-site POST that must carry
  // the session; browsers accept None only with Secure.
  setCookie(resp, kSessionCookie, token, {"/", ctx.https(), ctx.https() ? "None" : "Lax", std::nullopt});
}

store::Session startSession(WebContext& ctx, Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
                            const store::User& user, const std::string& factors, const std::string& classRef,
                            const sso::SessionManager::Via* via) {
  const std::string remote = remoteAddress(req);
  const std::string agent = printable(req.get("User-Agent", ""), 200);
  // The class the session is known by: the upstream's, or the strongest its factors support.
  std::string known = classRef;
  if (known.empty()) {
    auto classes = policy::supportedClasses(policy::Factors::decode(factors));
    known = classes.empty() ? std::string(policy::kAcUnspecified) : classes.front();
  }
  std::optional<sso::SessionManager::Created> created;
  if (auto oldToken = cookie(req, kSessionCookie)) {
    if (auto old = ctx.sso->sessions.resolve(*oldToken)) {
      if (old->userId == user.id) {
        created = ctx.sso->sessions.reauthenticate(*old, known, factors, remote, agent, via);
      } else if (ctx.sso->logout) {
        auto flow = ctx.sso->logout->begin(*old, std::nullopt, user.login, false, false);
        ctx.sso->logout->finish(flow);
      } else {
        ctx.sso->sessions.destroy(*oldToken, "replaced by another person's login");
      }
    }
  }
  if (!created) created = ctx.sso->sessions.create(user, known, factors, remote, agent, via);
  setSessionCookie(ctx, resp, created->token);
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

bool checkLogin(WebContext& ctx, const Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
                const store::Session& session, const sso::PendingRequest& pending, LoginCheck& out,
                DeferredAudit* requestAudit) {
  auto writeRequestAudit = [&] {
    if (requestAudit) requestAudit->flush();
  };
  if (pending.forSp()) {
    out.sp = ctx.sso->sps.find(pending.spEntityId);
    if (!out.sp) {
      writeRequestAudit();
      sendErrorPage(ctx, resp, Status::HTTP_BAD_REQUEST, "Сервис больше не зарегистрирован",
                    "The service is no longer registered", "SP " + pending.spEntityId + " vanished during login");
      return false;
    }
  }
  out.user = ctx.store.findUser(session.login);
  if (!out.user || out.user->id != session.userId) {
    writeRequestAudit();
    sendErrorPage(ctx, resp, Status::HTTP_FORBIDDEN, "Вход невозможен", "Sign-in is not possible",
                  "session user " + session.login + " no longer exists");
    return false;
  }
  auto& lc = out.lc;
  lc.now = ctx.clock.now();
  lc.user = &*out.user;
  lc.session = &session;
  lc.pending = &pending;
  lc.sp = out.sp.get();
  lc.remote = remoteAddress(req);
  lc.status = sso::effectiveStatus(*out.user, session);
  if (!session.upstream.empty())
    if (auto up = sso::decodeUpstreamSession(session.upstreamData)) lc.upstreamClass = up->authnContextClassRef;
  // What the account could use as a second factor matters only when the session has none yet
  // (one look-up; none on the hot path of a session that already proved one).
  if (ctx.sso->factors && !sso::sessionFactors(session).hasSecondFactor())
    lc.factors = ctx.sso->factors->available(*out.user);
  out.result = sso::runLoginSteps(lc);
  return true;
}

void completeSso(WebContext& ctx, Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
                 const store::Session& session, const sso::PendingRequest& pending, DeferredAudit* requestAudit,
                 bool freshLogin) {
  auto writeRequestAudit = [&] {
    if (requestAudit) requestAudit->flush();
  };
  LoginCheck check;
  if (!checkLogin(ctx, req, resp, session, pending, check, requestAudit)) return;
  auto& sp = check.sp;
  auto& user = check.user;
  auto& lc = check.lc;
  auto& ok = check.result;
  const std::string target = sp ? pending.spEntityId : std::string("(account)");
  if (!ok) {
    const auto& stop = ok.error();
    writeRequestAudit();
    if (stop.page != sso::LoginPage::SecondFactor || pending.isPassive) {
      const auto client = clientOf(req, pending);
      ctx.store.addLoginHistory({user->id, lc.now, client.remote, client.userAgent, client.sp,
                                 sso::sessionFactors(session).encode(), "refused:" + std::string(stop.step)});
    }
    if (stop.page == sso::LoginPage::SecondFactor && !pending.isPassive) {
      // The second factor is asked on its own page; the request waits under a new flow id.
      ctx.store.appendAudit({user->login, "login.second-factor", target, "ok",
                             R"({"session":)" + jsonString(session.idHash.substr(0, 16)) + "}"});
      return redirectTo(ctx, resp, "/login/mfa?flow=" + keepPending(ctx, pending));
    }
    std::string details = R"({"reason":)" + jsonString(stop.step);
    if (stop.page == sso::LoginPage::StatusTooLow)
      details += R"(,"have":)" + jsonString(policy::accountStatusName(lc.status)) + R"(,"need":)" +
                 jsonString(policy::accountStatusName(sp->minStatus));
    else
      details += R"(,"detail":)" + jsonString(printable(stop.error.detail, 300));
    ctx.store.appendAudit({user->login, sp ? "assertion.refused" : "login.refused", target, "refused", details + "}"});
    if (!sp || stop.page == sso::LoginPage::Locked || stop.page == sso::LoginPage::AddressRefused) {
      if (stop.page == sso::LoginPage::AddressRefused)
        return sendErrorPage(ctx, resp, Status::HTTP_FORBIDDEN, "Вход с этого адреса для сервиса запрещён",
                             "Signing in to this service from your address is not allowed", stop.error.detail);
      return sendErrorPage(ctx, resp, Status::HTTP_FORBIDDEN, "Вход невозможен", "Sign-in is not possible",
                           std::string(stop.step) + ": " + stop.error.detail);
    }
    Error err = stop.error;
    if (stop.page == sso::LoginPage::SecondFactor) err = Error{StatusCode::Responder, status::kNoPassive, err.detail};
    if (stop.page == sso::LoginPage::StatusTooLow || (stop.page == sso::LoginPage::EnrolFactor && !pending.isPassive)) {
      auto xml = ctx.sso->issuer.error(*sp, pending.acsUrl, pending.requestId, err);
      if (!xml) throw std::runtime_error("cannot build error Response: " + xml.error().detail);
      const std::string nonce = ctx.random.token(16);
      stepPageHeaders(ctx, resp, nonce, cspOrigin(pending.acsUrl));
      const std::string page =
          stop.page == sso::LoginPage::StatusTooLow
              ? renderStatusTooLow(std::string(policy::accountStatusName(lc.status)),
                                   std::string(policy::accountStatusName(sp->minStatus)), pending.acsUrl, *xml,
                                   pending.relayState)
              : renderEnrolNeeded(lc.factors.anyEnrolled, pending.acsUrl, *xml, pending.relayState, nonce);
      sendBody(resp, Status::HTTP_FORBIDDEN, "text/html; charset=utf-8", page);
      return;
    }
    return sendSamlError(ctx, resp, *sp, pending.acsUrl, pending.requestId, pending.relayState, err);
  }

  if (freshLogin) loginCompleted(ctx, req, resp, *user, session, pending);
  if (!sp) {
    // A login for the IdP's own pages: back to the page that asked (a path of ours only).
    writeRequestAudit();
    const std::string to = pending.returnTo.starts_with("/account") ? pending.returnTo : "/account";
    return redirectTo(ctx, resp, to);
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
    issued = ctx.sso->issuer.issue(*user, session, *sp, pending, lc.authnContextClassRef,
                                   requestAudit ? requestAudit->pending() : nullptr, &requestAuditWritten);
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
