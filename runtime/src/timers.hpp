// timers.hpp — the runtime's timers: one 4-ary min-heap per worker.
//
// Port of the timer heap of runtime/time.go (go1.19): siftupTimer,
// siftdownTimer, the 4-ary layout, timer0When as an atomic summary that the
// scheduler reads without the lock. Differences: a timer records the heap it
// is in and its index, so deltimer removes it eagerly (Go marks it deleted
// and lets the owner clean up), and callbacks run with no lock held.
//
// Every timed wait of the runtime is one of these: time::Sleep (the timer is
// on the sleeping fiber's stack and readies it), and later time.After,
// Timer, Ticker and context deadlines.
//
// Invariants:
//   - A timer is in at most one heap; t->heap_ is that heap (or null), and
//     t->idx_ its index, both guarded by that heap's lock_.
//   - when0_ == h_[0]->when, or 0 when the heap is empty (written under
//     lock_, read lock-free by schedulers choosing their sleep timeout).
//   - f runs on a worker's scheduler stack, with no runtime lock held; it
//     must not block. Once f has been called for a one-shot timer, the timer
//     is out of every heap and its memory belongs to its owner again.
//
// Lock order: a heap's lock_ is a leaf (lock_rank.hpp: kRankTimers).
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "gofer/detail/rt_mutex.hpp"

namespace gofer::detail {

class timer_heap;

struct timer {
  std::int64_t when = 0;    // CLOCK_MONOTONIC ns; guarded by the heap lock while queued
  std::int64_t period = 0;  // > 0: re-armed every period after firing
  void (*f)(void* arg) = nullptr;
  void* arg = nullptr;
  // drop, if set, is called instead of f when the runtime shuts down with
  // the timer still queued (it releases what the queued entry owns).
  void (*drop)(void* arg) = nullptr;

  std::atomic<timer_heap*> heap_{nullptr};  // see invariants
  std::int32_t idx_ = -1;                   // guarded by heap_->lock_
};

class timer_heap {
 public:
  // add queues t (not in any heap) to fire at when. Returns true when t
  // became the earliest timer of this heap (the caller may need to wake a
  // sleeping worker, Go's wakeNetPoller). Any thread.
  bool add(timer* t, std::int64_t when);

  // run fires every timer due at `now`; returns how many fired. Any worker
  // (the owner, or an idle one helping a busy owner).
  int run(std::int64_t now);

  // when0: the earliest deadline, or 0 when empty. Lock-free snapshot.
  std::int64_t when0() const noexcept { return when0_.load(std::memory_order_acquire); }
  std::int64_t size() const noexcept { return size_.load(std::memory_order_acquire); }

  // remove_all drops every timer (runtime shutdown), calling each one's
  // drop callback with no lock held. Returns the count.
  std::size_t remove_all();

 private:
  friend bool timer_del(timer* t);
  void remove_locked(timer* t);
  void sift_up(std::size_t i);
  void sift_down(std::size_t i);
  void publish_locked();

  rt_mutex lock_;
  std::vector<timer*> h_;  // Guarded by lock_.
  std::atomic<std::int64_t> when0_{0};
  std::atomic<std::int64_t> size_{0};
};

// timer_del removes t from its heap. Returns true if it was queued (it will
// not fire), false if it had fired (or was being fired) or was never added.
// Any thread.
bool timer_del(timer* t);

// nanotime: CLOCK_MONOTONIC in nanoseconds (Go's nanotime).
std::int64_t nanotime() noexcept;

}  // namespace gofer::detail
