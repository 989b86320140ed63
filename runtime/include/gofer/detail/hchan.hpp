// gofer/detail/hchan.hpp — the type-erased channel core (installed, not
// API). Port of runtime.hchan (chan.go, go1.19); chan<T> (gofer/chan.hpp)
// is a typed handle over it.
//
// Invariants (Go's, from chan.go):
//   At least one of sendq and recvq is empty, except for an unbuffered
//   channel with a single fiber blocked on it for both sending and
//   receiving with select, in which case the length of sendq and recvq is
//   bounded only by the select's size.
//   For buffered channels: qcount > 0 implies recvq is empty;
//   qcount < dataqsiz implies sendq is empty.
//
// Element storage: the ring buffer holds constructed T objects in slots
// [recvx, recvx + qcount) (mod dataqsiz); the other slots are raw memory.
// Values move, never copy, between senders, the buffer and receivers, so
// move-only element types work; a zero-size T (struct{}) still takes one
// byte a slot.
//
// Lock order: lock_ has rank 20 (lock_rank.hpp); select takes the locks of
// its channels in address order (Go's sellock). No fiber is readied while
// a channel lock is held.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "gofer/detail/park.hpp"
#include "gofer/detail/rt_mutex.hpp"

namespace gofer::detail {

// elem_ops: how the core moves values of the element type.
struct elem_ops {
  std::size_t size;
  std::size_t align;
  void (*construct_from)(void* raw, void* src);  // raw <- move(*src)
  void (*assign_from)(void* dst, void* src);     // *dst = move(*src)
  void (*assign_zero)(void* dst);                // *dst = T{}
  void (*destroy)(void* obj);
};

template <class T>
inline constexpr elem_ops elem_ops_for = {
    sizeof(T),
    alignof(T),
    [](void* raw, void* src) { ::new (raw) T(static_cast<T&&>(*static_cast<T*>(src))); },
    [](void* dst, void* src) { *static_cast<T*>(dst) = static_cast<T&&>(*static_cast<T*>(src)); },
    [](void* dst) { *static_cast<T*>(dst) = T{}; },
    [](void* obj) { static_cast<T*>(obj)->~T(); },
};

struct select_state;
class hchan;

// sudog: one fiber or thread waiting on one channel (Go's sudog). Lives on
// the waiter's stack for the duration of the wait.
struct sudog {
  waiter* w = nullptr;         // the blocked fiber or thread (shared by a select's sudogs)
  void* elem = nullptr;        // send: the value to take; recv: where to put it (may be null)
  sudog* next = nullptr;       // Guarded by c's lock.
  sudog* prev = nullptr;       // Guarded by c's lock.
  hchan* c = nullptr;
  select_state* sel = nullptr; // non-null for a select's sudog
  int case_index = -1;
  bool success = false;        // woken by a value transfer (true) or close (false)
};

// waitq: FIFO of sudogs (Go's waitq). Guarded by the channel's lock.
struct waitq {
  sudog* first = nullptr;
  sudog* last = nullptr;
  void enqueue(sudog* s) noexcept;
  sudog* dequeue() noexcept;  // skips select sudogs whose select is already won
  void remove(sudog* s) noexcept;  // Go's dequeueSudoG
};

class hchan {
 public:
  hchan(const elem_ops* ops, std::size_t cap);
  ~hchan();
  hchan(const hchan&) = delete;
  hchan& operator=(const hchan&) = delete;

  // send: Go's chansend. block=false is the select-with-default/try form.
  // Returns whether the value was sent. Throws panic_error "send on closed
  // channel".
  bool send(void* elem, bool block);
  // recv: Go's chanrecv. Returns {selected, received}: selected says the
  // operation completed (false only when !block and nothing was ready);
  // received is false when the value is the zero value of a closed channel.
  struct recv_result {
    bool selected;
    bool received;
  };
  recv_result recv(void* elem, bool block);
  void close();  // throws "close of closed channel"
  std::size_t len() const noexcept { return qcount_.load(std::memory_order_relaxed); }
  std::size_t cap() const noexcept { return dataqsiz_; }

  // Reference count for the chan<T> handles (intrusive; starts at 1).
  void retain() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept;
  // use_count: live handles (a snapshot; time tickers stop themselves when
  // only their own handle is left).
  std::int64_t use_count() const noexcept { return refs_.load(std::memory_order_acquire); }

 private:
  friend struct select_impl;  // select.cpp: selectgo works on the internals
  void* slot(std::size_t i) const noexcept { return buf_ + i * ops_->size; }
  // With lock_ held: hand elem to the waiting receiver sg / take the value
  // of the waiting sender sg into elem (Go's send / recv). The caller
  // unlocks, then wakes sg->w.
  void send_locked(sudog* sg, void* elem);
  void recv_locked(sudog* sg, void* elem);
  // With lock_ held: the buffer operations (Go's bufsend / bufrecv).
  void buf_put_locked(void* elem);
  void buf_take_locked(void* elem);

  mutable rt_mutex lock_;
  const elem_ops* const ops_;
  const std::size_t dataqsiz_;              // capacity
  char* buf_ = nullptr;                     // dataqsiz_ slots
  std::atomic<std::size_t> qcount_{0};      // written under lock_; read lock-free by len()
  std::size_t sendx_ = 0;                   // Guarded by lock_.
  std::size_t recvx_ = 0;                   // Guarded by lock_.
  std::atomic<bool> closed_{false};         // written under lock_; read lock-free (fast paths)
  waitq recvq_;                             // Guarded by lock_.
  waitq sendq_;                             // Guarded by lock_.
  std::atomic<std::int64_t> refs_{1};
};

// block_forever parks the caller for good (a nil channel operation, an
// empty select). Deadlock detection sees it like any other park.
[[noreturn]] void block_forever();

}  // namespace gofer::detail
