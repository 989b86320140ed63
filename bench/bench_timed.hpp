// bench/bench_timed.hpp — run_timed, the measuring loop of the Google
// Benchmark suites under bench/ (not of the overhead report's drivers, which
// do not link Google Benchmark).
#pragma once

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>

#include "bench_common.hpp"

namespace gofer_bench {

// run_timed runs one benchmark: `iteration` (the workload plus its check;
// returns nullptr, or an error message on a wrong result) runs once untimed
// as a warm-up — it fills the stack pools, glibc's thread-stack cache and
// the page tables, as the Go twins' warm-up run does; without it a
// benchmark that settles on one iteration would report the cold first one —
// then once per benchmark iteration. It reports the wall time per operation
// as counter `name` (nanoseconds) and as items_per_second.
template <class F>
void run_timed(benchmark::State& state, const char* name, std::int64_t ops_per_iteration,
               F iteration) {
  if (const char* err = iteration()) {
    state.SkipWithError(err);
    return;
  }
  clock_type::duration total{};
  std::int64_t iterations = 0;
  for (auto _ : state) {
    auto t0 = clock_type::now();
    const char* err = iteration();
    total += clock_type::now() - t0;
    ++iterations;
    if (err) {
      state.SkipWithError(err);
      return;
    }
  }
  const double ops = static_cast<double>(ops_per_iteration) * static_cast<double>(iterations);
  state.counters[name] =
      static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(total).count()) /
      ops;
  state.SetItemsProcessed(ops_per_iteration * iterations);
}

}  // namespace gofer_bench
