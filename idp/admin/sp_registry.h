// Registering SPs from their metadata, and their per-SP policy.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "idp/core/clock.h"
#include "idp/core/result.h"
#include "idp/crypto/openssl_handles.h"
#include "idp/store/store.h"

namespace propusk::admin {

struct Registration {
  store::ServiceProvider sp;
  bool replaced = false;
  bool signatureChecked = false;
  bool signedButUnchecked = false;  // signed metadata registered without --trust
};

// Checks the metadata (saml::parseSpMetadata) and stores it. An entityID already registered
// is refused unless `replace`; a replacement keeps the SP's policy settings.
Result<Registration> registerSp(store::Store& store, const std::string& metadataXml, const std::string& source,
                                std::span<X509* const> trust, bool replace, const Clock& clock,
                                const std::string& actor);

struct SpPolicyChange {
  std::optional<std::vector<std::string>> release;  // FriendlyNames; empty vector: release nothing
  std::optional<std::string> minStatus;
  std::optional<bool> allowSha1;
  std::optional<std::string> signMode;
  // Gateway: upstream names (each registered), or {"all"} / {"*"} for every upstream, empty
  // for none; stored as given, "all" as {"*"}.
  std::optional<std::vector<std::string>> upstreams;
  std::optional<bool> localLogin;
  // Account security: a second factor for every login to this SP; client address ranges
  // (CIDR, checked; empty: any address).
  std::optional<bool> requireMfa;
  std::optional<std::vector<std::string>> allowIp;
};
Result<store::ServiceProvider> updateSpPolicy(store::Store& store, const std::string& entityId,
                                              const SpPolicyChange& change, const Clock& clock,
                                              const std::string& actor);

}  // namespace propusk::admin
