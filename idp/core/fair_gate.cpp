#include "idp/core/fair_gate.h"

namespace propusk {

void FairGate::enter() {
  std::unique_lock lock(mutex_);
  if (free_ > 0 && queue_.empty()) {
    --free_;
    return;
  }
  // One waiter object per thread, reused (no allocation per wait).
  thread_local const std::shared_ptr<Waiter> me = std::make_shared<Waiter>();
  me->admitted = false;  // nobody else refers to it now: it left the queue when admitted last
  queue_.push_back(me);
  lock.unlock();
  std::unique_lock mine(me->mutex);
  me->cv.wait(mine, [&] { return me->admitted; });
}

void FairGate::leave() {
  std::shared_ptr<Waiter> next;
  {
    std::lock_guard lock(mutex_);
    if (queue_.empty()) {
      ++free_;
      return;
    }
    next = std::move(queue_.front());  // the slot passes straight to the oldest waiter
    queue_.pop_front();
  }
  {
    std::lock_guard lock(next->mutex);
    next->admitted = true;
  }
  next->cv.notify_one();
}

}  // namespace propusk
