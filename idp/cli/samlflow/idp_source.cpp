#include "idp/cli/samlflow/idp_source.h"

#include "idp/crypto/keys.h"

namespace propusk::cli::samlflow {

std::vector<X509*> IdpSource::certificates() const {
  std::vector<X509*> out;
  for (auto& c : metadata.signingCertificates) out.push_back(c.get());
  return out;
}

web::HttpClientOptions httpOptions(const ParsedArgs& args) {
  web::HttpClientOptions o;
  if (args.has("insecure-tls") && args.has("ca")) throw UsageError("give --ca or --insecure-tls, not both");
  o.tls.insecure = args.has("insecure-tls");
  if (auto ca = args.get("ca")) {
    auto cert = crypto::loadCertificateFile(*ca);
    if (!cert) throw CliError("ca: " + *ca + ": " + cert.error().detail);
    o.tls.caFile = *ca;
  }
  if (auto t = args.get("timeout")) {
    int s = 0;
    try {
      s = std::stoi(*t);
    } catch (const std::exception&) {
    }
    if (s < 1 || s > 3600) throw UsageError("timeout: give 1..3600 seconds");
    o.timeout = std::chrono::seconds(s);
  }
  return o;
}

std::string httpFailure(const std::string& detail, const web::HttpClientOptions& http) {
  if (detail.find(": TLS: ") == std::string::npos || http.tls.insecure) return detail;
  return detail + (http.tls.caFile.empty() ? " (give --ca FILE to trust the server's certificate)"
                                            : " (is --ca the certificate that signed the server's?)");
}

std::string fetchDocument(const std::string& url, const web::HttpClientOptions& http, const std::string& field,
                          std::optional<Exchange>* exchange) {
  web::HttpClient client(http);
  web::HttpRequestData req{"GET", url, {{"Accept", "application/samlmetadata+xml, application/xml;q=0.9, */*;q=0.8"},
                                        {"User-Agent", "samlflow/" PROPUSK_VERSION}}, {}};
  auto resp = client.send(req);
  if (exchange) *exchange = Exchange{field, req, resp ? std::optional(*resp) : std::nullopt,
                                     resp ? std::string() : resp.error().detail, {}};
  if (!resp) throw CliError(field + ": " + httpFailure(resp.error().detail, http));
  if (resp->status != 200)
    throw CliError(field + ": " + url + " answered HTTP " + std::to_string(resp->status) + " " + resp->reason);
  return resp->body;
}

IdpSource loadIdpFrom(Env& env, const std::string& source, const ParsedArgs& args, const web::HttpClientOptions& http) {
  IdpSource idp;
  idp.source = source;
  if (source.starts_with("http://") || source.starts_with("https://"))
    idp.xml = fetchDocument(source, http, "idp-metadata", &idp.fetch);
  else idp.xml = readInput(env, source, "idp-metadata", 1u << 20);
  std::vector<crypto::X509Ptr> anchors;
  std::vector<X509*> anchorViews;
  if (auto c = args.get("metadata-cert")) {
    auto cert = crypto::loadCertificateFile(*c);
    if (!cert) throw CliError("metadata-cert: " + *c + ": " + cert.error().detail);
    anchorViews.push_back(cert->get());
    anchors.push_back(std::move(*cert));
  }
  saml::IdpMetadataCheck check;
  check.now = env.clock.now();
  check.trustAnchors = anchorViews;
  check.entityId = args.get("idp-entity-id");
  auto md = saml::parseIdpMetadata(idp.xml, check);
  if (!md) throw CliError("idp-metadata: " + source + ": " + md.error().detail);
  idp.metadata = std::move(*md);
  return idp;
}

IdpSource loadIdp(Env& env, const ParsedArgs& args, const web::HttpClientOptions& http) {
  auto source = args.get("idp-metadata");
  if (!source) throw UsageError("idp-metadata: required (a URL or a file)");
  return loadIdpFrom(env, *source, args, http);
}

}  // namespace propusk::cli::samlflow
