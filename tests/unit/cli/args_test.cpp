#include "idp/cli/args.h"

#include <catch2/catch.hpp>

using namespace propusk::cli;

namespace {
const OptionSpec kSpecs[] = {{"surname", "TEXT", ""}, {"json", "", ""}};
ParsedArgs parse(std::vector<std::string> a) { return parseArgs(a, kSpecs, "user add"); }
}  // namespace

TEST_CASE("options with values, flags, = form and positionals", "[cli]") {
  auto p = parse({"ivanov", "--surname", "Иванов", "--json"});
  CHECK(p.positional == std::vector<std::string>{"ivanov"});
  CHECK(p.get("surname") == "Иванов");
  CHECK(p.has("json"));
  CHECK(parse({"--surname=X"}).get("surname") == "X");
  CHECK(parse({"--", "--surname"}).positional == std::vector<std::string>{"--surname"});
}

TEST_CASE("unknown, repeated, valueless options are usage errors", "[cli]") {
  CHECK_THROWS_WITH(parse({"--password", "x"}), Catch::Contains("unknown option --password"));
  CHECK_THROWS_WITH(parse({"--surname"}), Catch::Contains("needs a value"));
  CHECK_THROWS_WITH(parse({"--json", "--json"}), Catch::Contains("twice"));
  CHECK_THROWS_WITH(parse({"--json=1"}), Catch::Contains("takes no value"));
}
