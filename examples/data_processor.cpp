// data_processor.cpp — the article's composite "production data processor"
// (shared/seeds/000_93dc988236682126.txt, "Go并发模式：7种让代码坚不可摧的策略",
// "综合应用：生产级数据处理器"): a worker pool, a rate limiter and a circuit
// breaker with error aggregation, on gofer::patterns::DataProcessor.
//
// The article gives the type and ProcessBatch but no main(); this one runs
// what it describes:
//   1. NewDataProcessor() with the article's numbers (10 workers, queue 100,
//      100 requests/s with a burst of 20, breaker at 5 failures / 30 s) and
//      its simulated 100 ms external call: a batch of 30 items, then a
//      second batch (the article's second ProcessBatch panics on the closed
//      queue);
//   2. a dependency that fails: the breaker opens after 5 failures and the
//      remaining items fail fast; the batch's error names every item and
//      errors::Is still finds the causes;
//   3. the metrics (best practice 2) and a graceful Shutdown (best practice 3).
#include <gofer/gofer.hpp>
#include <gofer/patterns/data_processor.hpp>
#include <string>
#include <vector>

using namespace gofer;

namespace {

std::vector<std::string> batch_items(const char* prefix, int n) {
  std::vector<std::string> items;
  for (int i = 0; i < n; i++) items.push_back(fmt::Sprintf("%s-%d", prefix, i));
  return items;
}

}  // namespace

int main() {
  int rc = 0;
  gofer::run([&] {
    auto [ctx, cancel] = context::WithTimeout(context::Background(), 10 * time::Second);
    GOFER_DEFER(cancel());

    // --- 1. the article's processor, two batches -------------------------
    auto dp = patterns::NewDataProcessor();
    for (int round = 1; round <= 2; round++) {
      const auto items = batch_items(round == 1 ? "order" : "invoice", 30);
      const auto start = time::Now();
      error err = dp->ProcessBatch(ctx, items);
      fmt::Printf("批次 %d: 处理 %d 个项目, 耗时 %v, 错误: %v\n", round, items.size(),
                  std::chrono::round<std::chrono::milliseconds>(time::Since(start)), err);
      if (err != nil) rc = 1;
    }
    auto m = dp->GetMetrics();
    fmt::Printf("指标: 已处理 %d, 失败 %d, 平均延迟 %v\n", m.ProcessedJobs, m.FailedJobs,
                std::chrono::round<std::chrono::microseconds>(m.AverageLatency));
    if (error err = dp->Shutdown(ctx); err != nil) {
      fmt::Printf("关闭失败: %v\n", err);
      rc = 1;
    }

    // --- 2. a failing dependency: the breaker opens ----------------------
    const error serverError = errors::New("服务器错误");
    patterns::DataProcessorConfig cfg;
    cfg.Workers = 1;  // one call at a time, so the breaker sees them in order
    cfg.Process = [serverError](const context::Context&, const std::string&) -> error {
      time::Sleep(5 * time::Millisecond);  // 模拟外部 API 调用
      return serverError;
    };
    auto flaky = patterns::NewDataProcessor(cfg);
    error err = flaky->ProcessBatch(ctx, batch_items("report", 8));
    fmt::Printf("批次 3 失败:\n%v\n", err);
    fmt::Printf("熔断器状态: %v; errors.Is(err, 服务器错误) = %t; errors.Is(err, ErrOpenState) = %t\n",
                flaky->Breaker()->State(), errors::Is(err, serverError),
                errors::Is(err, patterns::ErrOpenState));
    if (!errors::Is(err, serverError) || !errors::Is(err, patterns::ErrOpenState)) rc = 1;

    // --- 3. graceful shutdown ---------------------------------------------
    auto [sctx, scancel] = context::WithTimeout(context::Background(), 5 * time::Second);
    GOFER_DEFER(scancel());
    if (error serr = flaky->Shutdown(sctx); serr != nil) {
      fmt::Printf("关闭失败: %v\n", serr);
      rc = 1;
    }
    m = flaky->GetMetrics();
    fmt::Printf("指标: 已处理 %d, 失败 %d\n", m.ProcessedJobs, m.FailedJobs);
  });
  return rc;
}
