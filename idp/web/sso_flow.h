// The last step of every SSO path (after /saml/sso with a session, after /login, after an
// IdP-initiated start): check policy, issue, and deliver to the ACS by an auto-POST form.
#pragma once

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include "idp/saml/sp_directory.h"
#include "idp/sso/pending_request.h"
#include "idp/store/records.h"
#include "idp/web/web_context.h"

namespace propusk::web {

// `requestAudit`: the event of the request being answered (authn-request.accepted), when the
// caller leaves it to be written here — with the issuance in one transaction, or before
// whatever refusal comes instead. One store round trip less per SSO with a session.
void completeSso(WebContext& ctx, Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
                 const store::Session& session, const sso::PendingRequest& pending,
                 std::optional<store::AuditRecord> requestAudit = std::nullopt);

// A signed error Response posted to an ACS from metadata, with the RelayState if any.
void sendSamlError(WebContext& ctx, Poco::Net::HTTPServerResponse& resp, const saml::RegisteredSp& sp,
                   const std::string& acsUrl, const std::optional<std::string>& inResponseTo,
                   const std::optional<std::string>& relayState, const Error& err);

void sendAutoPost(WebContext& ctx, Poco::Net::HTTPServerResponse& resp, const std::string& acsUrl,
                  const std::string& responseXml, const std::optional<std::string>& relayState);

// "https://host:port" of a URL when it is safe to put into a CSP header, else "*".
std::string cspOrigin(const std::string& url);

}  // namespace propusk::web
