// gofer/sync/cond.hpp — Go's sync.Cond.
//
// Port of sync.Cond over runtime.notifyList (sema.go, go1.19): Wait takes a
// ticket, unlocks L, parks until its ticket is notified, re-locks L. Signal
// wakes the oldest ticket; Broadcast wakes all tickets taken so far. A
// waiter that took its ticket before a Signal is never missed, even if it
// had not parked yet when Signal ran.
//
//   sync::Mutex mu;  sync::Cond cond(&mu);   // sync.NewCond(&mu)
//   mu.Lock(); while (!ready) cond.Wait(); mu.Unlock();
//
// L can be any object with Lock()/Unlock() or lock()/unlock(): a Mutex, an
// RWMutex, or an RWMutex's RLocker().
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "gofer/detail/park.hpp"
#include "gofer/detail/rt_mutex.hpp"

namespace gofer::sync {

namespace detail_cond {
template <class L>
concept GoLocker = requires(L& l) {
  l.Lock();
  l.Unlock();
};
}  // namespace detail_cond

class Cond {
 public:
  template <class L>
  explicit Cond(L* l) : l_(l) {
    if constexpr (detail_cond::GoLocker<L>) {
      lock_ = [](void* p) { static_cast<L*>(p)->Lock(); };
      unlock_ = [](void* p) { static_cast<L*>(p)->Unlock(); };
    } else {
      lock_ = [](void* p) { static_cast<L*>(p)->lock(); };
      unlock_ = [](void* p) { static_cast<L*>(p)->unlock(); };
    }
  }
  Cond(const Cond&) = delete;
  Cond& operator=(const Cond&) = delete;

  // Wait atomically unlocks L and suspends the caller; after it is woken,
  // it re-locks L before returning. L must be held on entry.
  void Wait();
  void Signal();
  void Broadcast();

 private:
  struct waiter;
  void* l_;
  void (*lock_)(void*);
  void (*unlock_)(void*);

  // notifyList (Go): tickets wait_ (next to hand out) and notify_ (next to
  // be notified); queue guarded by nl_lock_. Tickets compare modulo 2^32.
  std::atomic<std::uint32_t> wait_{0};
  std::atomic<std::uint32_t> notify_{0};
  gofer::detail::rt_mutex nl_lock_;
  waiter* head_ = nullptr;  // Guarded by nl_lock_.
  waiter* tail_ = nullptr;  // Guarded by nl_lock_.
};

// NewCond returns a new Cond over l (Go's sync.NewCond).
template <class L>
std::unique_ptr<Cond> NewCond(L* l) {
  return std::make_unique<Cond>(l);
}

}  // namespace gofer::sync
