// A minimal browser for SAML flows: cookies kept per RFC 6265, redirects followed the way
// browsers follow them (303/302/301 -> GET, 307/308 keep the method and body), and every
// exchange kept in order for `record`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "idp/core/clock.h"
#include "idp/core/result.h"
#include "idp/web/cookie_jar.h"
#include "idp/web/http_client.h"

namespace propusk::cli::samlflow {

struct Exchange {
  std::string purpose;  // what samlflow was doing: authn-request, redirect, login, auto-post, ...
  web::HttpRequestData request;  // as sent, except masked fields (see `masked`)
  std::optional<web::HttpResponseData> response;
  std::string error;    // transport failure, when there is no response
  std::vector<std::string> masked;  // "form field 'password'": values replaced by "***"
};

struct Landing {
  std::string url;  // where the redirects ended
  web::HttpResponseData response;
};

class Browser {
 public:
  Browser(web::HttpClientOptions options, const Clock& clock);

  // Sends one request and follows up to 10 redirects. Adds Host, User-Agent, Accept and the
  // jar's Cookie header; for a body, Content-Type and Content-Length. maskField: the form
  // field whose value is replaced by "***" in the recorded copy of this request.
  Result<Landing> go(const std::string& method, const std::string& url, const std::string& body,
                     const std::string& contentType, const std::string& purpose,
                     const std::optional<std::string>& maskField = std::nullopt);
  // Sends headers exactly as given (no cookies added), then follows redirects with the jar.
  Result<Landing> resend(const web::HttpRequestData& request, const std::string& purpose);

  const std::vector<Exchange>& exchanges() const { return exchanges_; }
  web::CookieJar& cookies() { return jar_; }

 private:
  Result<Landing> follow(web::HttpRequestData request, std::string purpose, std::optional<std::string> maskField,
                         bool addCookies);
  web::HttpClient client_;
  const Clock& clock_;
  web::CookieJar jar_;
  std::vector<Exchange> exchanges_;
};

// The form body with `field`'s value replaced by "***" (the recorded copy of a login POST).
std::string maskFormField(const std::string& body, const std::string& field);

}  // namespace propusk::cli::samlflow
