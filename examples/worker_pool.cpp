// worker_pool.cpp — the article's Worker Pool usage example, then its best
// practices (shared/seeds/000_93dc988236682126.txt, "Go并发模式：7种让代码
// 坚不可摧的策略", section 1 and "最佳实践总结").
//
// Part 1 is the article's main(): a context with a 10 s timeout, a pool of
// 5 workers with a queue of 100, 20 jobs; each worker prints the article's
// lines ("Worker %d 处理任务 %d", "Worker %d: 正在关闭"). The article then
// sleeps 2 s so that the jobs get done before its deferred Close; here
// Shutdown(ctx) waits exactly until every queued job has run (~0.4 s).
//
// Part 2 shows the best practices: the worker count from runtime.NumCPU()
// (DefaultWorkerPoolConfig), jobs carrying their own work (Job::Fn) with a
// retry (WithRetry), GetMetrics, and Shutdown.
#include <atomic>
#include <gofer/gofer.hpp>
#include <gofer/patterns/retry.hpp>
#include <gofer/patterns/worker_pool.hpp>

using namespace gofer;
using patterns::Job;

int main() {
  gofer::run([] {
    // --- The article's main() ---
    auto [ctx, cancel] = context::WithTimeout(context::Background(), 10 * time::Second);
    GOFER_DEFER(cancel());

    patterns::WorkerPoolConfig cfg;  // NewWorkerPool(5, 100)
    cfg.Workers = 5;
    cfg.QueueSize = 100;
    // The body of the article's worker loop.
    cfg.Handler = [](const context::Context&, int id, const Job& job) -> error {
      fmt::Printf("Worker %d 处理任务 %d\n", id, job.ID);
      time::Sleep(100 * time::Millisecond);  // 模拟工作
      return nil;
    };
    cfg.OnWorkerStop = [](int id, const error& reason) {
      if (reason == nil)
        fmt::Printf("Worker %d: 正在关闭\n", id);
      else
        fmt::Printf("Worker %d: 上下文已取消\n", id);
    };
    auto pool = patterns::NewWorkerPool(std::move(cfg));
    pool->Start(ctx);

    // 提交任务
    for (int i = 0; i < 20; i++) {
      Job job{.ID = i, .Data = fmt::Sprintf("data-%d", i)};
      if (error err = pool->Submit(std::move(job)); err != nil) {
        fmt::Printf("提交任务失败: %v\n", err);
      }
    }
    // Instead of time.Sleep(2 * time.Second) and the deferred Close:
    if (error err = pool->Shutdown(ctx); err != nil) {
      fmt::Printf("关闭超时: %v\n", err);
    }

    // --- Best practices ---
    // 1. 性能调优: workerCount := runtime.NumCPU() * 2; queueSize := workerCount * 10
    patterns::WorkerPoolConfig tuned = patterns::DefaultWorkerPoolConfig();
    fmt::Printf("性能调优: NumCPU=%d workerCount=%d queueSize=%d\n", runtime::NumCPU(),
                tuned.Workers, tuned.QueueSize);
    auto busy = patterns::NewWorkerPool(tuned);
    busy->Start(ctx);

    // 4. 错误处理策略: every 10th job fails once and succeeds on its retry;
    // the last job always fails, so WithRetry gives up and wraps its last
    // error.
    const int jobs = 100;
    for (int i = 0; i < jobs; i++) {
      auto tries = std::make_shared<std::atomic<int>>(0);
      Job job{.ID = i};
      job.Fn = [i, tries, last = jobs - 1](const context::Context& jctx) {
        patterns::RetryOptions opts;
        opts.MaxAttempts = 3;
        opts.BaseDelay = 5 * time::Millisecond;
        return patterns::WithRetry(
            jctx,
            [&] {
              const int n = ++*tries;
              if (i == last || (i % 10 == 0 && n == 1))
                return errors::New(fmt::Sprintf("任务 %d 第 %d 次尝试失败", i, n));
              return error(nil);
            },
            opts);
      };
      job.OnResult = [](const Job& j, const patterns::JobResult& r) {
        if (r.Err != nil) fmt::Printf("任务 %d 失败: %v\n", j.ID, r.Err);
      };
      if (error err = busy->SubmitWait(ctx, std::move(job)); err != nil) {
        fmt::Printf("提交任务失败: %v\n", err);
      }
    }

    // 3. 优雅关闭
    if (error err = busy->Shutdown(ctx); err != nil) fmt::Printf("关闭超时: %v\n", err);

    // 2. 监控和指标
    const patterns::Metrics m = busy->GetMetrics();
    fmt::Printf("监控和指标: ProcessedJobs=%d FailedJobs=%d AverageLatency=%v ActiveWorkers=%d\n",
                m.ProcessedJobs, m.FailedJobs, m.AverageLatency, m.ActiveWorkers);
  });
  return 0;
}
