// web/webhook_notifier against a real HTTP receiver in this process (Poco's HTTPServer on a
// free loopback port) that records every request and answers from a script; waits between
// tries go to a recorder instead of sleeping.
#include "idp/web/webhook_notifier.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

using namespace propusk;
using namespace propusk::web;
using namespace std::chrono_literals;

namespace {

struct Received {
  std::string method, target, body;
  std::optional<std::string> contentType, authorization;
};

struct Reply {
  Reply(int s = 200, std::string ra = {}, std::chrono::milliseconds d = {})
      : status(s), retryAfter(std::move(ra)), delay(d) {}
  int status;
  std::string retryAfter;           // sent when not empty
  std::chrono::milliseconds delay;  // before answering (a slow gateway)
};
using Script = std::vector<Reply>;

// What the handlers share with the test: the script, what arrived, and a way to cut a delay
// short when the receiver stops, so no handler outlives the test.
struct State {
  std::mutex mutex;
  std::condition_variable cv;
  bool stopping = false;
  std::vector<Reply> script;  // reply n to request n; 200 after the end
  std::vector<Received> received;
};

class Handler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(std::shared_ptr<State> state) : state_(std::move(state)) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
    Received r;
    r.method = req.getMethod();
    r.target = req.getURI();
    if (req.has("Content-Type")) r.contentType = req.get("Content-Type");
    if (req.has("Authorization")) r.authorization = req.get("Authorization");
    Poco::StreamCopier::copyToString(req.stream(), r.body);
    Reply reply;
    {
      std::unique_lock lock(state_->mutex);
      const size_t n = state_->received.size();
      state_->received.push_back(std::move(r));
      if (n < state_->script.size()) reply = state_->script[n];
      if (reply.delay > 0ms) state_->cv.wait_for(lock, reply.delay, [this] { return state_->stopping; });
    }
    try {
      resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(reply.status));
      if (!reply.retryAfter.empty()) resp.set("Retry-After", reply.retryAfter);
      resp.setContentLength(2);
      resp.send() << "ok";
    } catch (const Poco::Exception&) {
      // The client gave up on a delayed answer and closed the connection.
    }
  }

 private:
  std::shared_ptr<State> state_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(std::shared_ptr<State> state) : state_(std::move(state)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new Handler(state_);
  }

 private:
  std::shared_ptr<State> state_;
};

Poco::Net::HTTPServerParams::Ptr serverParams() {
  auto* p = new Poco::Net::HTTPServerParams;
  p->setKeepAlive(false);
  return p;
}

class Receiver {
 public:
  explicit Receiver(Script script)
      : state_(std::make_shared<State>()),
        socket_(Poco::Net::SocketAddress("127.0.0.1", 0)),
        server_(new Factory(state_), pool_, socket_, serverParams()) {
    state_->script = std::move(script);
    server_.start();
  }
  ~Receiver() {
    {
      std::lock_guard lock(state_->mutex);
      state_->stopping = true;
    }
    state_->cv.notify_all();
    server_.stopAll(true);
    pool_.joinAll();
  }

  std::string origin() const { return "http://127.0.0.1:" + std::to_string(socket_.address().port()); }
  // The path and query carry a key, as some gateways' URLs do: never to be shown.
  std::string url() const { return origin() + "/api/v1/send?key=url-secret-42"; }
  std::vector<Received> received() const {
    std::lock_guard lock(state_->mutex);
    return state_->received;
  }

 private:
  std::shared_ptr<State> state_;
  Poco::ThreadPool pool_{2, 8};  // before server_: it must outlive the server's threads
  Poco::Net::ServerSocket socket_;
  Poco::Net::HTTPServer server_;
};

struct SleepRecorder {
  std::vector<std::chrono::milliseconds> waits;
  std::function<void(std::chrono::milliseconds)> fn() {
    return [this](std::chrono::milliseconds d) { waits.push_back(d); };
  }
};

const std::string kToken = "tok-7f3a9c-bearer";
const std::string kText = "Код для входа: 482916. Никому не сообщайте.\n\"Propusk\" \\ code 482916";

notify::Message smsCode() {
  notify::Message m;
  m.channel = notify::Channel::Sms;
  m.to = "+79123456789";
  m.text = kText;
  m.purpose = "login-code";
  return m;
}

WebhookSettings settingsFor(const Receiver& r) {
  WebhookSettings s;
  s.url = r.url();
  s.token = kToken;
  s.timeout = 2000ms;
  s.retries = 3;
  s.backoff = 500ms;
  return s;
}

Poco::JSON::Object::Ptr json(const std::string& body) {
  return Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
}

std::string refusal(WebhookNotifier& n, const notify::Message& m) {
  try {
    n.send(m);
  } catch (const notify::NotifyError& e) {
    return e.what();
  }
  FAIL("send() did not throw NotifyError");
  return {};
}

}  // namespace

TEST_CASE("webhook: one POST of the message as JSON, with the bearer token", "[web][notify]") {
  Receiver receiver(Script{{200}});
  SequenceRandom random(7);
  SleepRecorder sleeps;
  auto settings = settingsFor(receiver);
  WebhookNotifier notifier(settings, random, sleeps.fn());
  CHECK(notifier.describe() == "webhook " + receiver.origin());

  notifier.send(smsCode());

  auto got = receiver.received();
  REQUIRE(got.size() == 1);
  CHECK(got[0].method == "POST");
  CHECK(got[0].target == "/api/v1/send?key=url-secret-42");
  CHECK(got[0].contentType == "application/json");
  CHECK(got[0].authorization == "Bearer " + kToken);
  auto body = json(got[0].body);
  CHECK(body->size() == 5);
  CHECK(body->getValue<std::string>("channel") == "sms");
  CHECK(body->getValue<std::string>("to") == "+79123456789");
  CHECK(body->getValue<std::string>("text") == kText);
  CHECK(body->getValue<std::string>("purpose") == "login-code");
  SequenceRandom same(7);
  CHECK(body->getValue<std::string>("id") == same.hex(16));  // from the injected Random
  CHECK(sleeps.waits.empty());
}

TEST_CASE("webhook: no Authorization header without a token", "[web][notify]") {
  Receiver receiver(Script{{204}});
  SystemRandom random;
  auto settings = settingsFor(receiver);
  settings.token.clear();
  WebhookNotifier(settings, random, SleepRecorder{}.fn()).send(smsCode());
  auto got = receiver.received();
  REQUIRE(got.size() == 1);
  CHECK_FALSE(got[0].authorization);
  CHECK_THAT(json(got[0].body)->getValue<std::string>("id"), Catch::Matches("[0-9a-f]{32}"));
}

TEST_CASE("webhook: 5xx is retried with doubling backoff and the same id", "[web][notify]") {
  Receiver receiver(Script{{503}, {502}, {200}});
  SystemRandom random;
  SleepRecorder sleeps;
  WebhookNotifier notifier(settingsFor(receiver), random, sleeps.fn());
  notifier.send(smsCode());

  CHECK(sleeps.waits == std::vector<std::chrono::milliseconds>{500ms, 1000ms});
  auto got = receiver.received();
  REQUIRE(got.size() == 3);
  const auto id = json(got[0].body)->getValue<std::string>("id");
  for (auto& r : got) {
    CHECK(json(r.body)->getValue<std::string>("id") == id);
    CHECK(r.body == got[0].body);
  }
}

TEST_CASE("webhook: a 4xx other than 429 is final", "[web][notify]") {
  int status = GENERATE(400, 401, 404);
  Receiver receiver(Script{{status}});
  SystemRandom random;
  SleepRecorder sleeps;
  WebhookNotifier notifier(settingsFor(receiver), random, sleeps.fn());
  auto e = refusal(notifier, smsCode());
  CHECK(e == "webhook " + receiver.origin() + ": HTTP " + std::to_string(status) + " (after 1 try)");
  CHECK(receiver.received().size() == 1);
  CHECK(sleeps.waits.empty());
}

TEST_CASE("webhook: when every try fails the error names the tries, not the secrets", "[web][notify]") {
  Receiver receiver(Script{{500}, {500}, {500}, {500}, {200}});
  SystemRandom random;
  SleepRecorder sleeps;
  WebhookNotifier notifier(settingsFor(receiver), random, sleeps.fn());
  auto e = refusal(notifier, smsCode());
  CHECK(e == "webhook " + receiver.origin() + ": HTTP 500 (after 4 tries)");
  CHECK_THAT(e, !Catch::Contains(kToken) && !Catch::Contains("482916") && !Catch::Contains("url-secret-42"));
  CHECK(receiver.received().size() == 4);  // the first and three retries; the fifth reply unused
  CHECK(sleeps.waits == std::vector<std::chrono::milliseconds>{500ms, 1000ms, 2000ms});
}

TEST_CASE("webhook: a network error is retried", "[web][notify]") {
  std::string url;
  {
    Receiver gone(Script{});
    url = gone.url();
  }  // closed: the port now refuses connections
  SystemRandom random;
  SleepRecorder sleeps;
  WebhookSettings settings;
  settings.url = url;
  settings.token = kToken;
  settings.retries = 2;
  WebhookNotifier notifier(settings, random, sleeps.fn());
  auto e = refusal(notifier, smsCode());
  CHECK_THAT(e, Catch::StartsWith(notifier.describe() + ": ") && Catch::EndsWith(" (after 3 tries)"));
  CHECK_THAT(e, !Catch::Contains(kToken) && !Catch::Contains("url-secret-42"));
  CHECK(sleeps.waits == std::vector<std::chrono::milliseconds>{500ms, 1000ms});
}

TEST_CASE("webhook: a try that times out is retried", "[web][notify]") {
  Receiver receiver(Script{{200, "", 5000ms}, {200}});
  SystemRandom random;
  SleepRecorder sleeps;
  auto settings = settingsFor(receiver);
  settings.timeout = 1000ms;
  WebhookNotifier notifier(settings, random, sleeps.fn());
  auto start = std::chrono::steady_clock::now();
  notifier.send(smsCode());
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(took >= 900ms);  // the first try waited for its timeout...
  CHECK(took < 4000ms);  // ...and not for the slow answer
  CHECK(receiver.received().size() == 2);
  CHECK(sleeps.waits == std::vector<std::chrono::milliseconds>{500ms});
}

TEST_CASE("webhook: Retry-After on 429 and 503 is honoured, up to 30 s", "[web][notify]") {
  Receiver receiver(Script{{429, "3"}, {503, "120"}, {429, "Wed, 21 Oct 2037 07:28:00 GMT"}, {200}});
  SystemRandom random;
  SleepRecorder sleeps;
  WebhookNotifier notifier(settingsFor(receiver), random, sleeps.fn());
  notifier.send(smsCode());
  // 3 s as asked; 120 s capped at 30; an HTTP-date is not used, so the backoff (2 s) is.
  CHECK(sleeps.waits == std::vector<std::chrono::milliseconds>{3000ms, 30000ms, 2000ms});
  CHECK(receiver.received().size() == 4);
}

TEST_CASE("webhook: describe() and errors show the origin only", "[web][notify]") {
  SystemRandom random;
  WebhookSettings s;
  s.url = "https://sms.example.ru:8443/send?api_key=abc123";
  CHECK(WebhookNotifier(s, random).describe() == "webhook https://sms.example.ru:8443");
  s.url = "not a url?api_key=abc123";
  WebhookNotifier bad(s, random);
  CHECK_THAT(bad.describe(), !Catch::Contains("abc123"));
  auto e = refusal(bad, smsCode());
  CHECK_THAT(e, !Catch::Contains("abc123"));
}
