#include "idp/policy/attribute_catalog.h"

namespace propusk::policy {

namespace {
constexpr AttributeDef kCatalog[] = {
    {"displayName", "urn:oid:2.16.840.1.113730.3.1.241"},
    {"sn", "urn:oid:2.5.4.4"},
    {"givenName", "urn:oid:2.5.4.42"},
    {"middleName", "urn:propusk:attribute:middle-name"},
    {"inn", "urn:oid:1.2.643.3.131.1.1"},
    {"snils", "urn:oid:1.2.643.100.3"},
    {"accountStatus", "urn:propusk:attribute:account-status"},
    {"eduPersonAssurance", "urn:oid:1.3.6.1.4.1.5923.1.1.1.11"},
    {"mail", "urn:oid:0.9.2342.19200300.100.1.3"},
    {"telephoneNumber", "urn:oid:2.5.4.20"},
};
}  // namespace

std::span<const AttributeDef> attributeCatalog() { return kCatalog; }

std::optional<AttributeDef> findAttribute(std::string_view friendlyName) {
  for (const auto& a : kCatalog)
    if (a.friendlyName == friendlyName) return a;
  return std::nullopt;
}

}  // namespace propusk::policy
