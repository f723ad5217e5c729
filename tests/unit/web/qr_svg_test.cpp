// web/qr_svg: the SVG is rendered by librsvg (rsvg-convert) and read back by ZBar (zbarimg),
// so a test passes only if a real reader gets the text out of the picture.
#include "idp/web/qr_svg.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <regex>
#include <string>

#include "support.h"

using namespace propusk;
using namespace propusk::web;

namespace {

// Renders `svg` at 400 px and decodes it; fails the test, naming the tool, if one is missing.
std::string decode(const std::string& svg) {
  for (const char* tool : {"/usr/bin/rsvg-convert", "/usr/bin/zbarimg"})
    if (test::run(std::string("test -x ") + tool) != 0)
      FAIL(tool << " is missing: install the Debian packages librsvg2-bin and zbar-tools");
  test::TempDir dir;
  test::writeFile(dir / "qr.svg", svg);
  // stdout only: the tools' stderr (ZBar complains about a missing D-Bus) goes to a file.
  auto step = [&](const std::string& command) {
    std::string out;
    int rc = test::run("(" + command + " 2>'" + (dir / "stderr").string() + "')", &out);
    INFO(command << ": " << test::readFile(dir / "stderr"));
    REQUIRE(rc == 0);
    return out;
  };
  step("/usr/bin/rsvg-convert -w 400 -o '" + (dir / "qr.png").string() + "' '" + (dir / "qr.svg").string() + "'");
  std::string out = step("/usr/bin/zbarimg --raw -q '" + (dir / "qr.png").string() + "'");
  if (!out.empty() && out.back() == '\n') out.pop_back();  // zbarimg ends each symbol with one
  return out;
}

}  // namespace

TEST_CASE("qr: a TOTP enrolment URI survives rendering and scanning", "[web][qr]") {
  // The issuer "Пропуск (тест)" percent-encoded, as the enrolment page builds it (Key URI format).
  const std::string uri =
      "otpauth://totp/%D0%9F%D1%80%D0%BE%D0%BF%D1%83%D1%81%D0%BA%20%28%D1%82%D0%B5%D1%81%D1%82%29:ivanov"
      "?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=%D0%9F%D1%80%D0%BE%D0%BF%D1%83%D1%81%D0%BA%20%28%D1%82"
      "%D0%B5%D1%81%D1%82%29&algorithm=SHA1&digits=6&period=30";
  auto svg = qrSvg(uri, "QR-код для приложения");
  REQUIRE(svg);
  CHECK(decode(*svg) == uri);

  // The frame the page relies on: one square viewBox of the modules plus 4 on each side,
  // shown at 4 px a module by default.
  std::smatch mm;
  REQUIRE(std::regex_search(*svg, mm, std::regex(R"re(^<svg xmlns="http://www\.w3\.org/2000/svg" viewBox="0 0 (\d+) (\d+)" width="(\d+)" height="(\d+)" role="img" shape-rendering="crispEdges"><title>)re")));
  const int side = std::stoi(mm[1]);
  CHECK(mm[2] == mm[1]);
  CHECK((side - 8 - 21) % 4 == 0);  // versions 1..40 are 21 + 4(v-1) modules wide
  CHECK(std::stoi(mm[3]) == side * 4);
  CHECK(std::stoi(mm[4]) == side * 4);
  CHECK_THAT(*svg, Catch::Contains(R"(<rect width="100%" height="100%" fill="#fff"/><path fill="#000" d="M)"));
  // The quiet zone: dark modules span exactly [4, side - 4) both ways (the finder patterns
  // touch three edges of the symbol), and the top-left finder's first row comes first.
  CHECK_THAT(*svg, Catch::Contains(R"(d="M4,4h7v1h-7z)"));
  int minX = side, minY = side, endX = 0, endY = 0;
  const std::regex rect(R"(M(\d+),(\d+)h(\d+)v1h-\3z)");
  for (auto it = std::sregex_iterator(svg->begin(), svg->end(), rect); it != std::sregex_iterator(); ++it) {
    const int x = std::stoi((*it)[1]), y = std::stoi((*it)[2]), run = std::stoi((*it)[3]);
    minX = std::min(minX, x), minY = std::min(minY, y);
    endX = std::max(endX, x + run), endY = std::max(endY, y + 1);
  }
  CHECK(minX == 4);
  CHECK(minY == 4);
  CHECK(endX == side - 4);
  CHECK(endY == side - 4);
  CHECK_THAT(*svg, Catch::EndsWith(R"("/></svg>)"));
  CHECK_THAT(*svg, Catch::Contains("<title>QR-код для приложения</title>"));
}

TEST_CASE("qr: a long text (600 bytes) still scans", "[web][qr]") {
  std::string text = "otpauth://totp/Propusk:ivanov?secret=";
  while (text.size() < 600) text += "JBSWY3DPEHPK3PXP";
  text += "&issuer=Propusk";
  auto svg = qrSvg(text, "QR", 2);
  REQUIRE(svg);
  CHECK(decode(*svg) == text);
  std::smatch mm;
  REQUIRE(std::regex_search(*svg, mm, std::regex(R"re(viewBox="0 0 (\d+) \d+" width="(\d+)")re")));
  CHECK(std::stoi(mm[2]) == std::stoi(mm[1]) * 2);
}

TEST_CASE("qr: the title is escaped", "[web][qr]") {
  auto svg = qrSvg("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP", "<script>alert(1)</script> & \"it's\"");
  REQUIRE(svg);
  CHECK_THAT(*svg, Catch::Contains("<title>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;it&#39;s&quot;</title>"));
  CHECK_THAT(*svg, !Catch::Contains("<script"));
  CHECK_THAT(*svg, !Catch::Contains("it's"));
}

TEST_CASE("qr: text too long for a QR code gives nullopt", "[web][qr]") {
  CHECK_FALSE(qrSvg(std::string(3000, 'a'), "QR"));
  CHECK_FALSE(qrSvg(std::string(2049, 'a'), "QR"));
  CHECK(qrSvg(std::string(2048, 'a'), "QR"));
  CHECK_FALSE(qrSvg("", "QR"));
}
