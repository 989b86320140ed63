// bench/report/thread_chan.hpp — the std::thread implementation's channels:
// the plain mutex + condition_variable designs a C++ programmer would write,
// not tuned lock-free queues. The same designs as bench/chan_bench.cpp's
// thread twins (see there for the measurements behind them), plus the
// non-blocking try_send the worker pool's Submit needs.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <utility>
#include <vector>

namespace report {

// thread_chan<T>: a ring of max(cap, 1) slots under one std::mutex, one
// condition variable for receivers (a value or close) and one for senders
// (a free slot). cap == 0 is a rendezvous, as an unbuffered Go channel:
// send returns only once a receiver has taken the value (taken_cv_). Values
// are FIFO, so a sender's value is taken once taken_ > its ticket.
//
// Invariants: 0 <= len_ <= slots; taken_ + len_ == sent_; with cap == 0 at
// most one value is in the ring. Every notify happens after unlocking, so a
// woken thread finds mu_ free; the object outlives all its users (the
// workloads join them). Send after close is not checked (Go panics); no
// workload does it.
template <class T>
class thread_chan {
 public:
  explicit thread_chan(std::size_t cap)
      : unbuffered_(cap == 0), ring_(std::max<std::size_t>(cap, 1)) {}
  thread_chan(const thread_chan&) = delete;
  thread_chan& operator=(const thread_chan&) = delete;

  // send: blocks for a free slot; unbuffered, then also until taken.
  void send(T v) {
    std::unique_lock lk(mu_);
    not_full_.wait(lk, [this] { return len_ < ring_.size(); });
    put(std::move(v));
    const std::uint64_t ticket = sent_ - 1;
    lk.unlock();
    not_empty_.notify_one();
    if (unbuffered_) {
      lk.lock();
      taken_cv_.wait(lk, [&] { return taken_ > ticket; });
    }
  }

  // try_send: Go's `select { case ch <- v: ...; default: }` on a buffered
  // channel: false, without blocking, when the buffer is full.
  bool try_send(T v) {
    std::unique_lock lk(mu_);
    if (unbuffered_ || len_ == ring_.size()) return false;
    put(std::move(v));
    lk.unlock();
    not_empty_.notify_one();
    return true;
  }

  // recv2: `v, ok := <-ch` — {T{}, false} once closed and drained.
  std::pair<T, bool> recv2() {
    std::unique_lock lk(mu_);
    not_empty_.wait(lk, [this] { return len_ > 0 || closed_; });
    if (len_ == 0) return {T{}, false};
    T v = std::move(ring_[head_]);
    head_ = (head_ + 1) % ring_.size();
    --len_;
    ++taken_;
    lk.unlock();
    not_full_.notify_one();
    if (unbuffered_) taken_cv_.notify_all();  // the (at most two) ticket waiters
    return {std::move(v), true};
  }
  T recv() { return recv2().first; }

  void close() {
    {
      std::lock_guard lk(mu_);
      closed_ = true;
    }
    not_empty_.notify_all();
  }

 private:
  void put(T v) {  // mu_ held, a slot free
    ring_[(head_ + len_) % ring_.size()] = std::move(v);
    ++len_;
    ++sent_;
  }

  const bool unbuffered_;
  std::mutex mu_;
  std::condition_variable not_empty_;  // receivers: len_ > 0 || closed_
  std::condition_variable not_full_;   // senders: len_ < ring_.size()
  std::condition_variable taken_cv_;   // unbuffered senders: taken_ > ticket
  std::vector<T> ring_;                // Guarded by mu_ (the slots, not the size).
  std::size_t head_ = 0;               // Guarded by mu_.
  std::size_t len_ = 0;                // Guarded by mu_.
  std::uint64_t sent_ = 0;             // Guarded by mu_.
  std::uint64_t taken_ = 0;            // Guarded by mu_.
  bool closed_ = false;                // Guarded by mu_.
};

// thread_select_set: the thread implementation of a select receiving from
// k unbuffered channels, each with one sender: k one-slot rendezvous queues
// under one std::mutex. The receiver waits on one condition variable shared
// by the k queues (any_cv_: some slot is full) and takes from the first full
// slot at or after a rotating start (Go picks uniformly at random among
// ready cases; rotation is as fair). Each sender waits on its own queue's
// condition variable for its slot to be free and then for its value to be
// taken (the rendezvous), so a receive wakes only the sender it served.
//
// Invariants: full_count_ == number of full slots; with one sender per
// queue a slot holds at most that sender's one value.
class thread_select_set {
 public:
  explicit thread_select_set(int k) : slots_(static_cast<std::size_t>(k)) {}
  thread_select_set(const thread_select_set&) = delete;
  thread_select_set& operator=(const thread_select_set&) = delete;

  // send: `queue j <- v`; returns once the receiver has taken v.
  void send(int j, std::int64_t v) {
    slot& s = slots_[static_cast<std::size_t>(j)];
    std::unique_lock lk(mu_);
    s.cv.wait(lk, [&] { return !s.full; });
    s.value = v;
    s.full = true;
    const std::uint64_t ticket = s.sent++;
    ++full_count_;
    lk.unlock();
    any_cv_.notify_one();
    lk.lock();
    s.cv.wait(lk, [&] { return s.taken > ticket; });
  }

  // recv: waits until some queue holds a value, takes it into *v and
  // returns the queue's index (select's case index).
  int recv(std::int64_t* v) {
    std::unique_lock lk(mu_);
    any_cv_.wait(lk, [this] { return full_count_ > 0; });
    const std::size_t k = slots_.size();
    std::size_t j = next_;
    while (!slots_[j].full) j = (j + 1) % k;  // full_count_ > 0: terminates
    next_ = (j + 1) % k;
    slot& s = slots_[j];
    *v = s.value;
    s.full = false;
    ++s.taken;
    --full_count_;
    lk.unlock();
    s.cv.notify_all();  // its sender, waiting for the take (or for the slot)
    return static_cast<int>(j);
  }

 private:
  struct slot {
    std::condition_variable cv;  // this queue's sender: !full, or taken > ticket
    std::int64_t value = 0;      // Guarded by mu_.
    bool full = false;           // Guarded by mu_.
    std::uint64_t sent = 0;      // Guarded by mu_.
    std::uint64_t taken = 0;     // Guarded by mu_.
  };
  std::mutex mu_;
  std::condition_variable any_cv_;  // the receiver: full_count_ > 0
  std::vector<slot> slots_;
  std::size_t full_count_ = 0;  // Guarded by mu_.
  std::size_t next_ = 0;        // Guarded by mu_; receiver only.
};

}  // namespace report
