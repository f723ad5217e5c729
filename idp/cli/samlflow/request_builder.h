// An AuthnRequest as the request options (authn-request, login, record) describe it, and
// how it travels: the HTTP-Redirect URL (query signed) or the HTTP-POST form (XML signed).
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

enum class Binding { Redirect, Post };

struct SentRequest {
  std::string id;
  Binding binding = Binding::Redirect;
  std::string xml;           // the message as it travels (signed inside for POST)
  std::string url;           // Redirect: SSO URL + query; POST: the SSO URL
  std::vector<std::pair<std::string, std::string>> fields;  // POST form fields
  std::optional<std::string> relayState;
  bool signedRequest = false;
  std::optional<crypto::SignatureAlgorithm> algorithm;
  std::string acsUrl;        // where the Response must come back (our ACS)
};

std::string_view bindingName(Binding b);  // "redirect", "post"

// Reads the request options; idp may be null when --destination is given.
SentRequest buildRequestFromOptions(Env& env, const ParsedArgs& args, const SpIdentity& sp,
                                    const saml::IdpMetadata* idp);

// "persistent" -> the URI; a URI stays as it is.
std::string nameIdFormatUri(const std::string& shortOrUri);

}  // namespace propusk::cli::samlflow
