// bench/report/overhead_boostfiber.cpp — the Boost.Fiber column of the
// overhead report: report.hpp's workloads on boost::fibers, the library a
// C++ programmer would most likely pick instead of gofer, where it has the
// feature. It has no select and no context, so select2, context_cancel and
// worker_pool (whose workers select over the job queue and ctx.Done()) are
// left out; skynet, channels, yield, sleep, mutex are Boost's own.
//
// Scheduler: boost::fibers::algo::work_stealing over as many threads as
// gofer has workers (report::default_workers(): GOMAXPROCS, which the
// runner sets for every implementation): the main thread and N - 1 helper
// threads each install it, as Boost's own examples and its skynet benchmark
// do. It is the algorithm closest to gofer's and Go's (per-thread run
// queues, idle threads steal). It runs with suspend = false, its default:
// an idle thread keeps polling the others' queues. With suspend = true an
// idle thread sleeps until a timer or a wake-up of one of its own fibers
// and never returns to steal new work, which serialises every burst on the
// spawning thread. Polling costs an idle CPU but no wake-up latency, so it
// gives Boost its best wall times (docs/benchmarks.md). With one worker the
// main thread keeps Boost's default round_robin.
//
// Fibers use Boost's default stack (boost::fibers::default_stack: 128 KiB
// from malloc, pages committed as touched) and launch policy (post).
// WaitGroups are report::basic_wait_group over boost::fibers::mutex and
// condition_variable. buffered_channel needs a power-of-two capacity and
// holds one less: chan_buffered_mpmc uses buffered_channel(1024), 1023
// slots, against gofer's and Go's 1024.
#include <atomic>
#include <boost/fiber/all.hpp>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "memory.hpp"
#include "report.hpp"
#include "wait_group.hpp"

namespace {

namespace fibers = boost::fibers;
using report::check;
using report::clock_type;
using report::extras;
using report::since_ns;
using report::sum_below;
using wait_group = report::basic_wait_group<fibers::mutex, fibers::condition_variable>;

// wait_for_arrivals: sleep (this fiber) until `arrived` reaches n, then
// 10 ms more for the last arrivals to finish blocking.
void wait_for_arrivals(const std::atomic<std::int64_t>& arrived, std::int64_t n) {
  while (arrived.load(std::memory_order_relaxed) < n)
    boost::this_fiber::sleep_for(std::chrono::milliseconds(1));
  boost::this_fiber::sleep_for(report::kSettle);
}

double spawn_join(std::int64_t n, extras&) {
  std::atomic<std::int64_t> sum{0};
  const auto t0 = clock_type::now();
  wait_group wg;
  wg.Add(n);
  for (std::int64_t i = 0; i < n; ++i) {
    fibers::fiber([&sum, &wg, i] {
      sum.fetch_add(i, std::memory_order_relaxed);  // relaxed: wg.Wait orders it
      wg.Done();
    }).detach();
  }
  wg.Wait();
  const double ns = since_ns(t0);
  check(sum.load() == sum_below(n), "sum %lld, want %lld", (long long)sum.load(),
        (long long)sum_below(n));
  return ns / static_cast<double>(n);
}

// skynet: as overhead_gofer.cpp's, one unbuffered_channel per node, held
// by shared_ptr so that a child still returning from push never touches a
// channel its parent has freed (gofer's channels are reference-counted
// handles, Go's are garbage-collected).
using skynet_chan = fibers::unbuffered_channel<std::int64_t>;

void skynet_node(std::shared_ptr<skynet_chan> out, std::int64_t num, std::int64_t size) {
  if (size == 1) {
    out->push(num);
    return;
  }
  auto rc = std::make_shared<skynet_chan>();
  const std::int64_t child = size / report::kSkynetDiv;
  for (int i = 0; i < report::kSkynetDiv; ++i)
    fibers::fiber(skynet_node, rc, num + i * child, child).detach();
  std::int64_t sum = 0;
  for (int i = 0; i < report::kSkynetDiv; ++i) sum += rc->value_pop();
  out->push(sum);
}

double skynet(std::int64_t n, extras&) {
  const auto t0 = clock_type::now();
  auto c = std::make_shared<skynet_chan>();
  fibers::fiber(skynet_node, c, std::int64_t{0}, n).detach();
  const std::int64_t sum = c->value_pop();
  const double ns = since_ns(t0);
  check(sum == sum_below(n), "sum %lld, want %lld", (long long)sum, (long long)sum_below(n));
  return ns / 1e6;
}

double pingpong(std::int64_t n, extras&) {
  const auto t0 = clock_type::now();
  fibers::unbuffered_channel<std::int64_t> ping, pong;
  fibers::fiber echo([&] {
    for (std::int64_t v : ping) pong.push(v + 1);
  });
  std::int64_t sum = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    ping.push(i);
    sum += pong.value_pop();
  }
  ping.close();
  echo.join();
  const double ns = since_ns(t0);
  check(sum == sum_below(n + 1), "sum %lld, want %lld", (long long)sum,
        (long long)sum_below(n + 1));
  return ns / static_cast<double>(n);
}

double mpmc(std::int64_t n, extras&) {
  constexpr int P = report::kMPMCProducers;
  std::atomic<std::int64_t> sum{0}, count{0};
  const auto t0 = clock_type::now();
  fibers::buffered_channel<std::int64_t> c(report::kMPMCCap);
  std::vector<fibers::fiber> producers, consumers;
  for (int p = 0; p < P; ++p) {
    producers.emplace_back([&c, p, n] {
      for (std::int64_t i = p; i < n; i += report::kMPMCProducers) c.push(i);
    });
    consumers.emplace_back([&c, &sum, &count] {
      std::int64_t s = 0, k = 0;
      for (std::int64_t v : c) {
        s += v;
        ++k;
      }
      sum.fetch_add(s, std::memory_order_relaxed);  // relaxed: join orders it
      count.fetch_add(k, std::memory_order_relaxed);
    });
  }
  for (auto& f : producers) f.join();
  c.close();
  for (auto& f : consumers) f.join();
  const double ns = since_ns(t0);
  check(count.load() == n && sum.load() == sum_below(n), "count %lld sum %lld, want %lld and %lld",
        (long long)count.load(), (long long)sum.load(), (long long)n, (long long)sum_below(n));
  return ns / static_cast<double>(n);
}

double yield(std::int64_t n, extras&) {
  std::atomic<std::int64_t> calls{0};
  const auto t0 = clock_type::now();
  fibers::fiber fs[2];
  for (auto& f : fs) {
    f = fibers::fiber([&calls, n] {
      for (std::int64_t i = 0; i < n; ++i) boost::this_fiber::yield();
      calls.fetch_add(n, std::memory_order_relaxed);
    });
  }
  for (auto& f : fs) f.join();
  const double ns = since_ns(t0);
  check(calls.load() == 2 * n, "%lld calls, want %lld", (long long)calls.load(),
        (long long)(2 * n));
  return ns / static_cast<double>(2 * n);
}

// parked_memory: n fibers block on a pop from an unbuffered_channel nobody
// pushes to; closing it releases them (pop returns closed).
double parked_memory(std::int64_t n, extras&) {
  fibers::unbuffered_channel<int> gate;
  std::atomic<std::int64_t> arrived{0}, released{0};
  wait_group done;
  const std::int64_t before = report::rss_bytes();
  done.Add(n);
  for (std::int64_t i = 0; i < n; ++i) {
    fibers::fiber([&] {
      arrived.fetch_add(1, std::memory_order_relaxed);  // relaxed: a progress count
      int v;
      if (gate.pop(v) == fibers::channel_op_status::closed)
        released.fetch_add(1, std::memory_order_relaxed);
      done.Done();
    }).detach();
  }
  wait_for_arrivals(arrived, n);
  const std::int64_t after = report::rss_bytes();
  gate.close();
  done.Wait();
  check(released.load() == n, "%lld pops saw the close, want %lld", (long long)released.load(),
        (long long)n);
  return report::kib_per_task(before, after, n);
}

double timers(std::int64_t n, extras& x) {
  report::wakeups woke;
  const auto t0 = clock_type::now();
  wait_group wg;
  wg.Add(n);
  for (std::int64_t i = 0; i < n; ++i) {
    fibers::fiber([&] {
      const auto s = clock_type::now();
      boost::this_fiber::sleep_for(report::kTimerSleep);
      woke.record(s);
      wg.Done();
    }).detach();
  }
  wg.Wait();
  const double ns = since_ns(t0);
  woke.finish(x, "fibers");
  return ns / 1e6;
}

double mutex_contention(std::int64_t n, extras&) {
  constexpr int T = report::kMutexTasks;
  std::int64_t counter = 0;
  fibers::mutex mu;
  const auto t0 = clock_type::now();
  std::vector<fibers::fiber> fs;
  for (int t = 0; t < T; ++t) {
    fs.emplace_back([&] {
      for (std::int64_t i = 0; i < n; ++i) {
        mu.lock();
        ++counter;
        mu.unlock();
      }
    });
  }
  for (auto& f : fs) f.join();
  const double ns = since_ns(t0);
  check(counter == T * n, "counter %lld, want %lld", (long long)counter, (long long)(T * n));
  return ns / static_cast<double>(T * n);
}

double waitgroup(std::int64_t n, extras&) {
  constexpr int T = report::kWaitGroupTasks;
  wait_group gates[2], done;
  std::atomic<std::int64_t> count{0};
  gates[0].Add(1);
  std::vector<fibers::fiber> fs;
  for (int t = 0; t < T; ++t) {
    fs.emplace_back([&] {
      for (std::int64_t r = 0; r < n; ++r) {
        gates[r % 2].Wait();
        count.fetch_add(1, std::memory_order_relaxed);  // relaxed: done orders it
        done.Done();
      }
    });
  }
  const auto t0 = clock_type::now();
  for (std::int64_t r = 0; r < n; ++r) {
    if (r + 1 < n) gates[(r + 1) % 2].Add(1);
    done.Add(T);
    gates[r % 2].Done();
    done.Wait();
  }
  const double ns = since_ns(t0);
  for (auto& f : fs) f.join();
  check(count.load() == T * n, "count %lld, want %lld", (long long)count.load(),
        (long long)(T * n));
  return ns / static_cast<double>(n);
}

constexpr report::entry kTable[] = {
    {"spawn_join", spawn_join},
    {"skynet", skynet},
    {"pingpong_unbuffered", pingpong},
    {"chan_buffered_mpmc", mpmc},
    {"yield", yield},
    {"parked_memory", parked_memory},
    {"timers", timers},
    {"mutex_contention", mutex_contention},
    {"waitgroup", waitgroup},
};

// pool: the helper threads of the work_stealing scheduler. Each installs
// the algorithm (its constructor waits until all N threads have, a barrier
// inside Boost) and then blocks its main fiber until the workload is done,
// so the thread's dispatcher runs, and steals, other fibers meanwhile.
struct pool {
  std::mutex mu;
  fibers::condition_variable_any cv;
  bool done = false;  // Guarded by mu.
  std::vector<std::thread> threads;

  explicit pool(int workers) {
    for (int i = 1; i < workers; ++i) {
      threads.emplace_back([this, workers] {
        fibers::use_scheduling_algorithm<fibers::algo::work_stealing>(workers);
        std::unique_lock lk(mu);
        cv.wait(lk, [this] { return done; });
      });
    }
    if (workers > 1) {
      fibers::use_scheduling_algorithm<fibers::algo::work_stealing>(workers);  // the main thread
    }
    // One thread: Boost's default round_robin (work_stealing(1) would spin
    // forever looking for a victim other than itself).
  }
  ~pool() {
    {
      std::lock_guard lk(mu);
      done = true;
    }
    cv.notify_all();
    for (auto& t : threads) t.join();
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string(argv[1]) == "--list")  // no threads needed
    return report::driver_main("boostfiber", 0, kTable, argc, argv);
  const int workers = report::default_workers();
  pool p(workers);
  return report::driver_main("boostfiber", workers, kTable, argc, argv);
}
