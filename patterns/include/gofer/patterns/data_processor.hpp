// gofer/patterns/data_processor.hpp — the seed article's composite
// "production data processor" (shared/seeds/000_93dc988236682126.txt,
// 'Go并发模式：7种让代码坚不可摧的策略', "综合应用：生产级数据处理器"): a worker
// pool, a rate limiter and a circuit breaker, with error aggregation.
//
//   dp := NewDataProcessor()                  auto dp = patterns::NewDataProcessor();
//   err := dp.ProcessBatch(ctx, items)        error err = dp->ProcessBatch(ctx, items);
//                                             dp->Shutdown(ctx);  // graceful stop
//
// Every item takes the article's path — rate limiter Wait, then the external
// call through the circuit breaker — but as a job ON THE POOL's workers.
//
// What changed from the article, and why (docs/patterns.md):
//   - The article submits a Job{Data: item} to the pool (whose workers only
//     print and sleep) and then does the real work in a new goroutine per
//     item beside the pool: the pool bounds nothing and its queue-full errors
//     drop items that would have been processed anyway. Here the item's work
//     IS the job (Job::Fn), so at most Workers items are in flight.
//   - Its goroutines capture the loop variable `item`: before Go 1.22 they
//     all see the last item. The job captures its item by value.
//   - ProcessBatch starts the pool and `defer`s Close, so a second
//     ProcessBatch panics on the closed queue (Start again, then send on a
//     closed channel). Here the pool lives as long as the processor; batches
//     may run one after another or at the same time.
//   - A full queue was an error per item; ProcessBatch now waits for room
//     (SubmitWait: backpressure), so no item fails only because it came in a
//     burst. If ctx ends first, every item not yet submitted is reported in
//     the batch's error as not processed (nothing is lost silently), and the
//     items already queued see ctx's error at their rate-limiter Wait.
//   - Errors name their item (fmt::Errorf("处理 %s 失败: %w", ...)) and the
//     batch's error is the ErrorAggregator's AggregateError, so errors::Is
//     finds ErrOpenState, context::DeadlineExceeded or the process
//     function's own errors among the causes.
//   - The external call is a parameter (DataProcessorConfig::Process;
//     the default is the article's simulated 100 ms call), and retries
//     through WithRetry when Retry.MaxAttempts > 1 (best practice 4). A
//     rejection by the open breaker is not retried.
//   - Shutdown(ctx) stops intake, drains the pool and stops the limiter's
//     refill fiber (best practice 3); ProcessBatch after it returns
//     ErrPoolClosed.
//
// Thread safety: every method may be called from any fiber or plain thread.
// ProcessBatch parks (waiting for its items); it must not be called from one
// of the processor's own jobs (it would wait for a worker it occupies).
//
// Invariants: every item of a batch either becomes a job, whose OnResult
// (called exactly once by the pool, run or not) records its error and
// counts it done, or is recorded as not submitted before ProcessBatch
// waits; so the batch's WaitGroup reaches zero exactly when every item is
// accounted for. The batch state is shared (shared_ptr) with its jobs, so a
// job that outlives a ProcessBatch cancelled by its caller's exception never
// touches freed memory.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gofer/context.hpp"
#include "gofer/errors.hpp"
#include "gofer/fmt.hpp"
#include "gofer/sync/wait_group.hpp"
#include "gofer/time.hpp"
#include "gofer/patterns/circuit_breaker.hpp"
#include "gofer/patterns/error_aggregator.hpp"
#include "gofer/patterns/rate_limiter.hpp"
#include "gofer/patterns/retry.hpp"
#include "gofer/patterns/worker_pool.hpp"

namespace gofer::patterns {

namespace detail_processor {
inline RetryOptions no_retry() {
  RetryOptions o;
  o.MaxAttempts = 1;
  return o;
}
}  // namespace detail_processor

// ProcessFunc: the per-item work (the article's processItemWithExternalAPI).
// ctx is the batch's context.
using ProcessFunc = std::function<error(const context::Context& ctx, const std::string& item)>;

// DataProcessorConfig: the article's numbers are the defaults.
struct DataProcessorConfig {
  int Workers = 10;                                  // NewWorkerPool(10, 100)
  int QueueSize = 100;
  int RequestsPerSecond = 100;                       // NewRateLimiter(100, 20)
  int Burst = 20;
  int MaxFailures = 5;                               // NewCircuitBreaker(5, 30*time.Second)
  time::Duration ResetTimeout = 30 * time::Second;
  RetryOptions Retry = detail_processor::no_retry();  // MaxAttempts 1: no retry (the article)
  ProcessFunc Process{};                             // empty: the article's simulated call
};

namespace detail_processor {
// simulated_external_api: the article's processItemWithExternalAPI — a
// 100 ms call that succeeds (it sleeps on the runtime's timers, parking).
inline error simulated_external_api(const context::Context& ctx, const std::string& item) {
  (void)ctx;
  (void)item;
  time::Sleep(100 * time::Millisecond);
  return nil;
}
}  // namespace detail_processor

class DataProcessor {
 public:
  // DataProcessor: builds and starts the pool, the limiter and the breaker.
  // Throws panic_error for a bad configuration (as NewWorkerPool and
  // NewRateLimiter do).
  explicit DataProcessor(DataProcessorConfig cfg)
      : process_(cfg.Process ? std::move(cfg.Process) : ProcessFunc(&detail_processor::simulated_external_api)),
        retry_(cfg.Retry),
        workerPool_(NewWorkerPool(cfg.Workers, cfg.QueueSize)),
        rateLimiter_(NewRateLimiter(cfg.RequestsPerSecond, cfg.Burst)),
        circuitBreaker_(NewCircuitBreaker(cfg.MaxFailures, cfg.ResetTimeout)) {
    // The pool runs for the processor's lifetime, under its own context
    // (Background): a batch's ctx governs its items, not the pool.
    workerPool_->Start(context::Background());
  }
  DataProcessor(const DataProcessor&) = delete;
  DataProcessor& operator=(const DataProcessor&) = delete;

  // ~DataProcessor: Close (drains what is queued) if Shutdown was not
  // called, then the limiter stops.
  ~DataProcessor() { workerPool_->Close(); }

  // ProcessBatch runs every item through the pool (rate limiter, then the
  // breaker around Process) and waits until all are accounted for. Returns
  // nil, or an AggregateError with one cause per failed item (errors::Is
  // sees the causes). Parks.
  error ProcessBatch(const context::Context& ctx, const std::vector<std::string>& items) {
    auto b = std::make_shared<batch>();
    for (const std::string& item : items) {
      b->wg.Add(1);
      Job job;
      job.Data = item;
      job.Fn = [this, b, item, ctx](const context::Context&) { return run_item(ctx, item); };
      job.OnResult = [b, item](const Job&, const JobResult& r) {
        if (r.Err) b->errAgg.Add(fmt::Errorf("处理 %s 失败: %w", item, r.Err));
        b->wg.Done();  // last: the batch may be gone right after
      };
      if (error err = workerPool_->SubmitWait(ctx, std::move(job))) {
        b->errAgg.Add(fmt::Errorf("处理 %s 失败: %w", item, err));
        b->wg.Done();
      }
    }
    b->wg.Wait();
    if (b->errAgg.HasErrors()) return b->errAgg.Error();
    return nil;
  }

  // Shutdown: the pool's Shutdown(ctx) (stops intake, drains the queue;
  // ctx.Err() if ctx ends first), then stops the rate limiter. Later
  // ProcessBatch calls fail every item with ErrPoolClosed.
  error Shutdown(const context::Context& ctx) {
    error err = workerPool_->Shutdown(ctx);
    rateLimiter_->Stop();
    return err;
  }

  // GetMetrics: the pool's metrics (best practice 2).
  Metrics GetMetrics() const { return workerPool_->GetMetrics(); }
  // Breaker: the circuit breaker, for its State() and Counts().
  const std::shared_ptr<CircuitBreaker>& Breaker() const noexcept { return circuitBreaker_; }

 private:
  struct batch {
    ErrorAggregator errAgg;
    sync::WaitGroup wg;
  };

  // run_item: the article's per-item goroutine body, on a pool worker.
  error run_item(const context::Context& ctx, const std::string& item) {
    if (error err = rateLimiter_->Wait(ctx)) return err;  // 限制处理速率
    if (retry_.MaxAttempts <= 1) {
      return circuitBreaker_->Call([&] { return process_(ctx, item); });  // 使用熔断器进行外部调用
    }
    return WithRetry(
        ctx,
        [&](const context::Context& c) -> error {
          error err = circuitBreaker_->Call([&] { return process_(c, item); });
          // An open breaker will not close by retrying at once: give up.
          if (errors::Is(err, ErrOpenState) || errors::Is(err, ErrTooManyRequests)) return Permanent(err);
          return err;
        },
        retry_);
  }

  const ProcessFunc process_;
  const RetryOptions retry_;
  const std::shared_ptr<WorkerPool> workerPool_;
  const std::shared_ptr<RateLimiter> rateLimiter_;
  const std::shared_ptr<CircuitBreaker> circuitBreaker_;
};

// NewDataProcessor: the article's constructor (its numbers), or one from cfg.
inline std::shared_ptr<DataProcessor> NewDataProcessor(DataProcessorConfig cfg = {}) {
  return std::make_shared<DataProcessor>(std::move(cfg));
}

}  // namespace gofer::patterns
