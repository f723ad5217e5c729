#include "idp/cli/samlflow/browser.h"

#include "idp/cli/samlflow/html_forms.h"
#include "idp/web/url.h"

namespace propusk::cli::samlflow {

namespace {
constexpr int kMaxRedirects = 10;
constexpr char kUserAgent[] = "samlflow/" PROPUSK_VERSION;
constexpr char kAccept[] = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

bool isRedirect(int status) { return status == 301 || status == 302 || status == 303 || status == 307 || status == 308; }

void setHeader(web::HttpHeaders& h, const std::string& name, const std::string& value) {
  for (auto& [k, v] : h)
    if (k == name) {
      v = value;
      return;
    }
  h.emplace_back(name, value);
}
}  // namespace

std::string maskFormField(const std::string& body, const std::string& field) {
  std::string encodedName = encodeFormData({{field, ""}});
  encodedName.pop_back();  // "name=" -> "name"
  std::string out;
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t end = body.find('&', pos);
    if (end == std::string::npos) end = body.size();
    std::string pair = body.substr(pos, end - pos);
    if (pair.starts_with(encodedName + "=")) pair = encodedName + "=***";
    out += (pos == 0 ? "" : "&") + pair;
    pos = end + 1;
  }
  return out;
}

Browser::Browser(web::HttpClientOptions options, const Clock& clock) : client_(std::move(options)), clock_(clock) {}

Result<Landing> Browser::go(const std::string& method, const std::string& url, const std::string& body,
                            const std::string& contentType, const std::string& purpose,
                            const std::optional<std::string>& maskField) {
  web::HttpRequestData req;
  req.method = method;
  req.url = url;
  req.body = body;
  if (!contentType.empty()) req.headers.emplace_back("Content-Type", contentType);
  return follow(std::move(req), purpose, maskField, true);
}

Result<Landing> Browser::resend(const web::HttpRequestData& request, const std::string& purpose) {
  return follow(request, purpose, std::nullopt, false);
}

Result<Landing> Browser::follow(web::HttpRequestData req, std::string purpose, std::optional<std::string> maskField,
                                bool addCookies) {
  for (int hop = 0;; ++hop) {
    auto parts = web::parseHttpUrl(req.url);
    if (!parts) return invalid("not an http(s) URL: " + req.url);
    if (addCookies) {
      web::HttpHeaders h = {{"Host", parts->origin().substr(parts->scheme.size() + 3)},
                            {"User-Agent", kUserAgent},
                            {"Accept", kAccept}};
      for (auto& [k, v] : req.headers)
        if (k != "Host" && k != "User-Agent" && k != "Accept" && k != "Cookie" && k != "Content-Length") h.emplace_back(k, v);
      std::string cookie = jar_.header(req.url, clock_.now());
      if (!cookie.empty()) h.emplace_back("Cookie", cookie);
      if (req.method == "POST" || !req.body.empty()) setHeader(h, "Content-Length", std::to_string(req.body.size()));
      req.headers = std::move(h);
    }
    Exchange ex;
    ex.purpose = purpose;
    ex.request = req;
    if (maskField) {
      ex.request.body = maskFormField(req.body, *maskField);
      ex.masked.push_back("form field '" + *maskField + "'");
    }
    auto resp = client_.send(req);
    if (!resp) {
      ex.error = resp.error().detail;
      exchanges_.push_back(std::move(ex));
      return std::unexpected(resp.error());
    }
    for (auto& sc : web::headerValues(resp->headers, "Set-Cookie")) jar_.store(req.url, sc, clock_.now());
    ex.response = *resp;
    exchanges_.push_back(std::move(ex));
    if (!isRedirect(resp->status)) return Landing{req.url, std::move(*resp)};
    auto location = web::headerValue(resp->headers, "Location");
    if (!location) return Landing{req.url, std::move(*resp)};
    if (hop >= kMaxRedirects) return invalid("more than " + std::to_string(kMaxRedirects) + " redirects, last to " + *location);
    auto next = web::resolveUrl(req.url, *location);
    if (!next || !web::parseHttpUrl(*next)) return invalid("redirect to a non-http(s) location: " + *location);
    web::HttpRequestData n;
    n.url = *next;
    if (resp->status == 307 || resp->status == 308) {
      n.method = req.method;
      n.body = req.body;
      if (auto ct = web::headerValue(req.headers, "Content-Type")) n.headers.emplace_back("Content-Type", *ct);
    } else {
      n.method = "GET";
      maskField.reset();
    }
    req = std::move(n);
    purpose = "redirect";
    addCookies = true;
  }
}

}  // namespace propusk::cli::samlflow
