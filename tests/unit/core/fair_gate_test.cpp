#include "idp/core/fair_gate.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>
#include <vector>

using namespace propusk;
using namespace std::chrono_literals;

TEST_CASE("a gate admits at most its number of threads at once", "[core][gate]") {
  FairGate gate(2);
  std::atomic<int> inside{0}, most{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      for (int k = 0; k < 200; ++k) {
        FairGate::Pass pass(gate);
        int now = ++inside;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::yield();
        --inside;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(most.load() == 2);
  CHECK(inside.load() == 0);
}

TEST_CASE("waiting threads are admitted in the order they arrived", "[core][gate]") {
  FairGate gate(1);
  gate.enter();  // the slot is taken: everyone below queues
  std::mutex m;
  std::vector<int> order;
  std::vector<std::thread> threads;
  std::atomic<int> queued{0};
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      ++queued;
      FairGate::Pass pass(gate);
      std::lock_guard lock(m);
      order.push_back(i);
    });
    // Each thread is in the queue before the next starts (it cannot pass the taken slot).
    while (queued.load() != i + 1) std::this_thread::yield();
    std::this_thread::sleep_for(20ms);
  }
  gate.leave();
  for (auto& t : threads) t.join();
  CHECK(order == std::vector<int>{0, 1, 2, 3, 4, 5});
}
