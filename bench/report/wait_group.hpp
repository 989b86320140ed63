// bench/report/wait_group.hpp — a WaitGroup for the implementations that have
// none: std::thread (std::mutex + std::condition_variable) and Boost.Fiber
// (boost::fibers::mutex + boost::fibers::condition_variable).
//
// basic_wait_group<Mutex, CondVar> keeps the count in an atomic, so Add and
// Done cost one atomic add, as Go's and gofer's WaitGroup do; only the Done
// that brings the count to zero takes the mutex, to wake the waiters.
//
// Invariants: a waiter sleeps only after seeing count_ != 0 under mu_; the
// Done that reaches zero notifies under mu_, so it cannot slip between a
// waiter's check and its sleep, and a woken waiter cannot return (and let
// the object be destroyed) before that Done has released mu_. As Go's, it
// may be re-Added only after every Wait of the previous round returned.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>

namespace report {

template <class Mutex, class CondVar>
class basic_wait_group {
 public:
  basic_wait_group() = default;
  basic_wait_group(const basic_wait_group&) = delete;
  basic_wait_group& operator=(const basic_wait_group&) = delete;

  void Add(std::int64_t delta) {
    // acq_rel: a Done publishes its task's writes to the Wait that sees 0.
    if (count_.fetch_add(delta, std::memory_order_acq_rel) + delta == 0) {
      std::lock_guard lk(mu_);
      cv_.notify_all();
    }
  }
  void Done() { Add(-1); }
  void Wait() {
    // acquire: pairs with the acq_rel of the Done that reached zero.
    if (count_.load(std::memory_order_acquire) == 0) return;
    std::unique_lock lk(mu_);
    cv_.wait(lk, [this] { return count_.load(std::memory_order_acquire) == 0; });
  }

 private:
  std::atomic<std::int64_t> count_{0};
  Mutex mu_;
  CondVar cv_;  // waiters: count_ == 0
};

}  // namespace report
