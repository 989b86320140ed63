// bench/bench_timed.hpp — run_timed, the measuring loop of the Google
// Benchmark suites under bench/, and their main (not the overhead report's
// drivers', which do not link Google Benchmark).
#pragma once

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "bench_common.hpp"

namespace gofer_bench {

// run_timed_self runs one benchmark whose iteration times itself:
// `iteration(&took)` (the workload plus its check; returns nullptr, or an
// error message on a wrong result) stores the time that counts in *took.
// It runs once untimed as a warm-up — it fills the stack pools, glibc's
// thread-stack cache and the page tables, as the Go twins' warm-up run
// does; without it a benchmark that settles on one iteration would report
// the cold first one — then once per benchmark iteration. It reports the
// time per operation as counter `name` (nanoseconds), as items_per_second,
// and as the iteration's manual time (for benchmarks registered with
// UseManualTime()).
template <class F>
void run_timed_self(benchmark::State& state, const char* name, std::int64_t ops_per_iteration,
                    F iteration) {
  clock_type::duration took{};
  if (const char* err = iteration(&took)) {
    state.SkipWithError(err);
    return;
  }
  clock_type::duration total{};
  std::int64_t iterations = 0;
  for (auto _ : state) {
    const char* err = iteration(&took);
    state.SetIterationTime(std::chrono::duration<double>(took).count());
    total += took;
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

// run_timed: run_timed_self for an iteration timed as a whole (wall time
// around `iteration()`, for benchmarks registered with UseRealTime()).
template <class F>
void run_timed(benchmark::State& state, const char* name, std::int64_t ops_per_iteration,
               F iteration) {
  run_timed_self(state, name, ops_per_iteration, [&](clock_type::duration* took) {
    const auto t0 = clock_type::now();
    const char* err = iteration();
    *took = clock_type::now() - t0;
    return err;
  });
}

// benchmark_main is BENCHMARK_MAIN() plus context lines naming gofer's
// default worker count and $GOMAXPROCS, so that a saved report says what it
// was measured on. Every suite's main() is this.
inline int benchmark_main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("gofer_default_workers", std::to_string(default_workers()));
  const char* env = std::getenv("GOMAXPROCS");
  benchmark::AddCustomContext("GOMAXPROCS", env ? env : "(unset)");
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace gofer_bench
