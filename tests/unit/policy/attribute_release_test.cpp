#include "idp/policy/attribute_release.h"

#include <catch2/catch.hpp>

using namespace propusk;
using namespace propusk::policy;

namespace {
Person ivanov() {
  Person p;
  p.surname = "Иванов";
  p.givenName = "Иван";
  p.middleName = "Иванович";
  p.inn = "500100732259";
  p.snils = "11223344595";
  p.email = "ivanov@example.ru";
  p.phone = "+79991234567";
  p.status = AccountStatus::Standard;
  return p;
}

const std::vector<std::string> kAll = {"displayName", "sn", "givenName", "middleName", "inn",
                                       "snils", "accountStatus", "eduPersonAssurance", "mail",
                                       "telephoneNumber"};

const ReleasedAttribute* find(const std::vector<ReleasedAttribute>& v, std::string_view friendlyName) {
  for (const auto& a : v)
    if (a.def.friendlyName == friendlyName) return &a;
  return nullptr;
}

std::vector<std::string> friendlyNames(const std::vector<ReleasedAttribute>& v) {
  std::vector<std::string> out;
  for (const auto& a : v) out.emplace_back(a.def.friendlyName);
  return out;
}
}  // namespace

TEST_CASE("nothing is released without a release list", "[policy]") {
  CHECK(releaseAttributes(ivanov(), {}).empty());
}

TEST_CASE("every catalog attribute carries the person's values", "[policy]") {
  auto out = releaseAttributes(ivanov(), kAll);
  CHECK(friendlyNames(out) == kAll);

  using V = std::vector<std::string>;
  CHECK(find(out, "displayName")->values == V{"Иванов Иван Иванович"});
  CHECK(find(out, "displayName")->def.name == "urn:oid:2.16.840.1.113730.3.1.241");
  CHECK(find(out, "sn")->values == V{"Иванов"});
  CHECK(find(out, "sn")->def.name == "urn:oid:2.5.4.4");
  CHECK(find(out, "givenName")->values == V{"Иван"});
  CHECK(find(out, "middleName")->values == V{"Иванович"});
  CHECK(find(out, "middleName")->def.name == "urn:propusk:attribute:middle-name");
  CHECK(find(out, "inn")->values == V{"500100732259"});
  CHECK(find(out, "inn")->def.name == "urn:oid:1.2.643.3.131.1.1");
  CHECK(find(out, "snils")->values == V{"11223344595"});
  CHECK(find(out, "snils")->def.name == "urn:oid:1.2.643.100.3");
  CHECK(find(out, "accountStatus")->values == V{"standard"});
  CHECK(find(out, "eduPersonAssurance")->values ==
        V{"https://refeds.org/assurance", "https://refeds.org/assurance/ID/unique",
          "https://refeds.org/assurance/IAP/low", "https://refeds.org/assurance/IAP/medium"});
  CHECK(find(out, "eduPersonAssurance")->def.name == "urn:oid:1.3.6.1.4.1.5923.1.1.1.11");
  CHECK(find(out, "mail")->values == V{"ivanov@example.ru"});
  CHECK(find(out, "mail")->def.name == "urn:oid:0.9.2342.19200300.100.1.3");
  CHECK(find(out, "telephoneNumber")->values == V{"+79991234567"});
  CHECK(find(out, "telephoneNumber")->def.name == "urn:oid:2.5.4.20");
}

TEST_CASE("absent values are not released", "[policy]") {
  Person p = ivanov();
  p.middleName.reset();
  p.inn.reset();
  p.snils.reset();
  p.email.reset();
  p.phone.reset();
  auto out = releaseAttributes(p, kAll);
  CHECK(friendlyNames(out) ==
        std::vector<std::string>{"displayName", "sn", "givenName", "accountStatus", "eduPersonAssurance"});
  // No trailing space without a patronymic.
  CHECK(find(out, "displayName")->values == std::vector<std::string>{"Иванов Иван"});

  p.middleName = "";  // stored as empty: the same as absent
  out = releaseAttributes(p, std::vector<std::string>{"middleName", "displayName"});
  CHECK(friendlyNames(out) == std::vector<std::string>{"displayName"});
  CHECK(find(out, "displayName")->values == std::vector<std::string>{"Иванов Иван"});
}

TEST_CASE("catalog order, unknown names ignored, duplicates once", "[policy]") {
  const std::vector<std::string> release = {"mail", "bogus", "sn", "mail", "displayName", "SN", "sn"};
  auto out = releaseAttributes(ivanov(), release);
  CHECK(friendlyNames(out) == std::vector<std::string>{"displayName", "sn", "mail"});
  CHECK(out[2].values.size() == 1);
}

TEST_CASE("assurance and status follow the account status", "[policy]") {
  const std::vector<std::string> release = {"accountStatus", "eduPersonAssurance"};
  for (auto [status, name, top] : {std::tuple{AccountStatus::Simplified, "simplified", "low"},
                                   std::tuple{AccountStatus::Standard, "standard", "medium"},
                                   std::tuple{AccountStatus::Confirmed, "confirmed", "high"}}) {
    Person p = ivanov();
    p.status = status;
    auto out = releaseAttributes(p, release);
    REQUIRE(out.size() == 2);
    CHECK(out[0].values == std::vector<std::string>{name});
    std::vector<std::string> expected;
    for (auto uri : assuranceUris(status)) expected.emplace_back(uri);
    CHECK(out[1].values == expected);
    CHECK(out[1].values.back() == std::string("https://refeds.org/assurance/IAP/") + top);
  }
}
