// Escaping by table: each byte maps to its replacement entity or to nothing. Runs of bytes
// that need no escaping (nearly all of a SAML message) are copied at once, so the cost is one
// table look-up per byte (a per-byte find_first_of or append showed in the SSO profile).
#pragma once

#include <array>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace propusk {

using EntityTable = std::array<const char*, 256>;

constexpr EntityTable makeEntityTable(std::initializer_list<std::pair<char, const char*>> entities) {
  EntityTable t{};
  for (auto [c, entity] : entities) t[static_cast<unsigned char>(c)] = entity;
  return t;
}

inline void appendEscaped(std::string& out, std::string_view s, const EntityTable& table) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char* entity = table[static_cast<unsigned char>(s[i])];
    if (!entity) continue;
    out.append(s, start, i - start);
    out += entity;
    start = i + 1;
  }
  out.append(s, start);
}

}  // namespace propusk
