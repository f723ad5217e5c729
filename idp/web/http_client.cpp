#include "idp/web/http_client.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>

#include <sys/socket.h>

#include <atomic>
#include <cctype>
#include <condition_variable>
#include <mutex>
#include <thread>

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

namespace {

class Watchdog {
 public:
  Watchdog(Poco::Net::HTTPClientSession& session, std::chrono::steady_clock::time_point deadline,
           std::atomic<bool>& fired)
      : thread_([this, &session, deadline, &fired] {
          std::unique_lock lock(mutex_);
          if (cv_.wait_until(lock, deadline, [this] { return done_; })) return;
          fired = true;
          const auto fd = session.socket().impl()->sockfd();
          if (fd != POCO_INVALID_SOCKET) ::shutdown(fd, SHUT_RDWR);
        }) {}
  ~Watchdog() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace

HttpClient::HttpClient(HttpClientOptions options) : options_(std::move(options)) {}
HttpClient::~HttpClient() = default;

Result<HttpResponseData> HttpClient::send(const HttpRequestData& request) {
  auto url = parseHttpUrl(request.url);
  if (!url) return invalid("not an absolute http(s) URL: " + request.url);
  const std::string where = url->origin();
  std::atomic<bool> timedOut{false};
  const std::string late = where + ": no complete answer within " + std::to_string(options_.timeout.count()) + " s";
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
    // A hard deadline on the whole exchange: socket timeouts bound each read only, so a peer
    // sending a byte every few seconds (headers included) could hold this thread for ever.
    // When the deadline passes, a watchdog shuts the socket down, which ends any blocked
    // read or write (only shutdown(2): the SSL object stays this thread's).
    Watchdog watchdog(*session, std::chrono::steady_clock::now() + options_.timeout, timedOut);

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
    if (timedOut) return invalid(late);  // the watchdog's shutdown reads as an early end of the body
    return r;
  } catch (const Poco::Net::SSLException& e) {
    return invalid(timedOut ? late : where + ": TLS: " + e.displayText());
  } catch (const Poco::TimeoutException&) {
    return invalid(late);
  } catch (const Poco::Exception& e) {
    return invalid(timedOut ? late : where + ": " + e.displayText());
  } catch (const std::exception& e) {
    return invalid(timedOut ? late : where + ": " + e.what());
  }
}

}  // namespace propusk::web
