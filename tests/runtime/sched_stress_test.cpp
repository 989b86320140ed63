// tests/runtime/sched_stress_test.cpp — the scheduler under load: a million
// fibers spawned and joined, the million-fiber skynet tree, spawns from many
// threads and fibers at once, and millions of park/ready pairs across every
// worker with no lost wake-up. GOFER_TEST_SHORT=1 scales every loop down.
//
// Each test runs under a Watchdog: a lost wake-up stops its progress counter
// and fails the test instead of hanging it.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "fixture.hpp"
#include "gofer/detail/park.hpp"
#include "gofer/gofer.hpp"

namespace {

using namespace std::chrono_literals;
using gofer_test::scaled;
using gofer_test::Watchdog;

class SchedStressTest : public gofer_test::RuntimeTest {};
GOFER_INSTANTIATE_WORKER_COUNTS(SchedStressTest);

// ---------------------------------------------------------------------------
// Spawn and join
// ---------------------------------------------------------------------------

TEST_P(SchedStressTest, SpawnAndJoinAMillionFibers) {
  const std::int64_t n = scaled(1'000'000, 50'000);
  std::atomic<std::int64_t> sum{0};
  std::atomic<std::uint64_t> finished{0};
  Watchdog dog("spawn and join", [&] { return finished.load(std::memory_order_relaxed); });
  // All n alive at once, except under TSan (kMaxLiveFibers): then in waves.
  const std::int64_t wave = gofer_test::live_capped(n);
  run([&] {
    gofer::sync::WaitGroup wg;
    for (std::int64_t first = 0; first < n; first += wave) {
      const std::int64_t last = std::min(n, first + wave);
      wg.Add(static_cast<int>(last - first));
      for (std::int64_t i = first; i < last; ++i)
        gofer::go([&, i] {
          sum.fetch_add(i, std::memory_order_relaxed);
          finished.fetch_add(1, std::memory_order_relaxed);
          wg.Done();
        });
      wg.Wait();
    }
  });
  dog.stop();
  EXPECT_EQ(finished.load(), static_cast<std::uint64_t>(n));
  EXPECT_EQ(sum.load(), n * (n - 1) / 2);
}

TEST_P(SchedStressTest, SpawnFromPlainThreadsAndFibersAtOnce) {
  // Spawners on plain threads (rt.go) and on fibers (go) race to fill the
  // run queues; every fiber must run exactly once.
  constexpr int kThreads = 2;
  const int kFiberSpawners = std::max(2, workers());
  const std::int64_t per_spawner = std::min<std::int64_t>(
      scaled(100'000, 5'000), gofer_test::kMaxLiveFibers / (kThreads + kFiberSpawners));
  const std::int64_t total = per_spawner * (kThreads + kFiberSpawners);
  std::atomic<std::int64_t> sum{0};
  std::atomic<std::uint64_t> finished{0};
  Watchdog dog("spawn from threads and fibers",
               [&] { return finished.load(std::memory_order_relaxed); });
  gofer::sync::WaitGroup wg;
  wg.Add(static_cast<int>(total));
  auto leaf = [&](std::int64_t i) {
    sum.fetch_add(i, std::memory_order_relaxed);
    finished.fetch_add(1, std::memory_order_relaxed);
    wg.Done();
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (std::int64_t i = 0; i < per_spawner; ++i) rt().go(leaf, i);
    });
  run([&] {
    gofer::sync::WaitGroup spawners;
    spawners.Add(kFiberSpawners);
    for (int s = 0; s < kFiberSpawners; ++s)
      gofer::go([&] {
        for (std::int64_t i = 0; i < per_spawner; ++i) {
          gofer::go(leaf, i);
          if (i % 4096 == 0) gofer::runtime::Gosched();
        }
        spawners.Done();
      });
    spawners.Wait();
    wg.Wait();
  });
  for (auto& t : threads) t.join();
  dog.stop();
  EXPECT_EQ(finished.load(), static_cast<std::uint64_t>(total));
  EXPECT_EQ(sum.load(), (kThreads + kFiberSpawners) * (per_spawner * (per_spawner - 1) / 2));
}

// ---------------------------------------------------------------------------
// Skynet: every node spawns 10 children and sums what they report.
// ---------------------------------------------------------------------------

std::atomic<std::uint64_t> g_skynet_nodes{0};

void skynet(std::int64_t num, std::int64_t size, std::int64_t* out,
            gofer::sync::WaitGroup* parent) {
  g_skynet_nodes.fetch_add(1, std::memory_order_relaxed);
  if (size == 1) {
    *out = num;
    parent->Done();
    return;
  }
  // The children write into this frame; it outlives them because the node
  // waits for all of them.
  std::int64_t results[10] = {};
  gofer::sync::WaitGroup wg;
  wg.Add(10);
  const std::int64_t child = size / 10;
  for (int i = 0; i < 10; ++i) gofer::go(skynet, num + i * child, child, &results[i], &wg);
  wg.Wait();
  std::int64_t sum = 0;
  for (std::int64_t r : results) sum += r;
  *out = sum;
  parent->Done();
}

TEST_P(SchedStressTest, SkynetMillionFibers) {
  // Under TSan at most ~8000 fibers may be alive (kMaxLiveFibers): fewer leaves.
  const std::int64_t leaves = gofer_test::kTsan ? 1'000 : scaled(1'000'000, 10'000);
  std::int64_t nodes = 0;
  for (std::int64_t level = leaves; level >= 1; level /= 10) nodes += level;
  g_skynet_nodes.store(0);
  std::int64_t result = -1;
  Watchdog dog("skynet", [] { return g_skynet_nodes.load(std::memory_order_relaxed); });
  run([&] {
    gofer::sync::WaitGroup wg;
    wg.Add(1);
    gofer::go(skynet, std::int64_t{0}, leaves, &result, &wg);
    wg.Wait();
  });
  dog.stop();
  EXPECT_EQ(result, leaves * (leaves - 1) / 2);  // 499999500000 for a million leaves
  EXPECT_EQ(g_skynet_nodes.load(), static_cast<std::uint64_t>(nodes));
}

// ---------------------------------------------------------------------------
// park / ready
// ---------------------------------------------------------------------------

// event is a one-shot-per-round baton built directly on detail::park and
// detail::ready, the way every gofer blocking type is: wait() parks until
// post(); a post() that comes first is remembered. It exercises the race
// where ready() is called while (or right after) the parker's unlock runs.
class event {
 public:
  void wait() {
    std::uintptr_t posted = kPosted;
    // acquire: pairs with the release in post(); the poster's writes are seen.
    if (state_.compare_exchange_strong(posted, kEmpty, std::memory_order_acquire)) return;
    gofer::detail::park(
        [](gofer::detail::g* gp, void* arg) -> bool {
          auto* self = static_cast<event*>(arg);
          std::uintptr_t expected = kEmpty;
          // release: publishes gp to post()'s acquire.
          if (self->state_.compare_exchange_strong(expected, reinterpret_cast<std::uintptr_t>(gp),
                                                   std::memory_order_acq_rel))
            return true;  // post() will ready gp
          // Posted between the fast path and here: consume it, do not park.
          self->state_.store(kEmpty, std::memory_order_relaxed);
          return false;
        },
        this);
  }

  // post wakes the waiter or leaves a post for it. Returns false on a
  // double post (a bug in the test or a lost consumption).
  bool post() {
    std::uintptr_t s = state_.load(std::memory_order_acquire);
    for (;;) {
      if (s == kPosted) return false;
      const std::uintptr_t next = kPosted * (s == kEmpty);  // waiter: back to empty
      if (state_.compare_exchange_weak(s, next, std::memory_order_acq_rel)) {
        if (s != kEmpty) gofer::detail::ready(reinterpret_cast<gofer::detail::g*>(s));
        return true;
      }
    }
  }

 private:
  static constexpr std::uintptr_t kEmpty = 0;
  static constexpr std::uintptr_t kPosted = 1;
  std::atomic<std::uintptr_t> state_{kEmpty};
};

struct alignas(64) pair_state {
  event ping;
  event pong;
  std::atomic<std::uint64_t> rounds{0};
};

TEST_P(SchedStressTest, MillionsOfParkReadyPairsWithNoLostWakeup) {
  const int pairs = 2 * workers();
  const std::int64_t total_rounds = scaled(1'000'000, 20'000);  // 2 park/ready pairs each
  const std::int64_t rounds = std::max<std::int64_t>(1, total_rounds / pairs);
  auto state = std::make_unique<pair_state[]>(static_cast<std::size_t>(pairs));
  std::atomic<int> double_posts{0};
  Watchdog dog(
      "park/ready ping-pong",
      [&] {
        std::uint64_t s = 0;
        for (int p = 0; p < pairs; ++p) s += state[p].rounds.load(std::memory_order_relaxed);
        return s;
      },
      20s);
  run([&] {
    gofer::sync::WaitGroup wg;
    wg.Add(2 * pairs);
    for (int p = 0; p < pairs; ++p) {
      pair_state* st = &state[p];
      gofer::go([&, st] {  // pinger
        for (std::int64_t r = 0; r < rounds; ++r) {
          if (!st->ping.post()) double_posts.fetch_add(1);
          st->pong.wait();
          st->rounds.fetch_add(1, std::memory_order_relaxed);
        }
        wg.Done();
      });
      gofer::go([&, st] {  // ponger
        for (std::int64_t r = 0; r < rounds; ++r) {
          st->ping.wait();
          if (!st->pong.post()) double_posts.fetch_add(1);
        }
        wg.Done();
      });
    }
    wg.Wait();
  });
  dog.stop();
  for (int p = 0; p < pairs; ++p)
    EXPECT_EQ(state[p].rounds.load(), static_cast<std::uint64_t>(rounds)) << "pair " << p;
  EXPECT_EQ(double_posts.load(), 0);
}

TEST_P(SchedStressTest, ReadyFromPlainThreadsWakesParkedFibers) {
  // Plain threads (not workers) ready parked fibers: the wake must reach an
  // idle worker sleeping in the kernel every time.
  constexpr int kThreads = 2;
  const std::int64_t rounds = scaled(100'000, 5'000);
  auto state = std::make_unique<pair_state[]>(kThreads);
  std::atomic<bool> quit{false};
  Watchdog dog(
      "ready from plain threads",
      [&] {
        std::uint64_t s = 0;
        for (int p = 0; p < kThreads; ++p) s += state[p].rounds.load(std::memory_order_relaxed);
        return s;
      },
      20s);
  std::vector<std::thread> threads;
  // Each thread posts ping and spins (no gofer blocking) until the fiber has
  // consumed it and reported the round.
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      pair_state* st = &state[t];
      for (std::int64_t r = 0; r < rounds && !quit.load(); ++r) {
        st->ping.post();
        while (st->rounds.load(std::memory_order_acquire) != static_cast<std::uint64_t>(r + 1) &&
               !quit.load())
          std::this_thread::yield();
      }
    });
  run([&] {
    gofer::sync::WaitGroup wg;
    wg.Add(kThreads);
    for (int t = 0; t < kThreads; ++t) {
      pair_state* st = &state[t];
      gofer::go([&, st] {
        for (std::int64_t r = 0; r < rounds; ++r) {
          st->ping.wait();
          st->rounds.fetch_add(1, std::memory_order_release);
        }
        wg.Done();
      });
    }
    wg.Wait();
  });
  quit.store(true);
  for (auto& t : threads) t.join();
  dog.stop();
  for (int t = 0; t < kThreads; ++t)
    EXPECT_EQ(state[t].rounds.load(), static_cast<std::uint64_t>(rounds)) << "thread " << t;
}

TEST_P(SchedStressTest, GoschedStormAcrossAllWorkers) {
  const int fibers = 8 * workers();
  const std::int64_t yields = scaled(2'000'000, 50'000) / fibers;
  std::atomic<std::uint64_t> done{0};
  Watchdog dog("Gosched storm", [&] { return done.load(std::memory_order_relaxed); });
  run([&] {
    gofer::sync::WaitGroup wg;
    wg.Add(fibers);
    for (int f = 0; f < fibers; ++f)
      gofer::go([&] {
        for (std::int64_t i = 0; i < yields; ++i) {
          gofer::runtime::Gosched();
          done.fetch_add(1, std::memory_order_relaxed);
        }
        wg.Done();
      });
    wg.Wait();
  });
  dog.stop();
  EXPECT_EQ(done.load(), static_cast<std::uint64_t>(fibers * yields));
}

}  // namespace
