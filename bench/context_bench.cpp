// bench/context_bench.cpp — what gofer::context costs, next to Go's context.
//
// Every fiber workload (…_Fiber) has a std::thread twin (…_Thread) in this
// binary — the same gofer::context code called from plain threads, which it
// supports — and a Go twin of the same name in bench/go/context.go
// (BM_X_Fiber/arg <-> "X/arg"). Figures are comparable only side by side,
// from one run on one machine (bench/README.md).
//
//   Context_WithCancel    WithCancel(Background()) + cancel(), one task:
//                         the cost of making and cancelling a context
//   Context_DoneSelect    the loop of every context-aware worker,
//                           select { case <-ctx.Done(): return; <other> }
//                         recv:0 — <other> is `default:` (a cancellation
//                         poll); recv:1 — <other> is `case v := <-in:`, a
//                         channel of capacity 1024 fed by a producer task
//
// How it is measured: as bench/chan_bench.cpp. One gofer::Runtime per
// benchmark with the default worker count (GOMAXPROCS, else the CPUs this
// process may use; the `workers` counter); each iteration runs the workload
// as the main fiber of rt.run(), so the benchmark loop stays on the plain
// thread. Wall time per iteration (UseRealTime), after one untimed warm-up
// iteration; ns_per_op is that wall time divided by the operations.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <thread>

#include "bench_timed.hpp"
#include "gofer/gofer.hpp"

namespace {

using gofer_bench::sum_below;

namespace context = gofer::context;
namespace sync = gofer::sync;
using gofer_bench::clock_type;

// Sizes: keep them equal to the constants in bench/go/context.go.
constexpr int kWithCancelOps = 1'000'000;      // contexts made and cancelled per iteration
constexpr int kDoneSelectOps = 1'000'000;      // selects per iteration
constexpr int kDoneSelectOpsThread = 200'000;  // threads, recv:1 (futex wake-ups)
constexpr int kInCap = 1024;                   // DoneSelect/recv:1 channel capacity


// run_timed: bench_common.hpp's, with the counter every workload here
// reports.
template <class F>
void run_timed(benchmark::State& state, std::int64_t ops_per_iteration, F iteration) {
  gofer_bench::run_timed(state, "ns_per_op", ops_per_iteration, std::move(iteration));
}

// ---------------------------------------------------------------------------
// 1. Context_WithCancel: n times, ctx, cancel := WithCancel(Background());
//    cancel(); and count the contexts whose Err is then Canceled (all n).
// ---------------------------------------------------------------------------

const char* with_cancel_loop(int n) {
  const context::Context bg = context::Background();
  int canceled = 0;
  for (int i = 0; i < n; ++i) {
    auto [ctx, cancel] = context::WithCancel(bg);
    cancel();
    if (ctx.Err() == context::Canceled) ++canceled;
  }
  return canceled == n ? nullptr : "Context_WithCancel: a context was not canceled";
}

void BM_Context_WithCancel_Fiber(benchmark::State& state) {
  gofer::Runtime rt;
  run_timed(state, kWithCancelOps, [&] {
    const char* err = nullptr;
    rt.run([&] { err = with_cancel_loop(kWithCancelOps); });
    return err;
  });
  state.counters["workers"] = rt.NumWorkers();
}
BENCHMARK(BM_Context_WithCancel_Fiber)->UseRealTime();

void BM_Context_WithCancel_Thread(benchmark::State& state) {
  run_timed(state, kWithCancelOps, [&] { return with_cancel_loop(kWithCancelOps); });
}
BENCHMARK(BM_Context_WithCancel_Thread)->UseRealTime();

// ---------------------------------------------------------------------------
// 2. Context_DoneSelect: n selects over ctx.Done() (a live WithCancel
//    context) and, for recv:0, a default case (counted: all n must take it);
//    for recv:1, a receive from `in`, fed 0..n-1 by a producer task (the
//    values must add up to 0 + ... + (n - 1)). Then cancel: one more select
//    must take the Done case.
// ---------------------------------------------------------------------------

const char* done_select_default(int n) {
  auto [ctx, cancel] = context::WithCancel(context::Background());
  int defaults = 0;
  bool done = false;
  for (int i = 0; i < n; ++i) {
    gofer::select(gofer::recv(ctx.Done(), [&] { done = true; }),
                  gofer::default_([&] { ++defaults; }));
  }
  cancel();
  gofer::select(gofer::recv(ctx.Done(), [&] { done = true; }), gofer::default_([] {}));
  return defaults == n && done ? nullptr : "Context_DoneSelect/recv:0: wrong case taken";
}

// done_select_recv: the consumer side; `in` is fed by the caller's producer.
const char* done_select_recv(const context::Context& ctx, const context::CancelFunc& cancel,
                             const gofer::chan<int>& in, int n) {
  std::int64_t sum = 0;
  bool done = false;
  for (int i = 0; i < n && !done; ++i) {
    gofer::select(gofer::recv(ctx.Done(), [&] { done = true; }),
                  gofer::recv(in, [&](int v) { sum += v; }));
  }
  cancel();
  gofer::select(gofer::recv(ctx.Done(), [&] { done = true; }),
                gofer::recv(in, [&](int v) { sum += v; }));  // `in` is drained: Done fires
  return sum == sum_below(n) && done ? nullptr : "Context_DoneSelect/recv:1: wrong sum or case";
}

void BM_Context_DoneSelect_Fiber(benchmark::State& state) {
  const bool with_recv = state.range(0) != 0;
  gofer::Runtime rt;
  run_timed(state, kDoneSelectOps, [&] {
    const char* err = nullptr;
    rt.run([&] {
      if (!with_recv) {
        err = done_select_default(kDoneSelectOps);
        return;
      }
      auto [ctx, cancel] = context::WithCancel(context::Background());
      auto in = gofer::make_chan<int>(kInCap);
      auto produced = std::make_shared<sync::WaitGroup>();
      produced->Add(1);
      gofer::go([in, produced] {
        for (int i = 0; i < kDoneSelectOps; ++i) in.send(i);
        produced->Done();
      });
      err = done_select_recv(ctx, cancel, in, kDoneSelectOps);
      produced->Wait();
    });
    return err;
  });
  state.counters["workers"] = rt.NumWorkers();
}
BENCHMARK(BM_Context_DoneSelect_Fiber)->ArgName("recv")->Arg(0)->Arg(1)->UseRealTime();

void BM_Context_DoneSelect_Thread(benchmark::State& state) {
  const bool with_recv = state.range(0) != 0;
  const int n = with_recv ? kDoneSelectOpsThread : kDoneSelectOps;
  run_timed(state, n, [&]() -> const char* {
    if (!with_recv) return done_select_default(n);
    auto [ctx, cancel] = context::WithCancel(context::Background());
    auto in = gofer::make_chan<int>(kInCap);
    std::thread producer([in, n] {
      for (int i = 0; i < n; ++i) in.send(i);
    });
    const char* err = done_select_recv(ctx, cancel, in, n);
    producer.join();
    return err;
  });
}
BENCHMARK(BM_Context_DoneSelect_Thread)->ArgName("recv")->Arg(0)->Arg(1)->UseRealTime();

}  // namespace

int main(int argc, char** argv) { return gofer_bench::benchmark_main(argc, argv); }
