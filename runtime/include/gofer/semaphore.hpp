// gofer/semaphore.hpp — golang.org/x/sync/semaphore: a weighted semaphore.
//
// Port of x/sync/semaphore (semaphore.go): a size, a count of tokens held
// and a FIFO list of waiters under one Mutex; each waiter parks on its own
// `ready` channel, which notify_waiters closes once it has handed the
// waiter its tokens. Waiters are served strictly in order: a large request
// at the head of the queue holds back smaller ones behind it, so it never
// starves (a semaphore of N used as a read-write lock with Acquire(1) for
// readers and Acquire(N) for a writer lets the writer in).
//
//   auto sem = semaphore::NewWeighted(10);        // sem := semaphore.NewWeighted(10)
//   if (auto err = sem->Acquire(ctx, 3)) return err;
//   defer … sem->Release(3);
//
//   semaphore::Weighted sem(10);                  // or as a plain object
//
// Acquire from a fiber parks it (the worker runs other fibers); from a
// plain thread it blocks the thread. Any fiber or thread may Release.
//
// Differences from Go:
//   - Weighted is also constructible directly; NewWeighted returns a
//     shared_ptr (Go's *Weighted) for sharing between fibers.
//   - Release of more than is held throws panic_error("semaphore: released
//     more than held"), Go's text, and leaves the count as it was (Go leaves
//     it negative).
//
// Invariants (under mu_):
//   - 0 <= cur_ <= size_ (a request larger than size_ never queues).
//   - Tokens go to waiters in queue order only: if the head waiter cannot be
//     served, nobody behind it is, and Acquire/TryAcquire do not take tokens
//     while the queue is non-empty.
//   - A waiter is in the queue iff its ready channel is open; it leaves the
//     queue either in notify_waiters (tokens counted in cur_, ready closed)
//     or by its own cancellation.
//
// Memory ordering: mu_ orders every change of cur_ and the queue; a waiter
// that receives from its closed ready channel happens-after the close
// (channel semantics), so Release happens-before the Acquire it satisfies.
#pragma once

#include <cstdint>
#include <memory>

#include "gofer/context.hpp"
#include "gofer/errors.hpp"
#include "gofer/sync/mutex.hpp"

namespace gofer::semaphore {

class Weighted {
 public:
  // Weighted: a semaphore with n tokens (Go's NewWeighted(n)).
  explicit Weighted(std::int64_t n) : size_(n) {}
  Weighted(const Weighted&) = delete;
  Weighted& operator=(const Weighted&) = delete;

  // Acquire acquires n tokens, blocking until they are available or ctx is
  // done. On success it returns nil; on failure ctx.Err(), and the
  // semaphore is unchanged. A ctx already done on entry fails even when the
  // tokens are free (Go's rule); tokens handed to a waiter whose ctx became
  // done at the same time are given back, never leaked. A request for more
  // than the size waits for ctx only and never holds up other waiters.
  error Acquire(const context::Context& ctx, std::int64_t n);

  // TryAcquire acquires n tokens without blocking; false leaves the
  // semaphore unchanged. It fails while any waiter is queued.
  bool TryAcquire(std::int64_t n);

  // Release releases n tokens and serves waiters in queue order.
  void Release(std::int64_t n);

 private:
  struct waiter;
  // notify_waiters: Go's notifyWaiters. mu_ held.
  void notify_waiters();
  void unlink(waiter* w);  // mu_ held

  const std::int64_t size_;
  sync::Mutex mu_;
  std::int64_t cur_ = 0;    // Guarded by mu_: tokens held.
  waiter* head_ = nullptr;  // Guarded by mu_: the waiter queue, oldest first.
  waiter* tail_ = nullptr;  // Guarded by mu_.
};

// NewWeighted returns a new semaphore with n tokens.
std::shared_ptr<Weighted> NewWeighted(std::int64_t n);

}  // namespace gofer::semaphore
