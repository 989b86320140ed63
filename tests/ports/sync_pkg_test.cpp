// tests/ports/sync_pkg_test.cpp — port of the semantic tests of Go's sync
// package (go1.19, src/sync): waitgroup_test.go (TestWaitGroup,
// TestWaitGroupMisuse, TestWaitGroupRace, TestWaitGroupAlign), mutex_test.go
// (TestSemaphore, TestMutex, TestMutexMisuse, TestMutexFairness),
// rwmutex_test.go (TestParallelReaders, TestRWMutex, TestRLocker),
// once_test.go (TestOnce, TestOncePanic) and cond_test.go (TestCondSignal,
// TestCondSignalGenerations, TestCondBroadcast, TestRace,
// TestCondSignalStealing, TestCondCopy). Benchmarks are not ported.
//
// (The file is not named sync_test.cpp: tests/runtime/sync_test.cpp already
// owns the executable name sync_test.)
//
// Differences from Go:
//   - Tests without a GOMAXPROCS of their own run as a fiber of a Runtime
//     with 1, 2, 4 and 8 workers (gofer_test::RuntimeTest, which also checks
//     that no fiber is left). Tests that set runtime.GOMAXPROCS(n) make a
//     Runtime with n workers for that part instead (with_gomaxprocs), since a
//     running gofer runtime keeps its worker count.
//   - t.Fatal/t.Fatalf is FAIL() (returns from the enclosing lambda),
//     t.Error/t.Errorf and the tests' panic(...) on a broken invariant are
//     ADD_FAILURE(); the fiber then carries on so that the test still ends.
//   - recover() is catch (const gofer::panic_error&): Go's panics are
//     panic_error with Go's text.
//   - Go's closures share what they capture and the GC keeps it alive. Where
//     a fiber may still touch a Mutex/Cond after the test body has returned
//     (a final m.Unlock() after the send the body waits for), that state
//     lives in a std::shared_ptr the fibers copy. Channels are captured by
//     value (a chan<T> is a handle).
//   - TestMutex: runtime.SetMutexProfileFraction has no gofer equivalent.
//   - TestMutexMisuse: Go's unlock of an unlocked Mutex/RWMutex is a fatal
//     error that recover() cannot catch; gofer throws panic_error with the
//     same text (documented in gofer/sync/mutex.hpp), so a caller CAN catch
//     it. The death test checks what Go's test checks (the process fails
//     with a message about an "unlocked" lock) when nothing catches it;
//     TestMutexMisusePanics checks gofer's recoverable panic and its text.
//   - TestRLocker: Go's Locker interface is not needed; RLocker() returns a
//     value with Lock/Unlock.
//   - TestRace (cond): Go's c.L is the Mutex itself; gofer's Cond has no
//     public L, so the test locks the Mutex directly.
//   - TestCondCopy: Go detects a copied Cond at run time ("sync.Cond is
//     copied"); gofer's Cond is not copyable at all, checked at compile time.
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "fixture.hpp"
#include "gofer/detail/sema.hpp"
#include "gofer/gofer.hpp"

namespace {

using gofer::chan;
using gofer::default_;
using gofer::empty;
using gofer::make_chan;
using gofer::recv;
using gofer::select;
namespace sync = gofer::sync;
namespace time = gofer::time;
namespace runtime = gofer::runtime;

class GoSync : public gofer_test::RuntimeTest {};
GOFER_INSTANTIATE_WORKER_COUNTS(GoSync);

// with_gomaxprocs runs f as the main fiber of a new Runtime with n workers
// (Go's `runtime.GOMAXPROCS(n)` for the duration of f) and checks that no
// fiber is left once f has returned. Plain thread only.
template <class F>
void with_gomaxprocs(int n, F&& f) {
  gofer::Runtime rt(gofer::Runtime::Options{.workers = n});
  rt.run(f);
  EXPECT_TRUE(gofer_test::eventually([&] { return rt.NumGoroutine() == 0; }))
      << rt.NumGoroutine() << " fibers left with GOMAXPROCS=" << n;
}

// spin is Go's empty `for i := 0; i < 100; i++ {}`, kept by a compiler
// barrier.
void spin() {
  for (int i = 0; i < 100; i++) asm volatile("" ::: "memory");
}

// ===========================================================================
// waitgroup_test.go
// ===========================================================================

void testWaitGroup(sync::WaitGroup* wg1, sync::WaitGroup* wg2) {
  const int n = 16;
  wg1->Add(n);
  wg2->Add(n);
  auto exited = make_chan<bool>(n);
  for (int i = 0; i != n; i++) {
    gofer::go([=] {
      wg1->Done();
      wg2->Wait();
      exited.send(true);
    });
  }
  wg1->Wait();
  for (int i = 0; i != n; i++) {
    bool early = false;
    select(recv(exited, [&] { early = true; }), default_([] {}));
    if (early) {
      ADD_FAILURE() << "WaitGroup released group too soon";
    }
    wg2->Done();
  }
  for (int i = 0; i != n; i++) {
    exited.recv();  // Will block if barrier fails to unlock someone.
  }
}

TEST_P(GoSync, TestWaitGroup) {
  run([] {
    sync::WaitGroup wg1;
    sync::WaitGroup wg2;
    // Run the same test a few times to ensure barrier is in a proper state.
    for (int i = 0; i != 8; i++) {
      testWaitGroup(&wg1, &wg2);
    }
  });
}

TEST_P(GoSync, TestWaitGroupMisuse) {
  run([] {
    sync::WaitGroup wg;
    try {
      wg.Add(1);
      wg.Done();
      wg.Done();
      FAIL() << "Should panic";
    } catch (const gofer::panic_error& err) {
      EXPECT_STREQ(err.what(), "sync: negative WaitGroup counter") << "Unexpected panic";
    }
  });
}

TEST_P(GoSync, TestWaitGroupRace) {
  run([] {
    // Run this test for about 1ms.
    for (int i = 0; i < 1000; i++) {
      sync::WaitGroup wg;
      std::atomic<std::int32_t> n{0};
      // spawn goroutine 1
      wg.Add(1);
      gofer::go([&] {
        n.fetch_add(1);
        wg.Done();
      });
      // spawn goroutine 2
      wg.Add(1);
      gofer::go([&] {
        n.fetch_add(1);
        wg.Done();
      });
      // Wait for goroutine 1 and 2
      wg.Wait();
      if (n.load() != 2) {
        FAIL() << "Spurious wakeup from Wait";
      }
    }
  });
}

// Go checks that the 64-bit state word works behind a byte on 32-bit
// platforms. In C++ std::atomic<uint64_t> carries its own alignment; the
// test checks that, and that the WaitGroup works at that offset.
TEST_P(GoSync, TestWaitGroupAlign) {
  struct X {
    char x;
    sync::WaitGroup wg;
  };
  static_assert(alignof(sync::WaitGroup) >= alignof(std::uint64_t));
  static_assert(offsetof(X, wg) % alignof(std::uint64_t) == 0);
  run([] {
    X x;
    x.wg.Add(1);
    gofer::go([](X* x) { x->wg.Done(); }, &x);
    x.wg.Wait();
  });
}

// ===========================================================================
// mutex_test.go
// ===========================================================================

// Go's Runtime_Semacquire/Runtime_Semrelease are the runtime semaphore that
// sync is built on: gofer::detail::semacquire/semrelease over a count word.
struct semaphore {
  std::atomic<std::uint32_t> count{0};
};

void HammerSemaphore(semaphore* s, int loops, chan<bool> cdone) {
  for (int i = 0; i < loops; i++) {
    gofer::detail::semacquire(&s->count, false);
    gofer::detail::semrelease(&s->count, false);
  }
  cdone.send(true);
}

TEST_P(GoSync, TestSemaphore) {
  run([] {
    semaphore s;
    s.count = 1;
    auto c = make_chan<bool>();
    for (int i = 0; i < 10; i++) {
      gofer::go(HammerSemaphore, &s, 1000, c);
    }
    for (int i = 0; i < 10; i++) {
      c.recv();
    }
  });
}

void HammerMutex(sync::Mutex* m, int loops, chan<bool> cdone) {
  for (int i = 0; i < loops; i++) {
    if (i % 3 == 0) {
      if (m->TryLock()) {
        m->Unlock();
      }
      continue;
    }
    m->Lock();
    m->Unlock();
  }
  cdone.send(true);
}

TEST_P(GoSync, TestMutex) {
  run([] {
    sync::Mutex m;

    m.Lock();
    if (m.TryLock()) {
      FAIL() << "TryLock succeeded with mutex locked";
    }
    m.Unlock();
    if (!m.TryLock()) {
      FAIL() << "TryLock failed with mutex unlocked";
    }
    m.Unlock();

    auto c = make_chan<bool>();
    for (int i = 0; i < 10; i++) {
      gofer::go(HammerMutex, &m, 1000, c);
    }
    for (int i = 0; i < 10; i++) {
      c.recv();
    }
  });
}

struct misuse_test {
  const char* name;
  void (*f)();
  const char* msg;  // gofer's panic text (Go's fatal error text)
};

const misuse_test misuseTests[] = {
    {"Mutex.Unlock",
     [] {
       sync::Mutex mu;
       mu.Unlock();
     },
     "sync: unlock of unlocked mutex"},
    {"Mutex.Unlock2",
     [] {
       sync::Mutex mu;
       mu.Lock();
       mu.Unlock();
       mu.Unlock();
     },
     "sync: unlock of unlocked mutex"},
    {"RWMutex.Unlock",
     [] {
       sync::RWMutex mu;
       mu.Unlock();
     },
     "sync: Unlock of unlocked RWMutex"},
    {"RWMutex.Unlock2",
     [] {
       sync::RWMutex mu;
       mu.RLock();
       mu.Unlock();
     },
     "sync: Unlock of unlocked RWMutex"},
    {"RWMutex.Unlock3",
     [] {
       sync::RWMutex mu;
       mu.Lock();
       mu.Unlock();
       mu.Unlock();
     },
     "sync: Unlock of unlocked RWMutex"},
    {"RWMutex.RUnlock",
     [] {
       sync::RWMutex mu;
       mu.RUnlock();
     },
     "sync: RUnlock of unlocked RWMutex"},
    {"RWMutex.RUnlock2",
     [] {
       sync::RWMutex mu;
       mu.Lock();
       mu.RUnlock();
     },
     "sync: RUnlock of unlocked RWMutex"},
    {"RWMutex.RUnlock3",
     [] {
       sync::RWMutex mu;
       mu.RLock();
       mu.RUnlock();
       mu.RUnlock();
     },
     "sync: RUnlock of unlocked RWMutex"},
};

// Go runs each case in a child process and wants it to fail with a message
// about an unlocked lock. Here each case runs in the main fiber of a fresh
// process (a death test) with nothing catching the panic.
TEST(GoSyncDeathTest, TestMutexMisuse) {
  for (const auto& test : misuseTests) {
    SCOPED_TRACE(test.name);
    EXPECT_EXIT(
        {
          alarm(30);  // a hang fails fast instead of at the CTest timeout
          gofer::run([&] { test.f(); });
          std::printf("test completed\n");
          std::exit(0);
        },
        ::testing::ExitedWithCode(2), "unlocked");
  }
}

// gofer-specific (see the banner): the misuse is a recoverable panic with
// Go's text, thrown from a fiber as from a plain thread.
TEST_P(GoSync, TestMutexMisusePanics) {
  auto check = [] {
    for (const auto& test : misuseTests) {
      try {
        test.f();
        ADD_FAILURE() << test.name << ": did not panic";
      } catch (const gofer::panic_error& e) {
        EXPECT_STREQ(e.what(), test.msg) << test.name;
      }
    }
  };
  run(check);
  check();  // plain thread
}

TEST_P(GoSync, TestMutexFairness) {
  struct state {
    sync::Mutex mu;
  };
  run([] {
    auto st = std::make_shared<state>();
    auto stop = make_chan<bool>();
    struct closer {
      chan<bool> c;
      ~closer() { close(c); }
    } defer_close_stop{stop};
    gofer::go([st, stop] {
      for (;;) {
        st->mu.Lock();
        time::Sleep(100 * time::Microsecond);
        st->mu.Unlock();
        bool stopped = false;
        select(recv(stop, [&] { stopped = true; }), default_([] {}));
        if (stopped) return;
      }
    });
    auto done = make_chan<bool>(1);
    gofer::go([st, done] {
      for (int i = 0; i < 10; i++) {
        time::Sleep(100 * time::Microsecond);
        st->mu.Lock();
        st->mu.Unlock();
      }
      done.send(true);
    });
    bool timed_out = false;
    select(recv(done, [] {}), recv(time::After(10 * time::Second), [&] { timed_out = true; }));
    if (timed_out) {
      FAIL() << "can't acquire Mutex in 10 seconds";
    }
  });
}

// ===========================================================================
// rwmutex_test.go
// ===========================================================================

void parallelReader(sync::RWMutex* m, chan<bool> clocked, chan<bool> cunlock, chan<bool> cdone) {
  m->RLock();
  clocked.send(true);
  cunlock.recv();
  m->RUnlock();
  cdone.send(true);
}

void doTestParallelReaders(int numReaders, int gomaxprocs) {
  with_gomaxprocs(gomaxprocs, [&] {
    sync::RWMutex m;
    auto clocked = make_chan<bool>();
    auto cunlock = make_chan<bool>();
    auto cdone = make_chan<bool>();
    for (int i = 0; i < numReaders; i++) {
      gofer::go(parallelReader, &m, clocked, cunlock, cdone);
    }
    // Wait for all parallel RLock()s to succeed.
    for (int i = 0; i < numReaders; i++) {
      clocked.recv();
    }
    for (int i = 0; i < numReaders; i++) {
      cunlock.send(true);
    }
    // Wait for the goroutines to finish.
    for (int i = 0; i < numReaders; i++) {
      cdone.recv();
    }
  });
}

TEST(GoSyncGomaxprocs, TestParallelReaders) {
  doTestParallelReaders(1, 4);
  doTestParallelReaders(3, 4);
  doTestParallelReaders(4, 2);
}

void reader(sync::RWMutex* rwm, int num_iterations, std::atomic<std::int32_t>* activity,
            chan<bool> cdone) {
  for (int i = 0; i < num_iterations; i++) {
    rwm->RLock();
    std::int32_t n = activity->fetch_add(1) + 1;
    if (n < 1 || n >= 10000) {
      ADD_FAILURE() << "wlock(" << n << ")";  // Go: panic
    }
    spin();
    activity->fetch_add(-1);
    rwm->RUnlock();
  }
  cdone.send(true);
}

void writer(sync::RWMutex* rwm, int num_iterations, std::atomic<std::int32_t>* activity,
            chan<bool> cdone) {
  for (int i = 0; i < num_iterations; i++) {
    rwm->Lock();
    std::int32_t n = activity->fetch_add(10000) + 10000;
    if (n != 10000) {
      ADD_FAILURE() << "wlock(" << n << ")";  // Go: panic
    }
    spin();
    activity->fetch_add(-10000);
    rwm->Unlock();
  }
  cdone.send(true);
}

void HammerRWMutex(int gomaxprocs, int numReaders, int num_iterations) {
  SCOPED_TRACE("HammerRWMutex(" + std::to_string(gomaxprocs) + ", " + std::to_string(numReaders) +
               ", " + std::to_string(num_iterations) + ")");
  with_gomaxprocs(gomaxprocs, [&] {
    // Number of active readers + 10000 * number of active writers.
    std::atomic<std::int32_t> activity{0};
    sync::RWMutex rwm;
    auto cdone = make_chan<bool>();
    gofer::go(writer, &rwm, num_iterations, &activity, cdone);
    int i;
    for (i = 0; i < numReaders / 2; i++) {
      gofer::go(reader, &rwm, num_iterations, &activity, cdone);
    }
    gofer::go(writer, &rwm, num_iterations, &activity, cdone);
    for (; i < numReaders; i++) {
      gofer::go(reader, &rwm, num_iterations, &activity, cdone);
    }
    // Wait for the 2 writers and all readers to finish.
    for (int i = 0; i < 2 + numReaders; i++) {
      cdone.recv();
    }
  });
}

TEST(GoSyncGomaxprocs, TestRWMutex) {
  sync::RWMutex m;

  m.Lock();
  if (m.TryLock()) {
    FAIL() << "TryLock succeeded with mutex locked";
  }
  if (m.TryRLock()) {
    FAIL() << "TryRLock succeeded with mutex locked";
  }
  m.Unlock();

  if (!m.TryLock()) {
    FAIL() << "TryLock failed with mutex unlocked";
  }
  m.Unlock();

  if (!m.TryRLock()) {
    FAIL() << "TryRLock failed with mutex unlocked";
  }
  if (!m.TryRLock()) {
    FAIL() << "TryRLock failed with mutex rlocked";
  }
  if (m.TryLock()) {
    FAIL() << "TryLock succeeded with mutex rlocked";
  }
  m.RUnlock();
  m.RUnlock();

  int n = 1000;
  if (gofer_test::short_mode()) {
    n = 5;
  }
  HammerRWMutex(1, 1, n);
  HammerRWMutex(1, 3, n);
  HammerRWMutex(1, 10, n);
  HammerRWMutex(4, 1, n);
  HammerRWMutex(4, 3, n);
  HammerRWMutex(4, 10, n);
  HammerRWMutex(10, 1, n);
  HammerRWMutex(10, 3, n);
  HammerRWMutex(10, 10, n);
  HammerRWMutex(10, 5, n);
}

TEST_P(GoSync, TestRLocker) {
  struct state {
    sync::RWMutex wl;
  };
  run([] {
    auto st = std::make_shared<state>();
    auto rl = st->wl.RLocker();
    auto wlocked = make_chan<bool>(1);
    auto rlocked = make_chan<bool>(1);
    const int n = 10;
    gofer::go([=]() mutable {
      for (int i = 0; i < n; i++) {
        rl.Lock();
        rl.Lock();
        rlocked.send(true);
        st->wl.Lock();
        wlocked.send(true);
      }
    });
    for (int i = 0; i < n; i++) {
      rlocked.recv();
      rl.Unlock();
      bool bad = false;
      select(recv(wlocked, [&] { bad = true; }), default_([] {}));
      if (bad) FAIL() << "RLocker() didn't read-lock it";
      rl.Unlock();
      wlocked.recv();
      select(recv(rlocked, [&] { bad = true; }), default_([] {}));
      if (bad) FAIL() << "RLocker() didn't respect the write lock";
      st->wl.Unlock();
    }
  });
}

// ===========================================================================
// once_test.go
// ===========================================================================

struct one {
  int v = 0;
  void Increment() { v++; }
};

void run_once(sync::Once* once, one* o, chan<bool> c) {
  once->Do([o] { o->Increment(); });
  if (int v = o->v; v != 1) {
    ADD_FAILURE() << "once failed inside run: " << v << " is not 1";
  }
  c.send(true);
}

TEST_P(GoSync, TestOnce) {
  run([] {
    one o;
    sync::Once once;
    auto c = make_chan<bool>();
    const int N = 10;
    for (int i = 0; i < N; i++) {
      gofer::go(run_once, &once, &o, c);
    }
    for (int i = 0; i < N; i++) {
      c.recv();
    }
    if (o.v != 1) {
      ADD_FAILURE() << "once failed outside run: " << o.v << " is not 1";
    }
  });
}

TEST_P(GoSync, TestOncePanic) {
  run([] {
    sync::Once once;
    [&] {
      try {
        once.Do([] { throw gofer::panic_error("failed"); });
      } catch (const gofer::panic_error&) {
        return;  // recovered
      }
      FAIL() << "Once.Do did not panic";
    }();

    once.Do([] { FAIL() << "Once.Do called twice"; });
  });
}

// ===========================================================================
// cond_test.go
// ===========================================================================

// cond_state: the Mutex and Cond that a test's fibers share; held through a
// shared_ptr because a woken fiber's final m.Unlock() may run after the test
// body has returned.
struct cond_state {
  sync::Mutex m;
  sync::Cond c{&m};
  bool flag = false;  // Guarded by m (TestCondBroadcast's exit, ...Stealing's done).
  int x = 0;          // Guarded by m (TestRace).
};

TEST_P(GoSync, TestCondSignal) {
  run([] {
    auto st = std::make_shared<cond_state>();
    auto& m = st->m;
    auto& c = st->c;
    int n = 2;
    auto running = make_chan<bool>(n);
    auto awake = make_chan<bool>(n);
    for (int i = 0; i < n; i++) {
      gofer::go([=] {
        st->m.Lock();
        running.send(true);
        st->c.Wait();
        awake.send(true);
        st->m.Unlock();
      });
    }
    for (int i = 0; i < n; i++) {
      running.recv();  // Wait for everyone to run.
    }
    while (n > 0) {
      bool bad = false;
      select(recv(awake, [&] { bad = true; }), default_([] {}));
      if (bad) FAIL() << "goroutine not asleep";
      m.Lock();
      c.Signal();
      m.Unlock();
      awake.recv();  // Will deadlock if no goroutine wakes up
      select(recv(awake, [&] { bad = true; }), default_([] {}));
      if (bad) FAIL() << "too many goroutines awake";
      n--;
    }
    c.Signal();
  });
}

TEST_P(GoSync, TestCondSignalGenerations) {
  run([] {
    auto st = std::make_shared<cond_state>();
    auto& m = st->m;
    auto& c = st->c;
    const int n = 100;
    auto running = make_chan<bool>(n);
    auto awake = make_chan<int>(n);
    for (int i = 0; i < n; i++) {
      gofer::go([=] {
        st->m.Lock();
        running.send(true);
        st->c.Wait();
        awake.send(i);
        st->m.Unlock();
      });
      if (i > 0) {
        int a = awake.recv();
        if (a != i - 1) {
          FAIL() << "wrong goroutine woke up: want " << i - 1 << ", got " << a;
        }
      }
      running.recv();
      m.Lock();
      c.Signal();
      m.Unlock();
    }
  });
}

TEST_P(GoSync, TestCondBroadcast) {
  run([] {
    auto st = std::make_shared<cond_state>();
    auto& m = st->m;
    auto& c = st->c;
    const int n = 200;
    auto running = make_chan<int>(n);
    auto awake = make_chan<int>(n);
    bool& exit = st->flag;
    for (int i = 0; i < n; i++) {
      gofer::go([=] {
        st->m.Lock();
        while (!st->flag) {
          running.send(i);
          st->c.Wait();
          awake.send(i);
        }
        st->m.Unlock();
      });
    }
    for (int i = 0; i < n; i++) {
      for (int i = 0; i < n; i++) {
        running.recv();  // Will deadlock unless n are running.
      }
      if (i == n - 1) {
        m.Lock();
        exit = true;
        m.Unlock();
      }
      bool bad = false;
      select(recv(awake, [&] { bad = true; }), default_([] {}));
      if (bad) FAIL() << "goroutine not asleep";
      m.Lock();
      c.Broadcast();
      m.Unlock();
      std::vector<bool> seen(n);
      for (int i = 0; i < n; i++) {
        int g = awake.recv();
        if (seen[g]) {
          FAIL() << "goroutine woke up twice";
        }
        seen[g] = true;
      }
    }
    bool bad = false;
    select(recv(running, [&] { bad = true; }), default_([] {}));
    if (bad) FAIL() << "goroutine did not exit";
    c.Broadcast();
  });
}

TEST_P(GoSync, TestRace) {
  run([] {
    auto st = std::make_shared<cond_state>();
    auto done = make_chan<bool>();
    gofer::go([st, done] {
      auto& c = st->c;
      auto& x = st->x;
      st->m.Lock();
      x = 1;
      c.Wait();
      if (x != 2) {
        ADD_FAILURE() << "want 2";
      }
      x = 3;
      c.Signal();
      st->m.Unlock();
      done.send(true);
    });
    gofer::go([st, done] {
      auto& c = st->c;
      auto& x = st->x;
      st->m.Lock();
      for (;;) {
        if (x == 1) {
          x = 2;
          c.Signal();
          break;
        }
        st->m.Unlock();
        runtime::Gosched();
        st->m.Lock();
      }
      st->m.Unlock();
      done.send(true);
    });
    gofer::go([st, done] {
      auto& c = st->c;
      auto& x = st->x;
      st->m.Lock();
      for (;;) {
        if (x == 2) {
          c.Wait();
          if (x != 3) {
            ADD_FAILURE() << "want 3";
          }
          break;
        }
        if (x == 3) {
          break;
        }
        st->m.Unlock();
        runtime::Gosched();
        st->m.Lock();
      }
      st->m.Unlock();
      done.send(true);
    });
    done.recv();
    done.recv();
    done.recv();
  });
}

TEST_P(GoSync, TestCondSignalStealing) {
  run([] {
    for (int iters = 0; iters < 1000; iters++) {
      auto st = std::make_shared<cond_state>();
      auto& m = st->m;
      auto& cond = st->c;

      // Start a waiter.
      auto ch = make_chan<empty>();
      gofer::go([st, ch] {
        st->m.Lock();
        ch.send(empty{});
        st->c.Wait();
        st->m.Unlock();

        ch.send(empty{});
      });

      ch.recv();
      m.Lock();
      m.Unlock();

      // We know that the waiter is in the cond.Wait() call because we
      // synchronized with it, then acquired/released the mutex it was
      // holding when we synchronized.
      //
      // Start two goroutines that will race: one will broadcast on
      // the cond var, the other will wait on it.
      //
      // The new waiter may or may not get notified, but the first one
      // has to be notified.
      bool& done = st->flag;
      gofer::go([st] { st->c.Broadcast(); });

      gofer::go([st] {
        st->m.Lock();
        while (!st->flag) {
          st->c.Wait();
        }
        st->m.Unlock();
      });

      // Check that the first waiter does get signaled.
      bool timed_out = false;
      select(recv(ch, [] {}), recv(time::After(2 * time::Second), [&] { timed_out = true; }));
      if (timed_out) {
        FAIL() << "First waiter didn't get broadcast.";
      }

      // Release the second waiter in case it didn't get the
      // broadcast.
      m.Lock();
      done = true;
      m.Unlock();
      cond.Broadcast();
    }
  });
}

TEST(GoSyncStatic, TestCondCopy) {
  static_assert(!std::is_copy_constructible_v<sync::Cond>);
  static_assert(!std::is_copy_assignable_v<sync::Cond>);
  static_assert(!std::is_copy_constructible_v<sync::Mutex>);
  static_assert(!std::is_copy_constructible_v<sync::RWMutex>);
  static_assert(!std::is_copy_constructible_v<sync::WaitGroup>);
}

}  // namespace
