// The IdP samlflow talks to, from its metadata (file or URL), and the HTTP client options
// every networked command shares (--ca, --insecure-tls, --timeout).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "idp/cli/samlflow/browser.h"
#include "idp/cli/samlflow/env.h"
#include "idp/saml/messages/idp_metadata.h"
#include "idp/web/http_client.h"

namespace propusk::cli::samlflow {

struct IdpSource {
  std::string source;  // the URL or file given
  std::string xml;
  saml::IdpMetadata metadata;
  std::optional<Exchange> fetch;  // the GET that fetched it (for recordings), when a URL
  std::vector<X509*> certificates() const;  // views of metadata.signingCertificates
};

web::HttpClientOptions httpOptions(const ParsedArgs& args);

// Reads --idp-metadata (required), choosing --idp-entity-id in an aggregate, requiring a
// signature by --metadata-cert when given. CliError "idp-metadata: reason" otherwise.
IdpSource loadIdp(Env& env, const ParsedArgs& args, const web::HttpClientOptions& http);
IdpSource loadIdpFrom(Env& env, const std::string& source, const ParsedArgs& args, const web::HttpClientOptions& http);

// A client error as samlflow reports it: a TLS failure gets the hint to give --ca.
std::string httpFailure(const std::string& detail, const web::HttpClientOptions& http);

// GET url, status 200 required; CliError "field: reason" otherwise. The exchange is kept
// in *exchange when given.
std::string fetchDocument(const std::string& url, const web::HttpClientOptions& http, const std::string& field,
                          std::optional<Exchange>* exchange = nullptr);

}  // namespace propusk::cli::samlflow
