// Tests of gofer/defer.hpp: Go's defer as a scope guard.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "fixture.hpp"
#include "gofer/defer.hpp"
#include "gofer/gofer.hpp"

namespace {

TEST(Defer, RunsAtScopeExitInReverseOrder) {
  std::vector<int> order;
  {
    GOFER_DEFER(order.push_back(1));
    GOFER_DEFER(order.push_back(2));
    gofer::defer d3([&] { order.push_back(3); });
    EXPECT_TRUE(order.empty()) << "nothing runs before the scope ends";
  }
  EXPECT_EQ(order, (std::vector<int>{3, 2, 1}));
}

int returns_then_defers(std::vector<std::string>& log) {
  GOFER_DEFER(log.push_back("deferred"));
  log.push_back("body");
  return 7;
}

TEST(Defer, RunsOnReturnAfterTheReturnValueIsComputed) {
  std::vector<std::string> log;
  EXPECT_EQ(returns_then_defers(log), 7);
  EXPECT_EQ(log, (std::vector<std::string>{"body", "deferred"}));
}

TEST(Defer, RunsWhileAnExceptionUnwinds) {
  std::vector<int> order;
  try {
    GOFER_DEFER(order.push_back(1));
    GOFER_DEFER(order.push_back(2));
    throw std::runtime_error("boom");
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "boom");
  }
  EXPECT_EQ(order, (std::vector<int>{2, 1}));
}

TEST(Defer, CancelDisarms) {
  int runs = 0;
  {
    gofer::defer d([&] { runs++; });
    d.Cancel();
  }
  EXPECT_EQ(runs, 0);
}

TEST(Defer, TheMacroCapturesByReferenceAndTheNamedFormCopies) {
  int seen_by_ref = 0, seen_by_copy = 0;
  {
    int x = 1;
    GOFER_DEFER(seen_by_ref = x);
    gofer::defer d([&seen_by_copy, x] { seen_by_copy = x; });
    x = 2;
  }
  EXPECT_EQ(seen_by_ref, 2);
  EXPECT_EQ(seen_by_copy, 1);
}

TEST(Defer, AnExceptionFromADeferredCallPropagatesWhenNoneIsUnwinding) {
  try {
    GOFER_DEFER(throw std::runtime_error("from defer"));
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "from defer");
    return;
  }
  FAIL() << "the deferred call's exception was lost";
}

TEST(DeferDeathTest, ADeferredCallThrowingDuringUnwindingEndsTheProcessLikeAGoPanic) {
  EXPECT_EXIT(
      {
        try {
          GOFER_DEFER(throw std::runtime_error("second"));
          throw std::runtime_error("first");
        } catch (...) {
        }
        std::exit(0);
      },
      testing::ExitedWithCode(2), "panic: second \\[thrown by a deferred call while another exception was unwinding\\]");
}

TEST(Defer, ReleasesAMutexOnEveryPathInAFiber) {
  gofer::Runtime rt(gofer::Runtime::Options{.workers = 2});
  rt.run([] {
    gofer::sync::Mutex mu;
    int counter = 0;
    gofer::sync::WaitGroup wg;
    for (int i = 0; i < 50; i++) {
      wg.Add(1);
      gofer::go([&, i] {
        GOFER_DEFER(wg.Done());
        try {
          mu.Lock();
          GOFER_DEFER(mu.Unlock());
          counter++;
          gofer::runtime::Gosched();  // may resume on another worker
          if (i % 5 == 0) throw std::runtime_error("odd job");
        } catch (const std::runtime_error&) {
        }
      });
    }
    wg.Wait();
    EXPECT_EQ(counter, 50);
    EXPECT_TRUE(mu.TryLock()) << "every path unlocked the mutex";
    mu.Unlock();
  });
  rt.Shutdown();
}

TEST(Defer, DeferredCallSeesTheUncaughtStateOfItsOwnFiberAfterMigration) {
  // A defer compares std::uncaught_exceptions() with its value at the defer
  // statement; the counter travels with the fiber (runtime core), so a
  // fiber unwinding on one worker while another fiber's defer runs
  // normally elsewhere must not confuse the two.
  gofer::Runtime rt(gofer::Runtime::Options{.workers = 2});
  std::atomic<int> normal_ok{0}, unwinding_ok{0};
  rt.run([&] {
    gofer::sync::WaitGroup wg;
    for (int i = 0; i < 100; i++) {
      wg.Add(1);
      gofer::go([&, i] {
        GOFER_DEFER(wg.Done());
        if (i % 2 == 0) {
          try {
            GOFER_DEFER(unwinding_ok.fetch_add(std::uncaught_exceptions() == 1 ? 1 : 0));
            gofer::runtime::Gosched();
            throw std::runtime_error("x");
          } catch (const std::runtime_error&) {
          }
        } else {
          GOFER_DEFER(normal_ok.fetch_add(std::uncaught_exceptions() == 0 ? 1 : 0));
          gofer::runtime::Gosched();
        }
      });
    }
    wg.Wait();
  });
  rt.Shutdown();
  EXPECT_EQ(normal_ok.load(), 50);
  EXPECT_EQ(unwinding_ok.load(), 50);
}

}  // namespace
