// bench/report/thread_pool.hpp — the std::thread twin of the seed article's
// Go WorkerPool (shared/seeds/000_93dc988236682126.txt, 'Go并发模式：7种让代码
// 坚不可摧的策略', section 1), for the worker_pool workload:
//
//   NewWorkerPool(workerCount, queueSize)  thread_worker_pool(workers, queue, process)
//   Start(ctx)                             Start(std::stop_token)
//   Submit(job) error                      Submit(job) -> false when the queue is full
//   Close()                                Close(): close the queue, join the workers
//
// The article's worker selects over its job queue and ctx.Done(); a thread
// cannot select, so the queue's one condition variable waits for "a job, the
// queue closed, or ctx stopped" (a std::stop_callback on Start's token sets
// the flag and wakes every worker). As in the Go twin, the article's
// printing and 100 ms sleep are gone: a worker hands each job to `process`
// (gofer's patterns::NewWorkerPool(workers, queue, handler) has that shape).
//
// Invariants: 0 <= len_ <= ring_.size(); a worker exits once ctx is
// stopped, or once the queue is closed and drained. Submit never blocks.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

namespace report {

// pool_job: the article's Job{ID, Data}.
struct pool_job {
  int ID = 0;
  std::string Data;
};

class thread_worker_pool {
 public:
  using process_fn = std::function<void(int worker, const pool_job&)>;

  thread_worker_pool(int workers, int queue_size, process_fn process)
      : workers_(workers),
        ring_(static_cast<std::size_t>(queue_size)),
        process_(std::move(process)) {}
  thread_worker_pool(const thread_worker_pool&) = delete;
  thread_worker_pool& operator=(const thread_worker_pool&) = delete;
  ~thread_worker_pool() { Close(); }

  // Start: Go's Start(ctx) — starts the workers; stopping ctx makes them
  // return (after their current job), as ctx.Done() does in the article.
  void Start(std::stop_token ctx) {
    on_stop_.emplace(std::move(ctx), [this] {
      {
        std::lock_guard lk(mu_);
        stopped_ = true;
      }
      cv_.notify_all();
    });
    for (int i = 0; i < workers_; ++i) threads_.emplace_back([this, i] { worker(i); });
  }

  // Submit: the article's non-blocking Submit; false is its "job queue is
  // full" error (job is then left as it was).
  bool Submit(pool_job&& job) {
    std::unique_lock lk(mu_);
    if (len_ == ring_.size()) return false;
    ring_[(head_ + len_) % ring_.size()] = std::move(job);
    ++len_;
    lk.unlock();
    cv_.notify_one();
    return true;
  }

  // Close: close the queue and wait for the workers (idempotent).
  void Close() {
    {
      std::lock_guard lk(mu_);
      closed_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

 private:
  void worker(int id) {
    for (;;) {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [this] { return len_ > 0 || closed_ || stopped_; });
      if (stopped_ || len_ == 0) return;  // ctx done, or closed and drained
      pool_job job = std::move(ring_[head_]);
      head_ = (head_ + 1) % ring_.size();
      --len_;
      lk.unlock();
      process_(id, job);
    }
  }

  const int workers_;
  std::mutex mu_;
  std::condition_variable cv_;  // workers: len_ > 0 || closed_ || stopped_
  std::vector<pool_job> ring_;  // Guarded by mu_.
  std::size_t head_ = 0;        // Guarded by mu_.
  std::size_t len_ = 0;         // Guarded by mu_.
  bool closed_ = false;         // Guarded by mu_.
  bool stopped_ = false;        // Guarded by mu_.
  process_fn process_;
  std::optional<std::stop_callback<std::function<void()>>> on_stop_;
  std::vector<std::thread> threads_;
};

}  // namespace report
