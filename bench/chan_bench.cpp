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

#include "gofer/gofer.hpp"

namespace {

namespace sync = gofer::sync;
using clock_type = std::chrono::steady_clock;

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

// sum_below is 0 + 1 + ... + (n - 1): every workload moves each of the
// values 0..n-1 exactly once (PingPong: 1..n, see there).
constexpr std::int64_t sum_below(std::int64_t n) { return n * (n - 1) / 2; }

// run_timed runs one benchmark: `iteration` (the workload plus its check;
// returns nullptr, or an error message on a wrong result) runs once untimed
// as a warm-up (stack pools, thread-stack cache, page tables; Go's twin
// warms up the same way), then once per benchmark iteration. It reports the
// wall time per operation as counter `name` (nanoseconds) and as
// items_per_second. Same as runtime_bench.cpp's.
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

// ---------------------------------------------------------------------------
// The thread twins' channels
// ---------------------------------------------------------------------------

// thread_chan<T> is the thread twin of chan<T>: a ring of max(cap, 1) slots
// under one std::mutex, with a condition variable for receivers (a value or
// close) and one for senders (a free slot). cap == 0 is a rendezvous, as an
// unbuffered Go channel: send returns only once a receiver has taken the
// value, which it waits for on taken_cv_. Values are FIFO, so the n-th value
// sent is the n-th taken: a sender's ticket (its value's sequence number) is
// taken when taken_ > ticket.
//
// Invariants: 0 <= len_ <= slots; taken_ + len_ == sent_; with cap == 0 at
// most one value is in the ring. Every notify happens after unlocking, so a
// woken thread finds mu_ free; the object outlives all its users (the
// benchmarks join them). Sending after close is not checked (Go panics);
// no benchmark does it.
template <class T>
class thread_chan {
 public:
  explicit thread_chan(std::size_t cap)
      : unbuffered_(cap == 0), ring_(std::max<std::size_t>(cap, 1)) {}
  thread_chan(const thread_chan&) = delete;
  thread_chan& operator=(const thread_chan&) = delete;

  // send: blocks for a free slot; unbuffered, then also until taken.
  void send(T v) {
    std::unique_lock lk(mu_);
    not_full_.wait(lk, [this] { return len_ < ring_.size(); });
    ring_[(head_ + len_) % ring_.size()] = std::move(v);
    ++len_;
    const std::uint64_t ticket = sent_++;
    lk.unlock();
    not_empty_.notify_one();
    if (unbuffered_) {
      lk.lock();
      taken_cv_.wait(lk, [&] { return taken_ > ticket; });
    }
  }

  // recv2: `v, ok := <-ch` — {T{}, false} once closed and drained.
  std::pair<T, bool> recv2() {
    std::unique_lock lk(mu_);
    not_empty_.wait(lk, [this] { return len_ > 0 || closed_; });
    if (len_ == 0) return {T{}, false};
    T v = std::move(ring_[head_]);
    head_ = (head_ + 1) % ring_.size();
    --len_;
    ++taken_;
    lk.unlock();
    not_full_.notify_one();
    if (unbuffered_) taken_cv_.notify_all();  // the (at most two) ticket waiters
    return {std::move(v), true};
  }
  T recv() { return recv2().first; }

  void close() {
    {
      std::lock_guard lk(mu_);
      closed_ = true;
    }
    not_empty_.notify_all();
  }

 private:
  const bool unbuffered_;
  std::mutex mu_;
  std::condition_variable not_empty_;  // receivers: len_ > 0 || closed_
  std::condition_variable not_full_;   // senders: len_ < ring_.size()
  std::condition_variable taken_cv_;   // unbuffered senders: taken_ > ticket
  std::vector<T> ring_;                // Guarded by mu_ (the slots, not the size).
  std::size_t head_ = 0;               // Guarded by mu_.
  std::size_t len_ = 0;                // Guarded by mu_.
  std::uint64_t sent_ = 0;             // Guarded by mu_.
  std::uint64_t taken_ = 0;            // Guarded by mu_.
  bool closed_ = false;                // Guarded by mu_.
};

// thread_select_set is the thread twin of a select receiving from k
// unbuffered channels: k one-slot rendezvous queues under one std::mutex.
// The receiver waits on one condition variable shared by the k queues
// (any_cv_: some slot is full) and takes from the first full slot at or
// after a rotating start (Go picks uniformly at random among ready cases;
// rotation is as fair and costs nothing). Each sender waits on its own
// queue's condition variable, for its slot to be free and then for its
// value to be taken (the rendezvous); giving senders the shared one too
// would need notify_all and wake every sender on each receive.
//
// Invariants: full_count_ == number of full slots; with one sender per
// queue (as here) a slot holds at most that sender's one value.
class thread_select_set {
 public:
  explicit thread_select_set(int k) : slots_(static_cast<std::size_t>(k)) {}
  thread_select_set(const thread_select_set&) = delete;
  thread_select_set& operator=(const thread_select_set&) = delete;

  // send: `queue j <- v`; returns once the receiver has taken v.
  void send(int j, int v) {
    slot& s = slots_[static_cast<std::size_t>(j)];
    std::unique_lock lk(mu_);
    s.cv.wait(lk, [&] { return !s.full; });
    s.value = v;
    s.full = true;
    const std::uint64_t ticket = s.sent++;
    ++full_count_;
    lk.unlock();
    any_cv_.notify_one();
    lk.lock();
    s.cv.wait(lk, [&] { return s.taken > ticket; });
  }

  // recv: waits until some queue holds a value, takes it into *v and
  // returns the queue's index (select's case index).
  int recv(int* v) {
    std::unique_lock lk(mu_);
    any_cv_.wait(lk, [this] { return full_count_ > 0; });
    const std::size_t k = slots_.size();
    std::size_t j = next_;
    while (!slots_[j].full) j = (j + 1) % k;  // full_count_ > 0: terminates
    next_ = (j + 1) % k;
    slot& s = slots_[j];
    *v = s.value;
    s.full = false;
    ++s.taken;
    --full_count_;
    lk.unlock();
    s.cv.notify_all();  // its sender, waiting for the take (or for the slot)
    return static_cast<int>(j);
  }

 private:
  struct slot {
    std::condition_variable cv;  // this queue's sender: !full, or taken > ticket
    int value = 0;               // Guarded by mu_.
    bool full = false;           // Guarded by mu_.
    std::uint64_t sent = 0;      // Guarded by mu_.
    std::uint64_t taken = 0;     // Guarded by mu_.
  };
  std::mutex mu_;
  std::condition_variable any_cv_;  // the receiver: full_count_ > 0
  std::vector<slot> slots_;
  std::size_t full_count_ = 0;  // Guarded by mu_.
  std::size_t next_ = 0;        // Guarded by mu_; receiver only.
};

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
      int v = 0;
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

// main is BENCHMARK_MAIN() plus context lines naming the worker count and
// GOMAXPROCS, so that a saved report says what it was measured on.
// runtime::GOMAXPROCS() on a plain thread reports the default count without
// starting the default runtime.
int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("gofer_default_workers",
                              std::to_string(gofer::runtime::GOMAXPROCS()));
  const char* env = std::getenv("GOMAXPROCS");
  benchmark::AddCustomContext("GOMAXPROCS", env ? env : "(unset)");
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
