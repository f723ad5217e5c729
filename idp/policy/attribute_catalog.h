// The attributes Propusk can release (DESIGN.md), NameFormat uri.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace propusk::policy {

inline constexpr std::string_view kNameFormatUri = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri";

struct AttributeDef {
  std::string_view friendlyName;
  std::string_view name;  // OID URN or urn:propusk:attribute:...
};

std::span<const AttributeDef> attributeCatalog();
std::optional<AttributeDef> findAttribute(std::string_view friendlyName);

}  // namespace propusk::policy
