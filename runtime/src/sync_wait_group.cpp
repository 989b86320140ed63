// sync_wait_group.cpp — port of sync.WaitGroup (sync/waitgroup.go, go1.19).
// See gofer/sync/wait_group.hpp.
#include "gofer/panic.hpp"
#include "gofer/sync/wait_group.hpp"

namespace gofer::sync {

void WaitGroup::Add(int delta) {
  const std::uint64_t d = static_cast<std::uint64_t>(static_cast<std::int64_t>(delta)) << 32;
  // acq_rel: Done's release orders the task's writes before the Wait that
  // this count releases; the acquire lets the last Done see the waiters.
  const std::uint64_t state = state_.fetch_add(d, std::memory_order_acq_rel) + d;
  const auto v = static_cast<std::int32_t>(state >> 32);  // counter
  const auto w = static_cast<std::uint32_t>(state);       // waiters
  if (v < 0) detail::throw_panic("sync: negative WaitGroup counter");
  if (w != 0 && delta > 0 && v == delta)
    detail::throw_panic("sync: WaitGroup misuse: Add called concurrently with Wait");
  if (v > 0 || w == 0) return;
  // The counter is 0 and there are waiters: nobody may touch the state now
  // (Add and Wait must not race with this). Reset the waiter count to 0.
  if (state_.load(std::memory_order_relaxed) != state)
    detail::throw_panic("sync: WaitGroup misuse: Add called concurrently with Wait");
  state_.store(0, std::memory_order_relaxed);  // relaxed: the semaphore orders it
  for (std::uint32_t i = 0; i < w; i++) detail::semrelease(&sema_, false);
}

void WaitGroup::Wait() {
  for (;;) {
    std::uint64_t state = state_.load(std::memory_order_acquire);  // pairs with Add's release
    if (static_cast<std::int32_t>(state >> 32) == 0) return;
    // Increment the waiter count.
    if (state_.compare_exchange_weak(state, state + 1, std::memory_order_acq_rel,
                                     std::memory_order_relaxed)) {
      detail::semacquire(&sema_, false);
      if (state_.load(std::memory_order_relaxed) != 0)
        detail::throw_panic("sync: WaitGroup is reused before previous Wait has returned");
      return;
    }
  }
}

}  // namespace gofer::sync
