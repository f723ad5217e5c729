#include "idp/web/url.h"

#include <cctype>
#include <vector>

namespace propusk::web {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// RFC 3986 §5.2.4.
std::string removeDotSegments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  bool absolute = !path.empty() && path[0] == '/';
  bool trailing = false;
  while (pos <= path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(pos, end - pos);
    bool last = end == path.size();
    if (seg == ".") {
      trailing = last;
    } else if (seg == "..") {
      if (!out.empty()) out.pop_back();
      trailing = last;
    } else if (!(seg.empty() && pos == 0 && absolute)) {
      out.push_back(seg);
      trailing = false;
    }
    pos = end + 1;
  }
  std::string r = absolute ? "/" : "";
  for (size_t i = 0; i < out.size(); ++i) {
    if (i) r += '/';
    r += out[i];
  }
  if (trailing && !r.ends_with("/")) r += '/';
  return r;
}

}  // namespace

std::string UrlParts::origin() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  bool defaultPort = (scheme == "https" && port == 443) || (scheme == "http" && port == 80);
  return scheme + "://" + h + (defaultPort ? "" : ":" + std::to_string(port));
}

std::optional<UrlParts> parseHttpUrl(std::string_view url) {
  auto colon = url.find("://");
  if (colon == std::string_view::npos) return std::nullopt;
  UrlParts p;
  p.scheme = lower(url.substr(0, colon));
  if (p.scheme != "http" && p.scheme != "https") return std::nullopt;
  std::string_view rest = url.substr(colon + 3);
  if (auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  p.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (p.target.starts_with("?")) p.target = "/" + p.target;
  p.path = p.target.substr(0, p.target.find('?'));
  if (authority.find('@') != std::string_view::npos || authority.empty()) return std::nullopt;
  std::string_view host = authority, port;
  if (authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port = after.substr(1);
    }
  } else if (auto c = authority.rfind(':'); c != std::string_view::npos) {
    host = authority.substr(0, c);
    port = authority.substr(c + 1);
  }
  if (host.empty()) return std::nullopt;
  p.host = lower(host);
  if (port.empty()) {
    p.port = p.scheme == "https" ? 443 : 80;
  } else {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
    unsigned long n = std::stoul(std::string(port));
    if (n == 0 || n > 65535) return std::nullopt;
    p.port = static_cast<unsigned>(n);
  }
  return p;
}

std::optional<std::string> resolveUrl(std::string_view base, std::string_view ref) {
  auto b = parseHttpUrl(base);
  if (!b) return std::nullopt;
  // Whitespace around an attribute value or header is not part of the reference.
  while (!ref.empty() && std::isspace(static_cast<unsigned char>(ref.front()))) ref.remove_prefix(1);
  while (!ref.empty() && std::isspace(static_cast<unsigned char>(ref.back()))) ref.remove_suffix(1);
  if (auto hash = ref.find('#'); hash != std::string_view::npos) ref = ref.substr(0, hash);
  // A scheme: "letter *( letter / digit / + / - / . ) :" before any / ? #.
  size_t colon = ref.find(':');
  if (colon != std::string_view::npos && colon > 0 && std::isalpha(static_cast<unsigned char>(ref[0])) &&
      ref.substr(0, colon).find_first_of("/?") == std::string_view::npos) {
    bool ok = true;
    for (char c : ref.substr(0, colon))
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.')) ok = false;
    if (ok) {
      std::string scheme = lower(ref.substr(0, colon));
      std::string r = scheme + std::string(ref.substr(colon));
      if (scheme == "http" || scheme == "https") {
        auto p = parseHttpUrl(r);
        if (!p) return std::nullopt;
        std::string q = p->target.find('?') != std::string::npos ? p->target.substr(p->target.find('?')) : "";
        return p->origin() + removeDotSegments(p->path) + q;
      }
      return r;  // another scheme (mailto:, javascript:...): the caller refuses it
    }
  }
  if (ref.starts_with("//")) return resolveUrl(base, b->scheme + ":" + std::string(ref));
  std::string baseQuery = b->target.find('?') != std::string::npos ? b->target.substr(b->target.find('?')) : "";
  if (ref.empty()) return b->origin() + b->path + baseQuery;
  if (ref.front() == '?') return b->origin() + b->path + std::string(ref);
  std::string_view refPath = ref.substr(0, ref.find('?'));
  std::string refQuery = ref.find('?') != std::string_view::npos ? std::string(ref.substr(ref.find('?'))) : "";
  std::string merged;
  if (refPath.starts_with("/")) {
    merged = std::string(refPath);
  } else {
    merged = b->path.substr(0, b->path.rfind('/') + 1) + std::string(refPath);
  }
  return b->origin() + removeDotSegments(merged) + refQuery;
}

}  // namespace propusk::web
