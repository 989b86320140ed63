// bench/report/report.hpp — what every C++ driver of the overhead report
// shares: the workload table (names, units, sizes), the result check, the
// JSON line and the driver's main().
//
// The report (scripts/bench-report.py, docs/benchmarks.md) runs one process
// per (workload, implementation, run), alternating the implementations:
//
//   overhead_<impl> --list        the workloads this implementation has
//   overhead_<impl> <workload>    one warm-up (per the table), one timed run,
//                                 one JSON line on stdout:
//   {"workload":"spawn_join","impl":"gofer","unit":"ns/op","value":104.2,
//    "n":100000,"workers":2,"extra":{...}}
//
// A failed check (a wrong count or sum) prints the reason on stderr and
// exits 1 before anything is printed on stdout: a wrong result never gets a
// time. The Go twin (bench/go/report/) follows the same protocol with the
// same table (bench/go/report/sizes.go: keep the two equal; the runner
// checks that every implementation of a workload reports the same n, the
// thread column excepted where the table gives threads their own size).
#pragma once

#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "../bench_common.hpp"

namespace report {

using clock_type = std::chrono::steady_clock;

// quick: GOFER_BENCH_QUICK=1 (any value but "" and "0") selects the quick
// sizes: the same workloads and checks, about a tenth of the work.
inline bool quick() {
  const char* q = std::getenv("GOFER_BENCH_QUICK");
  return q != nullptr && *q != '\0' && std::strcmp(q, "0") != 0;
}

// How a workload warms up before its timed run, in the same process.
enum class warmup {
  full,   // one untimed run of the full size: fills stack pools, glibc's
          // thread-stack cache, Go's free lists (the cost of a cold first
          // burst is not what these workloads measure)
  tenth,  // one untimed run of a tenth of the size: steady-state workloads
          // need only the code, the allocator and the scheduler warm
  none,   // parked_memory: measures the memory a cold burst takes
};

// spec: one row of the workload table. n is the workload's size parameter
// (tasks, round trips, items, yields or locks per task, rounds, jobs);
// thread_n is the size for the std::thread implementation, smaller where a
// thread's blocking hand-off costs microseconds (docs/benchmarks.md).
struct spec {
  const char* name;
  const char* unit;
  std::int64_t n, n_quick;
  std::int64_t thread_n, thread_n_quick;  // 0: threads skip this workload
  warmup warm;
};

// kSpecs: the workload table, in report order. Keep equal to
// bench/go/report/sizes.go.
inline constexpr spec kSpecs[] = {
    {"spawn_join", "ns/op", 100'000, 10'000, 10'000, 1'000, warmup::full},
    {"skynet", "ms", 1'000'000, 100'000, 0, 0, warmup::full},
    {"pingpong_unbuffered", "ns/op", 1'000'000, 100'000, 100'000, 10'000, warmup::tenth},
    {"chan_buffered_mpmc", "ns/op", 10'000'000, 1'000'000, 10'000'000, 1'000'000, warmup::tenth},
    {"select2", "ns/op", 1'000'000, 100'000, 100'000, 10'000, warmup::tenth},
    {"yield", "ns/op", 1'000'000, 100'000, 1'000'000, 100'000, warmup::tenth},
    {"parked_memory", "KiB/task", 100'000, 10'000, 10'000, 1'000, warmup::none},
    {"timers", "ms", 100'000, 10'000, 10'000, 1'000, warmup::full},
    {"mutex_contention", "ns/op", 100'000, 10'000, 100'000, 10'000, warmup::tenth},
    {"waitgroup", "ns/op", 10'000, 1'000, 10'000, 1'000, warmup::tenth},
    {"context_cancel", "ns/op", 100'000, 10'000, 10'000, 1'000, warmup::full},
    {"worker_pool", "ns/op", 1'000'000, 100'000, 1'000'000, 100'000, warmup::tenth},
};

// Fixed shapes of the workloads (not scaled by quick mode).
inline constexpr int kMPMCProducers = 4;   // and as many consumers
inline constexpr int kMPMCCap = 1024;      // chan_buffered_mpmc capacity
inline constexpr int kMutexTasks = 8;      // mutex_contention tasks
inline constexpr int kWaitGroupTasks = 8;  // waitgroup: tasks per fork/join round
inline constexpr int kSkynetDiv = 10;      // skynet: children per node
inline constexpr int kPoolWorkers = 5;     // worker_pool: the article's NewWorkerPool(5, 100)
inline constexpr int kPoolQueue = 100;     // worker_pool queue size
inline constexpr auto kTimerSleep = std::chrono::milliseconds(10);  // timers
inline constexpr auto kSettle = std::chrono::milliseconds(10);      // last arrivals finish parking

// sum_below is 0 + 1 + ... + (n - 1).
constexpr std::int64_t sum_below(std::int64_t n) { return n * (n - 1) / 2; }

// check_failed: a workload's result was wrong; its time does not count.
struct check_failed : std::exception {
  std::string what_;
  explicit check_failed(std::string w) : what_(std::move(w)) {}
  const char* what() const noexcept override { return what_.c_str(); }
};

// check throws check_failed with a printf-formatted reason unless ok.
template <class... A>
void check(bool ok, const char* fmt, A... args) {
  if (ok) return;
  char buf[256];
  std::snprintf(buf, sizeof buf, fmt, args...);
  throw check_failed(buf);
}

// extras: additional named figures of one run (timers: latest_wakeup_ms).
using extras = std::vector<std::pair<std::string, double>>;

// workload_fn runs a workload of size n once and returns its figure in the
// workload's unit; it throws check_failed on a wrong result.
using workload_fn = double (*)(std::int64_t n, extras& x);

struct entry {
  const char* name;
  workload_fn fn;
};

// since_ns: nanoseconds from t0 to now.
inline double since_ns(clock_type::time_point t0) {
  return static_cast<double>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - t0).count());
}

// wakeups: the timers workload's bookkeeping, shared by every driver. Each
// sleeper calls record(start) after its kTimerSleep sleep; finish() fails
// the run if any woke early and reports the latest wake-up past its 10 ms.
// relaxed: counters read after every sleeper was joined.
class wakeups {
 public:
  void record(clock_type::time_point start) noexcept {
    const std::int64_t late =
        std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - start - kTimerSleep)
            .count();
    if (late < 0) early_.fetch_add(1, std::memory_order_relaxed);
    std::int64_t m = late_max_.load(std::memory_order_relaxed);
    while (late > m && !late_max_.compare_exchange_weak(m, late, std::memory_order_relaxed)) {
    }
  }
  // finish: call once every sleeper is joined. `what` names the tasks.
  void finish(extras& x, const char* what) const {
    check(early_.load() == 0, "%lld %s woke before 10 ms", (long long)early_.load(), what);
    x.emplace_back("latest_wakeup_ms", static_cast<double>(late_max_.load()) / 1e6);
  }

 private:
  std::atomic<std::int64_t> late_max_{0}, early_{0};
};

// default_workers: bench_common.hpp's (gofer's default worker count). The
// Boost.Fiber driver runs as many threads; the runner sets GOMAXPROCS for
// every implementation, Go included.
using gofer_bench::default_workers;

inline const spec* find_spec(const char* name) {
  for (const spec& s : kSpecs)
    if (std::strcmp(s.name, name) == 0) return &s;
  return nullptr;
}

// print_json_line prints one result as the JSON line of the file comment.
inline void print_json_line(const spec& s, const char* impl, double value, std::int64_t n,
                            int workers, const extras& x) {
  std::printf(
      "{\"workload\":\"%s\",\"impl\":\"%s\",\"unit\":\"%s\",\"value\":%.6g,\"n\":%lld,"
      "\"workers\":%d,\"extra\":{",
      s.name, impl, s.unit, value, static_cast<long long>(n), workers);
  for (std::size_t i = 0; i < x.size(); ++i)
    std::printf("%s\"%s\":%.6g", i ? "," : "", x[i].first.c_str(), x[i].second);
  std::printf("}}\n");
  std::fflush(stdout);
}

// driver_main is the main() of a driver: `impl` names the implementation
// ("gofer", "thread", "boostfiber"), `table` its workloads, `workers` the
// worker count it runs with (0 for threads). Exit status: 0 with a JSON
// line, 1 on a failed check or an exception, 2 on bad usage.
template <std::size_t N>
int driver_main(const char* impl, int workers, const entry (&table)[N], int argc, char** argv) {
  const bool is_thread = std::strcmp(impl, "thread") == 0;
  if (argc == 2 && std::strcmp(argv[1], "--list") == 0) {
    for (const entry& e : table) std::printf("%s\n", e.name);
    return 0;
  }
  const entry* e = nullptr;
  for (const entry& t : table)
    if (argc == 2 && std::strcmp(t.name, argv[1]) == 0) e = &t;
  const spec* s = e ? find_spec(e->name) : nullptr;
  if (s == nullptr) {
    std::fprintf(stderr, "usage: %s --list | <workload>  (GOFER_BENCH_QUICK=1: quick sizes)\n",
                 argv[0]);
    return 2;
  }
  const bool q = quick();
  const std::int64_t n =
      is_thread ? (q ? s->thread_n_quick : s->thread_n) : (q ? s->n_quick : s->n);
  try {
    extras x;
    if (s->warm == warmup::full) e->fn(n, x);
    if (s->warm == warmup::tenth) e->fn(n / 10, x);
    x.clear();
    const double value = e->fn(n, x);
    print_json_line(*s, impl, value, n, workers, x);
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "overhead_%s: %s: %s\n", impl, s->name, ex.what());
    return 1;
  }
  return 0;
}

}  // namespace report
