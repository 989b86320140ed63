// tests/runtime/sync_test.cpp — Go's sync package: WaitGroup, Mutex,
// RWMutex, Once, Cond. Semantics, misuse messages (Go's text), and use from
// fibers, plain threads, and both at once.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "fixture.hpp"
#include "gofer/gofer.hpp"

namespace {

using gofer_test::expect_panic;
using namespace std::chrono_literals;
using gofer_test::eventually;
namespace sync = gofer::sync;

class SyncTest : public gofer_test::RuntimeTest {};
GOFER_INSTANTIATE_WORKER_COUNTS(SyncTest);

// ---------------------------------------------------------------------------
// WaitGroup
// ---------------------------------------------------------------------------

TEST(WaitGroup, WaitWithZeroCounterReturnsAtOnceOnAThread) {
  const auto t0 = std::chrono::steady_clock::now();
  sync::WaitGroup wg;
  wg.Wait();
  wg.Add(2);
  wg.Done();
  wg.Done();
  wg.Wait();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, gofer_test::slack(500ms));
  EXPECT_FALSE(gofer_test::in_fiber());
}

TEST(WaitGroup, NegativeCounterPanics) {
  {
    sync::WaitGroup wg;
    expect_panic([&] { wg.Done(); }, "sync: negative WaitGroup counter");
  }
  {
    sync::WaitGroup wg;
    wg.Add(1);
    expect_panic([&] { wg.Add(-2); }, "sync: negative WaitGroup counter");
  }
  EXPECT_THROW(
      [] {
        sync::WaitGroup wg;
        wg.Add(-1);
      }(),
      gofer::panic_error);
}

TEST_P(SyncTest, WaitGroupWaitSeesEveryDone) {
  constexpr int kFibers = 500;
  run([&] {
    sync::WaitGroup wg;
    std::vector<int> slots(kFibers, 0);  // plain writes, published by Done/Wait
    wg.Add(kFibers);
    for (int i = 0; i < kFibers; ++i)
      gofer::go([&, i] {
        if (i % 3 == 0) gofer::runtime::Gosched();
        slots[i] = i + 1;
        wg.Done();
      });
    wg.Wait();
    for (int i = 0; i < kFibers; ++i) ASSERT_EQ(slots[i], i + 1);
    sync::WaitGroup empty;
    empty.Wait();  // zero counter: returns at once in a fiber too
  });
}

TEST_P(SyncTest, WaitGroupReleasesEveryWaiter) {
  constexpr int kWaiters = 20;
  std::atomic<int> released{0};
  sync::WaitGroup gate;
  gate.Add(1);
  run([&] {
    sync::WaitGroup waiters_done;
    waiters_done.Add(kWaiters);
    for (int i = 0; i < kWaiters; ++i)
      gofer::go([&] {
        gate.Wait();
        released.fetch_add(1);
        waiters_done.Done();
      });
    // A plain thread waits as well.
    std::thread t([&] {
      gate.Wait();
      released.fetch_add(1);
    });
    gofer::time::Sleep(20ms);
    EXPECT_EQ(released.load(), 0) << "a Wait returned before the counter reached zero";
    gate.Done();
    waiters_done.Wait();
    t.join();
  });
  EXPECT_EQ(released.load(), kWaiters + 1);
}

TEST_P(SyncTest, WaitGroupCanBeReusedAfterWaitReturns) {
  run([&] {
    sync::WaitGroup wg;
    std::atomic<int> n{0};
    for (int round = 1; round <= 10; ++round) {
      wg.Add(round);
      for (int i = 0; i < round; ++i)
        gofer::go([&] {
          n.fetch_add(1);
          wg.Done();
        });
      wg.Wait();
      EXPECT_EQ(n.load(), round * (round + 1) / 2);
    }
  });
}

TEST_P(SyncTest, WaitGroupDoneFromPlainThreadsWakesFiber) {
  constexpr int kThreads = 4;
  std::atomic<int> work{0};
  run([&] {
    sync::WaitGroup wg;
    wg.Add(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&] {
        std::this_thread::sleep_for(20ms);
        work.fetch_add(1);
        wg.Done();
      });
    wg.Wait();  // the main fiber parks; plain threads (outside gofer) wake it
    EXPECT_EQ(work.load(), kThreads);
    for (auto& t : threads) t.join();
  });
}

// ---------------------------------------------------------------------------
// Mutex
// ---------------------------------------------------------------------------

TEST(Mutex, TryLockAndUnlock) {
  sync::Mutex mu;
  EXPECT_TRUE(mu.TryLock());
  EXPECT_FALSE(mu.TryLock());
  EXPECT_FALSE(mu.try_lock());
  mu.Unlock();
  EXPECT_TRUE(mu.try_lock());
  mu.unlock();
  mu.Lock();
  EXPECT_FALSE(mu.TryLock());
  mu.Unlock();
}

TEST(Mutex, IsLockableForStdGuards) {
  sync::Mutex mu;
  {
    std::lock_guard<sync::Mutex> g(mu);
    EXPECT_FALSE(mu.TryLock());
  }
  EXPECT_TRUE(mu.TryLock());
  mu.Unlock();
  sync::Mutex other;
  {
    std::scoped_lock both(mu, other);
    EXPECT_FALSE(mu.TryLock());
    EXPECT_FALSE(other.TryLock());
  }
  {
    std::unique_lock<sync::Mutex> u(mu, std::try_to_lock);
    EXPECT_TRUE(u.owns_lock());
  }
  EXPECT_TRUE(mu.TryLock());
  mu.Unlock();
}

TEST(Mutex, UnlockOfUnlockedMutexPanics) {
  sync::Mutex mu;
  expect_panic([&] { mu.Unlock(); }, "sync: unlock of unlocked mutex");
  sync::Mutex mu2;
  mu2.Lock();
  mu2.Unlock();
  expect_panic([&] { mu2.Unlock(); }, "sync: unlock of unlocked mutex");
}

TEST_P(SyncTest, MutexLockParksTheFiberNotTheWorker) {
  // With one worker, B can only get the lock if A's Lock parked A's fiber
  // rather than blocking the worker thread.
  run([&] {
    sync::Mutex mu;
    sync::WaitGroup wg;
    std::atomic<int> order{0};
    int b_saw = -1;
    mu.Lock();
    wg.Add(1);
    gofer::go([&] {
      EXPECT_FALSE(mu.TryLock());
      mu.Lock();  // parks until main unlocks
      b_saw = order.load();
      mu.Unlock();
      wg.Done();
    });
    gofer::time::Sleep(20ms);
    order.store(1);
    mu.Unlock();
    wg.Wait();
    EXPECT_EQ(b_saw, 1) << "B acquired the mutex before it was unlocked";
  });
}

TEST_P(SyncTest, MutexMayBeUnlockedByAnotherFiber) {
  run([&] {
    sync::Mutex mu;
    sync::WaitGroup wg;
    mu.Lock();
    wg.Add(1);
    gofer::go([&] {
      mu.Unlock();  // Go allows any goroutine to unlock
      wg.Done();
    });
    wg.Wait();
    EXPECT_TRUE(mu.TryLock());
    mu.Unlock();
  });
}

TEST_P(SyncTest, MutexExcludesUnderContentionFromEveryWorker) {
  const int kFibers = 4 * workers();
  constexpr int kIters = 2000;
  std::int64_t counter = 0;  // guarded by mu; deliberately not atomic
  std::atomic<int> inside{0};
  std::atomic<int> overlap{0};
  run([&] {
    sync::Mutex mu;
    sync::WaitGroup wg;
    wg.Add(kFibers);
    for (int f = 0; f < kFibers; ++f)
      gofer::go([&, f] {
        for (int i = 0; i < kIters; ++i) {
          std::lock_guard<sync::Mutex> g(mu);
          if (inside.fetch_add(1) != 0) overlap.fetch_add(1);
          ++counter;
          if ((i + f) % 97 == 0) gofer::runtime::Gosched();  // hold it across a yield
          inside.fetch_sub(1);
        }
        wg.Done();
      });
    wg.Wait();
  });
  EXPECT_EQ(counter, std::int64_t{kFibers} * kIters);
  EXPECT_EQ(overlap.load(), 0);
}

TEST_P(SyncTest, MutexSharedByPlainThreadsAndFibers) {
  constexpr int kThreads = 2;
  const int kFibers = 2 * workers();
  constexpr int kIters = 1000;
  std::int64_t counter = 0;  // guarded by mu
  std::atomic<int> inside{0};
  std::atomic<int> overlap{0};
  sync::Mutex mu;
  auto critical = [&] {
    mu.Lock();
    if (inside.fetch_add(1) != 0) overlap.fetch_add(1);
    ++counter;
    inside.fetch_sub(1);
    mu.Unlock();
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < kIters; ++i) critical();
    });
  run([&] {
    sync::WaitGroup wg;
    wg.Add(kFibers);
    for (int f = 0; f < kFibers; ++f)
      gofer::go([&] {
        for (int i = 0; i < kIters; ++i) critical();
        wg.Done();
      });
    wg.Wait();
  });
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter, std::int64_t{kThreads + kFibers} * kIters);
  EXPECT_EQ(overlap.load(), 0);
}

// ---------------------------------------------------------------------------
// RWMutex
// ---------------------------------------------------------------------------

TEST(RWMutex, TryLockAndTryRLock) {
  sync::RWMutex rw;
  EXPECT_TRUE(rw.TryRLock());
  EXPECT_TRUE(rw.TryRLock()) << "readers share the lock";
  EXPECT_FALSE(rw.TryLock()) << "a writer is excluded by readers";
  rw.RUnlock();
  EXPECT_FALSE(rw.TryLock());
  rw.RUnlock();
  EXPECT_TRUE(rw.TryLock());
  EXPECT_FALSE(rw.TryLock()) << "writers exclude each other";
  EXPECT_FALSE(rw.TryRLock()) << "a writer excludes readers";
  rw.Unlock();
  rw.RLock();
  EXPECT_FALSE(rw.TryLock());
  rw.RUnlock();
  rw.Lock();
  EXPECT_FALSE(rw.TryRLock());
  rw.Unlock();
  EXPECT_TRUE(rw.TryLock());
  rw.Unlock();
}

TEST(RWMutex, RLockerLocksForReading) {
  sync::RWMutex rw;
  auto rl = rw.RLocker();
  rl.Lock();
  EXPECT_FALSE(rw.TryLock());
  EXPECT_TRUE(rw.TryRLock());
  rw.RUnlock();
  rl.Unlock();
  EXPECT_TRUE(rw.TryLock());
  rw.Unlock();
  {
    std::lock_guard<decltype(rl)> g(rl);  // Lockable too
    EXPECT_FALSE(rw.TryLock());
  }
  EXPECT_TRUE(rw.TryLock());
  rw.Unlock();
}

TEST(RWMutex, WorksWithStdSharedAndUniqueLocks) {
  sync::RWMutex rw;
  {
    std::shared_lock<sync::RWMutex> r1(rw);
    std::shared_lock<sync::RWMutex> r2(rw, std::try_to_lock);
    EXPECT_TRUE(r2.owns_lock());
    std::unique_lock<sync::RWMutex> w(rw, std::try_to_lock);
    EXPECT_FALSE(w.owns_lock());
  }
  {
    std::unique_lock<sync::RWMutex> w(rw);
    std::shared_lock<sync::RWMutex> r(rw, std::try_to_lock);
    EXPECT_FALSE(r.owns_lock());
  }
  EXPECT_TRUE(rw.TryLock());
  rw.Unlock();
}

TEST(RWMutex, MisusePanicsWithGoText) {
  {
    sync::RWMutex rw;
    expect_panic([&] { rw.RUnlock(); }, "sync: RUnlock of unlocked RWMutex");
  }
  {
    sync::RWMutex rw;
    expect_panic([&] { rw.Unlock(); }, "sync: Unlock of unlocked RWMutex");
  }
  {
    sync::RWMutex rw;
    rw.Lock();
    rw.Unlock();
    expect_panic([&] { rw.Unlock(); }, "sync: Unlock of unlocked RWMutex");
  }
}

TEST_P(SyncTest, RWMutexPendingWriterBlocksNewReaders) {
  // Go's rule: once a writer waits, new readers wait behind it, so writers
  // are not starved by a stream of readers.
  run([&] {
    sync::RWMutex rw;
    sync::WaitGroup wg;
    std::atomic<bool> writer_has_it{false};
    std::atomic<bool> writer_done{false};
    std::atomic<bool> reader_saw_writer_done{false};
    rw.RLock();  // the main fiber is the first reader
    wg.Add(1);
    gofer::go([&] {
      rw.Lock();  // waits for the main fiber's read lock
      writer_has_it.store(true);
      gofer::time::Sleep(5ms);
      writer_has_it.store(false);
      writer_done.store(true);
      rw.Unlock();
      wg.Done();
    });
    // Wait until the writer is pending: from then on TryRLock fails.
    const bool pending = eventually([&] {
      if (!rw.TryRLock()) return true;
      rw.RUnlock();
      return false;
    });
    EXPECT_TRUE(pending) << "a pending writer did not block new readers";
    EXPECT_FALSE(writer_has_it.load()) << "the writer got the lock while a reader held it";
    // A new reader that blocks now gets in only after the writer is done.
    wg.Add(1);
    gofer::go([&] {
      rw.RLock();
      reader_saw_writer_done.store(writer_done.load() && !writer_has_it.load());
      rw.RUnlock();
      wg.Done();
    });
    gofer::time::Sleep(5ms);
    rw.RUnlock();  // lets the writer in, then the new reader
    wg.Wait();
    EXPECT_TRUE(reader_saw_writer_done.load());
    EXPECT_TRUE(rw.TryLock());
    rw.Unlock();
  });
}

// rw_invariants runs readers and writers over rw and counts violations of
// "readers > 0 implies writers == 0" and "writers <= 1", and checks that
// readers always see a consistent snapshot written by the writers.
struct rw_state {
  sync::RWMutex rw;
  std::atomic<int> readers{0};
  std::atomic<int> writers{0};
  std::atomic<int> violations{0};
  std::int64_t data[8] = {};  // all equal outside a write; guarded by rw
  std::atomic<std::int64_t> writes{0};
  std::atomic<std::int64_t> reads{0};

  void read_once() {
    rw.RLock();
    readers.fetch_add(1);
    if (writers.load() != 0) violations.fetch_add(1);
    for (int i = 1; i < 8; ++i)
      if (data[i] != data[0]) violations.fetch_add(1);
    readers.fetch_sub(1);
    rw.RUnlock();
    reads.fetch_add(1, std::memory_order_relaxed);
  }
  void write_once(bool yield_inside) {
    rw.Lock();
    if (writers.fetch_add(1) != 0) violations.fetch_add(1);
    if (readers.load() != 0) violations.fetch_add(1);
    const std::int64_t v = data[0] + 1;
    for (int i = 0; i < 8; ++i) {
      data[i] = v;
      if (yield_inside && i == 3) gofer::runtime::Gosched();
    }
    writers.fetch_sub(1);
    rw.Unlock();
    writes.fetch_add(1, std::memory_order_relaxed);
  }
};

TEST_P(SyncTest, RWMutexReadersAndWritersFromFibers) {
  const int kReaders = 3 * workers();
  const int kWriters = workers();
  constexpr int kIters = 500;
  rw_state st;
  run([&] {
    sync::WaitGroup wg;
    wg.Add(kReaders + kWriters);
    for (int r = 0; r < kReaders; ++r)
      gofer::go([&] {
        for (int i = 0; i < kIters; ++i) {
          st.read_once();
          if (i % 16 == 0) gofer::runtime::Gosched();
        }
        wg.Done();
      });
    for (int w = 0; w < kWriters; ++w)
      gofer::go([&] {
        for (int i = 0; i < kIters; ++i) st.write_once(i % 8 == 0);
        wg.Done();
      });
    wg.Wait();
  });
  EXPECT_EQ(st.violations.load(), 0);
  EXPECT_EQ(st.reads.load(), std::int64_t{kReaders} * kIters);
  EXPECT_EQ(st.writes.load(), std::int64_t{kWriters} * kIters);
  EXPECT_EQ(st.data[0], std::int64_t{kWriters} * kIters);
}

TEST_P(SyncTest, RWMutexReadersAndWritersFromThreadsAndFibers) {
  constexpr int kIters = 500;
  const int kFibers = 2 * workers();
  rw_state st;
  std::vector<std::thread> threads;
  threads.emplace_back([&] {
    for (int i = 0; i < kIters; ++i) st.read_once();
  });
  threads.emplace_back([&] {
    for (int i = 0; i < kIters; ++i) st.write_once(false);
  });
  run([&] {
    sync::WaitGroup wg;
    wg.Add(kFibers);
    for (int f = 0; f < kFibers; ++f)
      gofer::go([&, f] {
        for (int i = 0; i < kIters; ++i) {
          if ((i + f) % 4 == 0)
            st.write_once(i % 32 == 0);
          else
            st.read_once();
        }
        wg.Done();
      });
    wg.Wait();
  });
  for (auto& t : threads) t.join();
  EXPECT_EQ(st.violations.load(), 0);
  EXPECT_EQ(st.reads.load() + st.writes.load(), std::int64_t{kFibers + 2} * kIters);
  EXPECT_EQ(st.data[0], st.writes.load());
}

// ---------------------------------------------------------------------------
// Once
// ---------------------------------------------------------------------------

TEST(Once, RunsOnceOnAPlainThread) {
  sync::Once once;
  int n = 0;
  once.Do([&] { ++n; });
  once.Do([&] { ++n; });
  once.Do([&] { n += 100; });
  EXPECT_EQ(n, 1);
}

TEST(Once, ThrowingFunctionCountsAsDone) {
  sync::Once once;
  int n = 0;
  EXPECT_THROW(once.Do([&] {
    ++n;
    throw std::runtime_error("first");
  }),
               std::runtime_error);
  once.Do([&] { n += 10; });  // Go: a panicking f counts as having returned
  EXPECT_EQ(n, 1);
}

TEST_P(SyncTest, OnceRunsOnceUnderConcurrencyAndEveryCallerSeesItsEffect) {
  constexpr int kFibers = 100;
  constexpr int kThreads = 2;
  sync::Once once;
  std::atomic<int> calls{0};
  int value = 0;  // written by f, read by every caller after Do returns
  std::atomic<int> saw_value{0};
  auto caller = [&] {
    once.Do([&] {
      calls.fetch_add(1);
      gofer::time::Sleep(20ms);  // others must wait for f to return
      value = 42;
    });
    if (value == 42) saw_value.fetch_add(1);
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(caller);
  run([&] {
    sync::WaitGroup wg;
    wg.Add(kFibers);
    for (int i = 0; i < kFibers; ++i)
      gofer::go([&] {
        caller();
        wg.Done();
      });
    wg.Wait();
  });
  for (auto& t : threads) t.join();
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(saw_value.load(), kFibers + kThreads);
}

// ---------------------------------------------------------------------------
// Cond
// ---------------------------------------------------------------------------

TEST_P(SyncTest, CondSignalWakesOneAndBroadcastWakesAll) {
  constexpr int kWaiters = 6;
  run([&] {
    sync::Mutex mu;
    sync::Cond cond(&mu);
    int waiting = 0;  // guarded by mu
    std::atomic<int> woken{0};
    sync::WaitGroup wg;
    wg.Add(kWaiters);
    for (int i = 0; i < kWaiters; ++i)
      gofer::go([&] {
        mu.Lock();
        ++waiting;
        cond.Wait();  // no predicate: Go's Cond has no spurious wake-ups
        woken.fetch_add(1);
        mu.Unlock();
        wg.Done();
      });
    // Once waiting == kWaiters is seen under mu, every waiter holds a ticket.
    EXPECT_TRUE(eventually([&] {
      std::lock_guard<sync::Mutex> g(mu);
      return waiting == kWaiters;
    }));
    cond.Signal();
    EXPECT_TRUE(eventually([&] { return woken.load() == 1; }));
    gofer::time::Sleep(30ms);
    EXPECT_EQ(woken.load(), 1) << "Signal woke more than one waiter";
    cond.Signal();
    EXPECT_TRUE(eventually([&] { return woken.load() == 2; }));
    gofer::time::Sleep(30ms);
    EXPECT_EQ(woken.load(), 2);
    cond.Broadcast();
    wg.Wait();
    EXPECT_EQ(woken.load(), kWaiters);
    cond.Signal();  // no waiters: no effect
    cond.Broadcast();
  });
}

TEST_P(SyncTest, CondSignalWakesTheOldestWaiterFirst) {
  constexpr int kWaiters = 5;
  run([&] {
    sync::Mutex mu;
    sync::Cond cond(&mu);
    int waiting = 0;         // guarded by mu
    std::vector<int> order;  // guarded by mu
    sync::WaitGroup wg;
    wg.Add(kWaiters);
    for (int i = 0; i < kWaiters; ++i) {
      gofer::go([&, i] {
        mu.Lock();
        ++waiting;
        cond.Wait();
        order.push_back(i);
        mu.Unlock();
        wg.Done();
      });
      // Waiter i takes its ticket before waiter i+1 is spawned.
      ASSERT_TRUE(eventually([&] {
        std::lock_guard<sync::Mutex> g(mu);
        return waiting == i + 1;
      }));
    }
    for (int i = 0; i < kWaiters; ++i) {
      cond.Signal();
      ASSERT_TRUE(eventually([&] {
        std::lock_guard<sync::Mutex> g(mu);
        return static_cast<int>(order.size()) == i + 1;
      }));
    }
    wg.Wait();
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
  });
}

TEST_P(SyncTest, CondTicketTakenBeforeSignalIsNotMissed) {
  // The signaller sees the waiter registered (under mu), unlocks, and
  // signals at once, often before the waiter has parked. Every round must
  // complete; a missed ticket would hang (the watchdog turns that into a
  // failure).
  const int kRounds = static_cast<int>(gofer_test::scaled(2000, 300));
  std::atomic<std::uint64_t> progress{0};
  gofer_test::Watchdog dog(
      "Cond signal after unlock", [&] { return progress.load(); }, 20s);
  run([&] {
    sync::Mutex mu;
    sync::Cond cond(&mu);
    int waiting = 0;      // guarded by mu
    int rounds_done = 0;  // guarded by mu
    sync::WaitGroup wg;
    wg.Add(1);
    gofer::go([&] {
      for (int r = 0; r < kRounds; ++r) {
        mu.Lock();
        ++waiting;
        cond.Wait();
        ++rounds_done;
        mu.Unlock();
        progress.fetch_add(1);
      }
      wg.Done();
    });
    for (int r = 0; r < kRounds; ++r) {
      for (;;) {
        mu.Lock();
        if (waiting == r + 1) break;
        mu.Unlock();
        gofer::runtime::Gosched();
      }
      mu.Unlock();
      cond.Signal();  // outside the lock, racing with the waiter's park
    }
    wg.Wait();
    EXPECT_EQ(rounds_done, kRounds);
  });
  dog.stop();
}

TEST_P(SyncTest, CondOverRWMutexReadLocker) {
  run([&] {
    sync::RWMutex rw;
    auto rl = rw.RLocker();
    sync::Cond cond(&rl);
    bool ready = false;  // written under rw's write lock, read under its read lock
    std::atomic<int> saw_ready{0};
    constexpr int kWaiters = 4;
    sync::WaitGroup wg;
    wg.Add(kWaiters);
    for (int i = 0; i < kWaiters; ++i)
      gofer::go([&] {
        rl.Lock();
        while (!ready) cond.Wait();
        saw_ready.fetch_add(1);
        rl.Unlock();
        wg.Done();
      });
    gofer::time::Sleep(10ms);
    rw.Lock();
    ready = true;
    rw.Unlock();
    cond.Broadcast();
    wg.Wait();
    EXPECT_EQ(saw_ready.load(), kWaiters);
  });
}

TEST_P(SyncTest, CondBetweenAPlainThreadAndAFiber) {
  constexpr int kRounds = 200;
  sync::Mutex mu;
  auto cond = sync::NewCond(&mu);
  int turn = 0;  // guarded by mu: 0 thread's turn, 1 fiber's turn
  int thread_moves = 0, fiber_moves = 0;
  std::thread t([&] {
    for (int r = 0; r < kRounds; ++r) {
      mu.Lock();
      while (turn != 0) cond->Wait();  // a plain thread blocks itself
      ++thread_moves;
      turn = 1;
      cond->Broadcast();
      mu.Unlock();
    }
  });
  run([&] {
    for (int r = 0; r < kRounds; ++r) {
      mu.Lock();
      while (turn != 1) cond->Wait();
      ++fiber_moves;
      turn = 0;
      cond->Broadcast();
      mu.Unlock();
    }
  });
  t.join();
  EXPECT_EQ(thread_moves, kRounds);
  EXPECT_EQ(fiber_moves, kRounds);
}

}  // namespace
