// Smoke test for an installed gofer: 100 goroutines add 1..100, then a
// worker pool from gofer::patterns adds them again, and fmt prints the sum.
#include <atomic>
#include <gofer/fmt.hpp>
#include <gofer/gofer.hpp>
#include <gofer/patterns/worker_pool.hpp>

int main() {
  std::atomic<int> sum{0};
  gofer::run([&] {
    gofer::sync::WaitGroup wg;
    for (int i = 1; i <= 100; ++i) {
      wg.Add(1);
      gofer::go([&wg, &sum, i] {
        sum.fetch_add(i);
        wg.Done();
      });
    }
    wg.Wait();

    auto pool = gofer::patterns::NewWorkerPool(4, 16);
    pool->Start(gofer::context::Background());
    for (int i = 1; i <= 100; ++i) {
      gofer::patterns::Job job;
      job.ID = i;
      job.Fn = [&sum, i](const gofer::context::Context&) -> gofer::error {
        sum.fetch_add(i);
        return gofer::nil;
      };
      if (pool->SubmitWait(gofer::context::Background(), std::move(job))) return;
    }
    pool->Close();
  });
  gofer::fmt::Printf("consumer: sum=%d\n", sum.load());
  return sum.load() == 2 * 5050 ? 0 : 1;
}
