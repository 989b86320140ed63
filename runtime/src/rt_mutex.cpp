// rt_mutex.cpp — port of runtime.lock2 / unlock2 (lock_futex.go, go1.19).
#include "gofer/detail/rt_mutex.hpp"

#include <sched.h>
#include <unistd.h>

#include "gofer/detail/park.hpp"
#include "sched.hpp"

namespace gofer::detail {
namespace {
constexpr std::uint32_t kUnlocked = 0, kLocked = 1, kSleeping = 2;
constexpr int kActiveSpin = 4;   // Go's active_spin
constexpr int kPassiveSpin = 1;  // Go's passive_spin
}  // namespace

void rt_mutex::lock_slow() noexcept {
  // Speculative grab (Go: Xchg to mutex_locked). acquire: pairs with
  // unlock's release.
  std::uint32_t v = key_.exchange(kLocked, std::memory_order_acquire);
  if (v == kUnlocked) return;
  // wait is kLocked or kSleeping: what we must leave behind when we get the
  // lock, so that a sleeper is not forgotten.
  std::uint32_t wait = v;
  static const long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  const int spin = ncpu > 1 ? kActiveSpin : 0;
  for (;;) {
    for (int i = 0; i < spin; i++) {
      while (key_.load(std::memory_order_relaxed) == kUnlocked) {
        std::uint32_t expected = kUnlocked;
        if (key_.compare_exchange_weak(expected, wait, std::memory_order_acquire,
                                       std::memory_order_relaxed))
          return;
      }
      do_spin();
    }
    for (int i = 0; i < kPassiveSpin; i++) {
      while (key_.load(std::memory_order_relaxed) == kUnlocked) {
        std::uint32_t expected = kUnlocked;
        if (key_.compare_exchange_weak(expected, wait, std::memory_order_acquire,
                                       std::memory_order_relaxed))
          return;
      }
      sched_yield();
    }
    v = key_.exchange(kSleeping, std::memory_order_acquire);
    if (v == kUnlocked) return;
    wait = kSleeping;
    futex_wait(&key_, kSleeping);
  }
}

void rt_mutex::unlock_slow() noexcept { futex_wake(&key_, 1); }

}  // namespace gofer::detail
