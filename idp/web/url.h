// Absolute http(s) URLs as a client handles them: split, and references resolved against a
// base (RFC 3986 §5.2) without re-encoding anything, so a query carrying a signed SAML
// message keeps its exact octets (bindings §3.4.4.1).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace propusk::web {

struct UrlParts {
  std::string scheme;  // lowercase "http" or "https"
  std::string host;    // lowercase; IPv6 without brackets
  unsigned port = 0;   // explicit or the scheme's default
  std::string target;  // path and query as written ("/" when empty), no fragment
  std::string path;    // target without the query

  std::string origin() const;  // scheme://host[:port], the port only when not the default
};

// nullopt unless an absolute http:// or https:// URL with a host.
std::optional<UrlParts> parseHttpUrl(std::string_view url);

// `ref` (from a Location header or a form action) against the absolute `base`; an empty ref
// is the base without its fragment. nullopt when base is not an http(s) URL.
std::optional<std::string> resolveUrl(std::string_view base, std::string_view ref);

}  // namespace propusk::web
