#include "idp/web/respond.h"

#include "idp/core/printable.h"

namespace propusk::web {

void addSecurityHeaders(Poco::Net::HTTPServerResponse& resp, bool https) {
  resp.set("X-Content-Type-Options", "nosniff");
  resp.set("X-Frame-Options", "DENY");
  resp.set("Referrer-Policy", "no-referrer");
  resp.set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action *; frame-ancestors 'none'");
  resp.set("Cache-Control", "no-store");
  if (https) resp.set("Strict-Transport-Security", "max-age=31536000");
}

void sendBody(Poco::Net::HTTPServerResponse& resp, Poco::Net::HTTPResponse::HTTPStatus status,
              std::string_view contentType, std::string_view body) {
  resp.setStatusAndReason(status);
  resp.setContentType(std::string(contentType));
  resp.setContentLength(static_cast<std::streamsize>(body.size()));
  resp.send().write(body.data(), static_cast<std::streamsize>(body.size()));
}

std::string htmlEscape(std::string_view s) {
  // Most of what passes through here (base64 SAML messages, IDs) needs no escaping.
  if (s.find_first_of("&<>\"'") == std::string_view::npos) return std::string(s);
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

void sendErrorPage(WebContext& ctx, Poco::Net::HTTPServerResponse& resp, Poco::Net::HTTPResponse::HTTPStatus status,
                   std::string_view titleRu, std::string_view titleEn, const std::string& logDetail) {
  std::string id = ctx.random.hex(8);
  ctx.log.warning("error page %d [%s]: %s", static_cast<int>(status), id, printable(logDetail, 512));
  std::string body =
      "<!DOCTYPE html>\n<html lang=\"ru\"><head><meta charset=\"utf-8\"><title>" + htmlEscape(titleRu) + " / " +
      htmlEscape(titleEn) + "</title></head><body>\n<h1 lang=\"ru\">" + htmlEscape(titleRu) + "</h1>\n<h1 lang=\"en\">" +
      htmlEscape(titleEn) + "</h1>\n<p>Код обращения / Reference: <code>" + id + "</code></p>\n</body></html>\n";
  addSecurityHeaders(resp, ctx.config.publicUrl.starts_with("https://"));
  sendBody(resp, status, "text/html; charset=utf-8", body);
}

}  // namespace propusk::web
