// Which attributes an SP receives, built from a person's record and the SP's release list
// (DESIGN.md: nothing beyond the NameID by default).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "idp/policy/account_status.h"
#include "idp/policy/attribute_catalog.h"

namespace propusk::policy {

struct Person {
  std::string surname;
  std::string givenName;
  std::optional<std::string> middleName;
  std::optional<std::string> inn;
  std::optional<std::string> snils;
  std::optional<std::string> email;  // only when confirmed
  std::optional<std::string> phone;  // only when confirmed
  AccountStatus status = AccountStatus::Simplified;
};

// A catalog attribute with this person's values. Policy decides what leaves the IdP; how
// it is written into an assertion (saml::AttributeOut) is the SAML layer's business.
struct ReleasedAttribute {
  AttributeDef def;  // points into the static catalog
  std::vector<std::string> values;
};

// One ReleasedAttribute per released FriendlyName that has a value, in catalog order; names
// not in the catalog are ignored (registration refuses them). displayName is
// "Фамилия Имя Отчество"; eduPersonAssurance carries assuranceUris(status).
std::vector<ReleasedAttribute> releaseAttributes(const Person& person, std::span<const std::string> release);

}  // namespace propusk::policy
