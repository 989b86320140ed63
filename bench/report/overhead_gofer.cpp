// bench/report/overhead_gofer.cpp — the gofer column of the overhead report:
// every workload of report.hpp's table on gofer fibers, channels, select,
// sync and context, with the same sizes and checks as the std::thread,
// Boost.Fiber and Go implementations (overhead_thread.cpp,
// overhead_boostfiber.cpp, bench/go/report/).
//
// One gofer::Runtime with the default worker count (GOMAXPROCS, which the
// runner sets to the same value for every implementation) lives for the
// whole process; the warm-up and the timed run are main fibers of rt.run(),
// and the clock runs inside that fiber, as Go's clock runs inside main.
#include <algorithm>
#include <atomic>
#include <cstdint>

#include "gofer/gofer.hpp"
#include "gofer/patterns/worker_pool.hpp"
#include "memory.hpp"
#include "report.hpp"

namespace {

namespace sync = gofer::sync;
namespace context = gofer::context;
namespace patterns = gofer::patterns;
using report::check;
using report::clock_type;
using report::extras;
using report::since_ns;
using report::sum_below;

gofer::Runtime* g_rt;  // made in main

// spawn_join: n fibers each add their index to an atomic; a WaitGroup
// joins them. ns per fiber.
double spawn_join(std::int64_t n, extras&) {
  std::atomic<std::int64_t> sum{0};
  double ns = 0;
  g_rt->run([&] {
    const auto t0 = clock_type::now();
    sync::WaitGroup wg;
    wg.Add(static_cast<int>(n));
    for (std::int64_t i = 0; i < n; ++i) {
      gofer::go([&sum, &wg, i] {
        sum.fetch_add(i, std::memory_order_relaxed);  // relaxed: wg.Wait orders it
        wg.Done();
      });
    }
    wg.Wait();
    ns = since_ns(t0);
  });
  check(sum.load() == sum_below(n), "sum %lld, want %lld", (long long)sum.load(),
        (long long)sum_below(n));
  return ns / static_cast<double>(n);
}

// skynet: the classic tree (Go's skynet benchmark): a node of size s > 1
// spawns 10 children of size s / 10 and sends the sum of what they send on
// its own unbuffered channel; a leaf sends its number. n leaves. ms total.
void skynet_node(gofer::chan<std::int64_t> out, std::int64_t num, std::int64_t size) {
  if (size == 1) {
    out.send(num);
    return;
  }
  auto rc = gofer::make_chan<std::int64_t>(0);
  const std::int64_t child = size / report::kSkynetDiv;
  for (int i = 0; i < report::kSkynetDiv; ++i) gofer::go(skynet_node, rc, num + i * child, child);
  std::int64_t sum = 0;
  for (int i = 0; i < report::kSkynetDiv; ++i) sum += rc.recv();
  out.send(sum);
}

double skynet(std::int64_t n, extras&) {
  std::int64_t sum = -1;
  double ns = 0;
  g_rt->run([&] {
    const auto t0 = clock_type::now();
    auto c = gofer::make_chan<std::int64_t>(0);
    gofer::go(skynet_node, c, std::int64_t{0}, n);
    sum = c.recv();
    ns = since_ns(t0);
  });
  check(sum == sum_below(n), "sum %lld, want %lld", (long long)sum, (long long)sum_below(n));
  return ns / 1e6;
}

// pingpong_unbuffered: this fiber sends i on unbuffered `ping`, an echo
// fiber sends i + 1 back on unbuffered `pong`; n round trips, then ping is
// closed and the echo's range loop ends. The sum is 1 + ... + n. ns per
// round trip.
double pingpong(std::int64_t n, extras&) {
  std::int64_t sum = 0;
  double ns = 0;
  g_rt->run([&] {
    const auto t0 = clock_type::now();
    auto ping = gofer::make_chan<std::int64_t>(0);
    auto pong = gofer::make_chan<std::int64_t>(0);
    sync::WaitGroup echoed;
    echoed.Add(1);
    gofer::go([ping, pong, &echoed] {
      for (std::int64_t v : ping) pong.send(v + 1);
      echoed.Done();
    });
    for (std::int64_t i = 0; i < n; ++i) {
      ping.send(i);
      sum += pong.recv();
    }
    close(ping);
    echoed.Wait();
    ns = since_ns(t0);
  });
  check(sum == sum_below(n + 1), "sum %lld, want %lld", (long long)sum,
        (long long)sum_below(n + 1));
  return ns / static_cast<double>(n);
}

// chan_buffered_mpmc: 4 producers and 4 consumers on one channel of
// capacity 1024; producer p sends the values i ≡ p (mod 4) of 0..n-1, the
// channel is closed once all are done, consumers range over it. Count and
// sum are checked. ns per item.
double mpmc(std::int64_t n, extras&) {
  constexpr int P = report::kMPMCProducers;
  std::atomic<std::int64_t> sum{0}, count{0};
  double ns = 0;
  g_rt->run([&] {
    const auto t0 = clock_type::now();
    auto c = gofer::make_chan<std::int64_t>(report::kMPMCCap);
    sync::WaitGroup producers, consumers;
    producers.Add(P);
    consumers.Add(P);
    for (int p = 0; p < P; ++p) {
      gofer::go([c, p, n, &producers] {
        for (std::int64_t i = p; i < n; i += report::kMPMCProducers) c.send(i);
        producers.Done();
      });
      gofer::go([c, &sum, &count, &consumers] {
        std::int64_t s = 0, k = 0;
        for (std::int64_t v : c) {
          s += v;
          ++k;
        }
        sum.fetch_add(s, std::memory_order_relaxed);  // relaxed: consumers.Wait orders it
        count.fetch_add(k, std::memory_order_relaxed);
        consumers.Done();
      });
    }
    producers.Wait();
    close(c);
    consumers.Wait();
    ns = since_ns(t0);
  });
  check(count.load() == n && sum.load() == sum_below(n), "count %lld sum %lld, want %lld and %lld",
        (long long)count.load(), (long long)sum.load(), (long long)n, (long long)sum_below(n));
  return ns / static_cast<double>(n);
}

// select2: two unbuffered channels, each fed by its own sender (sender j
// sends the values i ≡ j (mod 2) of 0..n-1); one receiver runs n selects
// with a receive case on each. Each case fires n / 2 times and the values
// add up to 0 + ... + (n - 1). ns per receive.
double select2(std::int64_t n, extras&) {
  std::int64_t sum = 0, fired[2] = {0, 0};
  double ns = 0;
  g_rt->run([&] {
    const auto t0 = clock_type::now();
    gofer::chan<std::int64_t> cs[2] = {gofer::make_chan<std::int64_t>(0),
                                       gofer::make_chan<std::int64_t>(0)};
    sync::WaitGroup senders;
    senders.Add(2);
    for (int j = 0; j < 2; ++j) {
      gofer::go([c = cs[j], j, n, &senders] {
        for (std::int64_t i = j; i < n; i += 2) c.send(i);
        senders.Done();
      });
    }
    auto add = [&sum](std::int64_t v) { sum += v; };
    for (std::int64_t k = 0; k < n; ++k)
      ++fired[gofer::select(gofer::recv(cs[0], add), gofer::recv(cs[1], add))];
    senders.Wait();
    ns = since_ns(t0);
  });
  check(sum == sum_below(n) && fired[0] == n / 2 && fired[1] == n / 2,
        "sum %lld, cases %lld/%lld; want %lld, %lld each", (long long)sum, (long long)fired[0],
        (long long)fired[1], (long long)sum_below(n), (long long)(n / 2));
  return ns / static_cast<double>(n);
}

// yield: two fibers each call Gosched n times. ns per call.
double yield(std::int64_t n, extras&) {
  std::atomic<std::int64_t> calls{0};
  double ns = 0;
  g_rt->run([&] {
    const auto t0 = clock_type::now();
    sync::WaitGroup wg;
    wg.Add(2);
    for (int t = 0; t < 2; ++t) {
      gofer::go([&calls, &wg, n] {
        for (std::int64_t i = 0; i < n; ++i) gofer::runtime::Gosched();
        calls.fetch_add(n, std::memory_order_relaxed);
        wg.Done();
      });
    }
    wg.Wait();
    ns = since_ns(t0);
  });
  check(calls.load() == 2 * n, "%lld calls, want %lld", (long long)calls.load(),
        (long long)(2 * n));
  return ns / static_cast<double>(2 * n);
}

// parked_memory: n fibers block on a receive from one channel nobody sends
// on; once all have arrived (and 10 ms more, for the last to finish
// parking) the growth of RSS is read, then the channel is closed and every
// receive must return ok == false. KiB per fiber. A fresh process (the
// runner's) and no warm-up: the runtime pools stacks with their pages
// resident, so only a cold burst shows what a parked fiber holds.
double parked_memory(std::int64_t n, extras&) {
  std::int64_t before = 0, after = 0, goroutines = 0;
  std::atomic<std::int64_t> arrived{0}, released{0};
  g_rt->run([&] {
    before = report::rss_bytes();
    auto gate = gofer::make_chan<gofer::empty>(0);
    sync::WaitGroup done;
    done.Add(static_cast<int>(n));
    for (std::int64_t i = 0; i < n; ++i) {
      gofer::go([gate, &arrived, &released, &done] {
        arrived.fetch_add(1, std::memory_order_relaxed);  // relaxed: a progress count
        if (!gate.recv2().ok) released.fetch_add(1, std::memory_order_relaxed);
        done.Done();
      });
    }
    while (arrived.load(std::memory_order_relaxed) < n)
      gofer::time::Sleep(gofer::time::Millisecond);
    gofer::time::Sleep(report::kSettle);
    goroutines = g_rt->NumGoroutine();
    after = report::rss_bytes();
    close(gate);
    done.Wait();
  });
  check(goroutines >= n + 1, "NumGoroutine %lld, want >= %lld", (long long)goroutines,
        (long long)(n + 1));
  check(released.load() == n, "%lld receives saw the close, want %lld", (long long)released.load(),
        (long long)n);
  return report::kib_per_task(before, after, n);
}

// timers: n fibers sleep 10 ms at once. ms from the first spawn until all
// are joined; extra latest_wakeup_ms: the latest wake-up after a fiber's
// own 10 ms. A fiber that wakes early fails the check.
double timers(std::int64_t n, extras& x) {
  report::wakeups woke;
  double ns = 0;
  g_rt->run([&] {
    const auto t0 = clock_type::now();
    sync::WaitGroup wg;
    wg.Add(static_cast<int>(n));
    for (std::int64_t i = 0; i < n; ++i) {
      gofer::go([&] {
        const auto s = clock_type::now();
        gofer::time::Sleep(report::kTimerSleep);
        woke.record(s);
        wg.Done();
      });
    }
    wg.Wait();
    ns = since_ns(t0);
  });
  woke.finish(x, "fibers");
  return ns / 1e6;
}

// mutex_contention: 8 fibers each lock one sync::Mutex n times and
// increment a plain counter under it. ns per Lock/Unlock pair.
double mutex_contention(std::int64_t n, extras&) {
  constexpr int T = report::kMutexTasks;
  std::int64_t counter = 0;
  double ns = 0;
  g_rt->run([&] {
    const auto t0 = clock_type::now();
    sync::Mutex mu;
    sync::WaitGroup wg;
    wg.Add(T);
    for (int t = 0; t < T; ++t) {
      gofer::go([&] {
        for (std::int64_t i = 0; i < n; ++i) {
          mu.Lock();
          ++counter;
          mu.Unlock();
        }
        wg.Done();
      });
    }
    wg.Wait();
    ns = since_ns(t0);
  });
  check(counter == T * n, "counter %lld, want %lld", (long long)counter, (long long)(T * n));
  return ns / static_cast<double>(T * n);
}

// waitgroup: a coordinator and 8 persistent fibers run n fork/join rounds
// (bench/runtime_bench.cpp's WaitGroup/tasks:8): arm the next round's gate,
// done.Add(8), open this round's gate, each fiber done.Done()s, the
// coordinator done.Wait()s; two gates alternate. ns per round, the rounds
// alone (not the spawning of the 8).
double waitgroup(std::int64_t n, extras&) {
  constexpr int T = report::kWaitGroupTasks;
  std::atomic<std::int64_t> count{0};
  double ns = 0;
  g_rt->run([&] {
    sync::WaitGroup gates[2], done, exited;
    gates[0].Add(1);
    exited.Add(T);
    for (int t = 0; t < T; ++t) {
      gofer::go([&] {
        for (std::int64_t r = 0; r < n; ++r) {
          gates[r % 2].Wait();
          count.fetch_add(1, std::memory_order_relaxed);  // relaxed: done orders it
          done.Done();
        }
        exited.Done();
      });
    }
    const auto t0 = clock_type::now();
    for (std::int64_t r = 0; r < n; ++r) {
      if (r + 1 < n) gates[(r + 1) % 2].Add(1);
      done.Add(T);
      gates[r % 2].Done();
      done.Wait();
    }
    ns = since_ns(t0);
    exited.Wait();
  });
  check(count.load() == T * n, "count %lld, want %lld", (long long)count.load(),
        (long long)(T * n));
  return ns / static_cast<double>(n);
}

// context_cancel: n fibers each derive WithCancel(root) and block on its
// Done(); once all have arrived (+ 10 ms), root is cancelled. Timed from
// cancel until every fiber has seen Err() == Canceled and been joined: the
// propagation down the tree and the wake-ups. ns per fiber.
double context_cancel(std::int64_t n, extras&) {
  std::atomic<std::int64_t> arrived{0}, canceled{0};
  double ns = 0;
  g_rt->run([&] {
    auto [root, cancel] = context::WithCancel(context::Background());
    sync::WaitGroup done;
    done.Add(static_cast<int>(n));
    for (std::int64_t i = 0; i < n; ++i) {
      gofer::go([&, root = root] {
        auto [ctx, cancel_child] = context::WithCancel(root);
        arrived.fetch_add(1, std::memory_order_relaxed);  // relaxed: a progress count
        ctx.Done().recv();
        if (ctx.Err() == context::Canceled) canceled.fetch_add(1, std::memory_order_relaxed);
        cancel_child();
        done.Done();
      });
    }
    while (arrived.load(std::memory_order_relaxed) < n)
      gofer::time::Sleep(gofer::time::Millisecond);
    gofer::time::Sleep(report::kSettle);
    const auto t0 = clock_type::now();
    cancel();
    done.Wait();
    ns = since_ns(t0);
  });
  check(canceled.load() == n, "%lld contexts canceled, want %lld", (long long)canceled.load(),
        (long long)n);
  return ns / static_cast<double>(n);
}

// worker_pool: the article's pattern as gofer ships it,
// patterns::NewWorkerPool(5, 100, handler) (gofer/patterns/worker_pool.hpp),
// started with a WithCancel context; n jobs {ID: i} are submitted, a full
// queue (ErrQueueFull) makes the submitter Gosched and retry (Submit never
// blocks), Close waits for the workers. Each job's work adds its ID to a
// sum and counts itself. ns per job; extra full_per_job: Submits that found
// the queue full, per job. gofer's pool also keeps the article's metrics
// (per-job latency: two clock reads a job), which the Go and thread twins,
// written from the article's code, do not.
double worker_pool(std::int64_t n, extras& x) {
  std::atomic<std::int64_t> sum{0}, count{0};
  std::int64_t full = 0;
  gofer::error other;
  double ns = 0;
  g_rt->run([&] {
    auto [ctx, cancel] = context::WithCancel(context::Background());
    const auto t0 = clock_type::now();
    auto pool = patterns::NewWorkerPool(
        report::kPoolWorkers, report::kPoolQueue,
        [&](const context::Context&, int, const patterns::Job& job) -> gofer::error {
          sum.fetch_add(job.ID, std::memory_order_relaxed);  // relaxed: Close orders it
          count.fetch_add(1, std::memory_order_relaxed);
          return gofer::nil;
        });
    pool->Start(ctx);
    for (std::int64_t i = 0; i < n && !other; ++i) {
      patterns::Job job;
      job.ID = static_cast<int>(i);
      while (gofer::error err = pool->Submit(std::move(job))) {  // an error leaves job as it was
        if (err != patterns::ErrQueueFull) {
          other = err;
          break;
        }
        ++full;
        gofer::runtime::Gosched();
      }
    }
    pool->Close();
    ns = since_ns(t0);
    cancel();
  });
  check(!other, "Submit: %s", other ? other.Error().c_str() : "");
  check(count.load() == n && sum.load() == sum_below(n), "count %lld sum %lld, want %lld and %lld",
        (long long)count.load(), (long long)sum.load(), (long long)n, (long long)sum_below(n));
  x.emplace_back("full_per_job", static_cast<double>(full) / static_cast<double>(n));
  return ns / static_cast<double>(n);
}

constexpr report::entry kTable[] = {
    {"spawn_join", spawn_join},
    {"skynet", skynet},
    {"pingpong_unbuffered", pingpong},
    {"chan_buffered_mpmc", mpmc},
    {"select2", select2},
    {"yield", yield},
    {"parked_memory", parked_memory},
    {"timers", timers},
    {"mutex_contention", mutex_contention},
    {"waitgroup", waitgroup},
    {"context_cancel", context_cancel},
    {"worker_pool", worker_pool},
};

}  // namespace

int main(int argc, char** argv) {
  gofer::Runtime::Options o;
  o.workers = report::default_workers();
  gofer::Runtime rt(o);
  g_rt = &rt;
  return report::driver_main("gofer", rt.NumWorkers(), kTable, argc, argv);
}
