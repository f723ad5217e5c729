#include "idp/web/csrf.h"

#include "idp/web/http_util.h"

namespace propusk::web {

std::string csrfToken(WebContext& ctx, const Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
                      std::string_view cookieName, const std::string& path) {
  std::string csrf = cookie(req, cookieName).value_or("");
  if (csrf.size() != 32 ||
      csrf.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != std::string::npos) {
    csrf = ctx.random.token(24);
    setCookie(resp, cookieName, csrf, {path, ctx.https(), "Strict", std::nullopt});
  }
  return csrf;
}

bool csrfMatches(const Poco::Net::HTTPServerRequest& req, std::string_view cookieName, std::string_view formValue) {
  return sameToken(cookie(req, cookieName).value_or(""), formValue);
}

}  // namespace propusk::web
