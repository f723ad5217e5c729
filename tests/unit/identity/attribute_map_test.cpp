#include "idp/identity/attribute_map.h"

#include <catch2/catch.hpp>

using namespace propusk;
using namespace propusk::identity;

namespace {

constexpr char kSnilsOid[] = "urn:oid:1.2.643.100.3";
constexpr char kInnOid[] = "urn:oid:1.2.643.3.131.1.1";

AttributeMap mapOf(std::string_view text) {
  auto m = parseAttributeMap(text);
  INFO((m ? "" : m.error().detail));
  REQUIRE(m);
  return *m;
}

std::string parseError(std::string_view text) {
  auto m = parseAttributeMap(text);
  REQUIRE_FALSE(m);
  return m.error().detail;
}

UpstreamAttribute attr(std::string name, std::vector<std::string> values, std::string friendly = "") {
  return {std::move(name), std::move(friendly), std::move(values)};
}

Result<MappedPerson> apply(std::string_view text, const std::vector<UpstreamAttribute>& attrs) {
  return applyAttributeMap(mapOf(text), attrs);
}

std::string applyError(std::string_view text, const std::vector<UpstreamAttribute>& attrs) {
  auto p = apply(text, attrs);
  REQUIRE_FALSE(p);
  return p.error().detail;
}

}  // namespace

TEST_CASE("attribute map: lines, comments, transforms", "[identity][attribute-map]") {
  auto m = mapOf(
      "# ESIA\n"
      "\n"
      "urn:oid:1.2.643.100.3 = snils | digits   # formatted by the IdP\n"
      "  urn:oid:0.9.2342.19200300.100.1.3=mail|trim|lower\r\n"
      "displayName = displayName\n"
      "   # indented comment\n"
      "phone = telephoneNumber | upper | digits");
  REQUIRE(m.mappings.size() == 4);
  CHECK(m.mappings[0].upstreamName == kSnilsOid);
  CHECK(m.mappings[0].target == "snils");
  CHECK(m.mappings[0].transforms == std::vector{ValueTransform::Digits});
  CHECK(m.mappings[0].line == 3);
  CHECK(m.mappings[1].upstreamName == "urn:oid:0.9.2342.19200300.100.1.3");
  CHECK(m.mappings[1].transforms == std::vector{ValueTransform::Trim, ValueTransform::Lower});
  CHECK(m.mappings[1].line == 4);
  CHECK(m.mappings[2].transforms.empty());
  CHECK(m.mappings[3].line == 7);
  CHECK(m.mappings[3].transforms == std::vector{ValueTransform::Upper, ValueTransform::Digits});

  CHECK(mapOf("").mappings.empty());
  CHECK(mapOf("# nothing mapped yet\n\n   \n").mappings.empty());
}

TEST_CASE("attribute map: parse errors name the line and why", "[identity][attribute-map]") {
  CHECK(parseError("sn = sn\nno equals sign here\n") == "line 2: no '=' (a mapping is UPSTREAM-ATTRIBUTE = "
                                                        "PROPUSK-ATTRIBUTE [| TRANSFORM ...])");
  CHECK(parseError("# c\n = sn") == "line 2: no upstream attribute name before '='");
  CHECK(parseError("sn =   # nothing") == "line 1: no Propusk attribute after '='");
  CHECK_THAT(parseError("\n\nx = surname"), Catch::StartsWith("line 3: unknown Propusk attribute 'surname' (known: "));
  CHECK_THAT(parseError("x = accountStatus"), Catch::StartsWith("line 1: accountStatus cannot be mapped"));
  CHECK_THAT(parseError("x = eduPersonAssurance"), Catch::StartsWith("line 1: eduPersonAssurance cannot be mapped"));
  CHECK(parseError("x = SN") .starts_with("line 1: unknown Propusk attribute 'SN'"));  // case-sensitive
  CHECK(parseError("x = snils | digits | strip") ==
        "line 1: unknown transform 'strip' (known: trim, digits, lower, upper)");
  CHECK(parseError("x = snils |") == "line 1: empty transform after '|'");
  CHECK(parseError("x = snils || digits") == "line 1: empty transform after '|'");
  CHECK(parseError("a = sn\nb = givenName\n a = middleName") == "line 3: 'a' is mapped already on line 1");
}

TEST_CASE("attribute map: the Name matches first, then the FriendlyName", "[identity][attribute-map]") {
  const char* map = "snils = snils\n";
  // Only a FriendlyName "snils": matched.
  auto p = apply(map, {attr(kSnilsOid, {"11223344595"}, "snils")});
  REQUIRE(p);
  CHECK(p->snils == "11223344595");
  // An attribute named "snils" wins over one whose FriendlyName is "snils".
  p = apply(map, {attr(kSnilsOid, {"11223344595"}, "snils"), attr("snils", {"12345678964"})});
  REQUIRE(p);
  CHECK(p->snils == "12345678964");
  // Exact and case-sensitive.
  p = apply(map, {attr("SNILS", {"11223344595"}, "Snils")});
  REQUIRE(p);
  CHECK_FALSE(p->snils);
  // Not sent: absent, not an error.
  p = apply(map, {});
  REQUIRE(p);
  CHECK_FALSE(p->snils);
}

TEST_CASE("attribute map: each transform", "[identity][attribute-map]") {
  auto one = [](std::string_view map, std::string value) {
    auto p = apply(map, {attr("x", {std::move(value)})});
    INFO((p ? "" : p.error().detail));
    REQUIRE(p);
    return p->email.value_or("");
  };
  CHECK(one("x = mail", "  Ivan@Example.RU \t") == "Ivan@example.ru");  // trim is always applied
  CHECK(one("x = mail | trim", "Ivan@Example.RU") == "Ivan@example.ru");
  CHECK(one("x = mail | lower", "Ivan@Example.RU") == "ivan@example.ru");
  CHECK(one("x = mail | upper", "ivan@example.ru") == "IVAN@example.ru");  // the domain is lowercased after

  auto inn = apply("x = inn | digits", {attr("x", {"ИНН 5001-0073-2259"})});
  REQUIRE(inn);
  CHECK(inn->inn == "500100732259");
  // lower and upper touch ASCII only: Cyrillic passes unharmed.
  auto sn = apply("x = sn | upper", {attr("x", {"ivanov-Петров"})});
  REQUIRE(sn);
  CHECK(sn->surname == "IVANOV-Петров");
  sn = apply("x = sn | lower", {attr("x", {"IVANOV"})});
  REQUIRE(sn);
  CHECK(sn->surname == "ivanov");
}

TEST_CASE("attribute map: SNILS and INN are checked, formatted SNILS accepted", "[identity][attribute-map]") {
  const char* map = "urn:oid:1.2.643.100.3 = snils\nurn:oid:1.2.643.3.131.1.1 = inn\n";
  auto p = apply(map, {attr(kSnilsOid, {"112-233-445 95"}), attr(kInnOid, {"500100732259"})});
  INFO((p ? "" : p.error().detail));
  REQUIRE(p);
  CHECK(p->snils == "11223344595");
  CHECK(p->inn == "500100732259");

  auto badSnils = applyError(map, {attr(kSnilsOid, {"112-233-445 96"})});
  CHECK_THAT(badSnils, Catch::StartsWith("snils (from urn:oid:1.2.643.100.3): ") && Catch::Contains("check number"));
  auto badInn = applyError(map, {attr(kInnOid, {"500100732250"})});
  CHECK_THAT(badInn, Catch::StartsWith("inn (from urn:oid:1.2.643.3.131.1.1): ") && Catch::Contains("check digits"));
  auto orgInn = applyError(map, {attr(kInnOid, {"7707083893"})});  // an organisation's, 10 digits
  CHECK_THAT(orgInn, Catch::StartsWith("inn (from urn:oid:1.2.643.3.131.1.1): 10 digits"));
}

TEST_CASE("attribute map: several distinct values are refused; repeats of one are not", "[identity][attribute-map]") {
  const char* map = "s = snils\nm = mail\n";
  CHECK(applyError(map, {attr("s", {"11223344595", "12345678964"})}) ==
        "snils (from s): several distinct values sent (which one is the person's?)");
  // The same SNILS written twice, differently formatted: one value.
  auto p = apply(map, {attr("s", {"112-233-445 95", "11223344595"})});
  REQUIRE(p);
  CHECK(p->snils == "11223344595");
  // Sent as two attributes of the same Name: their values count together.
  CHECK_THAT(applyError(map, {attr("m", {"a@example.ru"}), attr("m", {"b@example.ru"})}),
             Catch::StartsWith("mail (from m): several distinct values"));
  // Empty values say nothing.
  p = apply(map, {attr("m", {"", "  ", "a@example.ru"})});
  REQUIRE(p);
  CHECK(p->email == "a@example.ru");
  // Two upstream attributes onto one Propusk attribute must agree.
  CHECK_THAT(applyError("m = mail\nalt = mail\n", {attr("m", {"a@example.ru"}), attr("alt", {"b@example.ru"})}),
             Catch::StartsWith("mail (from alt): differs from the value of m (line 1)"));
  p = apply("m = mail\nalt = mail\n", {attr("m", {"a@Example.ru"}), attr("alt", {"a@example.RU"})});
  REQUIRE(p);
  CHECK(p->email == "a@example.ru");
}

TEST_CASE("attribute map: phone and e-mail are normalised, bad ones refused", "[identity][attribute-map]") {
  const char* map = "tel = telephoneNumber\nmail = mail\n";
  auto p = apply(map, {attr("tel", {"8 (900) 123-45-67"}), attr("mail", {"Ivan.Ivanov@GOSUSLUGI.RU"})});
  REQUIRE(p);
  CHECK(p->phone == "+79001234567");
  CHECK(p->email == "Ivan.Ivanov@gosuslugi.ru");
  CHECK_THAT(applyError(map, {attr("tel", {"+1 555 0100"})}), Catch::StartsWith("telephoneNumber (from tel): "));
  CHECK_THAT(applyError(map, {attr("mail", {"not-an-address"})}), Catch::StartsWith("mail (from mail): "));
}

TEST_CASE("attribute map: displayName is split when sn or givenName is missing", "[identity][attribute-map]") {
  const char* map = "cn = displayName\nsn = sn\ngiven = givenName\nmiddle = middleName\n";
  auto p = apply(map, {attr("cn", {"Иванов  Иван Иванович"})});
  REQUIRE(p);
  CHECK(p->surname == "Иванов");
  CHECK(p->givenName == "Иван");
  CHECK(p->middleName == "Иванович");

  p = apply(map, {attr("cn", {"Петрова Анна"})});
  REQUIRE(p);
  CHECK(p->surname == "Петрова");
  CHECK(p->givenName == "Анна");
  CHECK_FALSE(p->middleName);

  p = apply(map, {attr("cn", {"Алиев Рашид Гейдар оглы"})});
  REQUIRE(p);
  CHECK(p->middleName == "Гейдар оглы");

  // The separate attributes win; the display name fills only what they left out.
  p = apply(map, {attr("cn", {"Иванов Иван Иванович"}), attr("sn", {"Иванова"}), attr("given", {"Мария"})});
  REQUIRE(p);
  CHECK(p->surname == "Иванова");
  CHECK(p->givenName == "Мария");
  CHECK_FALSE(p->middleName);  // not split: sn and givenName were both given
  p = apply(map, {attr("cn", {"Иванов Иван Иванович"}), attr("sn", {"Сидоров"})});
  REQUIRE(p);
  CHECK(p->surname == "Сидоров");
  CHECK(p->givenName == "Иван");
  CHECK(p->middleName == "Иванович");

  CHECK_THAT(applyError(map, {attr("cn", {"Иванов"})}),
             Catch::StartsWith("displayName (from cn): cannot be split"));
  CHECK_THAT(applyError(map, {attr("cn", {"Иванов Иван 3"})}), Catch::StartsWith("displayName (from cn): "));
  CHECK_THAT(applyError(map, {attr("sn", {"Robert'); DROP TABLE"})}), Catch::StartsWith("sn (from sn): "));
}
