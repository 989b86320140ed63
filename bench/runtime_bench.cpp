// bench/runtime_bench.cpp — what a fiber costs next to an OS thread.
//
// Every fiber workload (…_Fiber) has a std::thread twin (…_Thread) in this
// binary, with the same size and the same correctness check, and a Go twin
// of the same name in bench/go/main.go (BM_X_Fiber/arg <-> "X/arg"). Figures
// are comparable only side by side, from one run on one machine
// (bench/README.md).
//
//   SpawnJoin        spawn tasks that add to an atomic, join them all
//   Gosched / Yield  two tasks yielding to each other (a context switch)
//   WaitGroup        fork/join rounds through a WaitGroup (or a cv latch)
//   MutexContention  tasks incrementing one counter under one mutex
//   ParkedMemory     resident memory of a parked task
//
// How the fiber side is measured: each benchmark makes one gofer::Runtime
// (ParkedMemory: one per iteration, see there) and each iteration runs the
// workload as the main fiber of rt.run(), so the benchmark loop stays on the
// plain thread, which just waits. The wall time of the whole iteration is
// measured (UseRealTime), after one untimed warm-up iteration (run_timed);
// rt.run's own entry and exit (a spawn and a wake-up of this thread) are
// negligible next to an iteration, which lasts milliseconds. The
// per-operation counters ("ns_per_task", "ns_per_switch", ...) are that wall
// time divided by the operations done, in nanoseconds, so they read the same
// in the console and in --benchmark_format=json.
//
// The runtime's worker count is Options{.workers}: the GOMAXPROCS
// environment variable if set, else the CPUs this process may use — the
// runtime's own default — unless a benchmark pins it (Gosched/workers:1).
// Run Go's twin with the same GOMAXPROCS.
#include <benchmark/benchmark.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench_timed.hpp"
#include "report/memory.hpp"
#include "report/wait_group.hpp"
#include "gofer/gofer.hpp"

namespace {

using gofer_bench::clock_type;
using gofer_bench::default_workers;
using gofer_bench::run_timed;
using gofer_bench::sum_below;

namespace sync = gofer::sync;

// Sizes: keep them equal to the constants in bench/go/main.go.
constexpr int kSpawnJoinFibers = 100'000;    // fibers spawned and joined per iteration
constexpr int kSpawnJoinThreads = 1'000;     // threads: ~100x dearer, so fewer
constexpr int kGoschedPerTask = 100'000;     // Gosched / sched_yield calls per task (two tasks)
constexpr int kWaitGroupRounds = 10'000;     // fork/join rounds per iteration
constexpr int kMutexLocksPerTask = 100'000;  // lock/unlock pairs per task
constexpr int kParkedFibers = 100'000;       // fibers parked at once
constexpr int kParkedThreads = 2'000;        // threads parked at once
constexpr std::size_t kParkedThreadStack = 64 * 1024;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

gofer::Runtime::Options runtime_options(int workers) {
  gofer::Runtime::Options o;
  o.workers = workers;
  return o;
}


// thread_wg is the thread twins' WaitGroup, the overhead report's: an
// atomic count, a std::mutex and std::condition_variable for the waiters.
using thread_wg = report::basic_wait_group<std::mutex, std::condition_variable>;

// rss_bytes / proc_kib: the overhead report's readings (report/memory.hpp).
using report::proc_kib;
using report::rss_bytes;

// memory_snapshot: what a parked task costs, user and kernel side.
struct memory_snapshot {
  std::int64_t rss = rss_bytes();                                      // bytes, this process
  std::int64_t pte_kib = proc_kib("/proc/self/status", "VmPTE");       // this process's page tables
  std::int64_t kstack_kib = proc_kib("/proc/meminfo", "KernelStack");  // whole system
};

// ---------------------------------------------------------------------------
// 1. SpawnJoin: spawn N tasks that each add their index to an atomic, join
//    them all. Fibers: N = 100,000 joined with a sync::WaitGroup. Threads:
//    N = 1,000 std::threads joined one by one. Reports ns_per_task.
// ---------------------------------------------------------------------------

void BM_SpawnJoin_Fiber(benchmark::State& state) {
  gofer::Runtime rt(runtime_options(default_workers()));
  constexpr std::int64_t want = std::int64_t{kSpawnJoinFibers} * (kSpawnJoinFibers - 1) / 2;
  run_timed(state, "ns_per_task", kSpawnJoinFibers, [&]() -> const char* {
    std::atomic<std::int64_t> sum{0};
    rt.run([&] {
      sync::WaitGroup wg;
      wg.Add(kSpawnJoinFibers);
      for (int i = 0; i < kSpawnJoinFibers; ++i) {
        gofer::go([&sum, &wg, i] {
          sum.fetch_add(i, std::memory_order_relaxed);  // relaxed: wg.Wait orders it
          wg.Done();
        });
      }
      wg.Wait();
    });
    return sum.load() == want ? nullptr : "SpawnJoin_Fiber: wrong sum";
  });
  state.counters["workers"] = rt.NumWorkers();
}
BENCHMARK(BM_SpawnJoin_Fiber)->UseRealTime();

void BM_SpawnJoin_Thread(benchmark::State& state) {
  constexpr std::int64_t want = std::int64_t{kSpawnJoinThreads} * (kSpawnJoinThreads - 1) / 2;
  std::vector<std::thread> threads;
  threads.reserve(kSpawnJoinThreads);
  run_timed(state, "ns_per_task", kSpawnJoinThreads, [&]() -> const char* {
    std::atomic<std::int64_t> sum{0};
    for (int i = 0; i < kSpawnJoinThreads; ++i)
      threads.emplace_back([&sum, i] { sum.fetch_add(i, std::memory_order_relaxed); });
    for (auto& t : threads) t.join();  // join orders the relaxed adds
    threads.clear();
    return sum.load() == want ? nullptr : "SpawnJoin_Thread: wrong sum";
  });
}
BENCHMARK(BM_SpawnJoin_Thread)->UseRealTime();

// ---------------------------------------------------------------------------
// 2. Gosched / Yield: two tasks each yield kGoschedPerTask times; reports
//    ns_per_switch = wall time / total yield calls. With one worker (or one
//    CPU) every call is a switch to the other task; with more, the two tasks
//    mostly run on different workers and a call finds nothing else to run
//    (Go's figure has the same meaning).
// ---------------------------------------------------------------------------

void BM_Gosched_Fiber(benchmark::State& state) {
  gofer::Runtime rt(runtime_options(static_cast<int>(state.range(0))));
  run_timed(state, "ns_per_switch", 2 * std::int64_t{kGoschedPerTask}, [&]() -> const char* {
    std::atomic<std::int64_t> calls{0};
    rt.run([&] {
      sync::WaitGroup wg;
      wg.Add(2);
      for (int t = 0; t < 2; ++t) {
        gofer::go([&calls, &wg] {
          for (int i = 0; i < kGoschedPerTask; ++i) gofer::runtime::Gosched();
          calls.fetch_add(kGoschedPerTask, std::memory_order_relaxed);
          wg.Done();
        });
      }
      wg.Wait();
    });
    return calls.load() == 2 * std::int64_t{kGoschedPerTask} ? nullptr
                                                             : "Gosched_Fiber: wrong call count";
  });
  state.counters["workers"] = rt.NumWorkers();
}
// Args: 1 worker, and the default worker count (if it is not 1).
BENCHMARK(BM_Gosched_Fiber)
    ->ArgName("workers")
    ->Apply([](benchmark::internal::Benchmark* b) {
      b->Arg(1);
      if (int n = default_workers(); n != 1) b->Arg(n);
    })
    ->UseRealTime();

// first_allowed_cpu returns the lowest CPU in this process's affinity mask.
int first_allowed_cpu() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 0;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) return c;
  return 0;
}

// BM_Yield_Thread pins both threads to one CPU, so that each sched_yield has
// the other thread to switch to: the thread twin of Gosched/workers:1.
void BM_Yield_Thread(benchmark::State& state) {
  const int cpu = first_allowed_cpu();
  run_timed(state, "ns_per_switch", 2 * std::int64_t{kGoschedPerTask}, [&]() -> const char* {
    std::atomic<std::int64_t> calls{0};
    std::atomic<bool> pin_failed{false};
    std::thread ts[2];
    for (auto& t : ts) {
      t = std::thread([&] {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        if (pthread_setaffinity_np(pthread_self(), sizeof one, &one) != 0) pin_failed = true;
        for (int i = 0; i < kGoschedPerTask; ++i) std::this_thread::yield();
        calls.fetch_add(kGoschedPerTask, std::memory_order_relaxed);
      });
    }
    for (auto& t : ts) t.join();
    if (pin_failed.load()) return "Yield_Thread: pthread_setaffinity_np failed";
    return calls.load() == 2 * std::int64_t{kGoschedPerTask} ? nullptr
                                                             : "Yield_Thread: wrong call count";
  });
  state.counters["cpu"] = cpu;
}
BENCHMARK(BM_Yield_Thread)->UseRealTime();

// ---------------------------------------------------------------------------
// 3. WaitGroup: a coordinator and n persistent tasks run kWaitGroupRounds
//    fork/join rounds, the way Go programs use a WaitGroup. A round: the
//    coordinator arms the next round's gate, done.Add(n), opens this round's
//    gate (gate.Done() releases all n), each task done.Done()s, the
//    coordinator done.Wait()s. Two gates alternate, so a task that loops
//    around early waits on a gate that is still closed; every Add comes after
//    the previous Wait on that WaitGroup returned (Go's reuse rule).
//    n = 1 is a ping-pong (two hand-offs a round); n = 8 a fan-out/fan-in.
//    Reports ns_per_round; the thread twin uses thread_wg (the report's
//    atomic-count WaitGroup over a mutex + cv).
// ---------------------------------------------------------------------------

// wait_group_rounds runs the protocol above with WG as the WaitGroup type,
// spawn(f) starting a task. It returns the total count of task rounds.
template <class WG, class Spawn, class JoinAll>
std::int64_t wait_group_rounds(int n, Spawn spawn, JoinAll join_all) {
  WG gates[2];
  WG done;
  std::atomic<std::int64_t> count{0};
  gates[0].Add(1);
  for (int t = 0; t < n; ++t) {
    spawn([&gates, &done, &count] {
      for (int r = 0; r < kWaitGroupRounds; ++r) {
        gates[r % 2].Wait();
        count.fetch_add(1, std::memory_order_relaxed);  // relaxed: done orders it
        done.Done();
      }
    });
  }
  for (int r = 0; r < kWaitGroupRounds; ++r) {
    if (r + 1 < kWaitGroupRounds) gates[(r + 1) % 2].Add(1);
    done.Add(n);
    gates[r % 2].Done();
    done.Wait();
  }
  join_all();  // the tasks may still be returning from their last Done
  return count.load();
}

void BM_WaitGroup_Fiber(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  gofer::Runtime rt(runtime_options(default_workers()));
  run_timed(state, "ns_per_round", kWaitGroupRounds, [&]() -> const char* {
    std::int64_t count = 0;
    rt.run([&] {
      sync::WaitGroup exited;
      exited.Add(n);
      count = wait_group_rounds<sync::WaitGroup>(
          n,
          [&exited](auto body) {
            gofer::go([body, &exited] {
              body();
              exited.Done();
            });
          },
          [&exited] { exited.Wait(); });
    });
    return count == std::int64_t{n} * kWaitGroupRounds ? nullptr
                                                       : "WaitGroup_Fiber: wrong round count";
  });
  state.counters["workers"] = rt.NumWorkers();
}
BENCHMARK(BM_WaitGroup_Fiber)->ArgName("tasks")->Arg(1)->Arg(8)->UseRealTime();

void BM_WaitGroup_Thread(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  run_timed(state, "ns_per_round", kWaitGroupRounds, [&]() -> const char* {
    std::vector<std::thread> threads;
    std::int64_t count = wait_group_rounds<thread_wg>(
        n, [&threads](auto body) { threads.emplace_back(body); },
        [&threads] {
          for (auto& t : threads) t.join();
        });
    return count == std::int64_t{n} * kWaitGroupRounds ? nullptr
                                                       : "WaitGroup_Thread: wrong round count";
  });
}
BENCHMARK(BM_WaitGroup_Thread)->ArgName("tasks")->Arg(1)->Arg(8)->UseRealTime();

// ---------------------------------------------------------------------------
// 4. MutexContention: T tasks each lock one mutex kMutexLocksPerTask times
//    and increment a plain counter under it; the counter must end at
//    T * kMutexLocksPerTask. Fibers: sync::Mutex on the default workers;
//    threads: std::mutex. Reports ns_per_lock = wall time / total pairs.
// ---------------------------------------------------------------------------

void BM_MutexContention_Fiber(benchmark::State& state) {
  const int tasks = static_cast<int>(state.range(0));
  gofer::Runtime rt(runtime_options(default_workers()));
  const std::int64_t want = std::int64_t{tasks} * kMutexLocksPerTask;
  run_timed(state, "ns_per_lock", want, [&]() -> const char* {
    std::int64_t counter = 0;
    rt.run([&] {
      sync::Mutex mu;
      sync::WaitGroup wg;
      wg.Add(tasks);
      for (int t = 0; t < tasks; ++t) {
        gofer::go([&] {
          for (int i = 0; i < kMutexLocksPerTask; ++i) {
            mu.Lock();
            ++counter;
            mu.Unlock();
          }
          wg.Done();
        });
      }
      wg.Wait();
    });
    return counter == want ? nullptr : "MutexContention_Fiber: wrong counter";
  });
  state.counters["workers"] = rt.NumWorkers();
}
BENCHMARK(BM_MutexContention_Fiber)->ArgName("tasks")->Arg(2)->Arg(8)->UseRealTime();

void BM_MutexContention_Thread(benchmark::State& state) {
  const int tasks = static_cast<int>(state.range(0));
  const std::int64_t want = std::int64_t{tasks} * kMutexLocksPerTask;
  run_timed(state, "ns_per_lock", want, [&]() -> const char* {
    std::int64_t counter = 0;
    std::mutex mu;
    std::vector<std::thread> threads;
    for (int t = 0; t < tasks; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < kMutexLocksPerTask; ++i) {
          mu.lock();
          ++counter;
          mu.unlock();
        }
      });
    }
    for (auto& t : threads) t.join();
    return counter == want ? nullptr : "MutexContention_Thread: wrong counter";
  });
}
BENCHMARK(BM_MutexContention_Thread)->ArgName("tasks")->Arg(2)->Arg(8)->UseRealTime();

// ---------------------------------------------------------------------------
// 5. ParkedMemory: park many tasks at once on one gate, measure what they
//    hold, release and join them. Counters, per task, averaged over the
//    iterations:
//      KiB_per_fiber / KiB_per_thread   RSS growth (user pages: stacks,
//                                       control blocks, TLS)
//      pte_KiB_per_…                    this process's page-table growth
//                                       (VmPTE), kernel memory RSS omits
//      kstack_KiB_per_thread            growth of the system's KernelStack
//                                       (/proc/meminfo): a thread's kernel
//                                       stack; system-wide, so approximate
//    The time column is meaningless here (it includes making the runtime).
// ---------------------------------------------------------------------------

// BM_ParkedMemory_Fiber makes a fresh Runtime each iteration: the runtime
// pools stacks, and a pooled stack's pages stay resident, so a second batch
// on the same runtime would show almost no growth. A fresh runtime (its
// predecessor's stacks freed by Shutdown) measures a cold start every time.
void BM_ParkedMemory_Fiber(benchmark::State& state) {
  double rss_kib = 0, pte_kib = 0;
  std::int64_t iterations = 0;
  int workers = 0;
  for (auto _ : state) {
    gofer::Runtime rt(runtime_options(default_workers()));
    workers = rt.NumWorkers();
    std::int64_t goroutines = 0;
    memory_snapshot before, after;
    rt.run([&] {
      before = memory_snapshot{};
      sync::WaitGroup gate, done;
      std::atomic<int> arrived{0};
      gate.Add(1);
      done.Add(kParkedFibers);
      for (int i = 0; i < kParkedFibers; ++i) {
        gofer::go([&] {
          arrived.fetch_add(1, std::memory_order_relaxed);  // relaxed: a progress count
          gate.Wait();
          done.Done();
        });
      }
      while (arrived.load(std::memory_order_relaxed) < kParkedFibers)
        gofer::time::Sleep(gofer::time::Millisecond);
      gofer::time::Sleep(10 * gofer::time::Millisecond);  // the last arrivals finish parking
      goroutines = rt.NumGoroutine();
      after = memory_snapshot{};
      gate.Done();
      done.Wait();
    });
    if (goroutines < kParkedFibers + 1) {  // + 1: the main fiber
      state.SkipWithError("ParkedMemory_Fiber: NumGoroutine below the parked count");
      break;
    }
    rss_kib += static_cast<double>(after.rss - before.rss) / 1024.0 / kParkedFibers;
    pte_kib += static_cast<double>(after.pte_kib - before.pte_kib) / kParkedFibers;
    ++iterations;
  }
  if (iterations > 0) {
    state.counters["KiB_per_fiber"] = rss_kib / static_cast<double>(iterations);
    state.counters["pte_KiB_per_fiber"] = pte_kib / static_cast<double>(iterations);
    state.counters["workers"] = workers;
  }
}
BENCHMARK(BM_ParkedMemory_Fiber)->UseRealTime()->Unit(benchmark::kMillisecond);

// parked_thread_stack is a thread stack this benchmark maps and unmaps
// itself (pthread_attr_setstack), with a PROT_NONE guard page below it. Not
// glibc's own stacks: glibc caches up to 40 MiB of freed thread stacks with
// their pages still resident, so later iterations would reuse them and show
// almost no growth. glibc places the thread's TCB and TLS inside the given
// stack, so RSS still counts them.
struct parked_thread_stack {
  static constexpr std::size_t kGuard = 4096;
  void* base = MAP_FAILED;
  std::size_t len = 0;

  bool map(std::size_t usable) {
    len = usable + kGuard;
    base =
        mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (base == MAP_FAILED) return false;
    return mprotect(base, kGuard, PROT_NONE) == 0;
  }
  void* stack() const { return static_cast<char*>(base) + kGuard; }
  ~parked_thread_stack() {
    if (base != MAP_FAILED) munmap(base, len);
  }
};

struct parked_gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;  // Guarded by mu.
  std::atomic<int> arrived{0};
};

void* parked_thread_main(void* arg) {
  auto* g = static_cast<parked_gate*>(arg);
  g->arrived.fetch_add(1, std::memory_order_relaxed);  // relaxed: a progress count
  std::unique_lock lk(g->mu);
  g->cv.wait(lk, [g] { return g->open; });
  return nullptr;
}

void BM_ParkedMemory_Thread(benchmark::State& state) {
  double rss_kib = 0, pte_kib = 0, kstack_kib = 0;
  std::int64_t iterations = 0;
  for (auto _ : state) {
    std::vector<parked_thread_stack> stacks(kParkedThreads);
    std::vector<pthread_t> threads;
    threads.reserve(kParkedThreads);
    parked_gate gate;
    memory_snapshot before;
    bool ok = true;
    for (auto& s : stacks) {
      pthread_attr_t attr;
      pthread_t t;
      if (!s.map(kParkedThreadStack) || pthread_attr_init(&attr) != 0) {
        ok = false;
        break;
      }
      bool started = pthread_attr_setstack(&attr, s.stack(), kParkedThreadStack) == 0 &&
                     pthread_create(&t, &attr, parked_thread_main, &gate) == 0;
      pthread_attr_destroy(&attr);
      if (!started) {
        ok = false;
        break;
      }
      threads.push_back(t);
    }
    if (ok) {
      while (gate.arrived.load(std::memory_order_relaxed) < kParkedThreads)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // finish blocking
    }
    memory_snapshot after;
    {
      std::lock_guard lk(gate.mu);
      gate.open = true;
    }
    gate.cv.notify_all();
    for (pthread_t t : threads) pthread_join(t, nullptr);
    if (!ok) {
      state.SkipWithError("ParkedMemory_Thread: mmap or pthread_create failed");
      break;
    }
    rss_kib += static_cast<double>(after.rss - before.rss) / 1024.0 / kParkedThreads;
    pte_kib += static_cast<double>(after.pte_kib - before.pte_kib) / kParkedThreads;
    kstack_kib += static_cast<double>(after.kstack_kib - before.kstack_kib) / kParkedThreads;
    ++iterations;
  }
  if (iterations > 0) {
    const auto n = static_cast<double>(iterations);
    state.counters["KiB_per_thread"] = rss_kib / n;
    state.counters["pte_KiB_per_thread"] = pte_kib / n;
    state.counters["kstack_KiB_per_thread"] = kstack_kib / n;
  }
}
BENCHMARK(BM_ParkedMemory_Thread)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) { return gofer_bench::benchmark_main(argc, argv); }
