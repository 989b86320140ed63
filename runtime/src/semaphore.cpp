// semaphore.cpp — port of golang.org/x/sync/semaphore (semaphore.go).
// See gofer/semaphore.hpp for the invariants.
#include "gofer/semaphore.hpp"

#include <mutex>

#include "gofer/chan.hpp"
#include "gofer/panic.hpp"
#include "gofer/select.hpp"

namespace gofer::semaphore {

// waiter: one blocked Acquire, on that Acquire's stack. It is unlinked (by
// notify_waiters or by its own cancellation) before Acquire returns.
struct Weighted::waiter {
  std::int64_t n;
  chan<empty> ready;       // closed once the n tokens are this waiter's
  waiter* prev = nullptr;  // Guarded by mu_.
  waiter* next = nullptr;  // Guarded by mu_.
};

std::shared_ptr<Weighted> NewWeighted(std::int64_t n) { return std::make_shared<Weighted>(n); }

void Weighted::unlink(waiter* w) {
  if (w->prev)
    w->prev->next = w->next;
  else
    head_ = w->next;
  if (w->next)
    w->next->prev = w->prev;
  else
    tail_ = w->prev;
  w->prev = w->next = nullptr;
}

error Weighted::Acquire(const context::Context& ctx, std::int64_t n) {
  const recv_chan<empty> done = ctx.Done();  // nil for a context that is never done
  empty sink;

  mu_.Lock();
  if (done.try_recv(sink)) {
    // ctx becoming done has "happened before" acquiring the semaphore,
    // whether it became done before the call began or while we waited for
    // mu_: fail even if the tokens are free.
    mu_.Unlock();
    return ctx.Err();
  }
  if (size_ - cur_ >= n && head_ == nullptr) {
    // We hold mu_ and have not synchronised since checking done: a ctx
    // that becomes done now does so concurrently with this call, so it is
    // fine to acquire.
    cur_ += n;
    mu_.Unlock();
    return nil;
  }
  if (n > size_) {
    // Don't make other Acquire calls block on one that is doomed to fail.
    mu_.Unlock();
    done.recv();  // a nil done blocks forever, as in Go
    return ctx.Err();
  }

  waiter w{n, make_chan<empty>()};
  const chan<empty> ready = w.ready;  // our own handle: w may be unlinked any time
  w.prev = tail_;
  if (tail_)
    tail_->next = &w;
  else
    head_ = &w;
  tail_ = &w;
  mu_.Unlock();

  const int chosen = select(recv(done, [] {}), recv(ready, [] {}));
  if (chosen == 0) {  // ctx is done
    {
      std::lock_guard<sync::Mutex> lk(mu_);
      if (ready.try_recv(sink)) {
        // Acquired the semaphore after we were cancelled. Pretend we did
        // not and put the tokens back.
        cur_ -= n;
        notify_waiters();
      } else {
        const bool is_front = head_ == &w;
        unlink(&w);
        // If we were at the front and there are extra tokens left, the
        // waiters behind us may be servable now.
        if (is_front && size_ > cur_) notify_waiters();
      }
    }
    return ctx.Err();
  }
  // Acquired the semaphore. Check that ctx is not already done: a done
  // ctx wins (x/sync issue 63615) and the tokens are given back.
  if (done.try_recv(sink)) {
    Release(n);
    return ctx.Err();
  }
  return nil;
}

bool Weighted::TryAcquire(std::int64_t n) {
  std::lock_guard<sync::Mutex> lk(mu_);
  const bool success = size_ - cur_ >= n && head_ == nullptr;
  if (success) cur_ += n;
  return success;
}

void Weighted::Release(std::int64_t n) {
  std::lock_guard<sync::Mutex> lk(mu_);
  if (cur_ - n < 0) detail::throw_panic("semaphore: released more than held");  // cur_ kept
  cur_ -= n;
  notify_waiters();
}

void Weighted::notify_waiters() {
  for (;;) {
    waiter* next = head_;
    if (next == nullptr) break;  // No more waiters blocked.
    if (size_ - cur_ < next->n) {
      // Not enough tokens for the next waiter. We could keep going (to try
      // to find a waiter with a smaller request), but under load that could
      // starve large requests; instead, we leave all remaining waiters
      // blocked. (A semaphore used as a read-write lock with N tokens, N
      // readers taking 1 and a writer taking N: if readers could jump
      // ahead, there would always be a token for a reader and the writer
      // would starve.)
      break;
    }
    cur_ += next->n;
    const chan<empty> ready = next->ready;  // next may die once ready is closed
    unlink(next);
    close(ready);
  }
}

}  // namespace gofer::semaphore
