// bench/chan_bench.cpp — what a gofer channel costs next to a mutex +
// condition_variable queue between OS threads, and next to a Go channel.
//
// Every fiber workload (…_Fiber) has a std::thread twin (…_Thread) in this
// binary, with the same shape and the same correctness check, and a Go twin
// of the same name in bench/go/chan.go (BM_X_Fiber/arg <-> "X/arg"). Figures
// are comparable only side by side, from one run on one machine
// (bench/README.md).
//
//   PingPong       two tasks bouncing a value over two unbuffered channels
//   BufferedMPMC   P producers, P consumers, one channel of capacity 1024
//   Select2/4      one receiver selecting over 2 (4) unbuffered channels,
//                  each fed by its own sender
//
// The thread twins use thread_chan (a bounded queue under one std::mutex,
// unbuffered = a rendezvous, as a Go channel) and thread_select_set (k
// rendezvous queues under one mutex, the receiver waiting on one condition
// variable for any of them). They are the plain thread-and-lock designs a
// C++ programmer would write, not tuned lock-free queues.
//
// How it is measured: as bench/runtime_bench.cpp. One gofer::Runtime per
// benchmark with the default worker count (GOMAXPROCS, else the CPUs this
// process may use; reported as the `workers` counter); each iteration runs
// the workload as the main fiber of rt.run(), so the benchmark loop stays on
// the plain thread. Wall time per iteration (UseRealTime), after one untimed
// warm-up iteration; the per-operation counters (ns_per_round_trip,
// ns_per_item, ns_per_recv) are that wall time divided by the operations, in
// nanoseconds. The thread twins do fewer operations (a futex wake-up costs
// microseconds), so that a full run stays short.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bench_timed.hpp"
#include "report/thread_chan.hpp"
#include "gofer/gofer.hpp"

namespace {

using gofer_bench::clock_type;
using gofer_bench::default_workers;
using gofer_bench::run_timed;
using gofer_bench::sum_below;

namespace sync = gofer::sync;

// Sizes: keep them equal to the constants in bench/go/chan.go.
constexpr int kPingPongRounds = 1'000'000;     // round trips per iteration
constexpr int kPingPongRoundsThread = 20'000;  // threads: ~50x dearer, so fewer
constexpr int kMPMCCap = 1024;                 // BufferedMPMC channel capacity
constexpr int kMPMCItems = 2'000'000;          // items moved per iteration
constexpr int kMPMCItemsThread = 200'000;      // threads
constexpr int kSelectRecvs = 1'000'000;        // receives per iteration
constexpr int kSelectRecvsThread = 50'000;     // threads
static_assert(kMPMCItems % 4 == 0 && kMPMCItemsThread % 4 == 0, "P in {1, 2, 4} divides N");
static_assert(kSelectRecvs % 4 == 0 && kSelectRecvsThread % 4 == 0, "k in {2, 4} divides N");



// ---------------------------------------------------------------------------
// The thread twins' channels
// ---------------------------------------------------------------------------

// The thread twins' channels are bench/report/thread_chan.hpp's (the
// overhead report's std::thread column uses the same): thread_chan<T>, a
// ring under one std::mutex with condition variables for receivers and
// senders (capacity 0 is a rendezvous, as an unbuffered Go channel), and
// thread_select_set, k one-slot rendezvous queues under one mutex for the
// select twin. Their comments give the designs and invariants.
using report::thread_chan;
using report::thread_select_set;

// ---------------------------------------------------------------------------
// 1. PingPong: task A sends i on an unbuffered channel `ping`, task B
//    receives it and sends i + 1 back on an unbuffered `pong`, A receives
//    it; n round trips, then A closes ping and B's range loop ends. A sums
//    what it got back: 1 + ... + n. Reports ns_per_round_trip (two
//    unbuffered hand-offs, each waking the other task).
// ---------------------------------------------------------------------------

void BM_PingPong_Fiber(benchmark::State& state) {
  gofer::Runtime rt;
  constexpr std::int64_t want = sum_below(kPingPongRounds + 1);
  run_timed(state, "ns_per_round_trip", kPingPongRounds, [&]() -> const char* {
    std::int64_t sum = 0;
    rt.run([&] {
      auto ping = gofer::make_chan<int>(0);
      auto pong = gofer::make_chan<int>(0);
      sync::WaitGroup echoed;
      echoed.Add(1);
      gofer::go([ping, pong, &echoed] {
        for (int v : ping) pong.send(v + 1);
        echoed.Done();
      });
      for (int i = 0; i < kPingPongRounds; ++i) {
        ping.send(i);
        sum += pong.recv();
      }
      close(ping);
      echoed.Wait();
    });
    return sum == want ? nullptr : "PingPong_Fiber: wrong sum";
  });
  state.counters["workers"] = rt.NumWorkers();
}
BENCHMARK(BM_PingPong_Fiber)->UseRealTime();

void BM_PingPong_Thread(benchmark::State& state) {
  constexpr std::int64_t want = sum_below(kPingPongRoundsThread + 1);
  run_timed(state, "ns_per_round_trip", kPingPongRoundsThread, [&]() -> const char* {
    thread_chan<int> ping(0), pong(0);
    std::thread echo([&] {
      for (;;) {
        auto [v, ok] = ping.recv2();
        if (!ok) break;
        pong.send(v + 1);
      }
    });
    std::int64_t sum = 0;
    for (int i = 0; i < kPingPongRoundsThread; ++i) {
      ping.send(i);
      sum += pong.recv();
    }
    ping.close();
    echo.join();
    return sum == want ? nullptr : "PingPong_Thread: wrong sum";
  });
}
BENCHMARK(BM_PingPong_Thread)->UseRealTime();

// ---------------------------------------------------------------------------
// 2. BufferedMPMC: P producers and P consumers share one channel of
//    capacity kMPMCCap. Producer p sends the values i ≡ p (mod P) of
//    0..N-1; consumers range over the channel (until it is closed after
//    every producer is done) and add up what they get. The count and the sum
//    must be N and 0 + ... + (N - 1). Reports ns_per_item.
// ---------------------------------------------------------------------------

void BM_BufferedMPMC_Fiber(benchmark::State& state) {
  const int P = static_cast<int>(state.range(0));
  gofer::Runtime rt;
  run_timed(state, "ns_per_item", kMPMCItems, [&]() -> const char* {
    std::atomic<std::int64_t> sum{0}, count{0};
    rt.run([&] {
      auto c = gofer::make_chan<int>(kMPMCCap);
      sync::WaitGroup producers, consumers;
      producers.Add(P);
      consumers.Add(P);
      for (int p = 0; p < P; ++p) {
        gofer::go([c, p, P, &producers] {
          for (int i = p; i < kMPMCItems; i += P) c.send(i);
          producers.Done();
        });
        gofer::go([c, &sum, &count, &consumers] {
          std::int64_t s = 0, n = 0;
          for (int v : c) {
            s += v;
            ++n;
          }
          sum.fetch_add(s, std::memory_order_relaxed);  // relaxed: consumers.Wait orders it
          count.fetch_add(n, std::memory_order_relaxed);
          consumers.Done();
        });
      }
      producers.Wait();
      close(c);
      consumers.Wait();
    });
    return count.load() == kMPMCItems && sum.load() == sum_below(kMPMCItems)
               ? nullptr
               : "BufferedMPMC_Fiber: wrong count or sum";
  });
  state.counters["workers"] = rt.NumWorkers();
}
BENCHMARK(BM_BufferedMPMC_Fiber)->ArgName("P")->Arg(1)->Arg(2)->Arg(4)->UseRealTime();

void BM_BufferedMPMC_Thread(benchmark::State& state) {
  const int P = static_cast<int>(state.range(0));
  run_timed(state, "ns_per_item", kMPMCItemsThread, [&]() -> const char* {
    std::atomic<std::int64_t> sum{0}, count{0};
    thread_chan<int> c(kMPMCCap);
    std::vector<std::thread> producers, consumers;
    for (int p = 0; p < P; ++p) {
      producers.emplace_back([&c, p, P] {
        for (int i = p; i < kMPMCItemsThread; i += P) c.send(i);
      });
      consumers.emplace_back([&c, &sum, &count] {
        std::int64_t s = 0, n = 0;
        for (;;) {
          auto [v, ok] = c.recv2();
          if (!ok) break;
          s += v;
          ++n;
        }
        sum.fetch_add(s, std::memory_order_relaxed);  // relaxed: join orders it
        count.fetch_add(n, std::memory_order_relaxed);
      });
    }
    for (auto& t : producers) t.join();
    c.close();
    for (auto& t : consumers) t.join();
    return count.load() == kMPMCItemsThread && sum.load() == sum_below(kMPMCItemsThread)
               ? nullptr
               : "BufferedMPMC_Thread: wrong count or sum";
  });
}
BENCHMARK(BM_BufferedMPMC_Thread)->ArgName("P")->Arg(1)->Arg(2)->Arg(4)->UseRealTime();

// ---------------------------------------------------------------------------
// 3. Select2 / Select4: K unbuffered channels, each fed by its own sender
//    task; sender j sends the values i ≡ j (mod K) of 0..N-1. One receiver
//    runs N selects with a receive case on each channel. Every case must
//    fire N / K times and the values add up to 0 + ... + (N - 1). Reports
//    ns_per_recv. With unbuffered channels most selects find a sender parked
//    in the channel's send queue: they take its value and wake it.
// ---------------------------------------------------------------------------

// select_recv is `select { case v := <-cs[0]: f(v) ... case v := <-cs[K-1]: f(v) }`
// (the compile-time select, its cases on the stack), returning the case.
template <std::size_t K, class F, std::size_t... I>
int select_recv(const std::array<gofer::chan<int>, K>& cs, const F& f, std::index_sequence<I...>) {
  return gofer::select(gofer::recv(cs[I], f)...);
}

template <std::size_t K>
void BM_Select_Fiber(benchmark::State& state) {
  static constexpr int kPerSender = kSelectRecvs / static_cast<int>(K);
  gofer::Runtime rt;
  run_timed(state, "ns_per_recv", kSelectRecvs, [&]() -> const char* {
    std::int64_t sum = 0;
    std::array<std::int64_t, K> fired{};
    rt.run([&] {
      std::array<gofer::chan<int>, K> cs;
      for (auto& c : cs) c = gofer::make_chan<int>(0);
      sync::WaitGroup senders;
      senders.Add(static_cast<int>(K));
      for (std::size_t j = 0; j < K; ++j) {
        gofer::go([c = cs[j], j, &senders] {
          for (int i = 0; i < kPerSender; ++i)
            c.send(i * static_cast<int>(K) + static_cast<int>(j));
          senders.Done();
        });
      }
      auto add = [&sum](int v) { sum += v; };
      for (int n = 0; n < kSelectRecvs; ++n) {
        int chosen = select_recv(cs, add, std::make_index_sequence<K>{});
        ++fired[static_cast<std::size_t>(chosen)];
      }
      senders.Wait();
    });
    bool ok = sum == sum_below(kSelectRecvs);
    for (auto f : fired) ok = ok && f == kPerSender;
    return ok ? nullptr : "Select_Fiber: wrong sum or case counts";
  });
  state.counters["workers"] = rt.NumWorkers();
}
BENCHMARK(BM_Select_Fiber<2>)->Name("BM_Select2_Fiber")->UseRealTime();
BENCHMARK(BM_Select_Fiber<4>)->Name("BM_Select4_Fiber")->UseRealTime();

template <int K>
void BM_Select_Thread(benchmark::State& state) {
  static constexpr int kPerSender = kSelectRecvsThread / K;
  run_timed(state, "ns_per_recv", kSelectRecvsThread, [&]() -> const char* {
    thread_select_set set(K);
    std::vector<std::thread> senders;
    for (int j = 0; j < K; ++j) {
      senders.emplace_back([&set, j] {
        for (int i = 0; i < kPerSender; ++i) set.send(j, i * K + j);
      });
    }
    std::int64_t sum = 0;
    std::array<std::int64_t, K> fired{};
    for (int n = 0; n < kSelectRecvsThread; ++n) {
      std::int64_t v = 0;
      ++fired[static_cast<std::size_t>(set.recv(&v))];
      sum += v;
    }
    for (auto& t : senders) t.join();
    bool ok = sum == sum_below(kSelectRecvsThread);
    for (auto f : fired) ok = ok && f == kPerSender;
    return ok ? nullptr : "Select_Thread: wrong sum or case counts";
  });
}
BENCHMARK(BM_Select_Thread<2>)->Name("BM_Select2_Thread")->UseRealTime();
BENCHMARK(BM_Select_Thread<4>)->Name("BM_Select4_Thread")->UseRealTime();

}  // namespace

int main(int argc, char** argv) { return gofer_bench::benchmark_main(argc, argv); }
