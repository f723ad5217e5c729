#include "idp/core/printable.h"

#include <catch2/catch.hpp>

using propusk::printable;

TEST_CASE("printable: ASCII controls become \\xNN, text stays", "[core]") {
  CHECK(printable("plain text") == "plain text");
  CHECK(printable("a\nforged log line\r\x1b[2J") == "a\\x0aforged log line\\x0d\\x1b[2J");
  CHECK(printable(std::string_view("nul\0x", 5)) == "nul\\x00x");
  CHECK(printable("Иванов Иван") == "Иванов Иван");  // valid UTF-8 kept
}

TEST_CASE("printable: invalid UTF-8, C1 controls, separators and bidi overrides are escaped", "[core]") {
  CHECK(printable("\xff\xfe") == "\\xff\\xfe");                    // not UTF-8
  CHECK(printable("\xc2\x9b" "2J") == "\\xc2\\x9b2J");           // C1 CSI
  CHECK(printable("a\xe2\x80\xae" "evil") == "a\\xe2\\x80\\xaeevil");  // U+202E RIGHT-TO-LEFT OVERRIDE
  CHECK(printable("\xe2\x81\xa6x") == "\\xe2\\x81\\xa6x");      // U+2066 isolate
  CHECK(printable("\xe2\x80\xa8") == "\\xe2\\x80\\xa8");         // U+2028 line separator
  CHECK(printable("\xc0\xaf") == "\\xc0\\xaf");                  // overlong '/'
  CHECK(printable("\xed\xa0\x80") == "\\xed\\xa0\\x80");         // a surrogate
  CHECK(printable("\xe2\x82") == "\\xe2\\x82");                  // cut short
  CHECK(printable("\xf0\x9f\x98\x80") == "\xf0\x9f\x98\x80");    // an emoji is fine
}

TEST_CASE("printable: the cap never splits a character", "[core]") {
  CHECK(printable("abcdef", 3) == "abc...");
  CHECK(printable("аб", 3) == "а...");  // 2 bytes each: the second would not fit whole
  CHECK(printable("аб", 4) == "аб");
}
