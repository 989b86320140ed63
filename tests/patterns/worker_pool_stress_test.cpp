// tests/patterns/worker_pool_stress_test.cpp — WorkerPool under load:
// hundreds of thousands of jobs from several submitters (fibers and plain
// threads) run exactly once; cancellation racing with submitters, and
// random Resize, cancellation, Close and Shutdown racing with them, lose
// no accepted job and report none twice; many short-lived pools,
// some dropped without Close, leave nothing behind (the fixture checks for
// live fibers, ASan for leaks and use-after-free).
#include <atomic>
#include <cstdint>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "fixture.hpp"
#include "job_ledger.hpp"
#include "gofer/gofer.hpp"
#include "gofer/patterns/worker_pool.hpp"

namespace {

using gofer::error;
using gofer::nil;
using gofer_test::scaled;
namespace context = gofer::context;
namespace errors = gofer::errors;
namespace patterns = gofer::patterns;
namespace sync = gofer::sync;
namespace time = gofer::time;
using patterns::Job;
using patterns::JobResult;
using patterns::WorkerPoolConfig;

class WorkerPoolStressTest : public gofer_test::RuntimeTest {};
GOFER_INSTANTIATE_WORKER_COUNTS(WorkerPoolStressTest);

using gofer_test::ledger;

// Several submitters, eight pool workers, a small queue: each of the jobs
// runs exactly once, and the metrics agree.
TEST_P(WorkerPoolStressTest, ManyJobsExactlyOnce) {
  run([] {
    const int submitters = 4;
    const int per = static_cast<int>(scaled(100000, 5000));
    const int n = submitters * per;
    std::vector<std::atomic<std::uint8_t>> seen(n);
    std::atomic<std::uint64_t> progress{0};
    gofer_test::Watchdog dog("worker pool stress", [&] { return progress.load(); });
    auto pool = patterns::NewWorkerPool(8, 64, [&](const context::Context&, int, const Job& j) {
      seen[j.ID]++;
      progress++;
      return error(nil);
    });
    ASSERT_EQ(pool->Start(context::Background()), nil);
    sync::WaitGroup wg;
    wg.Add(submitters);
    for (int s = 0; s < submitters; s++) {
      gofer::go([&, s] {
        for (int k = 0; k < per; k++) {
          const error err = pool->SubmitWait(context::Background(), Job{.ID = s * per + k});
          if (err != nil) ADD_FAILURE() << err;
        }
        wg.Done();
      });
    }
    wg.Wait();
    pool->Close();
    dog.stop();
    int bad = 0;
    for (int i = 0; i < n; i++) bad += seen[i].load() != 1 ? 1 : 0;
    EXPECT_EQ(bad, 0);
    const auto m = pool->GetMetrics();
    EXPECT_EQ(m.ProcessedJobs, n);
    EXPECT_EQ(m.FailedJobs, 0);
    EXPECT_GT(m.AverageLatency.count(), 0);
  });
}

// Chaos: submitters (Submit and SubmitWait), a resizer and, at a random
// moment, one of: cancel the pool's ctx, Close, Shutdown with a tiny
// deadline then Close. Every accepted job is reported exactly once; no
// rejected job is reported; the counters add up.
TEST_P(WorkerPoolStressTest, ChaosLosesNothing) {
  run([] {
    const int rounds = static_cast<int>(scaled(60, 8));
    std::mt19937 rng(12345);
    std::atomic<std::uint64_t> progress{0};
    gofer_test::Watchdog dog("worker pool chaos", [&] { return progress.load(); });
    for (int round = 0; round < rounds; round++) {
      const int submitters = 3;
      const int per = 400;
      const int n = submitters * per;
      std::vector<std::atomic<int>> accepted(n), reported(n), ran(n);
      std::atomic<int> failed_seen{0};
      patterns::WorkerPoolConfig cfg;
      cfg.Workers = 1 + static_cast<int>(rng() % 4);
      cfg.QueueSize = static_cast<int>(rng() % 16);  // 0 (unbuffered) .. 15
      cfg.Handler = [&](const context::Context&, int, const Job& j) -> error {
        ran[j.ID]++;
        progress++;
        if (j.ID % 5 == 0) gofer::runtime::Gosched();
        if (j.ID % 11 == 0) return errors::New("odd job");
        return nil;
      };
      cfg.OnResult = [&](const Job& j, const JobResult& r) {
        reported[j.ID]++;
        if (r.Ran && r.Err) failed_seen++;
      };
      auto pool = patterns::NewWorkerPool(std::move(cfg));
      auto [ctx, cancel] = context::WithCancel(context::Background());
      ASSERT_EQ(pool->Start(ctx), nil);
      std::atomic<bool> stop{false};
      sync::WaitGroup wg;   // submitters
      sync::WaitGroup rwg;  // resizer
      wg.Add(submitters);
      rwg.Add(1);
      for (int s = 0; s < submitters; s++) {
        gofer::go([&, s] {
          for (int k = 0; k < per; k++) {
            const int id = s * per + k;
            const error err = (k % 3 == 0) ? pool->Submit(Job{.ID = id})
                                           : pool->SubmitWait(context::Background(), Job{.ID = id});
            if (err == nil) {
              accepted[id]++;
            } else if (errors::Is(err, patterns::ErrPoolClosed)) {
              break;
            } else if (err != patterns::ErrQueueFull) {
              ADD_FAILURE() << err;
            }
          }
          wg.Done();
        });
      }
      const unsigned seed = static_cast<unsigned>(rng());
      gofer::go([&, seed] {
        std::minstd_rand r(seed);
        while (!stop.load()) {
          const error err = pool->Resize(static_cast<int>(r() % 6));
          if (err != nil && !errors::Is(err, patterns::ErrPoolClosed)) ADD_FAILURE() << err;
          gofer::runtime::Gosched();
        }
        rwg.Done();
      });
      time::Sleep(time::Duration(static_cast<std::int64_t>(rng() % 2000) * 1000));  // < 2 ms
      switch (round % 3) {
        case 0:
          cancel();
          break;
        case 1:
          break;  // Close below
        default: {
          auto [sctx, scancel] = context::WithTimeout(context::Background(), time::Microsecond);
          const error err = pool->Shutdown(sctx);
          if (err != nil && err != context::DeadlineExceeded) ADD_FAILURE() << err;
          scancel();
        }
      }
      // The resizer may have left 0 workers: give the pool some before it
      // closes, so that Close runs what is queued rather than reporting it
      // (either is correct; both happen across rounds). ErrPoolClosed if
      // intake already stopped.
      stop = true;
      rwg.Wait();
      if (const error err = pool->Resize(2);
          err != nil && !errors::Is(err, patterns::ErrPoolClosed))
        ADD_FAILURE() << err;
      pool->Close();
      wg.Wait();
      cancel();
      int acc = 0;
      for (int i = 0; i < n; i++) {
        acc += accepted[i].load();
        ASSERT_EQ(reported[i].load(), accepted[i].load()) << "round " << round << " job " << i;
        ASSERT_LE(ran[i].load(), accepted[i].load()) << "round " << round << " job " << i;
      }
      const auto m = pool->GetMetrics();
      EXPECT_EQ(m.ProcessedJobs + m.CanceledJobs, acc) << "round " << round;
      EXPECT_EQ(m.FailedJobs, failed_seen.load()) << "round " << round;
      EXPECT_EQ(m.Workers, 0);
      progress++;
    }
    dog.stop();
  });
}

// Many short-lived pools at once, half of them dropped without Close: every
// job still runs (or is reported), no fiber is left, nothing leaks.
TEST_P(WorkerPoolStressTest, ManyShortLivedPools) {
  run([] {
    const int pools = static_cast<int>(gofer_test::live_capped(scaled(400, 40)) / 4);
    auto reported = std::make_shared<std::atomic<int>>(0);
    sync::WaitGroup wg;
    wg.Add(pools);
    for (int p = 0; p < pools; p++) {
      gofer::go([&, p] {
        patterns::WorkerPoolConfig cfg;
        cfg.Workers = 1 + p % 3;
        cfg.QueueSize = 4;
        cfg.Handler = [](const context::Context&, int, const Job&) { return error(nil); };
        cfg.OnResult = [reported](const Job&, const JobResult&) { (*reported)++; };
        auto pool = patterns::NewWorkerPool(std::move(cfg));
        EXPECT_EQ(pool->Start(context::Background()), nil);
        for (int k = 0; k < 10; k++)
          EXPECT_EQ(pool->SubmitWait(context::Background(), Job{.ID = k}), nil);
        if (p % 2 == 0) pool->Close();
        wg.Done();
      });
    }
    wg.Wait();
    EXPECT_TRUE(gofer_test::eventually([&] { return reported->load() == pools * 10; }));
  });
}

// Cancelling while many submitters race with it loses nothing: every job
// that Submit or SubmitWait accepted is reported exactly once (run or not),
// and no rejected job is ever reported.
TEST_P(WorkerPoolStressTest, CtxCancelRaceLosesNoJob) {
  run([] {
    const int rounds = static_cast<int>(scaled(30, 6));
    for (int round = 0; round < rounds; round++) {
      const int submitters = 4;
      const int per = 300;
      const int n = submitters * per;
      ledger led(n);
      WorkerPoolConfig cfg;
      cfg.Workers = 3;
      cfg.QueueSize = 8;
      cfg.Handler = [&](const context::Context&, int, const Job& j) {
        led.ran[j.ID]++;
        if (j.ID % 7 == 0) gofer::runtime::Gosched();
        return error(nil);
      };
      cfg.OnResult = led.on_result();
      auto pool = patterns::NewWorkerPool(std::move(cfg));
      auto [ctx, cancel] = context::WithCancel(context::Background());
      ASSERT_EQ(pool->Start(ctx), nil);
      std::vector<std::atomic<int>> accepted(n);
      sync::WaitGroup wg;
      wg.Add(submitters);
      for (int s = 0; s < submitters; s++) {
        gofer::go([&, s] {
          for (int k = 0; k < per; k++) {
            const int id = s * per + k;
            const error err = (k % 2) ? pool->SubmitWait(context::Background(), Job{.ID = id})
                                      : pool->Submit(Job{.ID = id});
            if (err == nil)
              accepted[id]++;
            else if (errors::Is(err, patterns::ErrPoolClosed))
              break;
          }
          wg.Done();
        });
      }
      time::Sleep(time::Duration((round % 5) * 200 * 1000));  // 0..0.8 ms
      cancel();
      wg.Wait();
      pool->Close();
      for (int i = 0; i < n; i++) {
        ASSERT_EQ(led.reported[i].load(), accepted[i].load()) << "round " << round << " job " << i;
        ASSERT_LE(led.ran[i].load(), accepted[i].load()) << "round " << round << " job " << i;
      }
      EXPECT_EQ(led.bad_not_run_error.load(), 0);
      const auto m = pool->GetMetrics();
      int acc = 0;
      for (auto& a : accepted) acc += a.load();
      EXPECT_EQ(m.ProcessedJobs + m.CanceledJobs, acc);
    }
  });
}

// Plain threads may submit to a pool whose workers are fibers.
TEST_P(WorkerPoolStressTest, SubmitFromPlainThreads) {
  run([] {
    const int per = static_cast<int>(scaled(20000, 1000));
    std::atomic<int> ran{0};
    auto pool = patterns::NewWorkerPool(2, 8, [&](const context::Context&, int, const Job&) {
      ran++;
      return error(nil);
    });
    ASSERT_EQ(pool->Start(context::Background()), nil);
    // The fiber waits on a WaitGroup, never in join(), which would block
    // its worker thread (and, with one worker, the pool).
    sync::WaitGroup wg;
    wg.Add(2);
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; t++) {
      threads.emplace_back([&, t] {
        for (int k = 0; k < per; k++)
          EXPECT_EQ(pool->SubmitWait(context::Background(), Job{.ID = t * per + k}), nil);
        wg.Done();
      });
    }
    wg.Wait();
    for (auto& th : threads) th.join();
    pool->Close();
    EXPECT_EQ(ran.load(), 2 * per);
  });
}

}  // namespace
