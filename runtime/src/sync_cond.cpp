// sync_cond.cpp — sync.Cond over a port of runtime.notifyList
// (notifyListAdd/Wait/NotifyOne/NotifyAll, sema.go, go1.19).
// See gofer/sync/cond.hpp.
#include <mutex>

#include "gofer/sync/cond.hpp"

namespace gofer::sync {

struct Cond::waiter {
  gofer::detail::waiter w;
  std::uint32_t ticket = 0;
  waiter* next = nullptr;  // Guarded by nl_lock_.
};

namespace {
// less: ticket a comes before b, modulo wrap-around (Go's less).
inline bool less(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b) < 0; }
}  // namespace

void Cond::Wait() {
  // notifyListAdd: take a ticket before unlocking L, so a Signal that runs
  // after our Unlock is never missed. acq_rel: orders against Signal's
  // load of wait_.
  const std::uint32_t t = wait_.fetch_add(1, std::memory_order_acq_rel);
  unlock_(l_);
  // notifyListWait.
  nl_lock_.lock();
  if (less(t, notify_.load(std::memory_order_acquire))) {  // already notified
    nl_lock_.unlock();
  } else {
    waiter s;
    s.w.init();
    s.ticket = t;
    if (tail_)
      tail_->next = &s;
    else
      head_ = &s;
    tail_ = &s;
    gofer::detail::block(
        s.w, [](void* m) { static_cast<gofer::detail::rt_mutex*>(m)->unlock(); }, &nl_lock_);
  }
  lock_(l_);
}

void Cond::Signal() {
  // Fast path: no new waiters since the last notification.
  if (wait_.load(std::memory_order_acquire) == notify_.load(std::memory_order_acquire)) return;
  waiter* found = nullptr;
  {
    std::lock_guard<gofer::detail::rt_mutex> lk(nl_lock_);
    const std::uint32_t t = notify_.load(std::memory_order_relaxed);  // relaxed: under lock
    if (t == wait_.load(std::memory_order_acquire)) return;
    notify_.store(t + 1, std::memory_order_release);
    // Find the waiter with ticket t; it may not have queued yet, in which
    // case it will see notify_ > t and not sleep.
    for (waiter *p = nullptr, *s = head_; s != nullptr; p = s, s = s->next) {
      if (s->ticket == t) {
        waiter* n = s->next;
        if (p)
          p->next = n;
        else
          head_ = n;
        if (tail_ == s) tail_ = p;
        s->next = nullptr;
        found = s;
        break;
      }
    }
  }
  if (found) gofer::detail::wake(found->w);
}

void Cond::Broadcast() {
  if (wait_.load(std::memory_order_acquire) == notify_.load(std::memory_order_acquire)) return;
  waiter* s = nullptr;
  {
    std::lock_guard<gofer::detail::rt_mutex> lk(nl_lock_);
    s = head_;
    head_ = tail_ = nullptr;
    notify_.store(wait_.load(std::memory_order_acquire), std::memory_order_release);
  }
  while (s) {
    waiter* next = s->next;  // read before waking: s dies once woken
    s->next = nullptr;
    gofer::detail::wake(s->w);
    s = next;
  }
}

}  // namespace gofer::sync
