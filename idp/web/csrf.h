// CSRF tokens for the person's forms (double submit): a random token in a SameSite=Strict
// cookie of its own for the form's path, and the same value in a hidden field; a POST is taken
// only when both are present and equal (compared in constant time). One token per browser and
// path, not per page, so that two tabs do not break each other.
#pragma once

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <string>
#include <string_view>

#include "idp/web/web_context.h"

namespace propusk::web {

// The token of this browser for `path`: the cookie's when it is well formed, else a new one,
// set on `resp`.
std::string csrfToken(WebContext& ctx, const Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
                      std::string_view cookieName, const std::string& path);
bool csrfMatches(const Poco::Net::HTTPServerRequest& req, std::string_view cookieName, std::string_view formValue);

}  // namespace propusk::web
