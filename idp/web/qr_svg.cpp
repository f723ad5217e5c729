#include "idp/web/qr_svg.h"

#include <qrencode.h>

#include <algorithm>
#include <memory>

#include "idp/web/respond.h"

namespace propusk::web {

namespace {

struct QrCodeFree {
  void operator()(QRcode* q) const noexcept { QRcode_free(q); }
};
// The only user of libqrencode, so its handle lives here rather than in a handles header.
using QrCodePtr = std::unique_ptr<QRcode, QrCodeFree>;

// Version 40 at level M holds 2331 bytes in 8-bit mode (ISO/IEC 18004's capacity table); the
// cap sits below that, so longer text is refused before libqrencode is asked. A code near it is
// hard to read off a screen anyway, and no otpauth:// URI comes close.
constexpr std::size_t kMaxBytes = 2048;
// ISO/IEC 18004 asks for a quiet zone four modules wide on every side; readers need it.
constexpr int kQuietZone = 4;

}  // namespace

std::optional<std::string> qrSvg(std::string_view text, std::string_view title, unsigned pixelsPerModule) {
  if (text.empty() || text.size() > kMaxBytes) return std::nullopt;
  // encodeData, not encodeString8bit: the size is explicit, so a NUL cannot cut the text.
  QrCodePtr code(QRcode_encodeData(static_cast<int>(text.size()), reinterpret_cast<const unsigned char*>(text.data()),
                                   0, QR_ECLEVEL_M));
  if (!code || code->width <= 0) return std::nullopt;

  const int modules = code->width;
  const int side = modules + 2 * kQuietZone;
  const std::string sideText = std::to_string(side);
  const std::string pixels = std::to_string(static_cast<unsigned long>(side) * std::max(pixelsPerModule, 1u));

  std::string svg = R"(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 )" + sideText + " " + sideText +
                    R"(" width=")" + pixels + R"(" height=")" + pixels +
                    R"(" role="img" shape-rendering="crispEdges"><title>)";
  appendHtmlEscaped(svg, title);
  svg += R"(</title><rect width="100%" height="100%" fill="#fff"/><path fill="#000" d=")";
  // A horizontal run of dark modules is one rectangle (the union of its unit squares): about
  // a third of the path a square per module would take. Bit 0 of each byte is the module's
  // colour (qrencode.h, struct QRcode).
  for (int y = 0; y < modules; ++y) {
    const unsigned char* row = code->data + static_cast<std::ptrdiff_t>(y) * modules;
    for (int x = 0; x < modules;) {
      if (!(row[x] & 1)) {
        ++x;
        continue;
      }
      int run = 1;
      while (x + run < modules && (row[x + run] & 1)) ++run;
      const std::string runText = std::to_string(run);
      svg += 'M';
      svg += std::to_string(x + kQuietZone);
      svg += ',';
      svg += std::to_string(y + kQuietZone);
      svg += 'h';
      svg += runText;
      svg += "v1h-";
      svg += runText;
      svg += 'z';
      x += run;
    }
  }
  svg += R"("/></svg>)";
  return svg;
}

}  // namespace propusk::web
