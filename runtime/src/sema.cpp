// sema.cpp — port of runtime.semacquire1 / semrelease1 (sema.go, go1.19).
// See gofer/detail/sema.hpp.
#include "gofer/detail/sema.hpp"

#include "sched.hpp"

namespace gofer::detail {

// sema_waiter: Go's sudog as the semaphore uses it. On the waiter's stack.
struct sema_waiter {
  waiter w;
  sema_waiter* next = nullptr;  // Guarded by the queue's lock_.
  sema_waiter* prev = nullptr;  // Guarded by the queue's lock_.
  // ticket: 1 when semrelease handed the count straight to us. Written by
  // the releaser before wake(), read by us after (wake/ready orders it).
  std::uint32_t ticket = 0;
};

namespace {
// cansemacquire: Go's cansemacquire. acq_rel: the CAS acquires what the
// releaser published before its increment.
bool cansemacquire(std::atomic<std::uint32_t>* addr) {
  for (;;) {
    std::uint32_t v = addr->load(std::memory_order_acquire);
    if (v == 0) return false;
    if (addr->compare_exchange_weak(v, v - 1, std::memory_order_acq_rel, std::memory_order_relaxed))
      return true;
  }
}
}  // namespace

void sema_queue::acquire(std::atomic<std::uint32_t>* addr, bool lifo) {
  // Easy case.
  if (cansemacquire(addr)) return;
  // Harder case: increment nwait, re-check, enqueue, park; on wake-up take
  // the handed-off ticket or try again (Go's loop).
  sema_waiter s;
  s.w.init();
  for (;;) {
    lock_.lock();
    // Add ourselves to nwait to disable the "easy case" in release.
    // acq_rel: pairs with release()'s load after its increment of *addr.
    nwait_.fetch_add(1, std::memory_order_acq_rel);
    if (cansemacquire(addr)) {
      nwait_.fetch_sub(1, std::memory_order_acq_rel);
      lock_.unlock();
      break;
    }
    s.ticket = 0;
    s.w.woken.store(0, std::memory_order_relaxed);  // relaxed: not yet published
    if (lifo && head_) {
      s.prev = nullptr;
      s.next = head_;
      head_->prev = &s;
      head_ = &s;
    } else {
      s.next = nullptr;
      s.prev = tail_;
      if (tail_)
        tail_->next = &s;
      else
        head_ = &s;
      tail_ = &s;
    }
    block(
        s.w, [](void* m) { static_cast<rt_mutex*>(m)->unlock(); }, &lock_);
    if (s.ticket != 0 || cansemacquire(addr)) break;
  }
}

void sema_queue::release(std::atomic<std::uint32_t>* addr, bool handoff) {
  // acq_rel: publishes the releaser's critical section to the acquirer.
  addr->fetch_add(1, std::memory_order_acq_rel);
  // Easy case: no waiters? This check must happen after the increment, to
  // avoid a missed wake-up (Go's comment; the RMW orders it).
  if (nwait_.fetch_add(0, std::memory_order_acq_rel) == 0) return;
  lock_.lock();
  if (nwait_.load(std::memory_order_relaxed) == 0) {  // relaxed: under lock_
    lock_.unlock();
    return;
  }
  sema_waiter* s = head_;
  if (s) {
    head_ = s->next;
    if (head_)
      head_->prev = nullptr;
    else
      tail_ = nullptr;
    s->next = s->prev = nullptr;
    nwait_.fetch_sub(1, std::memory_order_acq_rel);
  }
  lock_.unlock();
  if (s == nullptr) return;
  bool handed = false;
  if (handoff && cansemacquire(addr)) {
    s->ticket = 1;
    handed = true;
  }
  wake(s->w);  // s may be gone after this
  // Direct hand-off: let the waiter run now (it is in our runnext), as Go's
  // semrelease1 does with goyield.
  if (handed) go_yield();
}

}  // namespace gofer::detail
