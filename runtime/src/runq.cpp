// runq.cpp — the stealing half of the local run queue. See runq.hpp.
#include "runq.hpp"

#include <time.h>

namespace gofer::detail {

// grab: port of runtime.runqgrab (proc.go, go1.19).
std::uint32_t runq::grab(std::atomic<g*>* batch, std::uint32_t batch_head, bool steal_runnext,
                         bool running) noexcept {
  for (;;) {
    std::uint32_t h = head_.load(std::memory_order_acquire);  // synchronise with other consumers
    std::uint32_t t = tail_.load(std::memory_order_acquire);  // synchronise with the producer
    std::uint32_t n = t - h;
    n = n - n / 2;
    if (n == 0) {
      if (steal_runnext) {
        g* next = runnext_.load(std::memory_order_acquire);
        if (next != nullptr) {
          if (running) {
            // The victim is running a fiber that has just readied `next`
            // and will likely block soon and run it: back off 3 us rather
            // than thrash it between workers (Go's comment: a sync channel
            // op takes ~50 ns, so 3 us is a ~50x overshoot).
            struct timespec ts {
              0, 3000
            };
            nanosleep(&ts, nullptr);
          }
          if (!runnext_.compare_exchange_strong(next, nullptr, std::memory_order_acq_rel,
                                                std::memory_order_relaxed))
            continue;
          batch[batch_head % kSize].store(next, std::memory_order_relaxed);
          return 1;
        }
      }
      return 0;
    }
    if (n > kSize / 2) continue;  // read an inconsistent h and t
    for (std::uint32_t i = 0; i < n; i++) {
      g* gp = buf_[(h + i) % kSize].load(std::memory_order_relaxed);
      batch[(batch_head + i) % kSize].store(gp, std::memory_order_relaxed);
    }
    // release: commits the consumption; the owner may now reuse the slots.
    if (head_.compare_exchange_strong(h, h + n, std::memory_order_release,
                                      std::memory_order_relaxed))
      return n;
  }
}

// steal_into_from: port of runtime.runqsteal (proc.go, go1.19).
g* runq::steal_into_from(runq& victim, bool steal_runnext, bool victim_running) noexcept {
  std::uint32_t t = tail_.load(std::memory_order_relaxed);  // relaxed: we own tail_
  std::uint32_t n = victim.grab(buf_, t, steal_runnext, victim_running);
  if (n == 0) return nullptr;
  n--;
  g* gp = buf_[(t + n) % kSize].load(std::memory_order_relaxed);
  if (n == 0) return gp;
  [[maybe_unused]] std::uint32_t h = head_.load(std::memory_order_acquire);
  // release: publishes the stolen slots to our own consumers and thieves.
  tail_.store(t + n, std::memory_order_release);
  return gp;
}

}  // namespace gofer::detail
