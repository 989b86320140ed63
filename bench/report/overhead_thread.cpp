// bench/report/overhead_thread.cpp — the std::thread column of the overhead
// report: report.hpp's workloads as a C++ programmer writes them without
// fibers — one OS thread per task, std::mutex, std::condition_variable, the
// mutex + condition_variable channels of thread_chan.hpp, C++20's
// std::stop_source for cancellation. Same semantics and checks as
// overhead_gofer.cpp; the sizes are the table's thread sizes (smaller where
// a blocking hand-off costs microseconds; per-task units keep the figures
// comparable). skynet is left out: a million OS threads do not fit.
//
// Threads are not pinned and the kernel schedules them on every CPU of the
// process, as gofer's workers (GOMAXPROCS = the CPU count) are.
#include <pthread.h>
#include <sys/mman.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stop_token>
#include <thread>
#include <vector>

#include "memory.hpp"
#include "report.hpp"
#include "thread_chan.hpp"
#include "thread_pool.hpp"
#include "wait_group.hpp"

namespace {

using report::check;
using report::clock_type;
using report::extras;
using report::since_ns;
using report::sum_below;
using wait_group = report::basic_wait_group<std::mutex, std::condition_variable>;

// wait_for_arrivals sleeps until `arrived` reaches n, then 10 ms more for
// the last arrivals to finish blocking (as every implementation does).
void wait_for_arrivals(const std::atomic<std::int64_t>& arrived, std::int64_t n) {
  while (arrived.load(std::memory_order_relaxed) < n)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::this_thread::sleep_for(report::kSettle);
}

// spawn_join: n threads each add their index to an atomic; joined one by
// one. ns per thread.
double spawn_join(std::int64_t n, extras&) {
  std::atomic<std::int64_t> sum{0};
  std::vector<std::thread> ts;
  ts.reserve(static_cast<std::size_t>(n));
  const auto t0 = clock_type::now();
  for (std::int64_t i = 0; i < n; ++i)
    ts.emplace_back([&sum, i] { sum.fetch_add(i, std::memory_order_relaxed); });
  for (auto& t : ts) t.join();  // join orders the relaxed adds
  const double ns = since_ns(t0);
  check(sum.load() == sum_below(n), "sum %lld, want %lld", (long long)sum.load(),
        (long long)sum_below(n));
  return ns / static_cast<double>(n);
}

// pingpong_unbuffered: as overhead_gofer.cpp's, over two rendezvous
// thread_chans. ns per round trip.
double pingpong(std::int64_t n, extras&) {
  const auto t0 = clock_type::now();
  report::thread_chan<std::int64_t> ping(0), pong(0);
  std::thread echo([&] {
    for (;;) {
      auto [v, ok] = ping.recv2();
      if (!ok) break;
      pong.send(v + 1);
    }
  });
  std::int64_t sum = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    ping.send(i);
    sum += pong.recv();
  }
  ping.close();
  echo.join();
  const double ns = since_ns(t0);
  check(sum == sum_below(n + 1), "sum %lld, want %lld", (long long)sum,
        (long long)sum_below(n + 1));
  return ns / static_cast<double>(n);
}

// chan_buffered_mpmc: 4 producer and 4 consumer threads on one thread_chan
// of capacity 1024. ns per item.
double mpmc(std::int64_t n, extras&) {
  constexpr int P = report::kMPMCProducers;
  std::atomic<std::int64_t> sum{0}, count{0};
  const auto t0 = clock_type::now();
  report::thread_chan<std::int64_t> c(report::kMPMCCap);
  std::vector<std::thread> producers, consumers;
  for (int p = 0; p < P; ++p) {
    producers.emplace_back([&c, p, n] {
      for (std::int64_t i = p; i < n; i += report::kMPMCProducers) c.send(i);
    });
    consumers.emplace_back([&c, &sum, &count] {
      std::int64_t s = 0, k = 0;
      for (;;) {
        auto [v, ok] = c.recv2();
        if (!ok) break;
        s += v;
        ++k;
      }
      sum.fetch_add(s, std::memory_order_relaxed);  // relaxed: join orders it
      count.fetch_add(k, std::memory_order_relaxed);
    });
  }
  for (auto& t : producers) t.join();
  c.close();
  for (auto& t : consumers) t.join();
  const double ns = since_ns(t0);
  check(count.load() == n && sum.load() == sum_below(n), "count %lld sum %lld, want %lld and %lld",
        (long long)count.load(), (long long)sum.load(), (long long)n, (long long)sum_below(n));
  return ns / static_cast<double>(n);
}

// select2: two sender threads, one receiver over thread_select_set(2).
// ns per receive.
double select2(std::int64_t n, extras&) {
  const auto t0 = clock_type::now();
  report::thread_select_set set(2);
  std::vector<std::thread> senders;
  for (int j = 0; j < 2; ++j) {
    senders.emplace_back([&set, j, n] {
      for (std::int64_t i = j; i < n; i += 2) set.send(j, i);
    });
  }
  std::int64_t sum = 0, fired[2] = {0, 0};
  for (std::int64_t k = 0; k < n; ++k) {
    std::int64_t v = 0;
    ++fired[set.recv(&v)];
    sum += v;
  }
  for (auto& t : senders) t.join();
  const double ns = since_ns(t0);
  check(sum == sum_below(n) && fired[0] == n / 2 && fired[1] == n / 2,
        "sum %lld, cases %lld/%lld; want %lld, %lld each", (long long)sum, (long long)fired[0],
        (long long)fired[1], (long long)sum_below(n), (long long)(n / 2));
  return ns / static_cast<double>(n);
}

// yield: two threads each call std::this_thread::yield (sched_yield) n
// times. ns per call.
double yield(std::int64_t n, extras&) {
  std::atomic<std::int64_t> calls{0};
  const auto t0 = clock_type::now();
  std::thread ts[2];
  for (auto& t : ts) {
    t = std::thread([&calls, n] {
      for (std::int64_t i = 0; i < n; ++i) std::this_thread::yield();
      calls.fetch_add(n, std::memory_order_relaxed);
    });
  }
  for (auto& t : ts) t.join();
  const double ns = since_ns(t0);
  check(calls.load() == 2 * n, "%lld calls, want %lld", (long long)calls.load(),
        (long long)(2 * n));
  return ns / static_cast<double>(2 * n);
}

// parked_thread_stack: a 64 KiB thread stack this driver maps itself
// (pthread_attr_setstack) with a PROT_NONE guard page below it, as
// bench/runtime_bench.cpp's ParkedMemory_Thread: glibc's own stacks come
// from a cache of up to 40 MiB of freed stacks with their pages resident.
// glibc puts the thread's TCB and TLS inside the given stack, so RSS counts
// them.
struct parked_thread_stack {
  static constexpr std::size_t kSize = 64 * 1024;
  static constexpr std::size_t kGuard = 4096;
  void* base = MAP_FAILED;

  bool map() {
    base = mmap(nullptr, kSize + kGuard, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    return base != MAP_FAILED && mprotect(base, kGuard, PROT_NONE) == 0;
  }
  void* stack() const { return static_cast<char*>(base) + kGuard; }
  ~parked_thread_stack() {
    if (base != MAP_FAILED) munmap(base, kSize + kGuard);
  }
};

struct parked_state {
  report::thread_chan<int> gate{0};  // nobody sends; closed to release
  std::atomic<std::int64_t> arrived{0}, released{0};
};

void* parked_thread_main(void* arg) {
  auto* st = static_cast<parked_state*>(arg);
  st->arrived.fetch_add(1, std::memory_order_relaxed);  // relaxed: a progress count
  if (!st->gate.recv2().second) st->released.fetch_add(1, std::memory_order_relaxed);
  return nullptr;
}

// parked_memory: n threads with 64 KiB stacks block on a receive; RSS
// growth per thread (extra kernel_stack_kib: growth of the system's
// KernelStack, the kernel stack every thread also has; system-wide, so
// approximate).
double parked_memory(std::int64_t n, extras& x) {
  std::vector<parked_thread_stack> stacks(static_cast<std::size_t>(n));
  std::vector<pthread_t> threads;
  threads.reserve(stacks.size());
  parked_state st;
  const std::int64_t before = report::rss_bytes();
  const std::int64_t kstack_before = report::proc_kib("/proc/meminfo", "KernelStack");
  bool ok = true;
  for (auto& s : stacks) {
    pthread_attr_t attr;
    pthread_t t;
    if (!s.map() || pthread_attr_init(&attr) != 0) {
      ok = false;
      break;
    }
    ok = pthread_attr_setstack(&attr, s.stack(), parked_thread_stack::kSize) == 0 &&
         pthread_create(&t, &attr, parked_thread_main, &st) == 0;
    pthread_attr_destroy(&attr);
    if (!ok) break;
    threads.push_back(t);
  }
  if (ok) wait_for_arrivals(st.arrived, n);
  const std::int64_t after = report::rss_bytes();
  const std::int64_t kstack_after = report::proc_kib("/proc/meminfo", "KernelStack");
  st.gate.close();
  for (pthread_t t : threads) pthread_join(t, nullptr);
  check(ok, "mmap or pthread_create failed after %lld threads", (long long)threads.size());
  check(st.released.load() == n, "%lld receives saw the close, want %lld",
        (long long)st.released.load(), (long long)n);
  x.emplace_back("kernel_stack_kib",
                 static_cast<double>(kstack_after - kstack_before) / static_cast<double>(n));
  return report::kib_per_task(before, after, n);
}

// timers: n threads sleep 10 ms at once. ms total; extra latest_wakeup_ms.
double timers(std::int64_t n, extras& x) {
  report::wakeups woke;
  std::vector<std::thread> ts;
  ts.reserve(static_cast<std::size_t>(n));
  const auto t0 = clock_type::now();
  for (std::int64_t i = 0; i < n; ++i) {
    ts.emplace_back([&] {
      const auto s = clock_type::now();
      std::this_thread::sleep_for(report::kTimerSleep);
      woke.record(s);
    });
  }
  for (auto& t : ts) t.join();
  const double ns = since_ns(t0);
  woke.finish(x, "threads");
  return ns / 1e6;
}

// mutex_contention: 8 threads each lock one std::mutex n times. ns per
// lock/unlock pair.
double mutex_contention(std::int64_t n, extras&) {
  constexpr int T = report::kMutexTasks;
  std::int64_t counter = 0;
  std::mutex mu;
  const auto t0 = clock_type::now();
  std::vector<std::thread> ts;
  for (int t = 0; t < T; ++t) {
    ts.emplace_back([&] {
      for (std::int64_t i = 0; i < n; ++i) {
        mu.lock();
        ++counter;
        mu.unlock();
      }
    });
  }
  for (auto& t : ts) t.join();
  const double ns = since_ns(t0);
  check(counter == T * n, "counter %lld, want %lld", (long long)counter, (long long)(T * n));
  return ns / static_cast<double>(T * n);
}

// waitgroup: overhead_gofer.cpp's fork/join rounds with 8 threads and the
// mutex + condition_variable wait_group. ns per round.
double waitgroup(std::int64_t n, extras&) {
  constexpr int T = report::kWaitGroupTasks;
  wait_group gates[2], done;
  std::atomic<std::int64_t> count{0};
  gates[0].Add(1);
  std::vector<std::thread> ts;
  for (int t = 0; t < T; ++t) {
    ts.emplace_back([&] {
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
  for (auto& t : ts) t.join();
  check(count.load() == T * n, "count %lld, want %lld", (long long)count.load(),
        (long long)(T * n));
  return ns / static_cast<double>(n);
}

// context_cancel: C++20's cancellation tree. Each of n threads makes a
// child std::stop_source linked to the root's token by a std::stop_callback
// (Go's WithCancel(root)) and waits on a condition_variable_any with the
// child's token (Go's <-ctx.Done()); once all have arrived (+ 10 ms) the
// root is stopped. Timed from request_stop until every thread has seen its
// child stopped and been joined. ns per thread.
double context_cancel(std::int64_t n, extras&) {
  std::stop_source root;
  std::atomic<std::int64_t> arrived{0}, canceled{0};
  std::vector<std::thread> ts;
  ts.reserve(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    ts.emplace_back([&] {
      std::stop_source child;
      std::stop_callback link(root.get_token(), [&child] { child.request_stop(); });
      std::mutex mu;
      std::condition_variable_any cv;
      arrived.fetch_add(1, std::memory_order_relaxed);  // relaxed: a progress count
      std::unique_lock lk(mu);
      cv.wait(lk, child.get_token(), [] { return false; });
      if (child.stop_requested()) canceled.fetch_add(1, std::memory_order_relaxed);
    });
  }
  wait_for_arrivals(arrived, n);
  const auto t0 = clock_type::now();
  root.request_stop();
  for (auto& t : ts) t.join();
  const double ns = since_ns(t0);
  check(canceled.load() == n, "%lld threads saw the stop, want %lld", (long long)canceled.load(),
        (long long)n);
  return ns / static_cast<double>(n);
}

// worker_pool: the article's WorkerPool (thread_pool.hpp) with 5 workers
// and a queue of 100; n jobs {ID: i} are submitted, a full queue makes the
// submitter yield and retry (Submit never blocks), Close waits for the
// workers. Each job's work adds its ID to a sum and counts itself. ns per
// job; extra full_per_job: Submits that found the queue full, per job.
double worker_pool(std::int64_t n, extras& x) {
  std::atomic<std::int64_t> sum{0}, count{0};
  std::int64_t full = 0;
  std::stop_source ctx;
  const auto t0 = clock_type::now();
  {
    report::thread_worker_pool pool(report::kPoolWorkers, report::kPoolQueue,
                                    [&](int, const report::pool_job& job) {
                                      sum.fetch_add(job.ID, std::memory_order_relaxed);
                                      count.fetch_add(1, std::memory_order_relaxed);
                                    });
    pool.Start(ctx.get_token());
    for (std::int64_t i = 0; i < n; ++i) {
      report::pool_job job{static_cast<int>(i), {}};
      while (!pool.Submit(std::move(job))) {
        ++full;
        std::this_thread::yield();
      }
    }
    pool.Close();  // joins the workers: orders the relaxed adds
  }
  const double ns = since_ns(t0);
  check(count.load() == n && sum.load() == sum_below(n), "count %lld sum %lld, want %lld and %lld",
        (long long)count.load(), (long long)sum.load(), (long long)n, (long long)sum_below(n));
  x.emplace_back("full_per_job", static_cast<double>(full) / static_cast<double>(n));
  return ns / static_cast<double>(n);
}

constexpr report::entry kTable[] = {
    {"spawn_join", spawn_join},
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

int main(int argc, char** argv) { return report::driver_main("thread", 0, kTable, argc, argv); }
