// notify/: the outbox delivers in order off the caller's thread, reports every outcome, refuses
// what has no channel; the file notifier writes one JSON line a message, 0600.
#include "idp/notify/outbox.h"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fstream>

#include "idp/notify/file_notifier.h"
#include "support.h"

using namespace propusk;

namespace {
// A notifier that fails for one address: a real one's NotifyError, on its way to the report.
class FailsFor final : public notify::Notifier {
 public:
  FailsFor(notify::Notifier& inner, std::string bad) : inner_(inner), bad_(std::move(bad)) {}
  void send(const notify::Message& m) override {
    if (m.to == bad_) throw notify::NotifyError("test: mailbox " + bad_ + " unavailable");
    inner_.send(m);
  }
  std::string describe() const override { return "fails-for " + bad_; }

 private:
  notify::Notifier& inner_;
  std::string bad_;
};
}  // namespace

TEST_CASE("the outbox delivers in order and reports each outcome", "[notify]") {
  test::TempDir dir;
  FixedClock clock("2026-12-07T10:00:00Z");
  notify::FileNotifier file(dir / "out.jsonl", clock);
  FailsFor email(file, "bad@example.ru");
  std::vector<std::pair<std::string, bool>> reports;
  std::mutex m;
  {
    notify::Outbox box(&email, nullptr, [&](const notify::Message& msg, bool ok, const std::string&) {
      std::lock_guard l(m);
      reports.emplace_back(msg.to, ok);
    });
    CHECK(box.available(notify::Channel::Email));
    CHECK_FALSE(box.available(notify::Channel::Sms));
    for (const char* to : {"a@example.ru", "bad@example.ru", "b@example.ru"})
      CHECK(box.post({notify::Channel::Email, to, "Тема", "Код: 123456", "login-code"}));
    CHECK_FALSE(box.post({notify::Channel::Sms, "+79123456789", "", "Код", "login-code"}));
    box.drain();
  }
  REQUIRE(reports.size() == 4);
  CHECK(reports[0] == std::pair<std::string, bool>{"+79123456789", false});  // no SMS channel: at once
  CHECK(reports[1] == std::pair<std::string, bool>{"a@example.ru", true});
  CHECK(reports[2] == std::pair<std::string, bool>{"bad@example.ru", false});
  CHECK(reports[3] == std::pair<std::string, bool>{"b@example.ru", true});
  std::ifstream in(dir / "out.jsonl");
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == R"({"time":"2026-12-07T10:00:00Z","channel":"email","to":"a@example.ru","subject":"Тема",)"
                    R"("text":"Код: 123456","purpose":"login-code"})");
  struct stat st {};
  REQUIRE(::stat((dir / "out.jsonl").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("a full outbox refuses rather than grow", "[notify]") {
  // A notifier that blocks until released keeps the queue full.
  class Gate final : public notify::Notifier {
   public:
    void send(const notify::Message&) override {
      std::unique_lock l(m);
      cv.wait(l, [&] { return open; });
    }
    std::string describe() const override { return "gate"; }
    std::mutex m;
    std::condition_variable cv;
    bool open = false;
  } gate;
  int refused = 0;
  {
    notify::Outbox box(&gate, nullptr, [&](const notify::Message&, bool ok, const std::string& why) {
      if (!ok && why == "queue full") ++refused;
    }, 2);
    int accepted = 0;
    for (int i = 0; i < 6; ++i) accepted += box.post({notify::Channel::Email, "x@example.ru", "", "", "t"});
    // One in the notifier (or about to be), two queued at most: at least three refused.
    CHECK(accepted <= 3);
    CHECK(refused == 6 - accepted);
    {
      std::lock_guard l(gate.m);
      gate.open = true;
    }
    gate.cv.notify_all();
  }
}

TEST_CASE("destinations are masked for pages and the audit", "[notify]") {
  CHECK(notify::maskDestination("ivanov@example.ru") == "i***@example.ru");
  CHECK(notify::maskDestination("+79123456789") == "+7******6789");
  CHECK(notify::maskDestination("@x") == "***@x");
  CHECK(notify::maskDestination("123") == "***");
}
