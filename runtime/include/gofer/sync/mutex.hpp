// gofer/sync/mutex.hpp — Go's sync.Mutex.
//
// Port of sync.Mutex (sync/mutex.go, go1.19): the same state word (locked,
// woken, starving bits and a waiter count), the same normal and starvation
// modes (a waiter that waited over 1 ms switches the mutex to direct
// hand-off, so no waiter starves), the same brief spinning while the owner
// is running on another worker. Waiters park (fibers) or sleep (threads) on
// a runtime semaphore; a worker thread is never blocked.
//
// Mutex is also BasicLockable/Lockable, so std::lock_guard and
// std::scoped_lock work. It is not recursive, and (as in Go) any fiber or
// thread may unlock it. Unlock of an unlocked Mutex throws panic_error
// "sync: unlock of unlocked mutex" (Go makes that a fatal error).
//
// Memory ordering: Lock acquires and Unlock releases (acq_rel CAS/add on
// state_), so the critical sections form a total happens-before chain.
#pragma once

#include <atomic>
#include <cstdint>

#include "gofer/detail/sema.hpp"

namespace gofer::sync {

class Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;  // Go: a Mutex must not be copied after use
  Mutex& operator=(const Mutex&) = delete;

  void Lock() {
    std::int32_t expected = 0;
    // acquire: pairs with the release in Unlock.
    if (state_.compare_exchange_strong(expected, kLocked, std::memory_order_acquire,
                                       std::memory_order_relaxed))
      return;
    lock_slow();
  }

  // TryLock locks the mutex if it is free and not in starvation mode.
  bool TryLock() {
    std::int32_t old = state_.load(std::memory_order_relaxed);
    if (old & (kLocked | kStarving)) return false;
    return state_.compare_exchange_strong(old, old | kLocked, std::memory_order_acquire,
                                          std::memory_order_relaxed);
  }

  void Unlock() {
    // release: publishes the critical section to the next Lock.
    std::int32_t now = state_.fetch_sub(kLocked, std::memory_order_acq_rel) - kLocked;
    if (now != 0) unlock_slow(now);
  }

  void lock() { Lock(); }
  bool try_lock() { return TryLock(); }
  void unlock() { Unlock(); }

 private:
  friend class RWMutex;
  static constexpr std::int32_t kLocked = 1;
  static constexpr std::int32_t kWoken = 2;
  static constexpr std::int32_t kStarving = 4;
  static constexpr int kWaiterShift = 3;

  void lock_slow();
  void unlock_slow(std::int32_t now);

  std::atomic<std::int32_t> state_{0};
  std::atomic<std::uint32_t> sema_{0};
};

}  // namespace gofer::sync
