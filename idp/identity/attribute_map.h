// An upstream IdP's attributes mapped onto a Propusk person (gateway, docs/gateway.md).
//
// A map file has one mapping a line (DESIGN.md):
//   UPSTREAM-ATTRIBUTE-NAME = PROPUSK-ATTRIBUTE [| TRANSFORM ...]
// The left side matches an upstream attribute's Name or, failing that, its FriendlyName
// (exact, case-sensitive). The right side is a Propusk FriendlyName that describes a person:
// displayName, sn, givenName, middleName, inn, snils, mail, telephoneNumber (accountStatus and
// eduPersonAssurance come from the upstream's registered level, never from its assertion).
// `#` starts a comment; blank lines are ignored. Transforms, applied left to right:
//   trim        leading and trailing white space removed (always applied first anyway)
//   digits      every character that is not 0-9 removed
//   lower       ASCII lowercase
//   upper       ASCII uppercase
// Whatever the transforms, every value is then checked and normalised by identity/validators.h
// like an administrator's input: inn and snils always have non-digits removed and their
// checksums checked, telephoneNumber becomes +7XXXXXXXXXX, mail an addr-spec, name parts
// letters only. A value that fails is an error naming the attribute and the reason (an
// invalid SNILS from an upstream is refused, not passed on).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "idp/core/result.h"

namespace propusk::identity {

enum class ValueTransform { Trim, Digits, Lower, Upper };

struct AttributeMapping {
  std::string upstreamName;
  std::string target;  // a Propusk FriendlyName from the list above
  std::vector<ValueTransform> transforms;
  int line = 0;        // in the map file
};

struct AttributeMap {
  std::vector<AttributeMapping> mappings;  // file order
};

// Refuses, with "line N: why": no `=`, an empty side, an unknown target or transform, the
// same upstream name mapped twice. An empty map (only comments) is allowed.
Result<AttributeMap> parseAttributeMap(std::string_view text);

// An attribute as the upstream sent it.
struct UpstreamAttribute {
  std::string name;
  std::string friendlyName;
  std::vector<std::string> values;
};

// The person as the upstream describes it, normalised. Absent: not mapped or not sent.
struct MappedPerson {
  std::optional<std::string> surname;
  std::optional<std::string> givenName;
  std::optional<std::string> middleName;
  std::optional<std::string> inn;
  std::optional<std::string> snils;
  std::optional<std::string> email;
  std::optional<std::string> phone;
};

// Applies the map. A mapped attribute with several distinct values is an error (which one
// would be the person's?). When sn or givenName is not mapped but displayName is, the display
// name "Фамилия Имя [Отчество]" is split into surname, given name and patronymic. Errors
// name the Propusk attribute and the upstream attribute: "snils (from urn:oid:...): ...".
Result<MappedPerson> applyAttributeMap(const AttributeMap& map, std::span<const UpstreamAttribute> attributes);

}  // namespace propusk::identity
