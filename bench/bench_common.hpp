// bench/bench_common.hpp — what the Google Benchmark suites under bench/
// (runtime_bench, chan_bench, context_bench, patterns_bench) and the
// overhead report's drivers (bench/report/) share, so that each figure is
// taken the same way. run_timed, for the Google Benchmark suites only, is in
// bench_timed.hpp.
#pragma once

#include <sched.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <thread>


namespace gofer_bench {

using clock_type = std::chrono::steady_clock;

// sum_below is 0 + 1 + ... + (n - 1): most workloads move each of the values
// 0..n-1 exactly once and check this sum.
constexpr std::int64_t sum_below(std::int64_t n) { return n * (n - 1) / 2; }

// default_workers is gofer's default worker count (Runtime::Options with
// workers = 0): $GOMAXPROCS if it is a positive integer, else the CPUs in
// this process's affinity mask. Computed here, not asked of the runtime,
// because benchmark arguments are registered before main() and asking
// would start the default runtime.
inline int default_workers() {
  if (const char* env = std::getenv("GOMAXPROCS")) {
    char* end = nullptr;
    long n = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && n > 0 && n < 1'000'000) return static_cast<int>(n);
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
  unsigned hc = std::thread::hardware_concurrency();
  return hc > 0 ? static_cast<int>(hc) : 1;
}


}  // namespace gofer_bench
