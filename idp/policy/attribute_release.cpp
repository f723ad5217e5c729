#include "idp/policy/attribute_release.h"

#include <algorithm>

namespace propusk::policy {

namespace {
bool has(const std::optional<std::string>& v) { return v && !v->empty(); }

std::string displayName(const Person& p) {
  std::string out;
  for (const std::string* part : {&p.surname, &p.givenName, has(p.middleName) ? &*p.middleName : nullptr}) {
    if (!part || part->empty()) continue;
    if (!out.empty()) out += ' ';
    out += *part;
  }
  return out;
}

// The values of one catalog attribute for this person; empty when there is nothing to send.
std::vector<std::string> valuesOf(std::string_view friendlyName, const Person& p) {
  auto one = [](const std::string& s) { return s.empty() ? std::vector<std::string>{} : std::vector{s}; };
  auto opt = [](const std::optional<std::string>& s) { return has(s) ? std::vector{*s} : std::vector<std::string>{}; };
  if (friendlyName == "displayName") return one(displayName(p));
  if (friendlyName == "sn") return one(p.surname);
  if (friendlyName == "givenName") return one(p.givenName);
  if (friendlyName == "middleName") return opt(p.middleName);
  if (friendlyName == "inn") return opt(p.inn);
  if (friendlyName == "snils") return opt(p.snils);
  if (friendlyName == "accountStatus") return {std::string(accountStatusName(p.status))};
  if (friendlyName == "eduPersonAssurance") {
    std::vector<std::string> v;
    for (std::string_view uri : assuranceUris(p.status)) v.emplace_back(uri);
    return v;
  }
  if (friendlyName == "mail") return opt(p.email);
  if (friendlyName == "telephoneNumber") return opt(p.phone);
  return {};
}
}  // namespace

std::vector<ReleasedAttribute> releaseAttributes(const Person& person, std::span<const std::string> release) {
  std::vector<ReleasedAttribute> out;
  // Walking the catalog rather than the list gives catalog order, drops unknown names
  // and sends each attribute once however often the list repeats it.
  for (const AttributeDef& def : attributeCatalog()) {
    if (std::ranges::find(release, def.friendlyName) == release.end()) continue;
    auto values = valuesOf(def.friendlyName, person);
    if (values.empty()) continue;
    out.push_back({def, std::move(values)});
  }
  return out;
}

}  // namespace propusk::policy
