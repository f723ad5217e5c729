// A QR code (ISO/IEC 18004, by libqrencode) as an inline SVG element: the otpauth:// URI of a
// TOTP enrolment shown on /account without an image request or JavaScript. Error correction
// M, 8-bit mode, a quiet zone of four modules; one <path> with a rectangle per horizontal run
// of dark modules (about 12 KB for a typical otpauth:// URI), which needs no style.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace propusk::web {

// nullopt when the text does not fit a QR code (over ~2 KB) or libqrencode fails.
// `title`: the accessible name (<title>), escaped.
std::optional<std::string> qrSvg(std::string_view text, std::string_view title, unsigned pixelsPerModule = 4);

}  // namespace propusk::web
