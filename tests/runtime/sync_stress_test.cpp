// tests/runtime/sync_stress_test.cpp — Go's sync types under load from every
// worker, and from plain threads mixed with fibers: Mutex contention and
// fairness (starvation mode), RWMutex invariants, WaitGroup and Cond
// ping-pong (millions of park/ready pairs with no lost wake-up), Once races.
// GOFER_TEST_SHORT=1 scales every loop down; a Watchdog turns a lost wake-up
// into a failure.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "fixture.hpp"
#include "gofer/gofer.hpp"

namespace {

using namespace std::chrono_literals;
using gofer_test::scaled;
using gofer_test::Watchdog;
namespace sync = gofer::sync;

class SyncStressTest : public gofer_test::RuntimeTest {};
GOFER_INSTANTIATE_WORKER_COUNTS(SyncStressTest);

// ---------------------------------------------------------------------------
// Mutex
// ---------------------------------------------------------------------------

struct mutex_state {
  sync::Mutex mu;
  std::int64_t counter = 0;  // guarded by mu; deliberately not atomic
  std::atomic<int> inside{0};
  std::atomic<int> overlap{0};
  std::atomic<std::uint64_t> ops{0};

  void critical(bool yield_inside) {
    mu.Lock();
    if (inside.fetch_add(1, std::memory_order_relaxed) != 0) overlap.fetch_add(1);
    ++counter;
    if (yield_inside) gofer::runtime::Gosched();
    inside.fetch_sub(1, std::memory_order_relaxed);
    mu.Unlock();
    ops.fetch_add(1, std::memory_order_relaxed);
  }
};

TEST_P(SyncStressTest, MutexContentionFromEveryWorker) {
  const int fibers = 4 * workers();
  const std::int64_t iters = scaled(2'000'000, 50'000) / fibers;
  mutex_state st;
  Watchdog dog("Mutex contention", [&] { return st.ops.load(std::memory_order_relaxed); });
  run([&] {
    sync::WaitGroup wg;
    wg.Add(fibers);
    for (int f = 0; f < fibers; ++f)
      gofer::go([&, f] {
        for (std::int64_t i = 0; i < iters; ++i) st.critical((i + f) % 251 == 0);
        wg.Done();
      });
    wg.Wait();
  });
  dog.stop();
  EXPECT_EQ(st.counter, fibers * iters);
  EXPECT_EQ(st.overlap.load(), 0);
}

TEST_P(SyncStressTest, MutexContentionFromPlainThreadsAndFibers) {
  constexpr int kThreads = 2;
  const int fibers = 2 * workers();
  const std::int64_t iters = scaled(1'000'000, 20'000) / (fibers + kThreads);
  mutex_state st;
  Watchdog dog("Mutex threads+fibers", [&] { return st.ops.load(std::memory_order_relaxed); });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (std::int64_t i = 0; i < iters; ++i) st.critical(false);
    });
  run([&] {
    sync::WaitGroup wg;
    wg.Add(fibers);
    for (int f = 0; f < fibers; ++f)
      gofer::go([&, f] {
        for (std::int64_t i = 0; i < iters; ++i) st.critical((i + f) % 127 == 0);
        wg.Done();
      });
    wg.Wait();
  });
  for (auto& t : threads) t.join();
  dog.stop();
  EXPECT_EQ(st.counter, (fibers + kThreads) * iters);
  EXPECT_EQ(st.overlap.load(), 0);
}

TEST_P(SyncStressTest, MutexFairness) {
  // Port of Go's TestMutexFairness (sync/mutex_test.go): a fiber that holds
  // the mutex almost all the time must not starve another one (starvation
  // mode hands the mutex to a waiter that waited over 1 ms).
  std::atomic<bool> stop{false};
  std::atomic<bool> done{false};
  run([&] {
    sync::Mutex mu;
    sync::WaitGroup wg;
    wg.Add(2);
    gofer::go([&] {
      while (!stop.load()) {
        mu.Lock();
        gofer::time::Sleep(100us);
        mu.Unlock();
      }
      wg.Done();
    });
    gofer::go([&] {
      for (int i = 0; i < 10; ++i) {
        gofer::time::Sleep(100us);
        mu.Lock();
        mu.Unlock();
      }
      done.store(true);
      wg.Done();
    });
    EXPECT_TRUE(gofer_test::eventually([&] { return done.load(); }, 10s))
        << "can't acquire Mutex in 10 seconds";
    stop.store(true);
    wg.Wait();
  });
}

// ---------------------------------------------------------------------------
// RWMutex
// ---------------------------------------------------------------------------

struct rw_state {
  sync::RWMutex rw;
  std::atomic<int> readers{0};
  std::atomic<int> writers{0};
  std::atomic<int> violations{0};
  std::int64_t data[16] = {};  // all equal outside a write; guarded by rw
  std::atomic<std::int64_t> writes{0};
  std::atomic<std::uint64_t> ops{0};

  void read_once(bool yield_inside) {
    rw.RLock();
    readers.fetch_add(1);
    if (writers.load() != 0) violations.fetch_add(1);
    if (yield_inside) gofer::runtime::Gosched();
    for (int i = 1; i < 16; ++i)
      if (data[i] != data[0]) violations.fetch_add(1);
    readers.fetch_sub(1);
    rw.RUnlock();
    ops.fetch_add(1, std::memory_order_relaxed);
  }
  void write_once(bool yield_inside) {
    rw.Lock();
    if (writers.fetch_add(1) != 0) violations.fetch_add(1);
    if (readers.load() != 0) violations.fetch_add(1);
    const std::int64_t v = data[0] + 1;
    for (int i = 0; i < 16; ++i) {
      data[i] = v;
      if (yield_inside && i == 7) gofer::runtime::Gosched();
    }
    writers.fetch_sub(1);
    rw.Unlock();
    writes.fetch_add(1, std::memory_order_relaxed);
    ops.fetch_add(1, std::memory_order_relaxed);
  }
};

TEST_P(SyncStressTest, RWMutexInvariantsFromFibersAndPlainThreads) {
  constexpr int kThreads = 2;  // one reading thread, one writing thread
  const int fibers = 4 * workers();
  const std::int64_t iters = scaled(1'000'000, 20'000) / (fibers + kThreads);
  rw_state st;
  Watchdog dog("RWMutex", [&] { return st.ops.load(std::memory_order_relaxed); });
  std::vector<std::thread> threads;
  threads.emplace_back([&] {
    for (std::int64_t i = 0; i < iters; ++i) st.read_once(false);
  });
  threads.emplace_back([&] {
    for (std::int64_t i = 0; i < iters; ++i) st.write_once(false);
  });
  run([&] {
    sync::WaitGroup wg;
    wg.Add(fibers);
    for (int f = 0; f < fibers; ++f)
      gofer::go([&, f] {
        for (std::int64_t i = 0; i < iters; ++i) {
          if ((i + f) % 10 == 0)
            st.write_once(i % 64 == 0);
          else
            st.read_once(i % 64 == 1);
        }
        wg.Done();
      });
    wg.Wait();
  });
  for (auto& t : threads) t.join();
  dog.stop();
  EXPECT_EQ(st.violations.load(), 0);
  EXPECT_EQ(st.ops.load(), static_cast<std::uint64_t>((fibers + kThreads) * iters));
  EXPECT_EQ(st.data[0], st.writes.load());
}

// ---------------------------------------------------------------------------
// Ping-pong: every round is a park and a ready on each side.
// ---------------------------------------------------------------------------

struct alignas(64) progress_slot {
  std::atomic<std::uint64_t> n{0};
};

std::function<std::uint64_t()> sum_of(const std::unique_ptr<progress_slot[]>& slots, int n) {
  return [&slots, n] {
    std::uint64_t s = 0;
    for (int i = 0; i < n; ++i) s += slots[i].n.load(std::memory_order_relaxed);
    return s;
  };
}

// A WaitGroup (and a Mutex) may be destroyed as soon as Wait (Unlock)
// returns, while the Done (Unlock) that released it is still finishing: the
// releaser must not touch the object after its count is visible. Go keeps
// semaphore waiters in a global table for this reason; an earlier gofer
// embedded the queue in the object, and ASan/TSan caught a releaser locking
// a destroyed WaitGroup's queue. Each round frees the objects at once.
TEST_P(SyncStressTest, SyncObjectsMayBeDestroyedRightAfterTheirWaitReturns) {
  const std::int64_t rounds = scaled(20'000, 2'000);
  const int tasks = workers() + 1;
  std::atomic<std::uint64_t> progress{0};
  Watchdog dog("destroy after Wait", [&] { return progress.load(std::memory_order_relaxed); });
  run([&] {
    for (std::int64_t r = 0; r < rounds; r++) {
      auto wg = std::make_unique<sync::WaitGroup>();
      auto mu = std::make_unique<sync::Mutex>();
      int counter = 0;
      wg->Add(tasks);
      for (int t = 0; t < tasks; t++) {
        gofer::go([&, w = wg.get(), m = mu.get()] {
          m->Lock();
          counter++;
          m->Unlock();
          w->Done();
        });
      }
      wg->Wait();
      wg.reset();  // the last Done may still be returning
      mu->Lock();
      EXPECT_EQ(counter, tasks);
      mu->Unlock();
      mu.reset();
      progress.fetch_add(1, std::memory_order_relaxed);
    }
  });
}

TEST_P(SyncStressTest, WaitGroupPingPongAcrossAllWorkers) {
  // Per pair: ping and pong are WaitGroups with a count of 1. The ponger
  // waits on ping and re-arms it (its own Wait has returned, so the Add is
  // legal), then releases pong; the pinger mirrors it.
  const int pairs = 2 * workers();
  const std::int64_t rounds = std::max<std::int64_t>(1, scaled(500'000, 10'000) / pairs);
  auto progress = std::make_unique<progress_slot[]>(static_cast<std::size_t>(pairs));
  Watchdog dog("WaitGroup ping-pong", sum_of(progress, pairs), 20s);
  run([&] {
    sync::WaitGroup wg;
    wg.Add(2 * pairs);
    std::vector<std::unique_ptr<sync::WaitGroup[]>> wgs;
    for (int p = 0; p < pairs; ++p) {
      wgs.push_back(std::make_unique<sync::WaitGroup[]>(2));
      sync::WaitGroup* ping = &wgs.back()[0];
      sync::WaitGroup* pong = &wgs.back()[1];
      ping->Add(1);
      pong->Add(1);
      progress_slot* slot = &progress[p];
      gofer::go([&, ping, pong, slot] {
        for (std::int64_t r = 0; r < rounds; ++r) {
          ping->Done();
          pong->Wait();
          pong->Add(1);
          slot->n.fetch_add(1, std::memory_order_relaxed);
        }
        wg.Done();
      });
      gofer::go([&, ping, pong] {
        for (std::int64_t r = 0; r < rounds; ++r) {
          ping->Wait();
          ping->Add(1);
          pong->Done();
        }
        wg.Done();
      });
    }
    wg.Wait();
  });
  dog.stop();
  for (int p = 0; p < pairs; ++p)
    EXPECT_EQ(progress[p].n.load(), static_cast<std::uint64_t>(rounds)) << "pair " << p;
}

struct cond_pair {
  sync::Mutex mu;
  sync::Cond cond{&mu};
  int turn = 0;  // guarded by mu
};

// cond_player takes `rounds` turns as player `me` (0 or 1): wait for its
// turn, pass it on, Signal (under the lock or right after unlocking it).
void cond_player(cond_pair* cp, int me, std::int64_t rounds, bool signal_after_unlock,
                 progress_slot* slot) {
  for (std::int64_t r = 0; r < rounds; ++r) {
    cp->mu.Lock();
    while (cp->turn != me) cp->cond.Wait();
    cp->turn = 1 - me;
    if (signal_after_unlock) {
      cp->mu.Unlock();
      cp->cond.Signal();
    } else {
      cp->cond.Signal();
      cp->mu.Unlock();
    }
    if (slot != nullptr) slot->n.fetch_add(1, std::memory_order_relaxed);
  }
}

class CondPingPong : public gofer_test::RuntimeTest {
 protected:
  void play(bool signal_after_unlock) {
    const int pairs = 2 * workers();
    const std::int64_t rounds = std::max<std::int64_t>(1, scaled(500'000, 10'000) / pairs);
    auto progress = std::make_unique<progress_slot[]>(static_cast<std::size_t>(pairs));
    auto cps = std::make_unique<cond_pair[]>(static_cast<std::size_t>(pairs));
    Watchdog dog("Cond ping-pong", sum_of(progress, pairs), 20s);
    run([&] {
      sync::WaitGroup wg;
      wg.Add(2 * pairs);
      for (int p = 0; p < pairs; ++p) {
        cond_pair* cp = &cps[p];
        progress_slot* slot = &progress[p];
        for (int me = 0; me < 2; ++me)
          gofer::go([&, cp, me, slot] {
            cond_player(cp, me, rounds, signal_after_unlock, me == 0 ? slot : nullptr);
            wg.Done();
          });
      }
      wg.Wait();
    });
    dog.stop();
    for (int p = 0; p < pairs; ++p) {
      EXPECT_EQ(progress[p].n.load(), static_cast<std::uint64_t>(rounds)) << "pair " << p;
      EXPECT_EQ(cps[p].turn, 0) << "pair " << p;
    }
  }
};
GOFER_INSTANTIATE_WORKER_COUNTS(CondPingPong);

TEST_P(CondPingPong, SignalUnderTheLock) { play(false); }

TEST_P(CondPingPong, SignalAfterUnlockTicketIsNotMissed) { play(true); }

TEST_P(SyncStressTest, CondPingPongBetweenPlainThreadsAndFibers) {
  constexpr int kPairs = 2;
  const std::int64_t rounds = scaled(100'000, 5'000);
  auto progress = std::make_unique<progress_slot[]>(kPairs);
  auto cps = std::make_unique<cond_pair[]>(kPairs);
  Watchdog dog("Cond thread<->fiber ping-pong", sum_of(progress, kPairs), 20s);
  std::vector<std::thread> threads;
  for (int p = 0; p < kPairs; ++p)
    threads.emplace_back([&, p] { cond_player(&cps[p], 1, rounds, p % 2 == 1, nullptr); });
  run([&] {
    sync::WaitGroup wg;
    wg.Add(kPairs);
    for (int p = 0; p < kPairs; ++p)
      gofer::go([&, p] {
        cond_player(&cps[p], 0, rounds, p % 2 == 0, &progress[p]);
        wg.Done();
      });
    wg.Wait();
  });
  for (auto& t : threads) t.join();
  dog.stop();
  for (int p = 0; p < kPairs; ++p)
    EXPECT_EQ(progress[p].n.load(), static_cast<std::uint64_t>(rounds)) << "pair " << p;
}

TEST_P(SyncStressTest, CondBroadcastReleasesEveryWaiterEveryRound) {
  // A barrier built from Mutex + Cond: every round, the last fiber to
  // arrive Broadcasts; everyone must get through every round.
  const int fibers = 4 * workers();
  const std::int64_t rounds = scaled(20'000, 1'000);
  sync::Mutex mu;
  sync::Cond cond(&mu);
  int arrived = 0;              // guarded by mu
  std::int64_t generation = 0;  // guarded by mu
  std::atomic<std::uint64_t> passes{0};
  Watchdog dog(
      "Cond barrier", [&] { return passes.load(std::memory_order_relaxed); }, 20s);
  run([&] {
    sync::WaitGroup wg;
    wg.Add(fibers);
    for (int f = 0; f < fibers; ++f)
      gofer::go([&] {
        for (std::int64_t r = 0; r < rounds; ++r) {
          mu.Lock();
          const std::int64_t gen = generation;
          if (++arrived == fibers) {
            arrived = 0;
            ++generation;
            cond.Broadcast();
          } else {
            while (gen == generation) cond.Wait();
          }
          mu.Unlock();
          passes.fetch_add(1, std::memory_order_relaxed);
        }
        wg.Done();
      });
    wg.Wait();
  });
  dog.stop();
  EXPECT_EQ(generation, rounds);
  EXPECT_EQ(passes.load(), static_cast<std::uint64_t>(fibers * rounds));
}

// ---------------------------------------------------------------------------
// Once
// ---------------------------------------------------------------------------

TEST_P(SyncStressTest, OnceRacesRunEachFunctionOnce) {
  const std::int64_t rounds = scaled(5'000, 300);
  const int racers = 2 * workers() + 2;
  std::atomic<std::uint64_t> progress{0};
  std::atomic<int> wrong{0};
  Watchdog dog("Once races", [&] { return progress.load(std::memory_order_relaxed); });
  run([&] {
    for (std::int64_t r = 0; r < rounds; ++r) {
      sync::Once once;
      std::atomic<int> calls{0};
      int value = 0;
      sync::WaitGroup wg;
      wg.Add(racers);
      for (int i = 0; i < racers; ++i)
        gofer::go([&] {
          once.Do([&] {
            calls.fetch_add(1);
            value = 1;
          });
          if (value != 1) wrong.fetch_add(1);
          wg.Done();
        });
      wg.Wait();
      if (calls.load() != 1) wrong.fetch_add(1);
      progress.fetch_add(1, std::memory_order_relaxed);
    }
  });
  dog.stop();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(progress.load(), static_cast<std::uint64_t>(rounds));
}

}  // namespace
