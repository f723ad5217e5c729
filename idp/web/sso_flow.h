// The last step of every SSO path (after /saml/sso with a session, after /login, after an
// IdP-initiated start): check policy, issue, and deliver to the ACS by an auto-POST form.
#pragma once

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include "idp/saml/sp_directory.h"
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

// `requestAudit` (may be null): the request's deferred event — written with the issuance,
// or before whatever refusal comes instead.
void completeSso(WebContext& ctx, Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
                 const store::Session& session, const sso::PendingRequest& pending,
                 DeferredAudit* requestAudit = nullptr);

// A person has just proved who they are (password, or an upstream IdP's assertion): a new
// session id (no fixation) in the cookie. The same person re-authenticating keeps the session's
// SPs for Single Logout; another person's session in this browser ends first (back-channel
// logout of its SPs). Returns the new session.
store::Session startSession(WebContext& ctx, Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
                            const store::User& user, const std::string& authnContextClassRef,
                            const sso::SessionManager::Via* via = nullptr);

// A signed error Response posted to an ACS from metadata, with the RelayState if any.
void sendSamlError(WebContext& ctx, Poco::Net::HTTPServerResponse& resp, const saml::RegisteredSp& sp,
                   const std::string& acsUrl, const std::optional<std::string>& inResponseTo,
                   const std::optional<std::string>& relayState, const Error& err);

void sendAutoPost(WebContext& ctx, Poco::Net::HTTPServerResponse& resp, const std::string& acsUrl,
                  const std::string& responseXml, const std::optional<std::string>& relayState);

// "https://host:port" of a URL when it is safe to put into a CSP header, else "*".
std::string cspOrigin(const std::string& url);

}  // namespace propusk::web
