// tests/patterns/data_processor_test.cpp — gofer::patterns::DataProcessor,
// the article's composite processor (shared/seeds/000_93dc988236682126.txt,
// "综合应用：生产级数据处理器"), with the defects of the Go original fixed:
// items really run on the pool's workers (never more than Workers at once),
// each item exactly once (no loop-variable capture), ProcessBatch callable
// again and concurrently, a burst larger than the queue loses nothing,
// errors aggregated with their causes, the breaker opening against a failing
// dependency, the limiter's pace, cancellation accounting for every item,
// graceful Shutdown, and retries.
#include "gofer/patterns/data_processor.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "fixture.hpp"
#include "gofer/gofer.hpp"

namespace {

using namespace std::chrono_literals;
using gofer::error;
using gofer::nil;
using gofer_test::slack;
namespace context = gofer::context;
namespace errors = gofer::errors;
namespace patterns = gofer::patterns;
namespace sync = gofer::sync;
namespace time = gofer::time;

class DataProcessorTest : public gofer_test::RuntimeTest {};
GOFER_INSTANTIATE_WORKER_COUNTS(DataProcessorTest);

std::vector<std::string> make_items(int n, const std::string& prefix = "item-") {
  std::vector<std::string> items;
  for (int i = 0; i < n; i++) items.push_back(prefix + std::to_string(i));
  return items;
}

// probe: a Process function that records each item, the number of calls in
// flight at once (and its maximum), and sleeps a little to make overlap
// likely.
struct probe {
  sync::Mutex mu;
  std::map<std::string, int> seen;  // Guarded by mu.
  std::atomic<int> in_flight{0};
  std::atomic<int> max_in_flight{0};
  time::Duration work = time::Millisecond;

  patterns::ProcessFunc fn() {
    return [this](const context::Context&, const std::string& item) -> error {
      const int now = ++in_flight;
      int m = max_in_flight.load();
      while (now > m && !max_in_flight.compare_exchange_weak(m, now)) {
      }
      time::Sleep(work);
      in_flight--;
      std::lock_guard lk(mu);
      seen[item]++;
      return nil;
    };
  }
  int count(const std::string& item) {
    std::lock_guard lk(mu);
    auto it = seen.find(item);
    return it == seen.end() ? 0 : it->second;
  }
  std::size_t distinct() {
    std::lock_guard lk(mu);
    return seen.size();
  }
};

patterns::DataProcessorConfig fast_config(patterns::ProcessFunc fn) {
  patterns::DataProcessorConfig cfg;
  cfg.Workers = 4;
  cfg.QueueSize = 8;
  cfg.RequestsPerSecond = 1'000'000;  // the limiter out of the way
  cfg.Burst = 1'000;
  cfg.Process = std::move(fn);
  return cfg;
}

TEST_P(DataProcessorTest, EveryItemRunsExactlyOnceOnThePoolNeverMoreThanWorkersAtOnce) {
  run([] {
    probe p;
    auto dp = patterns::NewDataProcessor(fast_config(p.fn()));
    // 200 items into a queue of 8: the burst waits for room instead of
    // failing (the article's Submit would reject most of them).
    const auto items = make_items(200);
    EXPECT_EQ(dp->ProcessBatch(context::Background(), items), nil);
    EXPECT_EQ(p.distinct(), items.size());
    for (const auto& it : items) EXPECT_EQ(p.count(it), 1) << it;
    EXPECT_LE(p.max_in_flight.load(), 4) << "items bypassed the pool (the article's defect)";
    EXPECT_GE(p.max_in_flight.load(), 1);
    const patterns::Metrics m = dp->GetMetrics();
    EXPECT_EQ(m.ProcessedJobs, 200);
    EXPECT_EQ(m.FailedJobs, 0);
    EXPECT_EQ(dp->Shutdown(context::Background()), nil);
  });
}

TEST_P(DataProcessorTest, ProcessBatchCanBeCalledAgain) {
  run([] {
    probe p;
    auto dp = patterns::NewDataProcessor(fast_config(p.fn()));
    EXPECT_EQ(dp->ProcessBatch(context::Background(), make_items(20, "a-")), nil);
    // The article's second call panics (its pool was closed by the first).
    EXPECT_EQ(dp->ProcessBatch(context::Background(), make_items(20, "b-")), nil);
    EXPECT_EQ(dp->ProcessBatch(context::Background(), {}), nil);
    EXPECT_EQ(p.distinct(), 40u);
    EXPECT_EQ(dp->GetMetrics().ProcessedJobs, 40);
  });
}

TEST_P(DataProcessorTest, ConcurrentBatchesEachGetTheirOwnItemsAndErrors) {
  run([] {
    probe p;
    auto fn = p.fn();
    auto dp = patterns::NewDataProcessor(fast_config([fn](const context::Context& ctx, const std::string& item) {
      if (item.rfind("bad", 0) == 0) return errors::New("项目包含坏数据");
      return fn(ctx, item);
    }));
    error e1, e2;
    sync::WaitGroup wg;
    wg.Add(2);
    gofer::go([&] {
      e1 = dp->ProcessBatch(context::Background(), make_items(50, "one-"));
      wg.Done();
    });
    gofer::go([&] {
      auto items = make_items(50, "two-");
      items.push_back("bad-1");
      items.push_back("bad-2");
      e2 = dp->ProcessBatch(context::Background(), items);
      wg.Done();
    });
    wg.Wait();
    EXPECT_EQ(e1, nil) << "one batch's failures leak into another";
    ASSERT_NE(e2, nil);
    const patterns::AggregateError* agg = nullptr;
    ASSERT_TRUE(errors::As(e2, &agg));
    EXPECT_EQ(agg->Errors().size(), 2u);
    EXPECT_NE(e2.Error().find("处理 bad-1 失败: 项目包含坏数据"), std::string::npos) << e2.Error();
    EXPECT_NE(e2.Error().find("处理 bad-2 失败"), std::string::npos) << e2.Error();
    EXPECT_EQ(p.distinct(), 100u);
  });
}

TEST_P(DataProcessorTest, TheBreakerOpensAgainstAFailingDependency) {
  run([] {
    const error down = errors::New("服务器错误");
    std::atomic<int> calls{0};
    auto cfg = fast_config([&](const context::Context&, const std::string&) -> error {
      calls++;
      return down;
    });
    cfg.Workers = 1;  // one at a time: the breaker sees the failures in order
    cfg.MaxFailures = 5;
    cfg.ResetTimeout = time::Hour;
    auto dp = patterns::NewDataProcessor(cfg);
    const error err = dp->ProcessBatch(context::Background(), make_items(20));
    ASSERT_NE(err, nil);
    EXPECT_EQ(calls.load(), 5) << "the open breaker must stop calling the dependency";
    EXPECT_TRUE(errors::Is(err, down));
    EXPECT_TRUE(errors::Is(err, patterns::ErrOpenState));
    const patterns::AggregateError* agg = nullptr;
    ASSERT_TRUE(errors::As(err, &agg));
    ASSERT_EQ(agg->Errors().size(), 20u) << "every failed item is reported";
    int open = 0;
    for (const error& e : agg->Errors()) open += errors::Is(e, patterns::ErrOpenState) ? 1 : 0;
    EXPECT_EQ(open, 15);
    EXPECT_EQ(dp->Breaker()->State().String(), "open");
    EXPECT_EQ(dp->GetMetrics().FailedJobs, 20);
  });
}

TEST_P(DataProcessorTest, TheRateLimiterSetsThePace) {
  run([] {
    probe p;
    p.work = time::Duration(0);
    auto cfg = fast_config(p.fn());
    cfg.RequestsPerSecond = 100;  // a token every 10 ms
    cfg.Burst = 5;
    auto dp = patterns::NewDataProcessor(cfg);
    const auto t0 = time::Now();
    EXPECT_EQ(dp->ProcessBatch(context::Background(), make_items(25)), nil);
    const auto took = time::Since(t0);
    // 5 at once, then 20 tokens at 10 ms each: at least ~200 ms (the first
    // tick may come early relative to t0, so allow one period).
    EXPECT_GE(took, 190 * time::Millisecond);
    EXPECT_LT(took, slack(3000ms));
    EXPECT_EQ(p.distinct(), 25u);
  });
}

TEST_P(DataProcessorTest, CancellingTheBatchAccountsForEveryItem) {
  run([] {
    probe p;
    p.work = 20 * time::Millisecond;
    auto cfg = fast_config(p.fn());
    cfg.Workers = 2;
    cfg.QueueSize = 4;
    cfg.RequestsPerSecond = 50;  // slow enough that the deadline hits mid-batch
    cfg.Burst = 2;
    auto dp = patterns::NewDataProcessor(cfg);
    auto [ctx, cancel] = context::WithTimeout(context::Background(), 100 * time::Millisecond);
    const auto items = make_items(40);
    const error err = dp->ProcessBatch(ctx, items);
    cancel();
    ASSERT_NE(err, nil);
    EXPECT_TRUE(errors::Is(err, context::DeadlineExceeded)) << err.Error();
    const patterns::AggregateError* agg = nullptr;
    ASSERT_TRUE(errors::As(err, &agg));
    // Every item was either processed or reported in the error: none lost.
    EXPECT_EQ(p.distinct() + agg->Errors().size(), items.size());
    EXPECT_GT(agg->Errors().size(), 0u);
    for (const auto& it : items) {
      const bool failed = err.Error().find("处理 " + it + " 失败") != std::string::npos;
      EXPECT_EQ(p.count(it) + (failed ? 1 : 0), 1) << it;
    }
    // The processor is still usable for the next batch.
    EXPECT_EQ(dp->ProcessBatch(context::Background(), make_items(3, "after-")), nil);
  });
}

TEST_P(DataProcessorTest, ShutdownDrainsAndLaterBatchesFailCleanly) {
  run([] {
    probe p;
    auto dp = patterns::NewDataProcessor(fast_config(p.fn()));
    EXPECT_EQ(dp->ProcessBatch(context::Background(), make_items(10)), nil);
    EXPECT_EQ(dp->Shutdown(context::Background()), nil);
    EXPECT_EQ(dp->Shutdown(context::Background()), nil) << "Shutdown twice is safe";
    const error err = dp->ProcessBatch(context::Background(), make_items(3, "late-"));
    ASSERT_NE(err, nil);
    EXPECT_TRUE(errors::Is(err, patterns::ErrPoolClosed));
    const patterns::AggregateError* agg = nullptr;
    ASSERT_TRUE(errors::As(err, &agg));
    EXPECT_EQ(agg->Errors().size(), 3u);
    EXPECT_EQ(p.distinct(), 10u);
  });
}

TEST_P(DataProcessorTest, RetriesTransientFailuresButNotAnOpenBreaker) {
  run([] {
    sync::Mutex mu;
    std::map<std::string, int> attempts;
    auto cfg = fast_config([&](const context::Context&, const std::string& item) -> error {
      std::lock_guard lk(mu);
      // Each item fails on its first attempt, then succeeds.
      return ++attempts[item] == 1 ? errors::New("暂时失败") : nil;
    });
    cfg.MaxFailures = 1000;  // the breaker stays closed
    cfg.Retry.MaxAttempts = 3;
    cfg.Retry.BaseDelay = time::Millisecond;
    cfg.Retry.MaxDelay = 5 * time::Millisecond;
    auto dp = patterns::NewDataProcessor(cfg);
    EXPECT_EQ(dp->ProcessBatch(context::Background(), make_items(30)), nil);
    std::lock_guard lk(mu);
    ASSERT_EQ(attempts.size(), 30u);
    for (const auto& [item, n] : attempts) EXPECT_EQ(n, 2) << item;
  });
}

TEST_P(DataProcessorTest, TheArticlesDefaultsProcessABatch) {
  run([] {
    // NewDataProcessor() with the article's numbers and its simulated
    // 100 ms call: 30 items over 10 workers take about 300 ms.
    auto dp = patterns::NewDataProcessor();
    const auto t0 = time::Now();
    EXPECT_EQ(dp->ProcessBatch(context::Background(), make_items(30)), nil);
    const auto took = time::Since(t0);
    EXPECT_GE(took, 290 * time::Millisecond) << "more than 10 items ran at once";
    EXPECT_LT(took, slack(3000ms));
    EXPECT_EQ(dp->GetMetrics().ProcessedJobs, 30);
  });
}

}  // namespace
