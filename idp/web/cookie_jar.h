// A client's cookie store (the RFC 6265 §5.3/§5.4 subset a login flow needs): host-only and
// Domain cookies, Path, Secure, Max-Age/Expires, replacement by name+domain+path.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "idp/core/clock.h"

namespace propusk::web {

struct Cookie {
  std::string name;
  std::string value;
  std::string domain;  // lowercase, no leading dot
  std::string path;
  bool hostOnly = true;
  bool secure = false;
  bool httpOnly = false;
  std::optional<TimePoint> expires;  // nullopt: a session cookie
};

class CookieJar {
 public:
  // Applies one Set-Cookie header received from requestUrl; ignores what RFC 6265 says to
  // ignore (no name/value pair, a Domain the host is not within, Secure over http).
  void store(std::string_view requestUrl, std::string_view setCookie, TimePoint now);
  // The Cookie header value for a request to url ("" when none), longest path first.
  std::string header(std::string_view url, TimePoint now) const;
  const std::vector<Cookie>& cookies() const { return cookies_; }
  void clear() { cookies_.clear(); }

 private:
  std::vector<Cookie> cookies_;
};

}  // namespace propusk::web
