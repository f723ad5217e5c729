// The SP samlflow plays: its metadata (entityID, ACS) and, when it signs, its key. An SP
// directory holds sp-key.pem, sp-cert.pem (sp-keys) and sp-metadata.xml (sp-metadata).
#pragma once

#include <optional>
#include <string>

#include "idp/cli/samlflow/env.h"
#include "idp/crypto/openssl_handles.h"
#include "idp/saml/messages/sp_metadata.h"

namespace propusk::cli::samlflow {

inline constexpr char kSpKeyFile[] = "sp-key.pem";
inline constexpr char kSpCertFile[] = "sp-cert.pem";
inline constexpr char kSpMetadataFile[] = "sp-metadata.xml";

struct SpIdentity {
  std::string source;       // the directory or metadata file given
  std::string metadataXml;
  saml::SpMetadata metadata;
  crypto::EvpPkeyPtr key;   // null: requests go unsigned
  crypto::X509Ptr cert;     // the certificate of key, when known

  // The metadata's default HTTP-POST ACS (metadata §2.2.3), or nullptr.
  const saml::Endpoint* postAcs() const;
};

// --sp DIR|METADATA [--sp-key KEY]. The key must match a signing certificate of the
// metadata when the metadata lists any (the IdP verifies with those). CliError otherwise.
SpIdentity loadSpIdentity(Env& env, const std::string& dirOrFile, const std::optional<std::string>& keyFile);

}  // namespace propusk::cli::samlflow
