// Which attributes an SP receives, built from a person's record and the SP's release list
// (DESIGN.md: nothing beyond the NameID by default).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "idp/policy/account_status.h"
#include "idp/saml/build/response.h"

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

// One AttributeOut per released FriendlyName that has a value, in catalog order; names not
// in the catalog are ignored (registration refuses them). displayName is
// "Фамилия Имя Отчество"; eduPersonAssurance carries assuranceUris(status).
std::vector<saml::AttributeOut> releaseAttributes(const Person& person, std::span<const std::string> release);

}  // namespace propusk::policy
