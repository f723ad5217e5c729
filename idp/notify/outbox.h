// Delivery off the request thread: a bounded queue and one thread that sends each message
// through the notifier of its channel. A slow or unreachable mail server never holds a request
// thread; the person's page says "sent" either way (no oracle for addresses), and every
// outcome reaches `report` (the server audits it, with the destination masked).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "idp/notify/notifier.h"

namespace propusk::notify {

class Outbox {
 public:
  // ok, and the reason when not (NotifyError::what(), or "queue full", "no channel").
  using Report = std::function<void(const Message&, bool ok, const std::string& reason)>;
  // `email`/`sms`: the notifier of each channel, nullptr where none is configured (messages on
  // it are refused by post()). Both outlive the Outbox.
  Outbox(Notifier* email, Notifier* sms, Report report, std::size_t capacity = 256);
  ~Outbox();  // delivers what is queued (each notifier bounds its own time), then stops
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  bool available(Channel c) const { return notifierFor(c) != nullptr; }
  // Queues `m`; false (reported, not queued) when its channel has no notifier or the queue is full.
  bool post(Message m);
  // Blocks until every message posted so far was delivered or failed (tests, shutdown).
  void drain();

 private:
  Notifier* notifierFor(Channel c) const { return c == Channel::Email ? email_ : sms_; }
  void run();

  Notifier* email_;
  Notifier* sms_;
  Report report_;
  std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable wake_, idle_;
  std::deque<Message> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace propusk::notify
