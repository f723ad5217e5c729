// Registering upstream identity providers (gateway) from their metadata, with the attribute
// map and policy that go with each. Every refusal's detail starts with the field it concerns
// ("map: line 3: ...", "level: ...").
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "idp/core/clock.h"
#include "idp/core/result.h"
#include "idp/crypto/openssl_handles.h"
#include "idp/store/store.h"

namespace propusk::admin {

struct UpstreamRegistration {
  store::Upstream upstream;
  bool replaced = false;
  bool signatureChecked = false;
  bool signedButUnchecked = false;  // signed metadata registered without --trust
};

// 1..32 of [a-z0-9-], starting with a letter; "all" and "none" are words of
// `sp set --upstreams`, not names. The detail names the field "name".
Status checkUpstreamName(std::string_view name);

// Checks the name, the IdP metadata (saml::parseIdpMetadata: schema, signature with `trust`,
// validUntil, a signing certificate), the map (identity::parseAttributeMap), the level
// (simplified|standard|confirmed) and the link key (snils|inn|email|none, which the map must
// fill), and stores the upstream, audited "upstream.add" or "upstream.replace". A name
// already registered is refused unless `replace`; an entityID another upstream has is always
// refused. An empty displayName means the name. The same entityID may be registered as an SP
// too: the two roles are separate.
Result<UpstreamRegistration> registerUpstream(store::Store& store, const std::string& metadataXml,
                                              const std::string& source, std::span<X509* const> trust,
                                              const std::string& name, const std::string& mapText,
                                              const std::string& level, const std::string& linkBy,
                                              const std::string& displayName, bool allowSha1, bool replace,
                                              const Clock& clock, const std::string& actor);

struct UpstreamChange {
  std::optional<std::string> mapText;
  std::optional<std::string> level;
  std::optional<std::string> linkBy;
  std::optional<bool> allowSha1;
  std::optional<std::string> displayName;  // empty: back to the name
};
// `propuskctl upstream set`: the same checks for what changes, audited "upstream.set".
Result<store::Upstream> updateUpstream(store::Store& store, const std::string& name, const UpstreamChange& change,
                                       const Clock& clock, const std::string& actor);

}  // namespace propusk::admin
