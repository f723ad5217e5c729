#include "idp/web/respond.h"

#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/StreamSocket.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "idp/core/escape.h"
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

namespace {
thread_local ExchangeScope* currentExchange = nullptr;
}

ExchangeScope::ExchangeScope(Poco::Net::HTTPServerRequest& req) : req_(req), previous_(currentExchange) {
  currentExchange = this;
}
ExchangeScope::~ExchangeScope() { currentExchange = previous_; }

ExchangeScope* ExchangeScope::of(const Poco::Net::HTTPServerRequest& req) {
  for (ExchangeScope* e = currentExchange; e; e = e->previous_)
    if (&e->req_ == &req) return e;
  return nullptr;
}

void sendBody(Poco::Net::HTTPServerResponse& resp, Poco::Net::HTTPResponse::HTTPStatus status,
              std::string_view contentType, std::string_view body) {
  if (currentExchange && currentExchange->sent_) throw std::logic_error("a second response to one request");
  resp.setStatusAndReason(status);
  resp.setContentType(std::string(contentType));
  resp.setContentLength(static_cast<std::streamsize>(body.size()));
  auto* server = currentExchange ? dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&currentExchange->req_) : nullptr;
  if (!server || resp.sent()) {
    resp.sendBuffer(body.data(), body.size());
    return;
  }
  std::ostringstream head;
  resp.write(head);  // status line, headers (Date, Server, Connection included), blank line
  std::string wire = std::move(head).str();
  if (currentExchange->req_.getMethod() != Poco::Net::HTTPRequest::HTTP_HEAD) wire.append(body);
  currentExchange->sent_ = true;  // from here on a failure cannot become another response
  Poco::Net::StreamSocket& socket = server->socket();
  try {
    for (std::size_t off = 0; off < wire.size();) {
      int n = socket.sendBytes(wire.data() + off, static_cast<int>(std::min<std::size_t>(wire.size() - off, 1 << 30)));
      if (n <= 0) throw Poco::Net::NetException("connection closed while sending the response");
      off += static_cast<std::size_t>(n);
    }
  } catch (...) {
    // Part of a response may be out: nothing more may follow it on this connection (a proxy
    // reusing it would take the next response for the rest of this one).
    resp.setKeepAlive(false);
    try {
      socket.shutdown();
    } catch (...) {
    }
    throw;
  }
}

namespace {
constexpr EntityTable kHtmlEntities =
    makeEntityTable({{'&', "&amp;"}, {'<', "&lt;"}, {'>', "&gt;"}, {'"', "&quot;"}, {'\'', "&#39;"}});
}  // namespace

void appendHtmlEscaped(std::string& out, std::string_view s) { appendEscaped(out, s, kHtmlEntities); }

std::string htmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  appendHtmlEscaped(out, s);
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
