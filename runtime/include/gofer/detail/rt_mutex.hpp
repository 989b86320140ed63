// gofer/detail/rt_mutex.hpp — the runtime's internal lock (installed, not
// API). Port of runtime.lock/unlock (lock_futex.go, go1.19): spin actively,
// then yield, then sleep on a futex. It protects short critical sections
// only (wait queues, channel state), is never held across a park, and so is
// safe to take from fibers and plain threads alike.
//
// The word is 0 unlocked, 1 locked, 2 locked with possible sleepers.
#pragma once

#include <atomic>
#include <cstdint>

namespace gofer::detail {

class rt_mutex {
 public:
  void lock() noexcept {
    std::uint32_t expected = 0;
    // acquire: pairs with the release store in unlock(); the critical
    // section of the previous holder happens-before ours.
    if (key_.compare_exchange_strong(expected, 1, std::memory_order_acquire,
                                     std::memory_order_relaxed))
      return;
    lock_slow();
  }
  bool try_lock() noexcept {
    std::uint32_t expected = 0;
    return key_.compare_exchange_strong(expected, 1, std::memory_order_acquire,
                                        std::memory_order_relaxed);
  }
  void unlock() noexcept {
    // release: publishes the critical section; pairs with lock()'s acquire.
    if (key_.exchange(0, std::memory_order_release) == 2) unlock_slow();
  }

 private:
  void lock_slow() noexcept;
  void unlock_slow() noexcept;
  std::atomic<std::uint32_t> key_{0};
};

}  // namespace gofer::detail
