#include "idp/notify/outbox.h"

namespace propusk::notify {

Outbox::Outbox(Notifier* email, Notifier* sms, Report report, std::size_t capacity)
    : email_(email), sms_(sms), report_(std::move(report)), capacity_(capacity == 0 ? 1 : capacity) {
  thread_ = std::thread([this] { run(); });
}

Outbox::~Outbox() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

bool Outbox::post(Message m) {
  if (!notifierFor(m.channel)) {
    report_(m, false, "no " + std::string(channelName(m.channel)) + " channel configured ([notify])");
    return false;
  }
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() < capacity_ && !stopping_) {
      queue_.push_back(std::move(m));
      wake_.notify_one();
      return true;
    }
  }
  report_(m, false, "queue full");
  return false;
}

void Outbox::drain() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [&] { return queue_.empty() && !busy_; });
}

void Outbox::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) {
      if (stopping_) return;
      continue;
    }
    Message m = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    bool ok = true;
    std::string reason;
    try {
      notifierFor(m.channel)->send(m);
    } catch (const std::exception& e) {
      ok = false;
      reason = e.what();
    }
    try {
      report_(m, ok, reason);
    } catch (...) {
      // The report is the audit; its failure must not stop delivery of the rest.
    }
    lock.lock();
    busy_ = false;
    if (queue_.empty()) idle_.notify_all();
  }
}

}  // namespace propusk::notify
