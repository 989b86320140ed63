// sync_mutex.cpp — port of sync.Mutex's lockSlow / unlockSlow
// (sync/mutex.go, go1.19). See gofer/sync/mutex.hpp.
#include "gofer/panic.hpp"
#include "gofer/sync/mutex.hpp"
#include "sched.hpp"

namespace gofer::sync {

namespace {
// Go's starvationThresholdNs: a waiter that waited longer switches the
// mutex to starvation (hand-off) mode.
constexpr std::int64_t kStarvationThresholdNs = 1000000;
}  // namespace

void Mutex::lock_slow() {
  std::int64_t wait_start = 0;
  bool starving = false;
  bool awoke = false;
  int iter = 0;
  std::int32_t old = state_.load(std::memory_order_relaxed);
  for (;;) {
    // Don't spin in starvation mode: ownership is handed off to waiters.
    if ((old & (kLocked | kStarving)) == kLocked && detail::can_spin(iter)) {
      // Set the woken flag so that Unlock does not wake other waiters.
      if (!awoke && (old & kWoken) == 0 && (old >> kWaiterShift) != 0 &&
          state_.compare_exchange_strong(old, old | kWoken, std::memory_order_relaxed)) {
        awoke = true;
      }
      detail::do_spin();
      iter++;
      old = state_.load(std::memory_order_relaxed);
      continue;
    }
    std::int32_t next = old;
    // Don't try to acquire a starving mutex: new arrivals must queue.
    if ((old & kStarving) == 0) next |= kLocked;
    if ((old & (kLocked | kStarving)) != 0) next += 1 << kWaiterShift;
    // Switch to starvation mode, if the mutex is still locked.
    if (starving && (old & kLocked) != 0) next |= kStarving;
    if (awoke) {
      if ((next & kWoken) == 0) detail::fatal("sync: inconsistent mutex state");
      next &= ~kWoken;
    }
    // acquire: when this CAS takes the lock, pairs with Unlock's release.
    if (state_.compare_exchange_strong(old, next, std::memory_order_acquire,
                                       std::memory_order_relaxed)) {
      if ((old & (kLocked | kStarving)) == 0) break;  // locked with CAS
      // Already waited before: queue at the front (LIFO).
      const bool lifo = wait_start != 0;
      if (wait_start == 0) wait_start = detail::nanotime();
      detail::semacquire(&sema_, lifo);
      starving = starving || detail::nanotime() - wait_start > kStarvationThresholdNs;
      old = state_.load(std::memory_order_acquire);
      if ((old & kStarving) != 0) {
        // Ownership was handed to us; the state is inconsistent (locked
        // not set, we are still counted as a waiter): fix it up.
        if ((old & (kLocked | kWoken)) != 0 || (old >> kWaiterShift) == 0)
          detail::fatal("sync: inconsistent mutex state");
        std::int32_t delta = kLocked - (1 << kWaiterShift);
        // Exit starvation mode when we are the last waiter or not starving.
        if (!starving || (old >> kWaiterShift) == 1) delta -= kStarving;
        state_.fetch_add(delta, std::memory_order_acquire);
        break;
      }
      awoke = true;
      iter = 0;
    }
    // CAS failure reloaded `old`.
  }
}

void Mutex::unlock_slow(std::int32_t now) {
  if (((now + kLocked) & kLocked) == 0) {
    // Unlock of an unlocked mutex: undo our decrement, then panic (Go makes
    // this a fatal error; a C++ caller can catch it).
    state_.fetch_add(kLocked, std::memory_order_relaxed);
    detail::throw_panic("sync: unlock of unlocked mutex");
  }
  if ((now & kStarving) == 0) {
    std::int32_t old = now;
    for (;;) {
      // No waiters, or one was already woken or took the lock: done.
      if ((old >> kWaiterShift) == 0 || (old & (kLocked | kWoken | kStarving)) != 0) return;
      // Grab the right to wake someone.
      std::int32_t next = (old - (1 << kWaiterShift)) | kWoken;
      if (state_.compare_exchange_strong(old, next, std::memory_order_release,
                                         std::memory_order_relaxed)) {
        detail::semrelease(&sema_, false);
        return;
      }
    }
  } else {
    // Starvation mode: hand ownership to the next waiter and yield so it
    // runs at once. kLocked is not set; the waiter sets it.
    detail::semrelease(&sema_, true);
  }
}

}  // namespace gofer::sync
