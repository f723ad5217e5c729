// Writing responses: security headers on everything, plain bilingual error pages.
#pragma once

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <string>
#include <string_view>

#include "idp/web/web_context.h"

namespace propusk::web {

void addSecurityHeaders(Poco::Net::HTTPServerResponse& resp, bool https);

// The request being handled on this thread (set by the router around every handler), so
// that sendBody can write the whole response — status line, headers and body — in one
// write on the connection's socket: Poco's response stream cuts a body into 4 KB writes,
// each its own TLS record and system call (an 11 KB auto-POST page took four). It also
// carries the body the router read before the handler (request_body.h).
class ExchangeScope {
 public:
  explicit ExchangeScope(Poco::Net::HTTPServerRequest& req);
  ~ExchangeScope();
  ExchangeScope(const ExchangeScope&) = delete;
  ExchangeScope& operator=(const ExchangeScope&) = delete;
  // True once sendBody wrote the response itself (Poco's resp.sent() does not know).
  bool sent() const { return sent_; }
  // The scope of `req` on this thread; nullptr when `req` is not being handled here.
  static ExchangeScope* of(const Poco::Net::HTTPServerRequest& req);
  void setBody(std::string body) { body_ = std::move(body); }
  std::string takeBody() { return std::move(body_); }

 private:
  friend void sendBody(Poco::Net::HTTPServerResponse&, Poco::Net::HTTPResponse::HTTPStatus, std::string_view,
                       std::string_view);
  Poco::Net::HTTPServerRequest& req_;
  ExchangeScope* previous_;
  bool sent_ = false;
  std::string body_;
};

void sendBody(Poco::Net::HTTPServerResponse& resp, Poco::Net::HTTPResponse::HTTPStatus status,
              std::string_view contentType, std::string_view body);
// A page for a person: static Russian and English text, the correlation id that is also
// logged, never any detail of the failure.
void sendErrorPage(WebContext& ctx, Poco::Net::HTTPServerResponse& resp, Poco::Net::HTTPResponse::HTTPStatus status,
                   std::string_view titleRu, std::string_view titleEn, const std::string& logDetail);
std::string htmlEscape(std::string_view s);
// htmlEscape(s) appended to out, without a temporary.
void appendHtmlEscaped(std::string& out, std::string_view s);

}  // namespace propusk::web
