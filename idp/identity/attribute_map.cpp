#include "idp/identity/attribute_map.h"

#include <algorithm>
#include <array>
#include <map>

#include "idp/identity/validators.h"

namespace propusk::identity {

namespace {

// The Propusk attributes a map may fill (DESIGN.md "Attributes released"), those that describe
// a person. accountStatus and eduPersonAssurance are the gateway's statement about the
// upstream (its registered level), so an upstream never sets them.
constexpr std::array<std::string_view, 8> kTargets = {"displayName", "sn",  "givenName", "middleName",
                                                      "inn",         "snils", "mail",    "telephoneNumber"};

constexpr std::string_view kSpace = " \t\r\n\v\f";

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

std::string known(auto names) {
  std::string out;
  for (std::string_view n : names) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

std::optional<ValueTransform> parseTransform(std::string_view s) {
  if (s == "trim") return ValueTransform::Trim;
  if (s == "digits") return ValueTransform::Digits;
  if (s == "lower") return ValueTransform::Lower;
  if (s == "upper") return ValueTransform::Upper;
  return std::nullopt;
}

std::string applyTransform(ValueTransform t, std::string v) {
  switch (t) {
    case ValueTransform::Trim: return std::string(trim(v));
    case ValueTransform::Digits: std::erase_if(v, [](char c) { return c < '0' || c > '9'; }); return v;
    // ASCII only: a byte of a multi-byte UTF-8 sequence is never in A-Z/a-z, so Cyrillic
    // passes unchanged rather than being corrupted.
    case ValueTransform::Lower:
      for (char& c : v)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      return v;
    case ValueTransform::Upper:
      for (char& c : v)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      return v;
  }
  return v;
}

std::string digitsOf(std::string_view v) {
  std::string d;
  for (char c : v)
    if (c >= '0' && c <= '9') d += c;
  return d;
}

// Whitespace-separated words (a display name may have several spaces between its parts).
std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    i = s.find_first_not_of(kSpace, i);
    if (i == std::string_view::npos) break;
    auto end = s.find_first_of(kSpace, i);
    if (end == std::string_view::npos) end = s.size();
    out.emplace_back(s.substr(i, end - i));
    i = end;
  }
  return out;
}

// One value normalised as an administrator's input for that attribute would be.
Result<std::string> normalizeFor(std::string_view target, const std::string& value) {
  if (target == "inn") return normalizeInn(digitsOf(value));
  if (target == "snils") return normalizeSnils(digitsOf(value));
  if (target == "telephoneNumber") return normalizePhone(value);
  if (target == "mail") return normalizeEmail(value);
  if (target == "displayName") {
    auto parts = words(value);
    if (parts.empty()) return invalid("is empty");
    std::string joined;
    for (const auto& p : parts) {
      auto n = normalizeNamePart(p);
      if (!n) return n;
      joined += (joined.empty() ? "" : " ") + *n;
    }
    return joined;
  }
  return normalizeNamePart(value);  // sn, givenName, middleName
}

struct Found {
  std::string value;
  const AttributeMapping* from;
};

}  // namespace

Result<AttributeMap> parseAttributeMap(std::string_view text) {
  AttributeMap map;
  std::map<std::string, int, std::less<>> seen;  // upstream name -> its line
  int lineNo = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++lineNo;
    if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = trim(line);
    if (line.empty()) continue;
    const std::string at = "line " + std::to_string(lineNo) + ": ";

    const auto eq = line.find('=');
    if (eq == std::string_view::npos)
      return invalid(at + "no '=' (a mapping is UPSTREAM-ATTRIBUTE = PROPUSK-ATTRIBUTE [| TRANSFORM ...])");
    AttributeMapping m;
    m.line = lineNo;
    m.upstreamName = std::string(trim(line.substr(0, eq)));
    if (m.upstreamName.empty()) return invalid(at + "no upstream attribute name before '='");
    std::vector<std::string_view> pieces;  // target, then the transforms
    for (std::string_view rhs = line.substr(eq + 1);;) {
      const auto bar = rhs.find('|');
      pieces.push_back(trim(rhs.substr(0, bar)));
      if (bar == std::string_view::npos) break;
      rhs = rhs.substr(bar + 1);
    }
    m.target = std::string(pieces[0]);
    if (m.target.empty()) return invalid(at + "no Propusk attribute after '='");
    if (m.target == "accountStatus" || m.target == "eduPersonAssurance")
      return invalid(at + m.target + " cannot be mapped: it follows the upstream's registered level");
    if (std::find(kTargets.begin(), kTargets.end(), m.target) == kTargets.end())
      return invalid(at + "unknown Propusk attribute '" + m.target + "' (known: " + known(kTargets) + ")");
    for (std::size_t i = 1; i < pieces.size(); ++i) {
      if (pieces[i].empty()) return invalid(at + "empty transform after '|'");
      auto t = parseTransform(pieces[i]);
      if (!t)
        return invalid(at + "unknown transform '" + std::string(pieces[i]) + "' (known: trim, digits, lower, upper)");
      m.transforms.push_back(*t);
    }
    if (auto it = seen.find(m.upstreamName); it != seen.end())
      return invalid(at + "'" + m.upstreamName + "' is mapped already on line " + std::to_string(it->second));
    seen.emplace(m.upstreamName, lineNo);
    map.mappings.push_back(std::move(m));
  }
  return map;
}

Result<MappedPerson> applyAttributeMap(const AttributeMap& map, std::span<const UpstreamAttribute> attributes) {
  // target -> its one value and the mapping it came from
  std::map<std::string, Found, std::less<>> values;
  for (const auto& m : map.mappings) {
    const std::string who = m.target + " (from " + m.upstreamName + ")";
    // By Name first; FriendlyName only when no attribute has that Name (Names are unique URIs,
    // FriendlyNames are informal and may repeat across attributes).
    std::vector<const UpstreamAttribute*> sent;
    for (const auto& a : attributes)
      if (a.name == m.upstreamName) sent.push_back(&a);
    if (sent.empty())
      for (const auto& a : attributes)
        if (a.friendlyName == m.upstreamName) sent.push_back(&a);

    std::optional<std::string> one;
    for (const auto* a : sent) {
      for (const auto& raw : a->values) {
        std::string v = applyTransform(ValueTransform::Trim, raw);
        for (auto t : m.transforms) v = applyTransform(t, std::move(v));
        if (v.empty()) continue;  // an empty value says nothing (e.g. no patronymic)
        auto n = normalizeFor(m.target, v);
        if (!n) return invalid(who + ": " + n.error().detail);
        // Compared normalised: "112-233-445 95" and "11223344595" are one SNILS.
        if (one && *one != *n) return invalid(who + ": several distinct values sent (which one is the person's?)");
        one = std::move(*n);
      }
    }
    if (!one) continue;
    // Two upstream attributes mapped onto one Propusk attribute must agree.
    if (auto it = values.find(m.target); it != values.end()) {
      if (it->second.value != *one)
        return invalid(who + ": differs from the value of " + it->second.from->upstreamName + " (line " +
                       std::to_string(it->second.from->line) + ")");
      continue;
    }
    values.emplace(m.target, Found{std::move(*one), &m});
  }

  MappedPerson p;
  auto take = [&](std::string_view target) -> std::optional<std::string> {
    auto it = values.find(target);
    if (it == values.end()) return std::nullopt;
    return it->second.value;
  };
  p.surname = take("sn");
  p.givenName = take("givenName");
  p.middleName = take("middleName");
  p.inn = take("inn");
  p.snils = take("snils");
  p.email = take("mail");
  p.phone = take("telephoneNumber");
  // ESIA and most Russian IdPs send the full name in one attribute "Фамилия Имя Отчество":
  // it fills whatever part the separate attributes did not give.
  if (auto it = values.find("displayName"); it != values.end() && (!p.surname || !p.givenName)) {
    const auto parts = words(it->second.value);
    if (parts.size() < 2)
      return invalid("displayName (from " + it->second.from->upstreamName +
                     "): cannot be split into surname and given name (expected \"Фамилия Имя [Отчество]\")");
    if (!p.surname) p.surname = parts[0];
    if (!p.givenName) p.givenName = parts[1];
    if (!p.middleName && parts.size() > 2) {
      // A patronymic may have several words ("Гейдар оглы").
      std::string middle;
      for (std::size_t i = 2; i < parts.size(); ++i) middle += (middle.empty() ? "" : " ") + parts[i];
      p.middleName = middle;
    }
  }
  return p;
}

}  // namespace propusk::identity
