// Request bodies, urlencoded forms, cookies.
#pragma once

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <map>
#include <optional>
#include <string>

#include "idp/core/result.h"

namespace propusk::web {

using Form = std::map<std::string, std::string, std::less<>>;

// The body of `req`, as the router read it before the handler (within the endpoint's
// limit, request_body.h); empty when it had none. Throws std::logic_error when `req` is
// not being handled on this thread (a programming error, not client input).
std::string takeBody(Poco::Net::HTTPServerRequest& req);
// application/x-www-form-urlencoded; refuses repeated fields and bad encoding.
Result<Form> parseForm(std::string_view body);
// The raw query string of the request target (after '?'), exactly as received.
std::string rawQuery(const Poco::Net::HTTPServerRequest& req);

std::optional<std::string> cookie(const Poco::Net::HTTPServerRequest& req, std::string_view name);

struct CookieOptions {
  std::string path = "/";
  bool secure = true;
  std::string sameSite = "Lax";  // "None" requires secure
  std::optional<long> maxAgeSeconds;  // nullopt: a session cookie; 0 deletes
};
void setCookie(Poco::Net::HTTPServerResponse& resp, std::string_view name, std::string_view value, const CookieOptions& o);

// Constant-time comparison of two secrets (CSRF tokens, flow secrets); false when either is empty.
bool sameToken(std::string_view a, std::string_view b);

std::string remoteAddress(const Poco::Net::HTTPServerRequest& req);

}  // namespace propusk::web
