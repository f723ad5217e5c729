// At most N threads inside at once, admitted strictly in arrival order. The SSO signing
// step runs behind one (N = cores + 1): std::counting_semaphore let late arrivals overtake
// waiting ones (a long latency tail at concurrency 32) and spun with sched_yield while
// waiting (2.6 % of the server's CPU in the profile); here a waiter sleeps on its own
// condition variable until the thread leaving hands it the slot. The hand-over takes the
// waiter's own mutex, not the gate's, so a woken waiter does not queue on the gate's mutex
// behind the threads arriving (that doubled the futex calls per hand-over).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>

namespace propusk {

class FairGate {
 public:
  explicit FairGate(std::size_t slots) : free_(slots == 0 ? 1 : slots) {}
  FairGate(const FairGate&) = delete;
  FairGate& operator=(const FairGate&) = delete;

  void enter();
  void leave();

  // Holds a slot for a scope.
  class Pass {
   public:
    explicit Pass(FairGate& gate) : gate_(gate) { gate_.enter(); }
    ~Pass() { gate_.leave(); }
    Pass(const Pass&) = delete;
    Pass& operator=(const Pass&) = delete;

   private:
    FairGate& gate_;
  };

 private:
  struct Waiter {
    std::mutex mutex;
    std::condition_variable cv;
    bool admitted = false;
  };
  std::mutex mutex_;  // guards free_ and queue_
  std::size_t free_;
  // Oldest first. Shared: the thread handing over the slot keeps its waiter alive until the
  // notification is done, even if the waiter wakes early, sees `admitted` and moves on.
  std::deque<std::shared_ptr<Waiter>> queue_;
};

}  // namespace propusk
