#include "idp/web/cookie_jar.h"

#include <algorithm>
#include <cctype>
#include <ctime>

#include "idp/web/url.h"

namespace propusk::web {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// RFC 6265 §5.1.3.
bool domainMatches(const std::string& host, const std::string& domain) {
  if (host == domain) return true;
  return host.size() > domain.size() && host.ends_with(domain) && host[host.size() - domain.size() - 1] == '.' &&
         host.find_first_not_of("0123456789.") != std::string::npos;  // never for IP addresses
}

// RFC 6265 §5.1.4.
bool pathMatches(const std::string& requestPath, const std::string& cookiePath) {
  if (requestPath == cookiePath) return true;
  if (!requestPath.starts_with(cookiePath)) return false;
  return cookiePath.ends_with("/") || requestPath[cookiePath.size()] == '/';
}

std::string defaultPath(const std::string& path) {
  if (path.empty() || path[0] != '/') return "/";
  auto last = path.rfind('/');
  return last == 0 ? "/" : path.substr(0, last);
}

// HTTP-date as servers send it in Expires ("Wed, 21 Oct 2015 07:28:00 GMT"); the RFC 6265
// §5.1.1 algorithm is more forgiving, this covers RFC 1123 and RFC 850 forms.
std::optional<TimePoint> parseHttpDate(std::string_view s) {
  std::string text(s);
  for (const char* fmt : {"%a, %d %b %Y %H:%M:%S", "%A, %d-%b-%y %H:%M:%S", "%a, %d-%b-%Y %H:%M:%S"}) {
    std::tm tm{};
    const char* end = strptime(text.c_str(), fmt, &tm);
    if (!end) continue;
    time_t t = timegm(&tm);
    if (t == static_cast<time_t>(-1)) continue;
    return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::from_time_t(t));
  }
  return std::nullopt;
}

}  // namespace

void CookieJar::store(std::string_view requestUrl, std::string_view setCookie, TimePoint now) {
  auto url = parseHttpUrl(requestUrl);
  if (!url) return;
  size_t semi = setCookie.find(';');
  std::string_view pair = trim(setCookie.substr(0, semi));
  size_t eq = pair.find('=');
  if (eq == std::string_view::npos) return;
  Cookie c;
  c.name = std::string(trim(pair.substr(0, eq)));
  c.value = std::string(trim(pair.substr(eq + 1)));
  if (c.name.empty()) return;
  c.domain = url->host;
  c.path = defaultPath(url->path);
  std::optional<TimePoint> maxAge, expires;
  std::string_view attrs = semi == std::string_view::npos ? std::string_view{} : setCookie.substr(semi + 1);
  while (!attrs.empty()) {
    size_t next = attrs.find(';');
    std::string_view av = trim(attrs.substr(0, next));
    attrs = next == std::string_view::npos ? std::string_view{} : attrs.substr(next + 1);
    size_t e = av.find('=');
    std::string key = lower(trim(av.substr(0, e)));
    std::string_view value = e == std::string_view::npos ? std::string_view{} : trim(av.substr(e + 1));
    if (key == "domain" && !value.empty()) {
      std::string d = lower(value);
      if (d.front() == '.') d.erase(0, 1);
      if (!domainMatches(url->host, d)) return;  // §5.3 step 6: ignore the whole cookie
      c.domain = d;
      c.hostOnly = false;
    } else if (key == "path" && !value.empty() && value.front() == '/') {
      c.path = std::string(value);
    } else if (key == "secure") {
      c.secure = true;
    } else if (key == "httponly") {
      c.httpOnly = true;
    } else if (key == "max-age" && !value.empty()) {
      bool neg = value.front() == '-';
      std::string_view digits = neg ? value.substr(1) : value;
      if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) continue;
      long long n = digits.size() > 12 ? 999999999999LL : std::stoll(std::string(digits));
      maxAge = neg || n == 0 ? TimePoint{} : now + std::chrono::seconds(n);
    } else if (key == "expires") {
      expires = parseHttpDate(value);
    }
  }
  c.expires = maxAge ? maxAge : expires;  // §5.3 step 3: Max-Age wins
  if (c.secure && url->scheme != "https") return;  // RFC 6265bis §5.6 step 8

  auto same = [&](const Cookie& o) { return o.name == c.name && o.domain == c.domain && o.path == c.path; };
  auto old = std::find_if(cookies_.begin(), cookies_.end(), same);
  bool deletion = c.expires && *c.expires <= now;
  if (old != cookies_.end()) {
    // §5.3 step 11: a replacement keeps the old cookie's creation time (its place in order).
    if (deletion) cookies_.erase(old);
    else *old = std::move(c);
    return;
  }
  if (!deletion) cookies_.push_back(std::move(c));
}

std::string CookieJar::header(std::string_view requestUrl, TimePoint now) const {
  auto url = parseHttpUrl(requestUrl);
  if (!url) return {};
  std::vector<const Cookie*> send;
  for (auto& c : cookies_) {
    if (c.expires && *c.expires <= now) continue;
    if (c.hostOnly ? url->host != c.domain : !domainMatches(url->host, c.domain)) continue;
    if (!pathMatches(url->path, c.path)) continue;
    if (c.secure && url->scheme != "https") continue;
    send.push_back(&c);
  }
  std::stable_sort(send.begin(), send.end(), [](auto* a, auto* b) { return a->path.size() > b->path.size(); });
  std::string out;
  for (auto* c : send) out += (out.empty() ? "" : "; ") + c->name + "=" + c->value;
  return out;
}

}  // namespace propusk::web
