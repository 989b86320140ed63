// tests/runtime/runtime_death_test.cpp — the ways a gofer program dies, with
// Go's messages: a fiber stack overflow, an exception escaping a fiber (Go's
// unrecovered panic, exit code 2), and "all goroutines are asleep -
// deadlock!" (exit code 2) — and the cases that look like a deadlock but are
// not (a plain thread that will wake a fiber, a pending timer), which must
// exit normally.
//
// Death tests run in a re-executed copy of this binary (death_test_style is
// "threadsafe", set by tests/support/test_main.cpp), so each statement starts
// with no runtime running.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "fixture.hpp"
#include "gofer/gofer.hpp"

namespace {

using namespace std::chrono_literals;
using ::testing::ExitedWithCode;
namespace sync = gofer::sync;

constexpr const char* kDeadlock = "fatal error: all goroutines are asleep - deadlock!";

// arm_alarm bounds a death test's child: if the runtime hangs instead of
// dying (a deadlock that is never detected, say), SIGALRM kills the child
// and the test fails at once instead of at the CTest timeout. A signal, not
// a watchdog thread: a plain thread outside gofer would itself keep deadlock
// detection from firing.
void arm_alarm() { alarm(30); }

// recurse overflows any stack: every frame keeps a live buffer and the
// recursion is not a tail call. `g_depth_limit` is never reached; it only
// keeps the compiler from proving the recursion infinite.
std::atomic<long> g_depth_limit{1L << 40};

[[gnu::noinline]] long recurse(long depth) {
  volatile char frame[512];
  frame[0] = static_cast<char>(depth);
  frame[511] = static_cast<char>(depth >> 8);
  if (depth >= g_depth_limit.load(std::memory_order_relaxed)) return depth;
  return recurse(depth + 1) + frame[0] + frame[511];
}

// ---------------------------------------------------------------------------
// Stack overflow
// ---------------------------------------------------------------------------

TEST(RuntimeDeathTest, StackOverflowInASpawnedFiberIsReported) {
  EXPECT_DEATH(
      {
        arm_alarm();
        gofer::run([] {
          sync::WaitGroup wg;
          wg.Add(1);
          gofer::go([&] {
            recurse(0);
            wg.Done();
          });
          wg.Wait();
        });
        std::exit(0);
      },
      "fiber stack overflow");
}

TEST(RuntimeDeathTest, StackOverflowInTheMainFiberIsReported) {
  EXPECT_DEATH(
      {
        arm_alarm();
        gofer::Runtime rt(gofer::Runtime::Options{.workers = 4});
        rt.run([] { recurse(0); });
        std::exit(0);
      },
      "fiber stack overflow");
}

// Stacks are mapped in batches, each right above another stack's top (and
// its g): the guard between them still catches the overflow. The
// overflowing fiber is spawned after 40 parked ones, so its stack sits in
// the middle of a batch.
TEST(RuntimeDeathTest, StackOverflowOfAStackBetweenLiveStacksIsReported) {
  EXPECT_DEATH(
      {
        arm_alarm();
        gofer::Runtime rt(gofer::Runtime::Options{.workers = 1});
        rt.run([] {
          sync::WaitGroup parked, never;
          never.Add(1);
          parked.Add(40);
          for (int i = 0; i < 40; ++i)
            gofer::go([&] {
              parked.Done();
              never.Wait();
            });
          parked.Wait();
          sync::WaitGroup wg;
          wg.Add(1);
          gofer::go([&] {
            recurse(0);
            wg.Done();
          });
          wg.Wait();
        });
        std::exit(0);
      },
      "fiber stack overflow");
}

TEST(RuntimeDeathTest, StackOverflowWithALargerPerSpawnStackIsReported) {
  EXPECT_DEATH(
      {
        arm_alarm();
        gofer::run([] {
          sync::WaitGroup wg;
          wg.Add(1);
          gofer::go(gofer::spawn_options{.stack_size = 1 << 20}, [&] {
            recurse(0);
            wg.Done();
          });
          wg.Wait();
        });
        std::exit(0);
      },
      "fiber stack overflow");
}

// ---------------------------------------------------------------------------
// Panics: an exception escaping a fiber
// ---------------------------------------------------------------------------

TEST(RuntimeDeathTest, ExceptionEscapingASpawnedFiberPanics) {
  EXPECT_EXIT(
      {
        arm_alarm();
        gofer::run([] {
          gofer::go([] { throw std::runtime_error("boom"); });
          gofer::time::Sleep(10 * gofer::time::Second);
        });
        std::exit(0);
      },
      ExitedWithCode(2), "panic: boom(.|\n)*goroutine [0-9]+");
}

TEST(RuntimeDeathTest, ExceptionEscapingTheMainFiberPanics) {
  EXPECT_EXIT(
      {
        arm_alarm();
        gofer::run([] { throw std::runtime_error("boom"); });
        std::exit(0);
      },
      ExitedWithCode(2), "panic: boom");
}

TEST(RuntimeDeathTest, ExceptionEscapingAFiberOfAnExplicitRuntimePanics) {
  EXPECT_EXIT(
      {
        arm_alarm();
        gofer::Runtime rt(gofer::Runtime::Options{.workers = 2});
        rt.go([] {
          gofer::runtime::Gosched();
          throw std::logic_error("boom from rt.go");
        });
        std::this_thread::sleep_for(10s);
        std::exit(0);
      },
      ExitedWithCode(2), "panic: boom from rt.go");
}

TEST(RuntimeDeathTest, MisuseInAFiberPanicsWithGoText) {
  EXPECT_EXIT(
      {
        arm_alarm();
        gofer::run([] {
          sync::WaitGroup wg;
          wg.Done();
        });
        std::exit(0);
      },
      ExitedWithCode(2), "panic: sync: negative WaitGroup counter");
}

// ---------------------------------------------------------------------------
// Deadlock
// ---------------------------------------------------------------------------

TEST(RuntimeDeathTest, DeadlockMainFiberOnAWaitGroup) {
  EXPECT_EXIT(
      {
        arm_alarm();
        gofer::run([] {
          sync::WaitGroup wg;
          wg.Add(1);
          wg.Wait();
        });
        std::exit(0);
      },
      ExitedWithCode(2), kDeadlock);
}

TEST(RuntimeDeathTest, DeadlockAfterOtherFibersFinished) {
  EXPECT_EXIT(
      {
        arm_alarm();
        gofer::run([] {
          sync::WaitGroup done, never;
          done.Add(10);
          never.Add(1);
          for (int i = 0; i < 10; ++i)
            gofer::go([&] {
              gofer::time::Sleep(gofer::time::Millisecond);
              done.Done();
            });
          done.Wait();
          never.Wait();
        });
        std::exit(0);
      },
      ExitedWithCode(2), kDeadlock);
}

TEST(RuntimeDeathTest, DeadlockFibersOnAMutex) {
  EXPECT_EXIT(
      {
        arm_alarm();
        gofer::run([] {
          sync::Mutex mu;
          sync::WaitGroup wg;
          mu.Lock();  // never unlocked
          wg.Add(3);
          for (int i = 0; i < 3; ++i)
            gofer::go([&] {
              mu.Lock();
              wg.Done();
            });
          wg.Wait();
        });
        std::exit(0);
      },
      ExitedWithCode(2), kDeadlock);
}

TEST(RuntimeDeathTest, DeadlockMainFiberOnItsOwnMutex) {
  EXPECT_EXIT(
      {
        arm_alarm();
        gofer::run([] {
          sync::Mutex mu;
          mu.Lock();
          mu.Lock();  // not recursive
        });
        std::exit(0);
      },
      ExitedWithCode(2), kDeadlock);
}

TEST(RuntimeDeathTest, DeadlockFibersOnACond) {
  EXPECT_EXIT(
      {
        arm_alarm();
        gofer::run([] {
          sync::Mutex mu;
          sync::Cond cond(&mu);
          bool ready = false;
          for (int i = 0; i < 3; ++i)
            gofer::go([&] {
              mu.Lock();
              while (!ready) cond.Wait();
              mu.Unlock();
            });
          mu.Lock();
          while (!ready) cond.Wait();  // nobody will ever Signal
          mu.Unlock();
        });
        std::exit(0);
      },
      ExitedWithCode(2), kDeadlock);
}

TEST(RuntimeDeathTest, DeadlockUnderAnExplicitRuntimeRun) {
  EXPECT_EXIT(
      {
        arm_alarm();
        gofer::Runtime rt(gofer::Runtime::Options{.workers = 3});
        rt.run([] {
          sync::RWMutex rw;
          rw.RLock();
          rw.Lock();  // waits for its own reader
        });
        std::exit(0);
      },
      ExitedWithCode(2), kDeadlock);
}

// The three tests below follow from the rule "no fiber can run, no timer is
// pending, and every other thread is blocked inside a gofer primitive":
// whichever happens last (the fibers park, the plain thread blocks, the
// plain thread exits) must trigger the report.

TEST(RuntimeDeathTest, DeadlockWhenAPlainThreadIsAlreadyBlockedInGofer) {
  EXPECT_EXIT(
      {
        arm_alarm();
        static sync::Mutex mu;
        static sync::WaitGroup wg;
        gofer::run([] {
          mu.Lock();
          wg.Add(1);
          std::thread([] {
            mu.Lock();  // blocks this thread forever
            wg.Done();
          }).detach();
          gofer::time::Sleep(100 * gofer::time::Millisecond);  // the thread blocks first
          wg.Wait();
        });
        std::exit(0);
      },
      ExitedWithCode(2), kDeadlock);
}

TEST(RuntimeDeathTest, DeadlockWhenAPlainThreadBlocksInGoferAfterTheFibersPark) {
  EXPECT_EXIT(
      {
        arm_alarm();
        static sync::Mutex mu;
        static sync::WaitGroup wg;
        gofer::run([] {
          mu.Lock();
          wg.Add(1);
          std::thread([] {
            std::this_thread::sleep_for(100ms);  // the main fiber parks first
            mu.Lock();                           // then this thread blocks forever
            wg.Done();
          }).detach();
          wg.Wait();
        });
        std::exit(0);
      },
      ExitedWithCode(2), kDeadlock);
}

TEST(RuntimeDeathTest, DeadlockWhenTheOnlyOutsideThreadExitsWithoutWaking) {
  EXPECT_EXIT(
      {
        arm_alarm();
        static sync::WaitGroup wg;
        gofer::run([] {
          wg.Add(1);
          std::thread([] { std::this_thread::sleep_for(100ms); }).detach();  // never calls Done
          wg.Wait();
        });
        std::exit(0);
      },
      ExitedWithCode(2), kDeadlock);
}

// ---------------------------------------------------------------------------
// Not a deadlock: these must exit normally.
// ---------------------------------------------------------------------------

TEST(RuntimeDeathTest, NoDeadlockWhileAPlainThreadWillCallDone) {
  EXPECT_EXIT(
      {
        arm_alarm();
        gofer::run([] {
          sync::WaitGroup wg;
          wg.Add(1);
          const auto t0 = std::chrono::steady_clock::now();
          std::thread t([&] {
            std::this_thread::sleep_for(300ms);  // outside gofer: it may still wake us
            wg.Done();
          });
          wg.Wait();
          t.join();
          if (std::chrono::steady_clock::now() - t0 < 300ms) std::_Exit(3);
        });
        std::exit(0);
      },
      ExitedWithCode(0), "");
}

TEST(RuntimeDeathTest, NoDeadlockWhileTheMainFiberSleeps) {
  EXPECT_EXIT(
      {
        arm_alarm();
        static sync::WaitGroup never;
        static sync::Mutex held;
        gofer::run([] {
          never.Add(1);
          held.Lock();
          for (int i = 0; i < 4; ++i) gofer::go([] { never.Wait(); });
          gofer::go([] { held.Lock(); });
          const auto t0 = gofer::time::Now();
          gofer::time::Sleep(300 * gofer::time::Millisecond);  // a pending timer
          if (gofer::time::Since(t0) < 300 * gofer::time::Millisecond) std::_Exit(3);
        });
        std::exit(0);
      },
      ExitedWithCode(0), "");
}

TEST(RuntimeDeathTest, NoDeadlockWhileAnotherFiberSleeps) {
  EXPECT_EXIT(
      {
        arm_alarm();
        gofer::run([] {
          sync::WaitGroup wg;
          wg.Add(1);
          gofer::go([&] {
            gofer::time::Sleep(300 * gofer::time::Millisecond);
            wg.Done();
          });
          wg.Wait();
        });
        std::exit(0);
      },
      ExitedWithCode(0), "");
}

TEST(RuntimeDeathTest, MainReturningAbandonsParkedFibers) {
  EXPECT_EXIT(
      {
        arm_alarm();
        static sync::WaitGroup never;
        never.Add(1);
        gofer::run([] {
          for (int i = 0; i < 8; ++i) gofer::go([] { never.Wait(); });
          gofer::runtime::Gosched();
        });
        std::exit(0);
      },
      ExitedWithCode(0), "");
}

}  // namespace
