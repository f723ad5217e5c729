#include "idp/web/http_client.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>

#include <cctype>

#include "idp/web/url.h"

namespace propusk::web {

namespace {
bool sameName(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}
}  // namespace

std::optional<std::string> headerValue(const HttpHeaders& headers, std::string_view name) {
  for (auto& [k, v] : headers)
    if (sameName(k, name)) return v;
  return std::nullopt;
}

std::vector<std::string> headerValues(const HttpHeaders& headers, std::string_view name) {
  std::vector<std::string> out;
  for (auto& [k, v] : headers)
    if (sameName(k, name)) out.push_back(v);
  return out;
}

struct HttpClient::Tls {
  Poco::Net::Context::Ptr context;
};

HttpClient::HttpClient(HttpClientOptions options) : options_(std::move(options)) {}
HttpClient::~HttpClient() = default;

Result<HttpResponseData> HttpClient::send(const HttpRequestData& request) {
  auto url = parseHttpUrl(request.url);
  if (!url) return invalid("not an absolute http(s) URL: " + request.url);
  const std::string where = url->origin();
  try {
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (url->scheme == "https") {
      if (!tls_) {
        using Ctx = Poco::Net::Context;
        // VERIFY_STRICT also checks the host name for loopback names (RELAXED skips it there).
        auto mode = options_.tls.insecure ? Ctx::VERIFY_NONE : Ctx::VERIFY_STRICT;
        tls_ = std::make_unique<Tls>();
        tls_->context = new Ctx(Ctx::TLS_CLIENT_USE, "", "", options_.tls.caFile, mode, 9, true,
                                "ALL:!ADH:!LOW:!EXP:!MD5:@STRENGTH");
        tls_->context->requireMinimumProtocol(Ctx::PROTO_TLSV1_2);
      }
      session = std::make_unique<Poco::Net::HTTPSClientSession>(url->host, static_cast<Poco::UInt16>(url->port),
                                                                tls_->context);
    } else {
      session = std::make_unique<Poco::Net::HTTPClientSession>(url->host, static_cast<Poco::UInt16>(url->port));
    }
    session->setTimeout(Poco::Timespan(options_.timeout.count(), 0));
    session->setKeepAlive(false);

    Poco::Net::HTTPRequest req(request.method, url->target, Poco::Net::HTTPMessage::HTTP_1_1);
    for (auto& [k, v] : request.headers) req.add(k, v);
    if (!headerValue(request.headers, "Content-Length") && (!request.body.empty() || request.method == "POST"))
      req.setContentLength(static_cast<std::streamsize>(request.body.size()));
    std::ostream& out = session->sendRequest(req);
    out.write(request.body.data(), static_cast<std::streamsize>(request.body.size()));

    Poco::Net::HTTPResponse resp;
    std::istream& in = session->receiveResponse(resp);
    HttpResponseData r;
    r.status = static_cast<int>(resp.getStatus());
    r.reason = resp.getReason();
    for (auto it = resp.begin(); it != resp.end(); ++it) r.headers.emplace_back(it->first, it->second);
    // The socket timeout bounds each read; the deadline bounds the whole body, so a server
    // dripping a byte at a time cannot hold a test run for hours.
    auto deadline = std::chrono::steady_clock::now() + options_.timeout;
    char buf[16384];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      r.body.append(buf, static_cast<size_t>(in.gcount()));
      if (r.body.size() > options_.maxBodyBytes)
        return invalid(where + ": response body larger than " + std::to_string(options_.maxBodyBytes) + " bytes");
      if (std::chrono::steady_clock::now() > deadline)
        return invalid(where + ": response took longer than " + std::to_string(options_.timeout.count()) + " s");
    }
    return r;
  } catch (const Poco::Net::SSLException& e) {
    return invalid(where + ": TLS: " + e.displayText());
  } catch (const Poco::TimeoutException&) {
    return invalid(where + ": no answer within " + std::to_string(options_.timeout.count()) + " s");
  } catch (const Poco::Exception& e) {
    return invalid(where + ": " + e.displayText());
  } catch (const std::exception& e) {
    return invalid(where + ": " + e.what());
  }
}

}  // namespace propusk::web
