// bench/patterns_bench.cpp — what each gofer::patterns pattern costs per
// item, next to the same pattern in Go (bench/go/patterns/, same names) and,
// where it makes sense, next to a std::thread version in this binary.
//
//   WorkerPool/workers:N        1,000,000 jobs through a pool of N workers and
//                               a queue of 1024; the submitter uses
//                               SubmitWait (backpressure); each job adds its
//                               ID to a sum. ns per job, submit to drained.
//                               Thread twin: N std::threads on a std::mutex +
//                               condition_variable channel of the same size.
//   Pipeline/stages:3           1,000,000 ints through three unbuffered Map
//                               stages (+1, *2, -1) in one Flow; the consumer
//                               sums them. ns per item. Thread twin: a thread
//                               per stage over unbuffered (rendezvous)
//                               mutex+cv channels.
//   RateLimiter_Allow/callers:C rate::Limiter (the port of x/time/rate) with a
//                               rate and burst that admit every call; C
//                               callers share 1,000,000 Allow calls. Go:
//                               x/time/rate itself. Thread twin: the same
//                               limiter called from C plain threads.
//   TokenBucket_Allow/callers:C the article's channel token bucket, filled
//                               with 1,000,000 tokens; C callers take them all.
//   CircuitBreaker_Call/callers:C  1,000,000 Calls of a succeeding function
//                               through a closed breaker, shared by C callers.
//
// How it is measured: as bench/chan_bench.cpp — one gofer::Runtime per
// benchmark with the default worker count, each iteration runs as the main
// fiber of rt.run(), one untimed warm-up iteration, wall time divided by the
// operations as the ns_per_op counter; every iteration checks its result
// (sums, counts) before its time counts. The limiter and breaker benchmarks
// time only the calls (the object is made and destroyed untimed, as in the
// Go twin): their time column is manual time.
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench_timed.hpp"
#include "report/thread_chan.hpp"
#include "gofer/gofer.hpp"
#include "gofer/patterns/circuit_breaker.hpp"
#include "gofer/patterns/pipeline.hpp"
#include "gofer/patterns/rate.hpp"
#include "gofer/patterns/rate_limiter.hpp"
#include "gofer/patterns/worker_pool.hpp"

namespace {

using gofer_bench::clock_type;
using gofer_bench::default_workers;
using gofer_bench::sum_below;

namespace context = gofer::context;
namespace patterns = gofer::patterns;
namespace rate = gofer::patterns::rate;
namespace sync = gofer::sync;
using gofer::error;
using gofer::nil;

// Sizes: keep them equal to the constants in bench/go/patterns/main.go.
constexpr int kPoolJobs = 1'000'000;
constexpr int kPoolJobsThread = 200'000;  // threads: a futex per hand-off, so fewer
constexpr int kPoolQueue = 1024;
constexpr int kPipelineItems = 1'000'000;
constexpr int kPipelineItemsThread = 50'000;
constexpr int kLimiterOps = 1'000'000;
constexpr int kBreakerOps = 1'000'000;


template <class F>
void run_timed(benchmark::State& state, std::int64_t ops_per_iteration, F iteration) {
  gofer_bench::run_timed(state, "ns_per_op", ops_per_iteration, std::move(iteration));
}

// parallel_fibers runs f(n) on `callers` fibers with n = total / callers each
// and returns the sum of what they return. Call from a fiber.
template <class F>
std::int64_t parallel_fibers(int callers, int total, F f) {
  sync::WaitGroup wg;
  std::atomic<std::int64_t> ok{0};
  for (int c = 0; c < callers; c++) {
    wg.Add(1);
    gofer::go([&] {
      ok.fetch_add(f(total / callers), std::memory_order_relaxed);  // relaxed: read after Wait
      wg.Done();
    });
  }
  wg.Wait();
  return ok.load();
}

// parallel_threads: the same on plain threads.
template <class F>
std::int64_t parallel_threads(int callers, int total, F f) {
  std::atomic<std::int64_t> ok{0};
  std::vector<std::thread> ts;
  for (int c = 0; c < callers; c++) {
    ts.emplace_back([&] { ok.fetch_add(f(total / callers), std::memory_order_relaxed); });
  }
  for (auto& t : ts) t.join();
  return ok.load();
}

// ---------------------------------------------------------------------------
// WorkerPool
// ---------------------------------------------------------------------------

const char* pool_iteration(int workers, int jobs) {
  std::atomic<std::int64_t> sum{0};
  const context::Context ctx = context::Background();
  auto pool = patterns::NewWorkerPool(workers, kPoolQueue);
  pool->Start(ctx);
  for (int i = 0; i < jobs; i++) {
    patterns::Job job;
    job.ID = i;
    job.Fn = [&sum, i](const context::Context&) -> error {
      sum.fetch_add(i, std::memory_order_relaxed);  // relaxed: read after Shutdown
      return nil;
    };
    if (pool->SubmitWait(ctx, std::move(job))) return "WorkerPool: SubmitWait failed";
  }
  if (pool->Shutdown(ctx)) return "WorkerPool: Shutdown failed";
  const patterns::Metrics m = pool->GetMetrics();
  if (sum.load() != sum_below(jobs) || m.ProcessedJobs != jobs) return "WorkerPool: a job was lost";
  return nullptr;
}

void BM_WorkerPool_Fiber(benchmark::State& state) {
  gofer::Runtime rt;
  const int workers = static_cast<int>(state.range(0));
  run_timed(state, kPoolJobs, [&] {
    const char* err = nullptr;
    rt.run([&] { err = pool_iteration(workers, kPoolJobs); });
    return err;
  });
  state.counters["workers"] = rt.NumWorkers();
}
BENCHMARK(BM_WorkerPool_Fiber)->ArgName("workers")->Arg(1)->Arg(2)->Arg(4)->Arg(8)->UseRealTime();

// The thread twins' queues are bench/report/thread_chan.hpp's thread_chan:
// a ring under one std::mutex with condition variables, capacity 0 a
// rendezvous (what a std::thread program uses as a channel).
using report::thread_chan;

const char* thread_pool_iteration(int workers, int jobs) {
  std::atomic<std::int64_t> sum{0}, processed{0};
  thread_chan<std::function<void()>> q(kPoolQueue);
  std::vector<std::thread> ts;
  for (int w = 0; w < workers; w++) {
    ts.emplace_back([&] {
      for (;;) {
        auto [job, ok] = q.recv2();
        if (!ok) break;
        job();
        processed.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  for (int i = 0; i < jobs; i++) q.send([&sum, i] { sum.fetch_add(i, std::memory_order_relaxed); });
  q.close();
  for (auto& t : ts) t.join();
  if (sum.load() != sum_below(jobs) || processed.load() != jobs) return "WorkerPool: a job was lost";
  return nullptr;
}

void BM_WorkerPool_Thread(benchmark::State& state) {
  const int workers = static_cast<int>(state.range(0));
  run_timed(state, kPoolJobsThread, [&] { return thread_pool_iteration(workers, kPoolJobsThread); });
}
BENCHMARK(BM_WorkerPool_Thread)->ArgName("workers")->Arg(1)->Arg(2)->Arg(4)->Arg(8)->UseRealTime();

// ---------------------------------------------------------------------------
// Pipeline
// ---------------------------------------------------------------------------

const char* pipeline_iteration(int items) {
  patterns::Flow flow;
  auto in = gofer::make_chan<std::int64_t>();
  flow.Go([in, items, ctx = flow.Context()]() -> error {
    gofer::defer close_in([&] { close(in); });
    for (std::int64_t i = 0; i < items; i++) {
      if (!patterns::Send(ctx, in, i)) return ctx.Err();
    }
    return nil;
  });
  auto out = patterns::Pipeline(flow, in, patterns::Map([](std::int64_t v) { return v + 1; }),
                                patterns::Map([](std::int64_t v) { return v * 2; }),
                                patterns::Map([](std::int64_t v) { return v - 1; }));
  std::int64_t sum = 0;
  for (std::int64_t v : out) sum += v;
  if (flow.Wait()) return "Pipeline: the flow failed";
  // sum over i < n of 2(i + 1) - 1 = n^2
  if (sum != static_cast<std::int64_t>(items) * items) return "Pipeline: wrong sum";
  return nullptr;
}

void BM_Pipeline_Fiber(benchmark::State& state) {
  gofer::Runtime rt;
  run_timed(state, kPipelineItems, [&] {
    const char* err = nullptr;
    rt.run([&] { err = pipeline_iteration(kPipelineItems); });
    return err;
  });
  state.counters["workers"] = rt.NumWorkers();
}
BENCHMARK(BM_Pipeline_Fiber)->Name("BM_Pipeline_Fiber/stages:3")->UseRealTime();

const char* thread_pipeline_iteration(int items) {
  thread_chan<std::int64_t> q0(0), q1(0), q2(0), q3(0);  // unbuffered, as the fiber pipeline's
  auto stage = [](thread_chan<std::int64_t>& in, thread_chan<std::int64_t>& out, auto f) {
    return std::thread([&in, &out, f] {
      for (;;) {
        auto [v, ok] = in.recv2();
        if (!ok) break;
        out.send(f(v));
      }
      out.close();
    });
  };
  std::thread producer([&] {
    for (std::int64_t i = 0; i < items; i++) q0.send(i);
    q0.close();
  });
  std::thread s1 = stage(q0, q1, [](std::int64_t v) { return v + 1; });
  std::thread s2 = stage(q1, q2, [](std::int64_t v) { return v * 2; });
  std::thread s3 = stage(q2, q3, [](std::int64_t v) { return v - 1; });
  std::int64_t sum = 0;
  for (;;) {
    auto [v, ok] = q3.recv2();
    if (!ok) break;
    sum += v;
  }
  producer.join();
  s1.join();
  s2.join();
  s3.join();
  return sum == static_cast<std::int64_t>(items) * items ? nullptr : "Pipeline: wrong sum";
}

void BM_Pipeline_Thread(benchmark::State& state) {
  run_timed(state, kPipelineItemsThread, [&] { return thread_pipeline_iteration(kPipelineItemsThread); });
}
BENCHMARK(BM_Pipeline_Thread)->Name("BM_Pipeline_Thread/stages:3")->UseRealTime();

// ---------------------------------------------------------------------------
// Rate limiters and the circuit breaker: one object shared by C callers.
// ---------------------------------------------------------------------------

// shared_object_bench: `callers` tasks share `total` calls of op on one
// object. The object is made (a token bucket's refill fiber and its
// 1,000,000 tokens included) and destroyed outside the timed part, as the Go
// twin does; only the calls are timed. With Fibers the object is made inside
// the benchmark's runtime, so its own fibers run there.
template <bool Fibers, class Make, class Op>
void shared_object_bench(benchmark::State& state, int total, Make make, Op op, const char* what) {
  const int callers = static_cast<int>(state.range(0));
  std::optional<gofer::Runtime> rt;
  if constexpr (Fibers) rt.emplace();
  auto iteration = [&](clock_type::duration* took) -> const char* {
    std::int64_t ok = 0;
    auto body_run = [&] {
      auto obj = make();
      auto body = [&](int n) {
        std::int64_t k = 0;
        for (int i = 0; i < n; i++) k += op(*obj) ? 1 : 0;
        return k;
      };
      const auto t0 = clock_type::now();
      if constexpr (Fibers) {
        ok = parallel_fibers(callers, total, body);
      } else {
        ok = parallel_threads(callers, total, body);
      }
      *took = clock_type::now() - t0;
    };
    if constexpr (Fibers) {
      rt->run(body_run);
    } else {
      body_run();
    }
    return ok == total ? nullptr : what;
  };
  gofer_bench::run_timed_self(state, "ns_per_op", total, iteration);
  if (rt) state.counters["workers"] = rt->NumWorkers();
}

auto make_limiter = [] { return rate::NewLimiter(rate::Limit(1e9), kLimiterOps); };
auto limiter_allow = [](rate::Limiter& l) { return l.Allow(); };

void BM_RateLimiter_Allow_Fiber(benchmark::State& state) {
  shared_object_bench<true>(state, kLimiterOps, make_limiter, limiter_allow,
                            "RateLimiter_Allow: a call was refused");
}
BENCHMARK(BM_RateLimiter_Allow_Fiber)->ArgName("callers")->Arg(1)->Arg(4)->UseManualTime();
void BM_RateLimiter_Allow_Thread(benchmark::State& state) {
  shared_object_bench<false>(state, kLimiterOps, make_limiter, limiter_allow,
                             "RateLimiter_Allow: a call was refused");
}
BENCHMARK(BM_RateLimiter_Allow_Thread)->ArgName("callers")->Arg(1)->Arg(4)->UseManualTime();

auto make_bucket = [] { return patterns::NewRateLimiter(1, kLimiterOps); };
auto bucket_allow = [](patterns::RateLimiter& l) { return l.Allow(); };

void BM_TokenBucket_Allow_Fiber(benchmark::State& state) {
  shared_object_bench<true>(state, kLimiterOps, make_bucket, bucket_allow,
                            "TokenBucket_Allow: a call was refused");
}
BENCHMARK(BM_TokenBucket_Allow_Fiber)->ArgName("callers")->Arg(1)->Arg(4)->UseManualTime();

// The breaker's fn is a lambda adding to a counter; Call succeeds.
struct breaker_box {
  std::shared_ptr<patterns::CircuitBreaker> cb = patterns::NewCircuitBreaker(5, 30 * gofer::time::Second);
  std::atomic<std::int64_t> calls{0};
};
auto make_breaker = [] { return std::make_unique<breaker_box>(); };
auto breaker_call = [](breaker_box& b) {
  return b.cb->Call([&b]() -> error {
    b.calls.fetch_add(1, std::memory_order_relaxed);
    return nil;
  }) == nil;
};

void BM_CircuitBreaker_Call_Fiber(benchmark::State& state) {
  shared_object_bench<true>(state, kBreakerOps, make_breaker, breaker_call,
                            "CircuitBreaker_Call: a call failed");
}
BENCHMARK(BM_CircuitBreaker_Call_Fiber)->ArgName("callers")->Arg(1)->Arg(4)->UseManualTime();
void BM_CircuitBreaker_Call_Thread(benchmark::State& state) {
  shared_object_bench<false>(state, kBreakerOps, make_breaker, breaker_call,
                             "CircuitBreaker_Call: a call failed");
}
BENCHMARK(BM_CircuitBreaker_Call_Thread)->ArgName("callers")->Arg(1)->Arg(4)->UseManualTime();

}  // namespace

int main(int argc, char** argv) { return gofer_bench::benchmark_main(argc, argv); }
