#include "idp/core/fair_gate.h"

namespace propusk {

void FairGate::enter() {
  std::unique_lock lock(mutex_);
  if (free_ > 0 && queue_.empty()) {
    --free_;
    return;
  }
  Waiter me;
  queue_.push_back(&me);
  me.cv.wait(lock, [&] { return me.admitted; });
}

void FairGate::leave() {
  std::lock_guard lock(mutex_);
  if (queue_.empty()) {
    ++free_;
    return;
  }
  // The slot passes straight to the oldest waiter; notified under the lock, because the
  // waiter's condition variable lives on its stack and is gone once it sees `admitted`.
  Waiter* next = queue_.front();
  queue_.pop_front();
  next->admitted = true;
  next->cv.notify_one();
}

}  // namespace propusk
