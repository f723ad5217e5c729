#include "idp/web/webhook_notifier.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>
#include <thread>

#include "idp/core/json_text.h"
#include "idp/web/http_client.h"
#include "idp/web/url.h"

namespace propusk::web {

namespace {

// A Retry-After beyond this is not waited for: the code in the message expires in minutes,
// and the Outbox's one thread would hold every other message meanwhile.
constexpr std::chrono::seconds kMaxRetryAfter{30};
// Doubling stops here, so a large `retries` neither overflows nor sleeps for hours.
constexpr std::chrono::milliseconds kMaxBackoff{60'000};

// RFC 9110 §10.2.3: Retry-After is delay-seconds or an HTTP-date; only the first is used.
std::optional<std::chrono::seconds> retryAfterSeconds(const HttpHeaders& headers) {
  auto v = headerValue(headers, "Retry-After");
  if (!v || v->empty() || !std::all_of(v->begin(), v->end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  long long n = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec == std::errc::result_out_of_range || n > kMaxRetryAfter.count()) return kMaxRetryAfter;
  if (ec != std::errc()) return std::nullopt;
  return std::chrono::seconds(n);
}

bool retryable(int status) { return status == 429 || (status >= 500 && status <= 599); }

std::string tries(int n) { return std::to_string(n) + (n == 1 ? " try" : " tries"); }

}  // namespace

WebhookNotifier::WebhookNotifier(WebhookSettings settings, Random& random,
                                 std::function<void(std::chrono::milliseconds)> sleep)
    : settings_(std::move(settings)), random_(random), sleep_(std::move(sleep)) {
  if (!sleep_) sleep_ = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
}

std::string WebhookNotifier::describe() const {
  // The origin only: a gateway's path or query may carry a key.
  auto url = parseHttpUrl(settings_.url);
  return url ? "webhook " + url->origin() : std::string("webhook (not an http(s) URL)");
}

void WebhookNotifier::send(const notify::Message& m) {
  auto url = parseHttpUrl(settings_.url);
  if (!url) throw notify::NotifyError("webhook: the URL is not an absolute http(s) URL");
  const std::string where = "webhook " + url->origin();

  HttpClientOptions options;
  options.tls.caFile = settings_.caFile;
  // HttpClient counts whole seconds; round up so a try never gets less than was configured.
  const auto ms = std::max<std::chrono::milliseconds::rep>(settings_.timeout.count(), 1);
  options.timeout = std::chrono::seconds((ms + 999) / 1000);
  // The answer's body is never read; a gateway's acknowledgement is small.
  options.maxBodyBytes = 64u << 10;
  HttpClient client(options);

  HttpRequestData request;
  request.method = "POST";
  request.url = settings_.url;
  request.headers.emplace_back("Content-Type", "application/json");
  if (!settings_.token.empty()) request.headers.emplace_back("Authorization", "Bearer " + settings_.token);
  // One id for every try of this message: a gateway that got a try whose answer was lost
  // can drop the repeat instead of sending a second SMS.
  request.body = R"({"channel":)" + jsonString(notify::channelName(m.channel)) + R"(,"to":)" + jsonString(m.to) +
                 R"(,"text":)" + jsonString(m.text) + R"(,"purpose":)" + jsonString(m.purpose) + R"(,"id":)" +
                 jsonString(random_.hex(16)) + "}";

  const int maxTries = 1 + std::max(settings_.retries, 0);
  auto backoff = std::max(settings_.backoff, std::chrono::milliseconds(0));
  std::string reason;
  for (int attempt = 1;; ++attempt) {
    std::optional<std::chrono::seconds> retryAfter;
    auto r = client.send(request);
    if (r && r->status >= 200 && r->status <= 299) return;
    if (r) {
      reason = "HTTP " + std::to_string(r->status);
      if (!retryable(r->status)) throw notify::NotifyError(where + ": " + reason + " (after " + tries(attempt) + ")");
      if (r->status == 429 || r->status == 503) retryAfter = retryAfterSeconds(r->headers);
    } else {
      // HttpClient's detail starts with the origin, which `where` already names.
      reason = r.error().detail;
      const std::string prefix = url->origin() + ": ";
      if (reason.starts_with(prefix)) reason.erase(0, prefix.size());
    }
    if (attempt >= maxTries) throw notify::NotifyError(where + ": " + reason + " (after " + tries(attempt) + ")");
    auto wait = backoff;
    if (retryAfter) wait = std::max<std::chrono::milliseconds>(wait, *retryAfter);
    sleep_(wait);
    backoff = backoff < kMaxBackoff / 2 ? backoff * 2 : std::max(backoff, kMaxBackoff);
  }
}

}  // namespace propusk::web
