// An AuthnRequest as the request options (authn-request, login, record) describe it, or a
// LogoutRequest as logout-request's options do, and how it travels: the HTTP-Redirect URL
// (query signed), the HTTP-POST form or the SOAP body (XML signed).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "idp/cli/samlflow/env.h"
#include "idp/cli/samlflow/sp_identity.h"
#include "idp/crypto/xml_signature.h"
#include "idp/saml/build/authn_request.h"
#include "idp/saml/messages/idp_metadata.h"

namespace propusk::cli::samlflow {

enum class Binding { Redirect, Post, Soap };  // Soap: LogoutRequest only

struct SentRequest {
  std::string id;
  Binding binding = Binding::Redirect;
  std::string xml;           // the message as it travels (signed inside for POST and SOAP)
  std::string url;           // Redirect: IdP endpoint + query; POST, SOAP: the IdP endpoint
  std::vector<std::pair<std::string, std::string>> fields;  // POST form fields
  std::optional<std::string> relayState;
  bool signedRequest = false;
  std::optional<crypto::SignatureAlgorithm> algorithm;
  std::string acsUrl;        // AuthnRequest: where the Response must come back (our ACS)
};

std::string_view bindingName(Binding b);  // "redirect", "post", "soap"

// Reads the request options; idp may be null when --destination is given.
SentRequest buildRequestFromOptions(Env& env, const ParsedArgs& args, const SpIdentity& sp,
                                    const saml::IdpMetadata* idp);

// Reads logout-request's options (--name-id and its qualifiers, --session-index, --reason,
// --binding redirect|post|soap, ...); idp may be null when --destination is given. The
// IdP's SingleLogoutService for the binding is the destination; Issuer is the SP's entityID.
SentRequest buildLogoutRequestFromOptions(Env& env, const ParsedArgs& args, const SpIdentity& sp,
                                          const saml::IdpMetadata* idp);

// "persistent" -> the URI; a URI stays as it is.
std::string nameIdFormatUri(const std::string& shortOrUri);

}  // namespace propusk::cli::samlflow
