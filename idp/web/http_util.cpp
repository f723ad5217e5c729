#include "idp/web/http_util.h"

#include <openssl/crypto.h>

#include <stdexcept>

#include "idp/saml/bindings/redirect.h"
#include "idp/web/respond.h"

namespace propusk::web {

std::string takeBody(Poco::Net::HTTPServerRequest& req) {
  ExchangeScope* exchange = ExchangeScope::of(req);
  if (!exchange) throw std::logic_error("takeBody outside the router's scope of the request");
  return exchange->takeBody();
}

Result<Form> parseForm(std::string_view body) {
  Form f;
  for (auto [rawName, rawValue] : saml::splitQuery(body)) {
    auto name = saml::urlDecode(rawName);
    auto value = saml::urlDecode(rawValue);
    if (!name || !value) return invalid("form: bad URL encoding");
    if (!f.emplace(std::move(*name), std::move(*value)).second) return invalid("form: a field appears twice");
  }
  return f;
}

std::string rawQuery(const Poco::Net::HTTPServerRequest& req) {
  const std::string& uri = req.getURI();
  auto q = uri.find('?');
  return q == std::string::npos ? std::string() : uri.substr(q + 1);
}

std::optional<std::string> cookie(const Poco::Net::HTTPServerRequest& req, std::string_view name) {
  if (!req.has("Cookie")) return std::nullopt;
  const std::string& header = req.get("Cookie");
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    std::string_view part(header.data() + pos, end - pos);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.starts_with(name) && part.size() > name.size() && part[name.size()] == '=')
      return std::string(part.substr(name.size() + 1));
    pos = end + 1;
  }
  return std::nullopt;
}

void setCookie(Poco::Net::HTTPServerResponse& resp, std::string_view name, std::string_view value, const CookieOptions& o) {
  std::string c = std::string(name) + "=" + std::string(value) + "; Path=" + o.path + "; HttpOnly";
  if (o.secure) c += "; Secure";
  c += "; SameSite=" + o.sameSite;
  if (o.maxAgeSeconds) c += "; Max-Age=" + std::to_string(*o.maxAgeSeconds);
  resp.add("Set-Cookie", c);
}

std::string remoteAddress(const Poco::Net::HTTPServerRequest& req) { return req.clientAddress().host().toString(); }

bool sameToken(std::string_view a, std::string_view b) {
  return !a.empty() && a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace propusk::web
