// tests/runtime/errgroup_test.cpp — gofer::errgroup (golang.org/x/sync/
// errgroup). The x/sync tests re-written for gofer under their names
// (TestZeroGroup, TestWithContext, TestCancelCause, TestGoLimit, TestTryGo),
// plus what the C++ port adds: the SetLimit panic, Go parking at the limit,
// exceptions rethrown by Wait (and never lost), nested Go, use from a plain
// thread, and the happens-before edge from a function to Wait.
#include "gofer/errgroup.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "fixture.hpp"
#include "gofer/context.hpp"
#include "gofer/gofer.hpp"

namespace {

using namespace std::chrono_literals;
using gofer::error;
using gofer::nil;
namespace context = gofer::context;
namespace errgroup = gofer::errgroup;
namespace errors = gofer::errors;
namespace time = gofer::time;

class ErrgroupTest : public gofer_test::RuntimeTest {};
GOFER_INSTANTIATE_WORKER_COUNTS(ErrgroupTest);

// is_done reports whether ctx's Done channel is closed, without blocking
// (Go's `select { case <-ctx.Done(): ...; default: }`).
bool is_done(const context::Context& ctx) {
  gofer::empty e;
  return ctx.Done().try_recv(e);
}

// atomic_max raises *m to at least v.
void atomic_max(std::atomic<std::int32_t>* m, std::int32_t v) {
  std::int32_t cur = m->load();
  while (cur < v && !m->compare_exchange_weak(cur, v)) {
  }
}

TEST_P(ErrgroupTest, TestZeroGroup) {
  run([] {
    const error err1 = errors::New("errgroup_test: 1");
    const error err2 = errors::New("errgroup_test: 2");
    const std::vector<std::vector<error>> cases = {
        {}, {nil}, {err1}, {err1, nil}, {err1, nil, err2},
    };
    for (const auto& errs : cases) {
      errgroup::Group g;
      error firstErr;
      for (std::size_t i = 0; i < errs.size(); i++) {
        const error err = errs[i];
        g.Go([err] { return err; });
        if (firstErr == nil && err != nil) firstErr = err;
        if (error gErr = g.Wait(); gErr != firstErr) {
          ADD_FAILURE() << "after Group.Go(func() error { return err }) for err in errs[:" << i + 1
                        << "]: g.Wait() = " << gErr << "; want " << firstErr;
        }
      }
    }
  });
}

TEST_P(ErrgroupTest, TestWithContext) {
  run([] {
    const error errDoom = errors::New("group_test: doomed");
    struct test_case {
      std::vector<error> errs;
      error want;
    };
    const std::vector<test_case> cases = {
        {{}, nil},
        {{nil}, nil},
        {{errDoom}, errDoom},
        {{errDoom, nil}, errDoom},
    };
    for (const auto& tc : cases) {
      auto [g, ctx] = errgroup::WithContext(context::Background());
      for (const error& err : tc.errs) g.Go([err] { return err; });
      if (error err = g.Wait(); err != tc.want) {
        ADD_FAILURE() << "g.Wait() = " << err << "; want " << tc.want;
      }
      if (!is_done(ctx)) ADD_FAILURE() << "after g.Wait(), ctx.Done() was not closed";
    }
  });
}

// The first error cancels the context at once, before Wait: a fiber that
// waits on ctx.Done() is released by a sibling's error.
TEST_P(ErrgroupTest, TestWithContextCancelsOnFirstError) {
  run([] {
    const error errDoom = errors::New("group_test: doomed");
    auto [g, ctx] = errgroup::WithContext(context::Background());
    g.Go([ctx = ctx]() -> error {
      ctx.Done().recv();  // released only by the sibling's error
      return ctx.Err();
    });
    g.Go([errDoom] { return errDoom; });
    EXPECT_EQ(g.Wait(), errDoom);
    EXPECT_EQ(ctx.Err(), context::Canceled);
    EXPECT_EQ(context::Cause(ctx), errDoom);
  });
}

TEST_P(ErrgroupTest, TestCancelCause) {
  run([] {
    const error errDoom = errors::New("error_test: doomed");
    struct test_case {
      std::vector<error> errs;
      error want;
    };
    const std::vector<test_case> cases = {
        {{}, nil},
        {{nil}, nil},
        {{errDoom}, errDoom},
        {{errDoom, nil}, errDoom},
    };
    for (auto tc : cases) {
      auto [g, ctx] = errgroup::WithContext(context::Background());
      for (const error& err : tc.errs) g.Go([err] { return err; });
      if (error err = g.Wait(); err != tc.want) {
        ADD_FAILURE() << "g.Wait() = " << err << "; want " << tc.want;
      }
      if (tc.want == nil) tc.want = context::Canceled;
      if (error err = context::Cause(ctx); err != tc.want) {
        ADD_FAILURE() << "after g.Wait(), context::Cause(ctx) = " << err << "; want " << tc.want;
      }
    }
  });
}

// A parent's cancellation reaches the group's context.
TEST_P(ErrgroupTest, TestWithContextFollowsParent) {
  run([] {
    auto [parent, cancel] = context::WithCancel(context::Background());
    auto [g, ctx] = errgroup::WithContext(parent);
    g.Go([ctx = ctx]() -> error {
      ctx.Done().recv();
      return ctx.Err();
    });
    cancel();
    EXPECT_EQ(g.Wait(), context::Canceled);
  });
}

TEST_P(ErrgroupTest, TestGoLimit) {
  run([] {
    const int limit = 10;
    errgroup::Group g;
    g.SetLimit(limit);
    auto active = std::make_shared<std::atomic<std::int32_t>>(0);
    auto max_active = std::make_shared<std::atomic<std::int32_t>>(0);
    for (int i = 0; i <= 1 << 10; i++) {
      g.Go([=]() -> error {
        const std::int32_t n = active->fetch_add(1) + 1;
        atomic_max(max_active.get(), n);
        if (n > limit) {
          return errors::New("saw " + std::to_string(n) +
                             " active goroutines; want <= " + std::to_string(limit));
        }
        time::Sleep(time::Microsecond);  // Give other fibers a chance to increment active.
        active->fetch_add(-1);
        return nil;
      });
    }
    if (error err = g.Wait(); err != nil) FAIL() << err;
    EXPECT_LE(max_active->load(), limit);
    EXPECT_GE(max_active->load(), 1);
  });
}

TEST_P(ErrgroupTest, TestTryGo) {
  run([] {
    errgroup::Group g;
    const int n = 42;
    g.SetLimit(42);
    auto ch = gofer::make_chan<gofer::empty>();
    auto fn = [ch]() -> error {
      ch.send(gofer::empty{});
      return nil;
    };
    for (int i = 0; i < n; i++) {
      if (!g.TryGo(fn)) FAIL() << "TryGo should succeed but got fail at " << i << "-th call.";
    }
    if (g.TryGo(fn)) FAIL() << "TryGo is expected to fail but succeeded.";
    gofer::go([ch, n] {
      for (int i = 0; i < n; i++) ch.recv();
    });
    g.Wait();

    if (!g.TryGo(fn)) FAIL() << "TryGo should success but got fail after all goroutines.";
    gofer::go([ch] { ch.recv(); });
    g.Wait();

    // Switch limit.
    g.SetLimit(1);
    if (!g.TryGo(fn)) FAIL() << "TryGo should success but got failed.";
    if (g.TryGo(fn)) FAIL() << "TryGo should fail but succeeded.";
    gofer::go([ch] { ch.recv(); });
    g.Wait();

    // Block all calls.
    g.SetLimit(0);
    for (int i = 0; i < 1 << 10; i++) {
      if (g.TryGo(fn)) FAIL() << "TryGo should fail but got succeded.";
    }
    g.Wait();

    // No limit again.
    g.SetLimit(-1);
    for (int i = 0; i < 3; i++) ASSERT_TRUE(g.TryGo(fn));
    gofer::go([ch] {
      for (int i = 0; i < 3; i++) ch.recv();
    });
    g.Wait();
  });
}

TEST_P(ErrgroupTest, TestSetLimitWhileActivePanics) {
  run([] {
    errgroup::Group g;
    g.SetLimit(3);
    auto release = gofer::make_chan<gofer::empty>();
    for (int i = 0; i < 2; i++) {
      g.Go([release]() -> error {
        release.recv();
        return nil;
      });
    }
    try {
      g.SetLimit(5);
      ADD_FAILURE() << "SetLimit with active goroutines did not panic";
    } catch (const gofer::panic_error& e) {
      EXPECT_STREQ(e.what(),
                   "errgroup: modify limit while 2 goroutines in the group are still active");
    }
    close(release);
    EXPECT_EQ(g.Wait(), nil);
    g.SetLimit(5);  // nothing active: fine
  });
}

// Go blocks while the limit is reached and resumes when a slot frees up; a
// fiber blocked in Go parks (with 1 worker, the group's fibers could not run
// otherwise).
TEST_P(ErrgroupTest, TestGoBlocksAtLimit) {
  run([] {
    errgroup::Group g;
    g.SetLimit(1);
    auto release = gofer::make_chan<gofer::empty>();
    auto started = gofer::make_chan<int>(2);
    g.Go([=]() -> error {
      started.send(1);
      release.recv();
      return nil;
    });
    ASSERT_EQ(started.recv(), 1);
    auto go_returned = std::make_shared<std::atomic<bool>>(false);
    auto spawner_done = gofer::make_chan<gofer::empty>();
    gofer::go([=]() mutable {
      g.Go([=]() -> error {
        started.send(2);
        return nil;
      });
      go_returned->store(true);
      close(spawner_done);
    });
    // The spawner must stay blocked while the first function runs. (A
    // negative check: a correct Go can never make it fail.)
    time::Sleep(20 * time::Millisecond);
    EXPECT_FALSE(go_returned->load()) << "Go returned while the limit was reached";
    EXPECT_EQ(len(started), 0u) << "a second function ran while the limit was reached";
    close(release);
    spawner_done.recv();
    EXPECT_EQ(started.recv(), 2);
    EXPECT_EQ(g.Wait(), nil);
  });
}

// Functions passed to Go may themselves call Go on the group (the counter is
// not zero), capturing the handle by value.
TEST_P(ErrgroupTest, TestNestedGo) {
  run([] {
    errgroup::Group g;
    auto count = std::make_shared<std::atomic<int>>(0);
    // A binary tree of depth 8: 2^9 - 1 functions.
    std::function<error(int)> node = [g, count, &node](int depth) -> error {
      count->fetch_add(1);
      if (depth > 0) {
        for (int k = 0; k < 2; k++) g.Go([&node, depth] { return node(depth - 1); });
      }
      return nil;
    };
    g.Go([&node] { return node(8); });
    EXPECT_EQ(g.Wait(), nil);
    EXPECT_EQ(count->load(), (1 << 9) - 1);
  });
}

// Everything a function did happens-before Wait's return: plain writes, read
// after Wait (TSan checks the edge).
TEST_P(ErrgroupTest, TestWaitHappensAfterEveryFunction) {
  run([] {
    constexpr int kN = 200;
    std::vector<int> slots(kN, 0);
    errgroup::Group g;
    for (int i = 0; i < kN; i++) {
      g.Go([&slots, i]() -> error {
        if (i % 7 == 0) gofer::runtime::Gosched();
        slots[i] = i + 1;
        return nil;
      });
    }
    EXPECT_EQ(g.Wait(), nil);
    for (int i = 0; i < kN; i++) ASSERT_EQ(slots[i], i + 1);
  });
}

// Exceptions: the first is rethrown by every Wait, after all functions are
// done; the context is cancelled at once; errors still count.
TEST_P(ErrgroupTest, TestExceptionIsRethrownByWait) {
  run([] {
    auto [g, ctx] = errgroup::WithContext(context::Background());
    auto finished = std::make_shared<std::atomic<int>>(0);
    g.Go([ctx = ctx, finished]() -> error {
      ctx.Done().recv();  // released by the sibling's exception
      finished->fetch_add(1);
      return nil;
    });
    g.Go([]() -> error { throw std::runtime_error("boom"); });
    for (int round = 0; round < 2; round++) {
      try {
        g.Wait();
        ADD_FAILURE() << "Wait did not rethrow";
      } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "boom");
      }
      EXPECT_EQ(finished->load(), 1) << "Wait rethrew before every function returned";
    }
    EXPECT_EQ(ctx.Err(), context::Canceled);
    EXPECT_EQ(context::Cause(ctx), context::Canceled);
  });
}

TEST_P(ErrgroupTest, TestPanicErrorKeepsItsTypeAndFirstWins) {
  run([] {
    auto [g, ctx] = errgroup::WithContext(context::Background());
    const error err = errors::New("plain error");
    g.Go([]() -> error { throw gofer::panic_error("first"); });
    g.Go([ctx]() -> error {
      ctx.Done().recv();  // after the first exception cancelled ctx
      throw std::logic_error("second");
    });
    g.Go([ctx, err] {
      ctx.Done().recv();
      return err;
    });
    try {
      g.Wait();
      ADD_FAILURE() << "Wait did not rethrow";
    } catch (const gofer::panic_error& e) {
      EXPECT_STREQ(e.what(), "first");
    } catch (const std::logic_error& e) {
      ADD_FAILURE() << "the second exception won: " << e.what();
    }
  });
}

// From a plain thread: Go spawns on the default runtime, Wait blocks the
// thread; a limit blocks the thread in Go.
TEST(Errgroup, WorksFromAPlainThread) {
  ASSERT_FALSE(gofer_test::in_fiber());
  errgroup::Group g;
  g.SetLimit(2);
  std::atomic<int> sum{0};
  std::atomic<std::int32_t> active{0}, max_active{0};
  for (int i = 1; i <= 50; i++) {
    g.Go([&, i]() -> error {
      atomic_max(&max_active, active.fetch_add(1) + 1);
      time::Sleep(100 * time::Microsecond);
      sum.fetch_add(i);
      active.fetch_sub(1);
      return i == 37 ? errors::New("37") : nil;
    });
  }
  error err = g.Wait();
  ASSERT_NE(err, nil);
  EXPECT_EQ(err.Error(), "37");
  EXPECT_EQ(sum.load(), 50 * 51 / 2);
  EXPECT_LE(max_active.load(), 2);
}

// An exception that no Wait rethrew is not lost: when the group goes away,
// the process ends as for an unrecovered panic.
TEST(ErrgroupDeathTest, ExceptionNeverWaitedForEndsTheProcess) {
  EXPECT_EXIT(
      {
        alarm(30);
        gofer::run([] {
          {
            errgroup::Group g;
            g.Go([]() -> error { throw std::runtime_error("lost boom"); });
          }
          time::Sleep(10 * time::Second);
        });
        std::exit(0);
      },
      ::testing::ExitedWithCode(2), "panic: lost boom");
}

}  // namespace
