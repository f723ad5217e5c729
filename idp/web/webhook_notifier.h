// Messages (SMS above all) through an HTTP gateway: a POST of one JSON object
// {"channel":"sms","to":"+7...","text":"...","purpose":"login-code","id":"<random>"} with
// `Authorization: Bearer TOKEN`, over the HttpClient samlflow uses. Retried with exponential
// backoff (0.5 s, 1 s, 2 s, ...) after a network error, a timeout, 429 or a 5xx; any other
// status is final. The same "id" on every try, so the gateway can drop duplicates.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "idp/core/random.h"
#include "idp/notify/notifier.h"

namespace propusk::web {

struct WebhookSettings {
  std::string url;                             // http(s)://...
  std::string token;                           // read from [notify] webhook_token_file; may be empty
  std::string caFile;                          // trust this PEM as well (https)
  std::chrono::milliseconds timeout{5000};     // per try
  int retries = 3;                             // tries after the first
  std::chrono::milliseconds backoff{500};      // before the first retry; doubles each time
};

class WebhookNotifier final : public notify::Notifier {
 public:
  // `sleep`: how to wait between tries (tests pass one that records instead of sleeping).
  WebhookNotifier(WebhookSettings settings, Random& random,
                  std::function<void(std::chrono::milliseconds)> sleep = {});
  void send(const notify::Message& m) override;
  std::string describe() const override;

 private:
  WebhookSettings settings_;
  Random& random_;
  std::function<void(std::chrono::milliseconds)> sleep_;
};

}  // namespace propusk::web
