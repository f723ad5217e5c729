// Writing responses: security headers on everything, plain bilingual error pages.
#pragma once

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <string>
#include <string_view>

#include "idp/web/web_context.h"

namespace propusk::web {

void addSecurityHeaders(Poco::Net::HTTPServerResponse& resp, bool https);
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
