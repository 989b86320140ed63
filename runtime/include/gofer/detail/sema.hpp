// gofer/detail/sema.hpp — Go's runtime semaphore (installed, not API).
//
// Port of runtime.semacquire1 / semrelease1 (sema.go, go1.19), with one
// difference: Go hashes the semaphore's address into a global table of
// treaps; here each sync object embeds its own wait queue (sema_queue), which
// is smaller than a treap and never contended by unrelated objects.
//
// It is what sync::Mutex, RWMutex and WaitGroup park on, from fibers and
// plain threads alike.
#pragma once

#include <atomic>
#include <cstdint>

#include "gofer/detail/park.hpp"
#include "gofer/detail/rt_mutex.hpp"

namespace gofer::detail {

struct sema_waiter;

// sema_queue: the waiters of one semaphore word.
// Invariants: nwait_ >= number of queued waiters (it is incremented before
// the waiter re-checks the count, Go's trick to let semrelease skip the
// lock when nobody waits). Guarded by lock_: head_, tail_.
class sema_queue {
 public:
  // acquire: Go's semacquire1(addr, lifo). Blocks until *addr > 0, then
  // decrements it. lifo queues the caller at the head (Mutex's re-waiters).
  void acquire(std::atomic<std::uint32_t>* addr, bool lifo);
  // release: Go's semrelease1(addr, handoff). Increments *addr and wakes one
  // waiter; with handoff the count goes straight to that waiter and the
  // caller yields so it runs soon (Mutex starvation mode).
  void release(std::atomic<std::uint32_t>* addr, bool handoff);

 private:
  rt_mutex lock_;
  std::atomic<std::uint32_t> nwait_{0};
  sema_waiter* head_ = nullptr;  // Guarded by lock_.
  sema_waiter* tail_ = nullptr;  // Guarded by lock_.
};

}  // namespace gofer::detail
