// tests/patterns/worker_pool_test.cpp — gofer::patterns::WorkerPool, the
// article's Worker Pool (shared/seeds/000_93dc988236682126.txt, section 1,
// and the best practices): every accepted job runs exactly once, the full
// queue (Submit errors, SubmitWait parks, SubmitWait gives up with its
// ctx), Close and Shutdown (drain, deadline, idempotence, Submit after
// Close), cancellation of the pool's ctx (accepted jobs reported, none
// lost), Resize under load, metrics, exceptions in jobs, the defaults.
#include "gofer/patterns/worker_pool.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "fixture.hpp"
#include "job_ledger.hpp"
#include "gofer/gofer.hpp"

namespace {

using namespace std::chrono_literals;
using gofer::empty;
using gofer::error;
using gofer::nil;
using gofer_test::scaled;
using gofer_test::slack;
namespace context = gofer::context;
namespace errors = gofer::errors;
namespace patterns = gofer::patterns;
namespace sync = gofer::sync;
namespace time = gofer::time;
using patterns::Job;
using patterns::JobResult;
using patterns::WorkerPoolConfig;

class WorkerPoolTest : public gofer_test::RuntimeTest {};
GOFER_INSTANTIATE_WORKER_COUNTS(WorkerPoolTest);

using gofer_test::ledger;

// gate: a channel closed to release jobs that wait on it.
gofer::chan<empty> make_gate() { return gofer::make_chan<empty>(0); }

// TheArticlesMain: the article's usage — 5 workers, queue 100, 20 jobs —
// with the handler printing nothing but counting; Close drains all 20
// (the article's version needs its 2 s sleep for that).
TEST_P(WorkerPoolTest, ArticlesMain) {
  run([] {
    auto [ctx, cancel] = context::WithTimeout(context::Background(), 10 * time::Second);
    GOFER_DEFER(cancel());
    std::atomic<int> handled{0};
    std::atomic<int> bad_worker{0};
    auto pool = patterns::NewWorkerPool(5, 100, [&](const context::Context&, int w, const Job& j) {
      if (w < 0 || w >= 5 || j.Data != "data-" + std::to_string(j.ID)) bad_worker++;
      time::Sleep(time::Millisecond);
      handled++;
      return error(nil);
    });
    EXPECT_EQ(pool->Start(ctx), nil);
    for (int i = 0; i < 20; i++) {
      EXPECT_EQ(pool->Submit(Job{.ID = i, .Data = gofer::fmt::Sprintf("data-%d", i)}), nil);
    }
    pool->Close();
    EXPECT_EQ(handled.load(), 20);
    EXPECT_EQ(bad_worker.load(), 0);
    const auto m = pool->GetMetrics();
    EXPECT_EQ(m.ProcessedJobs, 20);
    EXPECT_EQ(m.FailedJobs, 0);
    EXPECT_EQ(m.Workers, 0);
  });
}

// Many submitters, some with Submit (retrying on a full queue), some with
// SubmitWait: every job runs exactly once, on a worker of the pool.
TEST_P(WorkerPoolTest, EveryJobExactlyOnceAcrossSubmitters) {
  run([] {
    const int submitters = 8;
    const int per = static_cast<int>(scaled(3000, 300));
    const int n = submitters * per;
    ledger led(n);
    WorkerPoolConfig cfg;
    cfg.Workers = 4;
    cfg.QueueSize = 16;
    cfg.Handler = [&](const context::Context&, int, const Job& j) {
      led.ran[j.ID]++;
      return error(nil);
    };
    cfg.OnResult = led.on_result();
    auto pool = patterns::NewWorkerPool(std::move(cfg));
    ASSERT_EQ(pool->Start(context::Background()), nil);
    sync::WaitGroup wg;
    wg.Add(submitters);
    std::atomic<int> full{0};
    for (int s = 0; s < submitters; s++) {
      gofer::go([&, s] {
        for (int k = 0; k < per; k++) {
          Job j{.ID = s * per + k};
          if (s % 2 == 0) {
            error err;
            while ((err = pool->Submit(std::move(j))) == patterns::ErrQueueFull) {
              full++;  // j is untouched on an error: submit it again
              gofer::runtime::Gosched();
            }
            EXPECT_EQ(err, nil);
          } else {
            EXPECT_EQ(pool->SubmitWait(context::Background(), std::move(j)), nil);
          }
        }
        wg.Done();
      });
    }
    wg.Wait();
    pool->Close();
    for (int i = 0; i < n; i++) {
      ASSERT_EQ(led.ran[i].load(), 1) << "job " << i;
      ASSERT_EQ(led.reported[i].load(), 1) << "job " << i;
    }
    const auto m = pool->GetMetrics();
    EXPECT_EQ(m.ProcessedJobs, n);
    EXPECT_EQ(m.FailedJobs, 0);
    EXPECT_EQ(m.CanceledJobs, 0);
    EXPECT_EQ(m.QueuedJobs, 0);
  });
}

// Submit before Start queues (as Go's buffered channel does); Start runs
// them. The queue keeps Submit's order for a single worker.
TEST_P(WorkerPoolTest, SubmitBeforeStartQueues) {
  run([] {
    std::vector<int> order;  // one worker: no race
    auto pool = patterns::NewWorkerPool(1, 10, [&](const context::Context&, int, const Job& j) {
      order.push_back(j.ID);
      return error(nil);
    });
    for (int i = 0; i < 10; i++) ASSERT_EQ(pool->Submit(Job{.ID = i}), nil);
    EXPECT_EQ(pool->GetMetrics().QueuedJobs, 10);
    EXPECT_EQ(pool->Submit(Job{.ID = 10}), patterns::ErrQueueFull);
    ASSERT_EQ(pool->Start(context::Background()), nil);
    pool->Close();
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  });
}

// Submit on a full queue returns the article's error, as a sentinel.
TEST_P(WorkerPoolTest, SubmitOnFullQueueErrors) {
  run([] {
    auto pool = patterns::NewWorkerPool(2, 3);  // jobs bring Fn; not started
    auto noop = [](const context::Context&) { return error(nil); };
    for (int i = 0; i < 3; i++) ASSERT_EQ(pool->Submit(Job{.ID = i, .Fn = noop}), nil);
    Job extra{.ID = 3, .Data = "kept", .Fn = noop};
    const error err = pool->Submit(std::move(extra));
    EXPECT_TRUE(errors::Is(err, patterns::ErrQueueFull));
    EXPECT_EQ(err.Error(), "任务队列已满");
    EXPECT_EQ(extra.Data, "kept");  // an rvalue job is left untouched on an error
    EXPECT_TRUE(static_cast<bool>(extra.Fn));
    pool->Close();  // never started: the 3 queued jobs are reported as not run
    const auto m = pool->GetMetrics();
    EXPECT_EQ(m.ProcessedJobs, 0);
    EXPECT_EQ(m.CanceledJobs, 3);
  });
}

// SubmitWait parks while the queue is full and proceeds when a worker
// makes room; with a ctx that expires it returns DeadlineExceeded.
TEST_P(WorkerPoolTest, SubmitWaitBackpressure) {
  run([] {
    auto gate = make_gate();
    std::atomic<int> ran{0};
    auto pool = patterns::NewWorkerPool(1, 2, [&](const context::Context&, int, const Job&) {
      gate.recv();  // blocks until the gate closes
      ran++;
      return error(nil);
    });
    ASSERT_EQ(pool->Start(context::Background()), nil);
    ASSERT_EQ(pool->Submit(Job{.ID = 0}), nil);
    // Wait until the worker holds job 0, so the queue's 2 slots are free.
    ASSERT_TRUE(gofer_test::eventually([&] { return pool->GetMetrics().ActiveWorkers == 1; }));
    ASSERT_EQ(pool->Submit(Job{.ID = 1}), nil);
    ASSERT_EQ(pool->Submit(Job{.ID = 2}), nil);
    ASSERT_EQ(pool->Submit(Job{.ID = 3}), patterns::ErrQueueFull);

    // A deadline: parks about 30 ms, then gives up.
    {
      const auto t0 = time::Now();
      auto [tctx, tcancel] = context::WithTimeout(context::Background(), 30 * time::Millisecond);
      const error err = pool->SubmitWait(tctx, Job{.ID = 3});
      const auto took = time::Since(t0);
      tcancel();
      EXPECT_EQ(err, context::DeadlineExceeded);
      EXPECT_GE(took, 25ms);
      EXPECT_LT(took, 30ms + slack(500ms));
    }
    // A parked SubmitWait proceeds once the gate lets the worker go on.
    std::atomic<bool> submitted{false};
    sync::WaitGroup wg;
    wg.Add(1);
    gofer::go([&] {
      EXPECT_EQ(pool->SubmitWait(context::Background(), Job{.ID = 3}), nil);
      submitted = true;
      wg.Done();
    });
    time::Sleep(20 * time::Millisecond);
    EXPECT_FALSE(submitted.load());  // still parked: the queue is full
    close(gate);
    wg.Wait();
    EXPECT_TRUE(submitted.load());
    pool->Close();
    EXPECT_EQ(ran.load(), 4);
  });
}

// SubmitWait returns ctx's error when its ctx is cancelled while it is
// parked, or when the ctx is done already (the job is not queued then).
TEST_P(WorkerPoolTest, SubmitWaitCancel) {
  run([] {
    auto pool = patterns::NewWorkerPool(
        0, 1, [](const context::Context&, int, const Job&) { return error(nil); });
    ASSERT_EQ(pool->Submit(Job{.ID = 0}), nil);  // full
    auto [ctx, cancel] = context::WithCancel(context::Background());
    gofer::go([cancel = cancel] {
      time::Sleep(20 * time::Millisecond);
      cancel();
    });
    const auto t0 = time::Now();
    EXPECT_EQ(pool->SubmitWait(ctx, Job{.ID = 1}), context::Canceled);
    EXPECT_LT(time::Since(t0), 20ms + slack(500ms));
    EXPECT_EQ(pool->GetMetrics().QueuedJobs, 1);
    pool->Close();
    EXPECT_EQ(pool->GetMetrics().CanceledJobs, 1);  // job 0: no worker ever ran
    // Done on entry: an error even though there is room, nothing queued.
    auto roomy = patterns::NewWorkerPool(
        0, 4, [](const context::Context&, int, const Job&) { return error(nil); });
    EXPECT_EQ(roomy->SubmitWait(ctx, Job{.ID = 2}), context::Canceled);
    EXPECT_EQ(roomy->GetMetrics().QueuedJobs, 0);
    roomy->Close();
  });
}

// Close wakes a SubmitWait parked on a full queue with ErrPoolClosed.
TEST_P(WorkerPoolTest, CloseWakesSubmitWait) {
  run([] {
    ledger led(2);
    WorkerPoolConfig cfg;
    cfg.Workers = 1;
    cfg.QueueSize = 1;
    cfg.Handler = [](const context::Context&, int, const Job&) { return error(nil); };
    cfg.OnResult = led.on_result();
    auto pool = patterns::NewWorkerPool(std::move(cfg));  // not started
    ASSERT_EQ(pool->Submit(Job{.ID = 0}), nil);
    sync::WaitGroup wg;
    wg.Add(1);
    error got;
    gofer::go([&] {
      got = pool->SubmitWait(context::Background(), Job{.ID = 1});
      wg.Done();
    });
    time::Sleep(10 * time::Millisecond);
    pool->Close();
    wg.Wait();
    EXPECT_EQ(got, patterns::ErrPoolClosed);
    EXPECT_EQ(led.reported[0].load(), 1);
    EXPECT_EQ(led.not_run[0].load(), 1);   // no worker ever ran
    EXPECT_EQ(led.reported[1].load(), 0);  // never accepted
    EXPECT_EQ(led.bad_not_run_error.load(), 0);
  });
}

// The defects of the article's Close: Submit after Close returns an error
// instead of panicking on the closed channel; Close twice is safe; Start,
// Resize and SubmitWait after Close return the same error.
TEST_P(WorkerPoolTest, SubmitAfterCloseAndCloseTwice) {
  run([] {
    auto pool = patterns::NewWorkerPool(
        2, 4, [](const context::Context&, int, const Job&) { return error(nil); });
    ASSERT_EQ(pool->Start(context::Background()), nil);
    ASSERT_EQ(pool->Submit(Job{.ID = 1}), nil);
    pool->Close();
    pool->Close();
    EXPECT_EQ(pool->Shutdown(context::Background()), nil);
    EXPECT_EQ(pool->Submit(Job{.ID = 2}), patterns::ErrPoolClosed);
    EXPECT_EQ(pool->SubmitWait(context::Background(), Job{.ID = 3}), patterns::ErrPoolClosed);
    EXPECT_EQ(pool->Start(context::Background()), patterns::ErrPoolClosed);
    EXPECT_EQ(pool->Resize(4), patterns::ErrPoolClosed);
    EXPECT_EQ(pool->GetMetrics().ProcessedJobs, 1);
  });
}

// Start twice: ErrPoolStarted, and no extra workers.
TEST_P(WorkerPoolTest, StartTwice) {
  run([] {
    auto pool = patterns::NewWorkerPool(
        3, 4, [](const context::Context&, int, const Job&) { return error(nil); });
    EXPECT_EQ(pool->Start(context::Background()), nil);
    EXPECT_EQ(pool->Start(context::Background()), patterns::ErrPoolStarted);
    EXPECT_EQ(pool->GetMetrics().Workers, 3);
    pool->Close();
    EXPECT_EQ(pool->GetMetrics().Workers, 0);
  });
}

// Close drains: jobs queued when Close is called all run before it returns.
TEST_P(WorkerPoolTest, CloseDrainsQueue) {
  run([] {
    const int n = 40;
    std::atomic<int> ran{0};
    auto pool = patterns::NewWorkerPool(2, n, [&](const context::Context&, int, const Job&) {
      time::Sleep(time::Millisecond);
      ran++;
      return error(nil);
    });
    for (int i = 0; i < n; i++) ASSERT_EQ(pool->Submit(Job{.ID = i}), nil);
    ASSERT_EQ(pool->Start(context::Background()), nil);
    pool->Close();
    EXPECT_EQ(ran.load(), n);
    EXPECT_EQ(pool->GetMetrics().ProcessedJobs, n);
  });
}

// Shutdown with a ctx that expires while jobs are slow returns
// DeadlineExceeded; nothing is lost: the jobs keep draining, a later Close
// waits for them, each job runs exactly once, and Shutdown then returns nil.
TEST_P(WorkerPoolTest, ShutdownDeadlineLosesNothing) {
  run([] {
    const int n = 12;
    ledger led(n);
    WorkerPoolConfig cfg;
    cfg.Workers = 2;
    cfg.QueueSize = n;
    cfg.Handler = [&](const context::Context&, int, const Job& j) {
      time::Sleep(40 * time::Millisecond);
      led.ran[j.ID]++;
      return error(nil);
    };
    cfg.OnResult = led.on_result();
    auto pool = patterns::NewWorkerPool(std::move(cfg));
    ASSERT_EQ(pool->Start(context::Background()), nil);
    for (int i = 0; i < n; i++) ASSERT_EQ(pool->Submit(Job{.ID = i}), nil);
    const auto t0 = time::Now();
    auto [sctx, scancel] = context::WithTimeout(context::Background(), 20 * time::Millisecond);
    const error err = pool->Shutdown(sctx);
    const auto took = time::Since(t0);
    scancel();
    EXPECT_EQ(err, context::DeadlineExceeded);
    EXPECT_TRUE(errors::Is(err, context::DeadlineExceeded));
    EXPECT_GE(took, 15ms);
    EXPECT_LT(took, 20ms + slack(300ms));
    EXPECT_LT(led.total(led.reported), n);  // 12 jobs of 40 ms on 2 workers take ~240 ms
    EXPECT_EQ(pool->Submit(Job{.ID = 0}), patterns::ErrPoolClosed);
    pool->Close();
    EXPECT_EQ(pool->Shutdown(context::Background()), nil);
    for (int i = 0; i < n; i++) {
      EXPECT_EQ(led.ran[i].load(), 1) << i;
      EXPECT_EQ(led.reported[i].load(), 1) << i;
    }
    EXPECT_EQ(pool->GetMetrics().ProcessedJobs, n);
  });
}

// Shutdown returns nil once the queue is drained, well before its ctx ends.
TEST_P(WorkerPoolTest, ShutdownReturnsNilWhenDrained) {
  run([] {
    std::atomic<int> ran{0};
    auto pool = patterns::NewWorkerPool(4, 50, [&](const context::Context&, int, const Job&) {
      ran++;
      return error(nil);
    });
    ASSERT_EQ(pool->Start(context::Background()), nil);
    for (int i = 0; i < 50; i++) ASSERT_EQ(pool->Submit(Job{.ID = i}), nil);
    auto [sctx, scancel] = context::WithTimeout(context::Background(), 10 * time::Second);
    const auto t0 = time::Now();
    EXPECT_EQ(pool->Shutdown(sctx), nil);
    EXPECT_LT(time::Since(t0), slack(2000ms));
    scancel();
    EXPECT_EQ(ran.load(), 50);
  });
}

// Cancelling the pool's ctx: the running jobs finish, the queued ones are
// reported as not run with ctx's error (the article drops them), intake
// stops with an error wrapping ctx's, and the workers report ctx.Err() as
// their reason to stop (the article's "上下文已取消").
TEST_P(WorkerPoolTest, CtxCancelReportsAcceptedJobs) {
  run([] {
    const int n = 50;
    ledger led(n);
    auto gate = make_gate();
    std::atomic<int> stopped_by_ctx{0};
    WorkerPoolConfig cfg;
    cfg.Workers = 2;
    cfg.QueueSize = n;
    cfg.Handler = [&](const context::Context&, int, const Job& j) {
      gate.recv();
      led.ran[j.ID]++;
      return error(nil);
    };
    cfg.OnResult = led.on_result();
    cfg.OnWorkerStop = [&](int, const error& reason) {
      if (reason == context::Canceled) stopped_by_ctx++;
    };
    auto pool = patterns::NewWorkerPool(std::move(cfg));
    auto [ctx, cancel] = context::WithCancel(context::Background());
    ASSERT_EQ(pool->Start(ctx), nil);
    for (int i = 0; i < n; i++) ASSERT_EQ(pool->Submit(Job{.ID = i}), nil);
    ASSERT_TRUE(gofer_test::eventually([&] { return pool->GetMetrics().ActiveWorkers == 2; }));
    cancel();
    // Intake stops (the watcher runs in its own fiber). Probes (ID -1, not
    // in the ledger) accepted before that are reported as not run too.
    int probes = 0;
    ASSERT_TRUE(gofer_test::eventually([&] {
      const error e = pool->Submit(Job{.ID = -1});
      if (e == nil) probes++;
      return errors::Is(e, patterns::ErrPoolClosed);
    }));
    const error err = pool->Submit(Job{.ID = -1});
    EXPECT_TRUE(errors::Is(err, patterns::ErrPoolClosed)) << err;
    EXPECT_TRUE(errors::Is(err, context::Canceled)) << err;
    close(gate);
    pool->Close();
    EXPECT_EQ(led.total(led.ran), 2);  // the two jobs that had started
    EXPECT_EQ(led.total(led.not_run), n - 2);
    for (int i = 0; i < n; i++) EXPECT_EQ(led.reported[i].load(), 1) << i;
    EXPECT_EQ(led.bad_not_run_error.load(), 0);
    EXPECT_EQ(stopped_by_ctx.load(), 2);
    const auto m = pool->GetMetrics();
    EXPECT_EQ(m.ProcessedJobs, 2);
    EXPECT_EQ(m.CanceledJobs, n - 2 + probes);
  });
}

// Not-run reports carry ctx's error: errors::Is sees ErrJobNotRun and
// context::Canceled.
TEST_P(WorkerPoolTest, NotRunErrorWrapsCtxError) {
  run([] {
    std::vector<error> errs;
    sync::Mutex mu;
    auto gate = make_gate();
    WorkerPoolConfig cfg;
    cfg.Workers = 1;
    cfg.QueueSize = 4;
    cfg.Handler = [&](const context::Context&, int, const Job&) {
      gate.recv();
      return error(nil);
    };
    cfg.OnResult = [&](const Job&, const JobResult& r) {
      std::lock_guard<sync::Mutex> lk(mu);
      if (!r.Ran) errs.push_back(r.Err);
    };
    auto pool = patterns::NewWorkerPool(std::move(cfg));
    auto [ctx, cancel] = context::WithCancel(context::Background());
    ASSERT_EQ(pool->Start(ctx), nil);
    for (int i = 0; i < 4; i++) ASSERT_EQ(pool->Submit(Job{.ID = i}), nil);
    ASSERT_TRUE(gofer_test::eventually([&] { return pool->GetMetrics().ActiveWorkers == 1; }));
    cancel();
    close(gate);
    pool->Close();
    ASSERT_EQ(errs.size(), 3u);
    for (const error& e : errs) {
      EXPECT_TRUE(errors::Is(e, patterns::ErrJobNotRun)) << e;
      EXPECT_TRUE(errors::Is(e, context::Canceled)) << e;
    }
  });
}

// Resize up and down while jobs flow: the worker count follows, concurrency
// follows (at most the new count once the removed workers are gone), and
// every job still runs exactly once.
TEST_P(WorkerPoolTest, ResizeUnderLoad) {
  run([] {
    const int n = static_cast<int>(scaled(1500, 400));
    ledger led(n);
    std::atomic<int> running{0};
    std::atomic<int> max_running{0};
    std::atomic<int> bad_id{0};
    WorkerPoolConfig cfg;
    cfg.Workers = 2;
    cfg.QueueSize = 32;
    cfg.Handler = [&](const context::Context&, int w, const Job& j) {
      if (w < 0 || w >= 6) bad_id++;  // ids stay compact: slots are reused
      const int now = ++running;
      int m = max_running.load();
      while (now > m && !max_running.compare_exchange_weak(m, now)) {
      }
      time::Sleep(200 * time::Microsecond);
      running--;
      led.ran[j.ID]++;
      return error(nil);
    };
    cfg.OnResult = led.on_result();
    auto pool = patterns::NewWorkerPool(std::move(cfg));
    ASSERT_EQ(pool->Start(context::Background()), nil);
    sync::WaitGroup wg;
    wg.Add(1);
    std::atomic<int> submitted{0};
    gofer::go([&] {
      for (int i = 0; i < n; i++) {
        EXPECT_EQ(pool->SubmitWait(context::Background(), Job{.ID = i}), nil);
        submitted++;
      }
      wg.Done();
    });
    ASSERT_TRUE(gofer_test::eventually([&] { return submitted.load() > n / 10; }));
    EXPECT_LE(max_running.load(), 2);
    ASSERT_EQ(pool->Resize(6), nil);
    EXPECT_EQ(pool->WorkerCount(), 6);
    EXPECT_EQ(pool->GetMetrics().Workers, 6);
    ASSERT_TRUE(gofer_test::eventually([&] { return max_running.load() > 2; }));
    ASSERT_TRUE(gofer_test::eventually([&] { return submitted.load() > n / 2; }));
    ASSERT_EQ(pool->Resize(1), nil);
    ASSERT_TRUE(gofer_test::eventually([&] { return pool->GetMetrics().Workers == 1; }));
    max_running = 0;
    ASSERT_TRUE(gofer_test::eventually([&] { return submitted.load() > 3 * n / 4; }));
    EXPECT_LE(max_running.load(), 1);
    ASSERT_EQ(pool->Resize(3), nil);
    EXPECT_EQ(pool->GetMetrics().Workers, 3);
    wg.Wait();
    pool->Close();
    for (int i = 0; i < n; i++) ASSERT_EQ(led.ran[i].load(), 1) << i;
    EXPECT_EQ(led.total(led.reported), n);
    EXPECT_EQ(bad_id.load(), 0);
    EXPECT_EQ(pool->GetMetrics().ProcessedJobs, n);
  });
}

// Resize before Start sets the count Start uses; Resize(0) pauses the pool
// (jobs queue up), a later Resize resumes it; a negative count is an error.
TEST_P(WorkerPoolTest, ResizeBeforeStartAndPause) {
  run([] {
    std::atomic<int> ran{0};
    std::vector<int> stopped_ids;
    sync::Mutex mu;
    WorkerPoolConfig cfg;
    cfg.Workers = 1;
    cfg.QueueSize = 20;
    cfg.Handler = [&](const context::Context&, int, const Job&) {
      ran++;
      return error(nil);
    };
    cfg.OnWorkerStop = [&](int id, const error& reason) {
      if (reason == patterns::ErrWorkerRemoved) {
        std::lock_guard<sync::Mutex> lk(mu);
        stopped_ids.push_back(id);
      }
    };
    auto pool = patterns::NewWorkerPool(std::move(cfg));
    EXPECT_EQ(pool->Resize(-1), patterns::ErrBadWorkerCount);
    ASSERT_EQ(pool->Resize(4), nil);
    ASSERT_EQ(pool->Start(context::Background()), nil);
    EXPECT_EQ(pool->GetMetrics().Workers, 4);
    ASSERT_EQ(pool->Resize(0), nil);
    ASSERT_TRUE(gofer_test::eventually([&] { return pool->GetMetrics().Workers == 0; }));
    for (int i = 0; i < 10; i++) ASSERT_EQ(pool->Submit(Job{.ID = i}), nil);
    time::Sleep(5 * time::Millisecond);
    EXPECT_EQ(ran.load(), 0);  // paused
    EXPECT_EQ(pool->GetMetrics().QueuedJobs, 10);
    ASSERT_EQ(pool->Resize(2), nil);
    ASSERT_TRUE(gofer_test::eventually([&] { return ran.load() == 10; }));
    pool->Close();
    std::lock_guard<sync::Mutex> lk(mu);
    std::sort(stopped_ids.begin(), stopped_ids.end());
    EXPECT_EQ(stopped_ids, (std::vector<int>{0, 1, 2, 3}));
  });
}

// Close on a pool resized to 0 workers cannot run the queued jobs: it
// reports them as not run (wrapping ErrPoolClosed), and returns.
TEST_P(WorkerPoolTest, CloseWithNoWorkersReportsQueue) {
  run([] {
    ledger led(5);
    WorkerPoolConfig cfg;
    cfg.Workers = 0;
    cfg.QueueSize = 5;
    cfg.Handler = [&](const context::Context&, int, const Job& j) {
      led.ran[j.ID]++;
      return error(nil);
    };
    std::atomic<int> wraps_closed{0};
    cfg.OnResult = [&](const Job& j, const JobResult& r) {
      led.on_result()(j, r);
      if (errors::Is(r.Err, patterns::ErrPoolClosed) && r.Worker == -1) wraps_closed++;
    };
    auto pool = patterns::NewWorkerPool(std::move(cfg));
    ASSERT_EQ(pool->Start(context::Background()), nil);
    for (int i = 0; i < 5; i++) ASSERT_EQ(pool->Submit(Job{.ID = i}), nil);
    pool->Close();
    EXPECT_EQ(led.total(led.ran), 0);
    EXPECT_EQ(led.total(led.not_run), 5);
    EXPECT_EQ(wraps_closed.load(), 5);
    EXPECT_EQ(pool->GetMetrics().CanceledJobs, 5);
  });
}

// Metrics: exact counts of processed and failed jobs, a positive average
// latency close to the jobs' run time, ActiveWorkers while jobs run.
TEST_P(WorkerPoolTest, MetricsExact) {
  run([] {
    const int n = 90;
    auto gate = make_gate();
    std::atomic<bool> hold{true};
    auto pool = patterns::NewWorkerPool(3, n, [&](const context::Context&, int, const Job& j) {
      if (hold.load() && j.ID < 3) gate.recv();
      time::Sleep(time::Millisecond);
      if (j.ID % 3 == 0) return errors::New("job failed");
      return error(nil);
    });
    for (int i = 0; i < n; i++) ASSERT_EQ(pool->Submit(Job{.ID = i}), nil);
    ASSERT_EQ(pool->Start(context::Background()), nil);
    ASSERT_TRUE(gofer_test::eventually([&] { return pool->GetMetrics().ActiveWorkers == 3; }));
    auto m = pool->GetMetrics();
    EXPECT_EQ(m.Workers, 3);
    EXPECT_EQ(m.ProcessedJobs, 0);
    EXPECT_EQ(m.QueuedJobs, n - 3);
    hold = false;
    close(gate);
    pool->Close();
    m = pool->GetMetrics();
    EXPECT_EQ(m.ProcessedJobs, n);
    EXPECT_EQ(m.FailedJobs, n / 3);
    EXPECT_EQ(m.CanceledJobs, 0);
    EXPECT_EQ(m.ActiveWorkers, 0);
    EXPECT_EQ(m.Workers, 0);
    EXPECT_EQ(m.QueuedJobs, 0);
    EXPECT_GE(m.AverageLatency, 900us);  // every job sleeps 1 ms
    EXPECT_LT(m.AverageLatency, slack(200ms));
  });
}

// A job that throws does not end the process: its exception becomes its
// error (ErrJobPanicked, with what()), JobResult::Panic holds it, it counts
// as failed, and the worker goes on with the next job.
TEST_P(WorkerPoolTest, ExceptionInJobBecomesError) {
  run([] {
    std::vector<JobResult> results(4);
    WorkerPoolConfig cfg;
    cfg.Workers = 1;
    cfg.QueueSize = 4;
    cfg.Handler = [](const context::Context&, int, const Job& j) -> error {
      if (j.ID == 1) throw std::runtime_error("boom");
      if (j.ID == 2) throw 42;
      return nil;
    };
    cfg.OnResult = [&](const Job& j, const JobResult& r) { results[j.ID] = r; };
    auto pool = patterns::NewWorkerPool(std::move(cfg));
    ASSERT_EQ(pool->Start(context::Background()), nil);
    ASSERT_EQ(pool->Submit(Job{.ID = 0}), nil);
    ASSERT_EQ(pool->Submit(Job{.ID = 1}), nil);
    ASSERT_EQ(pool->Submit(Job{.ID = 2}), nil);
    ASSERT_EQ(pool->Submit(Job{.ID = 3,
                               .Fn = [](const context::Context&) -> error {
                                 throw std::logic_error("fn threw");
                               }}),
              nil);
    pool->Close();
    EXPECT_EQ(results[0].Err, nil);
    EXPECT_TRUE(results[1].Ran);
    EXPECT_TRUE(errors::Is(results[1].Err, patterns::ErrJobPanicked));
    EXPECT_EQ(results[1].Err.Error(), "job panicked: boom");
    ASSERT_TRUE(results[1].Panic);
    EXPECT_THROW(std::rethrow_exception(results[1].Panic), std::runtime_error);
    EXPECT_EQ(results[2].Err.Error(), "job panicked: unknown exception");
    EXPECT_THROW(std::rethrow_exception(results[2].Panic), int);
    EXPECT_EQ(results[3].Err.Error(), "job panicked: fn threw");
    const auto m = pool->GetMetrics();
    EXPECT_EQ(m.ProcessedJobs, 4);
    EXPECT_EQ(m.FailedJobs, 3);
  });
}

// Job::Fn runs on a pool worker with the pool's ctx and takes precedence
// over the Handler; the per-job OnResult runs before the pool's, each once;
// a job with neither Fn nor Handler is refused at Submit.
TEST_P(WorkerPoolTest, JobFnOnResultAndNoHandler) {
  run([] {
    auto bare = patterns::NewWorkerPool(1, 1);
    EXPECT_EQ(bare->Submit(Job{.ID = 1}), patterns::ErrNoHandler);
    EXPECT_EQ(bare->SubmitWait(context::Background(), Job{.ID = 1}), patterns::ErrNoHandler);
    bare->Close();

    const context::Context ctx = context::WithValue(context::Background(), "k", "v");
    std::atomic<int> handler_calls{0};
    std::vector<std::string> events;  // one worker: no race
    WorkerPoolConfig cfg;
    cfg.Workers = 1;
    cfg.QueueSize = 2;
    cfg.Handler = [&](const context::Context&, int, const Job&) {
      handler_calls++;
      return error(nil);
    };
    cfg.OnResult = [&](const Job& j, const JobResult&) { events.push_back("pool " + j.Data); };
    auto pool = patterns::NewWorkerPool(std::move(cfg));
    ASSERT_EQ(pool->Start(ctx), nil);
    const error fail = errors::New("fn failed");
    Job j{.ID = 7, .Data = "x"};
    j.Fn = [&](const context::Context& c) {
      const std::string* v = c.ValueAs<std::string>("k");
      events.push_back(v ? "fn " + *v : "fn no value");
      return fail;
    };
    j.OnResult = [&](const Job& job, const JobResult& r) {
      events.push_back(r.Err == fail && r.Ran && r.Worker == 0 ? "job " + job.Data : "job bad");
    };
    ASSERT_EQ(pool->Submit(std::move(j)), nil);
    pool->Close();
    EXPECT_EQ(handler_calls.load(), 0);
    EXPECT_EQ(events, (std::vector<std::string>{"fn v", "job x", "pool x"}));
  });
}

// The best-practice defaults: NumCPU()*2 workers, a queue ten times that.
TEST_P(WorkerPoolTest, DefaultConfig) {
  run([] {
    const WorkerPoolConfig cfg = patterns::DefaultWorkerPoolConfig();
    EXPECT_EQ(cfg.Workers, gofer::runtime::NumCPU() * 2);
    EXPECT_EQ(cfg.QueueSize, cfg.Workers * 10);
    auto pool = patterns::NewWorkerPool(cfg);
    EXPECT_EQ(pool->WorkerCount(), cfg.Workers);
    EXPECT_EQ(pool->QueueSize(), cfg.QueueSize);
    std::atomic<int> ran{0};
    for (int i = 0; i < cfg.QueueSize; i++) {
      ASSERT_EQ(pool->Submit(Job{.ID = i,
                                 .Fn =
                                     [&](const context::Context&) {
                                       ran++;
                                       return error(nil);
                                     }}),
                nil);
    }
    ASSERT_EQ(pool->Start(context::Background()), nil);
    EXPECT_EQ(pool->GetMetrics().Workers, cfg.Workers);
    pool->Close();
    EXPECT_EQ(ran.load(), cfg.QueueSize);
  });
}

// Dropping the last handle without Close stops intake but does not wait:
// the queued jobs still run and the workers exit (the fixture checks that
// no fiber is left).
TEST_P(WorkerPoolTest, DroppedHandleStillDrains) {
  run([] {
    auto ran = std::make_shared<std::atomic<int>>(0);
    auto pool = patterns::NewWorkerPool(2, 10, [ran](const context::Context&, int, const Job&) {
      time::Sleep(time::Millisecond);
      (*ran)++;
      return error(nil);
    });
    ASSERT_EQ(pool->Start(context::Background()), nil);
    for (int i = 0; i < 10; i++) ASSERT_EQ(pool->Submit(Job{.ID = i}), nil);
    pool.reset();
    EXPECT_TRUE(gofer_test::eventually([&] { return ran->load() == 10; }));
  });
}

// Bad arguments are clear errors: panic_error for a negative size.
TEST_P(WorkerPoolTest, NegativeArgumentsPanic) {
  run([] {
    EXPECT_THROW(patterns::NewWorkerPool(-1, 1), gofer::panic_error);
    EXPECT_THROW(patterns::NewWorkerPool(1, -1), gofer::panic_error);
    EXPECT_THROW((void)patterns::NewWorkerPool(1, 1)->Start(context::Context()),
                 gofer::panic_error);
  });
}

}  // namespace
