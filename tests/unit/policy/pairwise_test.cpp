#include "idp/policy/pairwise.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <regex>

using namespace propusk::policy;

namespace {
constexpr std::string_view kSecret = "secret";
constexpr std::string_view kSp = "https://sp.example.org";
constexpr std::string_view kOtherSp = "https://other.example.org";

bool isBase64Url(const std::string& s) {
  return std::ranges::all_of(s, [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

// OASIS Subject Identifier Attributes Profile §3.2.1 / §3.3.1, with our 64-hex uniqueID.
bool isScopedHex(const std::string& s, const std::string& scope) {
  static const std::regex re("^[0-9a-f]{64}@(.+)$");
  std::smatch m;
  return std::regex_match(s, m, re) && m[1] == scope;
}
}  // namespace

TEST_CASE("persistent NameID is a fixed HMAC over user and SP", "[policy]") {
  // Expected values computed independently (Python hmac) over "persistent\0u1\0<sp>".
  CHECK(persistentNameId(kSecret, "u1", kSp) == "61AtaolXGQHRHlZSxVmVg3pVHECnrkajCj4wqf9tt7c");
  const std::string id = persistentNameId(kSecret, "u1", kSp);
  CHECK(id.size() == 43);
  CHECK(isBase64Url(id));
  CHECK(id.find('=') == std::string::npos);
  CHECK(persistentNameId(kSecret, "u1", kSp) == id);  // stable
  CHECK(persistentNameId(kSecret, "u1", kOtherSp) != id);
  CHECK(persistentNameId(kSecret, "u2", kSp) != id);
  CHECK(persistentNameId("other-secret", "u1", kSp) != id);
  // The separator keeps field boundaries: ("ab", "c") and ("a", "bc") differ.
  CHECK(persistentNameId(kSecret, "ab", "c") != persistentNameId(kSecret, "a", "bc"));
}

TEST_CASE("subject-id is per user, the same for every SP", "[policy]") {
  const std::string id = subjectId(kSecret, "u1", "example.ru");
  CHECK(id == "e0b8f4d2a05730f714a5d898bda257d342f6f48c58e70bff8c282bd68403b20d@example.ru");
  CHECK(isScopedHex(id, "example.ru"));
  CHECK(subjectId(kSecret, "u1", "example.ru") == id);
  CHECK(subjectId(kSecret, "u2", "example.ru") != id);
  CHECK(subjectId("other-secret", "u1", "example.ru") != id);
  // Scope is case-insensitive in the profile; we emit it lowercase.
  CHECK(subjectId(kSecret, "u1", "Example.RU") == id);
}

TEST_CASE("pairwise-id differs per SP, user and secret", "[policy]") {
  const std::string id = pairwiseId(kSecret, "u1", kSp, "example.ru");
  CHECK(id == "84f875e433960029925bf11de86229835cacba40c8df1799517bf3fbbd2aebe4@example.ru");
  CHECK(isScopedHex(id, "example.ru"));
  CHECK(pairwiseId(kSecret, "u1", kSp, "example.ru") == id);
  CHECK(pairwiseId(kSecret, "u1", kOtherSp, "example.ru") != id);
  CHECK(pairwiseId(kSecret, "u2", kSp, "example.ru") != id);
  CHECK(pairwiseId("other-secret", "u1", kSp, "example.ru") != id);
  // Distinct derivations: the same inputs never give the same opaque value twice.
  const std::string uniqueId = id.substr(0, id.find('@'));
  CHECK(subjectId(kSecret, "u1", "example.ru").substr(0, 64) != uniqueId);
  CHECK(persistentNameId(kSecret, "u1", kSp) != uniqueId);
}

TEST_CASE("SessionIndex is a fixed HMAC over session and SP", "[policy]") {
  // Expected value computed independently (Python hmac) over "session-index\0<session>\0<sp>\0<NameID>".
  CHECK(sessionIndex(kSecret, "9f86d081884c7d65", kSp, "n1") == "_fb8e832aa88dfed98ce72b09a01663747ac87eb8");
  const std::string index = sessionIndex(kSecret, "9f86d081884c7d65", kSp, "n1");
  CHECK(index.size() == 41);
  CHECK(sessionIndex(kSecret, "9f86d081884c7d65", kSp, "n1") == index);  // stable
  CHECK(sessionIndex(kSecret, "9f86d081884c7d65", kOtherSp, "n1") != index);
  CHECK(sessionIndex(kSecret, "other-session", kSp, "n1") != index);
  CHECK(sessionIndex(kSecret, "9f86d081884c7d65", kSp, "n2") != index);  // a new transient NameID
  CHECK(sessionIndex("other-secret", "9f86d081884c7d65", kSp, "n1") != index);
}
