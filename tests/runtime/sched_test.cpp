// tests/runtime/sched_test.cpp — the scheduler as a user sees it: go(),
// run(), Runtime lifecycle, the default runtime, Go's runtime package
// (GOMAXPROCS, NumGoroutine, Gosched, NumCPU), migration between workers and
// idle workers that burn no CPU.
#include <sched.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fixture.hpp"
#include "gofer/gofer.hpp"

namespace {

using namespace std::chrono_literals;
using gofer_test::eventually;
using gofer_test::thread_id;

class SchedTest : public gofer_test::RuntimeTest {};
GOFER_INSTANTIATE_WORKER_COUNTS(SchedTest);

// ---------------------------------------------------------------------------
// run and go
// ---------------------------------------------------------------------------

TEST_P(SchedTest, RunRunsTheMainFiberToCompletion) {
  EXPECT_FALSE(gofer_test::in_fiber());
  const auto test_thread = std::this_thread::get_id();
  bool ran = false;
  bool was_fiber = false;
  std::thread::id fiber_thread;
  run([&] {
    was_fiber = gofer_test::in_fiber();
    fiber_thread = thread_id();
    gofer::time::Sleep(5ms);  // park: run() must not return before the fiber does
    ran = true;
  });
  EXPECT_TRUE(ran);
  EXPECT_TRUE(was_fiber);
  EXPECT_NE(fiber_thread, test_thread) << "the main fiber runs on a worker, not on the caller";
}

TEST_P(SchedTest, GoSpawnsFibersThatAWaitGroupJoins) {
  constexpr int kFibers = 1000;
  std::atomic<std::int64_t> sum{0};
  run([&] {
    gofer::sync::WaitGroup wg;
    wg.Add(kFibers);
    for (int i = 0; i < kFibers; ++i)
      gofer::go([&sum, &wg, i] {
        sum.fetch_add(i, std::memory_order_relaxed);
        wg.Done();
      });
    wg.Wait();
    EXPECT_EQ(sum.load(), std::int64_t{kFibers} * (kFibers - 1) / 2);
  });
}

TEST_P(SchedTest, GoDecayCopiesCallableAndArguments) {
  run([&] {
    gofer::sync::WaitGroup wg;
    wg.Add(3);

    // Arguments are copied at the go() call, as std::thread does.
    std::string s = "before";
    std::string seen;
    gofer::go(
        [&wg, &seen](std::string arg, int n) {
          seen = arg + ":" + std::to_string(n);
          wg.Done();
        },
        s, 7);
    s = "after";

    // Move-only arguments and move-only callables are moved in.
    auto p = std::make_unique<int>(42);
    int from_arg = 0;
    gofer::go(
        [&wg, &from_arg](std::unique_ptr<int> q) {
          from_arg = *q;
          wg.Done();
        },
        std::move(p));
    int from_capture = 0;
    gofer::go([&wg, &from_capture, q = std::make_unique<int>(43)] {
      from_capture = *q;
      wg.Done();
    });

    wg.Wait();
    EXPECT_EQ(seen, "before:7");
    EXPECT_EQ(from_arg, 42);
    EXPECT_EQ(from_capture, 43);
  });
}

TEST_P(SchedTest, TheClosureIsDestroyedWhenTheFiberEnds) {
  constexpr int kFibers = 200;
  auto destroyed = std::make_shared<std::atomic<int>>(0);
  struct probe {
    std::shared_ptr<std::atomic<int>> n;
    probe(std::shared_ptr<std::atomic<int>> p) : n(std::move(p)) {}
    probe(probe&& o) noexcept : n(std::move(o.n)) {}
    ~probe() {
      if (n) n->fetch_add(1);
    }
  };
  run([&] {
    gofer::sync::WaitGroup wg;
    wg.Add(kFibers);
    for (int i = 0; i < kFibers; ++i) gofer::go([&wg, pr = probe(destroyed)] { wg.Done(); });
    wg.Wait();
    EXPECT_TRUE(eventually([&] { return destroyed->load() == kFibers; }))
        << "destroyed " << destroyed->load() << " of " << kFibers << " closures";
  });
}

TEST_P(SchedTest, RuntimeGoFromPlainThreadsAndWaitOnThem) {
  constexpr int kPerThread = 500;
  constexpr int kThreads = 3;
  const auto test_thread = std::this_thread::get_id();
  std::atomic<std::int64_t> sum{0};
  std::atomic<int> on_test_thread{0};
  std::atomic<int> not_fiber{0};
  gofer::sync::WaitGroup wg;
  wg.Add(kPerThread * (kThreads + 1));
  auto body = [&](int i) {
    if (std::this_thread::get_id() == test_thread) on_test_thread.fetch_add(1);
    if (!gofer_test::in_fiber()) not_fiber.fetch_add(1);
    sum.fetch_add(i);
    wg.Done();
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) rt().go(body, i);
    });
  for (int i = 0; i < kPerThread; ++i) rt().go(body, i);
  wg.Wait();  // a plain thread blocks itself on the WaitGroup
  for (auto& t : threads) t.join();
  EXPECT_EQ(sum.load(), std::int64_t{kThreads + 1} * kPerThread * (kPerThread - 1) / 2);
  EXPECT_EQ(on_test_thread.load(), 0);
  EXPECT_EQ(not_fiber.load(), 0);
}

TEST_P(SchedTest, GoInsideAFiberSpawnsOnTheSameRuntime) {
  constexpr int kOuter = 8;
  constexpr int kInner = 4;
  gofer::sync::WaitGroup gate, started, done;
  gate.Add(1);
  started.Add(kOuter * kInner);
  done.Add(kOuter * kInner);
  std::atomic<int> wrong_procs{0};
  for (int i = 0; i < kOuter; ++i)
    rt().go([&] {
      for (int j = 0; j < kInner; ++j)
        gofer::go([&] {
          if (gofer::runtime::GOMAXPROCS() != workers()) wrong_procs.fetch_add(1);
          started.Done();
          gate.Wait();
          done.Done();
        });
    });
  started.Wait();
  // The outer fibers end once they have spawned; the inner ones are parked
  // on gate and must be counted by this runtime.
  EXPECT_TRUE(eventually([&] { return rt().NumGoroutine() == kOuter * kInner; }))
      << "NumGoroutine = " << rt().NumGoroutine();
  gate.Done();
  done.Wait();
  EXPECT_EQ(wrong_procs.load(), 0);
}

// ---------------------------------------------------------------------------
// Go's runtime package
// ---------------------------------------------------------------------------

TEST_P(SchedTest, GomaxprocsIsTheWorkerCount) {
  EXPECT_EQ(rt().NumWorkers(), workers());
  int inside = -1;
  int nested = -1;
  run([&] {
    inside = gofer::runtime::GOMAXPROCS();
    gofer::sync::WaitGroup wg;
    wg.Add(1);
    gofer::go([&] {
      nested = gofer::runtime::GOMAXPROCS();
      wg.Done();
    });
    wg.Wait();
  });
  EXPECT_EQ(inside, workers());
  EXPECT_EQ(nested, workers());
}

TEST_P(SchedTest, NumGoroutineCountsLiveFibers) {
  constexpr int kFibers = 10;
  EXPECT_EQ(rt().NumGoroutine(), 0);
  run([&] {
    EXPECT_EQ(gofer::runtime::NumGoroutine(), 1) << "only the main fiber";
    gofer::sync::WaitGroup gate, started, done;
    gate.Add(1);
    started.Add(kFibers);
    done.Add(kFibers);
    for (int i = 0; i < kFibers; ++i)
      gofer::go([&] {
        started.Done();
        gate.Wait();
        done.Done();
      });
    started.Wait();
    EXPECT_EQ(gofer::runtime::NumGoroutine(), kFibers + 1) << "parked fibers are counted";
    EXPECT_EQ(rt().NumGoroutine(), kFibers + 1);
    gate.Done();
    done.Wait();
    EXPECT_TRUE(eventually([] { return gofer::runtime::NumGoroutine() == 1; }))
        << "finished fibers stop being counted; NumGoroutine = " << gofer::runtime::NumGoroutine();
  });
}

TEST_P(SchedTest, GoschedLetsOtherFibersRun) {
  // With one worker, a fiber that spins on a flag set by another fiber only
  // finishes because Gosched yields the worker.
  run([&] {
    std::atomic<bool> flag{false};
    std::atomic<int> setter_ran{0};
    gofer::sync::WaitGroup wg;
    wg.Add(1);
    gofer::go([&] {
      setter_ran.fetch_add(1);
      flag.store(true);
      wg.Done();
    });
    std::int64_t yields = 0;
    while (!flag.load()) {
      gofer::runtime::Gosched();
      ++yields;
      ASSERT_LT(yields, 100'000'000) << "Gosched never let the other fiber run";
    }
    wg.Wait();
    EXPECT_EQ(setter_ran.load(), 1);
  });
}

TEST_P(SchedTest, GoschedLetsAFiberFromThePlainThreadOrATimerRun) {
  // Gosched returns without switching when nothing else could run on its
  // worker; a fiber that a plain thread spawned (the global queue) or a
  // sleeper whose timer is due must still get the worker.
  run([&] {
    std::atomic<bool> from_thread{false}, from_timer{false};
    std::thread t([&] { gofer::go([&] { from_thread.store(true); }); });
    std::int64_t yields = 0;
    while (!from_thread.load()) {
      gofer::runtime::Gosched();
      ASSERT_LT(++yields, 100'000'000) << "Gosched never ran the plain thread's fiber";
    }
    t.join();
    gofer::go([&] {
      gofer::time::Sleep(2 * gofer::time::Millisecond);
      from_timer.store(true);
    });
    yields = 0;
    while (!from_timer.load()) {
      gofer::runtime::Gosched();
      ASSERT_LT(++yields, 1'000'000'000) << "Gosched never let the sleeper's timer fire";
    }
  });
}

TEST_P(SchedTest, ManyFibersYieldingInterleaveAndAllFinish) {
  constexpr int kFibers = 64;
  constexpr int kYields = 200;
  std::atomic<std::int64_t> total{0};
  run([&] {
    gofer::sync::WaitGroup wg;
    wg.Add(kFibers);
    for (int i = 0; i < kFibers; ++i)
      gofer::go([&] {
        for (int k = 0; k < kYields; ++k) {
          total.fetch_add(1, std::memory_order_relaxed);
          gofer::runtime::Gosched();
        }
        wg.Done();
      });
    wg.Wait();
  });
  EXPECT_EQ(total.load(), std::int64_t{kFibers} * kYields);
}

TEST_P(SchedTest, FibersRunOnlyOnWorkersAndMigrateBetweenThem) {
  const auto test_thread = std::this_thread::get_id();
  std::mutex all_mu;
  std::set<std::thread::id> all_threads;  // Guarded by all_mu.
  std::set<std::thread::id> observed;     // threads the observed fiber ran on
  std::atomic<bool> stop{false};
  std::int64_t observed_yields = 0;
  run([&] {
    const int helpers = 2 * workers();
    gofer::sync::WaitGroup wg;
    wg.Add(helpers);
    // Helpers keep every worker busy so that the observed fiber gets stolen
    // or picked up from the global queue by different workers.
    for (int h = 0; h < helpers; ++h)
      gofer::go([&] {
        std::set<std::thread::id> mine;
        for (std::uint64_t k = 0; !stop.load(std::memory_order_relaxed); ++k) {
          mine.insert(thread_id());
          if (k % 64 == 63)
            gofer::time::Sleep(50us);
          else
            gofer::runtime::Gosched();
        }
        std::lock_guard<std::mutex> lk(all_mu);
        all_threads.insert(mine.begin(), mine.end());
        wg.Done();
      });
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    const std::size_t want = workers() >= 2 ? 2 : 1;
    const std::int64_t min_yields = workers() >= 2 ? 0 : 20'000;
    while (std::chrono::steady_clock::now() < deadline &&
           (observed.size() < want || observed_yields < min_yields)) {
      observed.insert(thread_id());
      if (observed_yields % 64 == 63)
        gofer::time::Sleep(50us);
      else
        gofer::runtime::Gosched();
      ++observed_yields;
    }
    stop.store(true);
    wg.Wait();
  });
  all_threads.insert(observed.begin(), observed.end());
  if (workers() >= 2) {
    EXPECT_GE(observed.size(), 2u) << "one fiber stayed on one worker for " << observed_yields
                                   << " Goscheds/Sleeps with " << workers() << " workers";
  } else {
    EXPECT_EQ(observed.size(), 1u);
  }
  EXPECT_LE(all_threads.size(), static_cast<std::size_t>(workers()))
      << "fibers ran on more threads than there are workers";
  EXPECT_EQ(all_threads.count(test_thread), 0u) << "a fiber ran on the thread that called run()";
}

// ---------------------------------------------------------------------------
// Idle workers sleep in the kernel.
// ---------------------------------------------------------------------------

// cpu_over measures the process's CPU time over `window` of the calling
// thread sleeping.
std::chrono::nanoseconds cpu_over(std::chrono::milliseconds window) {
  const auto c0 = gofer_test::process_cpu_time();
  std::this_thread::sleep_for(window);
  return gofer_test::process_cpu_time() - c0;
}

TEST_P(SchedTest, IdleRuntimeBurnsNoCpu) {
  // Make every worker busy first, so that all of them have to go idle.
  run([&] {
    gofer::sync::WaitGroup wg;
    wg.Add(1000);
    for (int i = 0; i < 1000; ++i)
      gofer::go([&] {
        gofer::runtime::Gosched();
        wg.Done();
      });
    wg.Wait();
  });
  std::this_thread::sleep_for(300ms);  // past any spinning phase
  const auto cpu = cpu_over(1000ms);
  EXPECT_LT(cpu, 50ms) << "an idle runtime with " << workers() << " workers used "
                       << std::chrono::duration_cast<std::chrono::microseconds>(cpu).count()
                       << " us of CPU in 1 s";
}

TEST_P(SchedTest, RuntimeWithOnlyATimerAndParkedFibersBurnsNoCpu) {
  gofer::sync::WaitGroup sleeper_done, parked_done, release;
  sleeper_done.Add(1);
  parked_done.Add(4);
  release.Add(1);
  std::atomic<bool> slept_enough{false};
  rt().go([&] {
    const auto t0 = gofer::time::Now();
    gofer::time::Sleep(1500ms);  // workers must sleep with this timer as timeout
    slept_enough.store(gofer::time::Since(t0) >= 1500ms);
    sleeper_done.Done();
  });
  for (int i = 0; i < 4; ++i)
    rt().go([&] {
      release.Wait();
      parked_done.Done();
    });
  std::this_thread::sleep_for(200ms);
  const auto cpu = cpu_over(1000ms);
  release.Done();
  parked_done.Wait();
  sleeper_done.Wait();
  EXPECT_TRUE(slept_enough.load());
  EXPECT_LT(cpu, 50ms) << "a runtime with a pending timer and parked fibers used "
                       << std::chrono::duration_cast<std::chrono::microseconds>(cpu).count()
                       << " us of CPU in 1 s";
}

// ---------------------------------------------------------------------------
// Lifecycle and the default runtime (plain tests: they make their own).
// ---------------------------------------------------------------------------

// start_process_helpers makes a runtime once and a thread once, so that
// process-wide helper threads started lazily (TSan's background thread
// starts at the first pthread_create) exist before a thread-count baseline.
void start_process_helpers() {
  std::thread([] {}).join();
  gofer::Runtime warm(gofer::Runtime::Options{.workers = 1});
  warm.run([] {});
}

TEST(RuntimeLifecycle, MadeShutDownAndMadeAgain) {
  start_process_helpers();
  const int baseline = gofer_test::thread_count();
  for (int round = 0; round < 3; ++round) {
    const int n = 2 + round;
    constexpr int kFibers = 2000;
    gofer::Runtime rt(gofer::Runtime::Options{.workers = n});
    EXPECT_EQ(rt.NumWorkers(), n);
    std::atomic<std::int64_t> sum{0};
    int procs = 0;
    rt.run([&] {
      procs = gofer::runtime::GOMAXPROCS();
      gofer::sync::WaitGroup wg;
      wg.Add(kFibers);
      for (int i = 0; i < kFibers; ++i)
        gofer::go([&, i] {
          if (i % 2) gofer::runtime::Gosched();
          sum.fetch_add(i);
          wg.Done();
        });
      wg.Wait();
    });
    EXPECT_EQ(procs, n) << "round " << round;
    EXPECT_EQ(sum.load(), std::int64_t{kFibers} * (kFibers - 1) / 2) << "round " << round;
    EXPECT_GE(gofer_test::thread_count(), baseline + n) << "round " << round;
    EXPECT_TRUE(eventually([&] { return rt.NumGoroutine() == 0; })) << "round " << round;
    rt.Shutdown();
    rt.Shutdown();  // idempotent
    EXPECT_EQ(gofer_test::thread_count(), baseline)
        << "round " << round << ": Shutdown must join every worker";
  }
}

TEST(RuntimeLifecycle, DestructorShutsDown) {
  start_process_helpers();
  const int baseline = gofer_test::thread_count();
  std::atomic<int> ran{0};
  {
    gofer::Runtime rt(gofer::Runtime::Options{.workers = 3});
    rt.run([&] { ran.fetch_add(1); });
  }
  EXPECT_EQ(ran.load(), 1);
  EXPECT_TRUE(eventually([&] { return gofer_test::thread_count() <= baseline; }, 2s))
      << "threads before " << baseline << ", after " << gofer_test::thread_count();
}

TEST(RuntimeLifecycle, ShutdownAbandonsParkedFibers) {
  static gofer::sync::WaitGroup never;  // outlives the abandoned fibers
  never.Add(1);
  std::atomic<int> parked{0};
  std::atomic<bool> shut{false};
  gofer_test::Watchdog dog(
      "Shutdown with parked fibers", [&] { return std::uint64_t{shut.load()}; }, 20s);
  {
    gofer::Runtime rt(gofer::Runtime::Options{.workers = 2});
    for (int i = 0; i < 10; ++i)
      rt.go([&] {
        parked.fetch_add(1);
        never.Wait();
      });
    EXPECT_TRUE(eventually([&] { return parked.load() == 10; }));
    EXPECT_EQ(rt.NumGoroutine(), 10);
    rt.Shutdown();
  }
  shut.store(true);
}

TEST(RuntimeLifecycle, TwoRuntimesAtOnceKeepTheirFibers) {
  gofer::Runtime a(gofer::Runtime::Options{.workers = 2});
  gofer::Runtime b(gofer::Runtime::Options{.workers = 3});
  gofer::sync::WaitGroup gate, started, done;
  gate.Add(1);
  started.Add(20);
  done.Add(20);
  std::atomic<int> wrong{0};
  auto spawn_nested = [&](int want_procs) {
    for (int i = 0; i < 10; ++i)
      gofer::go([&, want_procs] {
        if (gofer::runtime::GOMAXPROCS() != want_procs) wrong.fetch_add(1);
        started.Done();
        gate.Wait();
        done.Done();
      });
  };
  a.go([&] { spawn_nested(2); });
  b.go([&] { spawn_nested(3); });
  started.Wait();
  EXPECT_TRUE(eventually([&] { return a.NumGoroutine() == 10 && b.NumGoroutine() == 10; }))
      << "a: " << a.NumGoroutine() << ", b: " << b.NumGoroutine();
  gate.Done();
  done.Wait();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_TRUE(eventually([&] { return a.NumGoroutine() == 0 && b.NumGoroutine() == 0; }));
}

TEST(DefaultRuntime, GoFromPlainThreadAndWaitOnIt) {
  constexpr int kFibers = 1000;
  std::atomic<std::int64_t> sum{0};
  std::atomic<int> not_fiber{0};
  gofer::sync::WaitGroup wg;
  wg.Add(kFibers);
  for (int i = 0; i < kFibers; ++i)
    gofer::go(
        [&](int v) {
          if (!gofer_test::in_fiber()) not_fiber.fetch_add(1);
          sum.fetch_add(v);
          wg.Done();
        },
        i);
  wg.Wait();
  EXPECT_EQ(sum.load(), std::int64_t{kFibers} * (kFibers - 1) / 2);
  EXPECT_EQ(not_fiber.load(), 0);
  EXPECT_GE(gofer::Runtime::Default().NumWorkers(), 1);
  EXPECT_EQ(&gofer::Runtime::Default(), &gofer::Runtime::Default());
  EXPECT_EQ(gofer::runtime::GOMAXPROCS(), gofer::Runtime::Default().NumWorkers());
}

TEST(DefaultRuntime, GoFromSeveralThreadsWithNestedSpawns) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100;
  std::atomic<int> leaves{0};
  gofer::sync::WaitGroup wg;
  wg.Add(kThreads * kPerThread * 2);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i)
        gofer::go([&] {
          gofer::go([&] {
            leaves.fetch_add(1);
            wg.Done();
          });
          wg.Done();
        });
    });
  wg.Wait();
  for (auto& t : threads) t.join();
  EXPECT_EQ(leaves.load(), kThreads * kPerThread);
}

TEST(RuntimePackage, NumCpuIsTheAffinityCount) {
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
  EXPECT_GE(gofer::runtime::NumCPU(), 1);
  EXPECT_EQ(gofer::runtime::NumCPU(), CPU_COUNT(&set));
}

TEST(RuntimePackage, GoschedOnAPlainThreadReturns) {
  for (int i = 0; i < 100; ++i) gofer::runtime::Gosched();
  EXPECT_FALSE(gofer_test::in_fiber());
}

TEST(RuntimePackage, DefaultWorkerCountOptionIsNumCpuOrGomaxprocsEnv) {
  gofer::Runtime rt(gofer::Runtime::Options{});  // workers = 0: the default
  const char* env = std::getenv("GOMAXPROCS");
  if (env != nullptr && std::atoi(env) > 0)
    EXPECT_EQ(rt.NumWorkers(), std::atoi(env));
  else
    EXPECT_EQ(rt.NumWorkers(), gofer::runtime::NumCPU());
  int inside = 0;
  rt.run([&] { inside = gofer::runtime::GOMAXPROCS(); });
  EXPECT_EQ(inside, rt.NumWorkers());
}

}  // namespace
