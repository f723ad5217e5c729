// samlflow's HTTP(S) client: one request, one response, headers and body kept exactly as
// sent and received (for recording). Redirects and cookies are the caller's business
// (cli/samlflow/browser), so every hop can be seen and recorded.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "idp/core/result.h"

namespace propusk::web {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// First value of a header (names compare case-insensitively), and all of them.
std::optional<std::string> headerValue(const HttpHeaders& headers, std::string_view name);
std::vector<std::string> headerValues(const HttpHeaders& headers, std::string_view name);

struct HttpRequestData {
  std::string method;  // GET, POST
  std::string url;     // absolute http(s) URL; the path and query are sent byte for byte
  HttpHeaders headers; // sent as given (Host is added when absent)
  std::string body;
};

struct HttpResponseData {
  int status = 0;
  std::string reason;
  HttpHeaders headers;  // in the order received, repeated headers (Set-Cookie) kept
  std::string body;
};

struct TlsOptions {
  bool insecure = false;  // no certificate or host name check at all (development only)
  std::string caFile;     // trust this PEM CA (or self-signed server certificate) as well
};

struct HttpClientOptions {
  TlsOptions tls;
  std::chrono::seconds timeout{15};       // per request, connect to last byte
  std::size_t maxBodyBytes = 4u << 20;    // a login page or auto-POST form is far smaller
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Errors (connection, TLS, timeout, oversized body) are Requester errors whose detail
  // names the URL's origin and the reason.
  Result<HttpResponseData> send(const HttpRequestData& request);

 private:
  struct Tls;
  HttpClientOptions options_;
  std::unique_ptr<Tls> tls_;  // made on the first https:// request
};

}  // namespace propusk::web
