// The last step of every SSO path (after /saml/sso with a session, after /login, after an
// upstream's assertion, after a second factor, after an IdP-initiated start): the after-login
// steps (sso/login_steps.h), then issue and deliver to the ACS by an auto-POST form — or, for a
// login to the IdP's own pages, go there.
#pragma once

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include "idp/saml/sp_directory.h"
#include "idp/sso/login_service.h"
#include "idp/sso/login_steps.h"
#include "idp/sso/pending_request.h"
#include "idp/sso/session_manager.h"
#include "idp/store/records.h"
#include "idp/web/web_context.h"

namespace propusk::web {

// The audit event of the request being handled (authn-request.accepted), kept back so that
// it can go into the issuance's transaction (one store round trip less per SSO with a
// session). Written on its own by flush(), or when this goes out of scope still holding it
// — whatever ended the request, an exception included (a failure to write is logged).
class DeferredAudit {
 public:
  DeferredAudit(WebContext& ctx, store::AuditRecord record) : ctx_(ctx), record_(std::move(record)) {}
  ~DeferredAudit();
  DeferredAudit(const DeferredAudit&) = delete;
  DeferredAudit& operator=(const DeferredAudit&) = delete;

  const store::AuditRecord* pending() const { return record_ ? &*record_ : nullptr; }
  void flush();     // writes it now, if still pending
  void writtenWith() { record_.reset(); }  // another change wrote it in its transaction

 private:
  WebContext& ctx_;
  std::optional<store::AuditRecord> record_;
};

// The after-login steps for `session` answering `pending` (sso/login_steps.h), with what they
// read: the SP, the account. Filled in place (the context points into it).
struct LoginCheck {
  std::shared_ptr<const saml::RegisteredSp> sp;
  std::optional<store::User> user;
  sso::LoginContext lc;
  std::expected<void, sso::LoginStop> result;
  LoginCheck() = default;
  LoginCheck(const LoginCheck&) = delete;
  LoginCheck& operator=(const LoginCheck&) = delete;
};
// False (with an error page sent) when the SP or the account is gone.
bool checkLogin(WebContext& ctx, const Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
                const store::Session& session, const sso::PendingRequest& pending, LoginCheck& out,
                DeferredAudit* requestAudit = nullptr);

// `requestAudit` (may be null): the request's deferred event — written with the issuance,
// or before whatever refusal comes instead. `freshLogin`: the person proved who they are in
// this request (a password, an upstream's assertion, a second factor), so a completed login is
// written to their history and a new device noticed.
void completeSso(WebContext& ctx, Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
                 const store::Session& session, const sso::PendingRequest& pending,
                 DeferredAudit* requestAudit = nullptr, bool freshLogin = false);

// A person has just proved who they are (password, or an upstream IdP's assertion): a new
// session id (no fixation) in the cookie. The same person re-authenticating keeps the session's
// SPs for Single Logout; another person's session in this browser ends first (back-channel
// logout of its SPs). `factors`: what was proved (policy::Factors::encode); `classRef`: the
// class the session is known by (an upstream's, else derived from the factors). Returns the
// new session.
store::Session startSession(WebContext& ctx, Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
                            const store::User& user, const std::string& factors, const std::string& classRef = {},
                            const sso::SessionManager::Via* via = nullptr);
// Sets the session cookie for `token`.
void setSessionCookie(WebContext& ctx, Poco::Net::HTTPServerResponse& resp, const std::string& token);

// Who the request comes from, for the login service and the history.
sso::Client clientOf(const Poco::Net::HTTPServerRequest& req, const sso::PendingRequest& pending);

// Keeps `pending` under a new flow id (for /login, /login/mfa) and returns the id.
std::string keepPending(WebContext& ctx, const sso::PendingRequest& pending);

// A signed error Response posted to an ACS from metadata, with the RelayState if any.
void sendSamlError(WebContext& ctx, Poco::Net::HTTPServerResponse& resp, const saml::RegisteredSp& sp,
                   const std::string& acsUrl, const std::optional<std::string>& inResponseTo,
                   const std::optional<std::string>& relayState, const Error& err);

void sendAutoPost(WebContext& ctx, Poco::Net::HTTPServerResponse& resp, const std::string& acsUrl,
                  const std::string& responseXml, const std::optional<std::string>& relayState);

// A 303 to a path of ours.
void redirectTo(WebContext& ctx, Poco::Net::HTTPServerResponse& resp, const std::string& path);

// "https://host:port" of a URL when it is safe to put into a CSP header, else "*".
std::string cspOrigin(const std::string& url);

inline constexpr std::chrono::minutes kPendingLifetime{10};

}  // namespace propusk::web
