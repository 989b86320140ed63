// tests/patterns/timeout_test.cpp — patterns::WithTimeout
// (gofer/patterns/timeout.hpp): fn faster than the timeout returns its
// value (and error), fn slower returns DeadlineExceeded within tolerance and
// keeps running safely (the capture rule: state owned by the fiber, checked
// by ASan), the fn(ctx) form stopping early, a cancelled parent, exceptions,
// move-only results, explicit T, many concurrent calls, and results that
// race the deadline.
#include "gofer/patterns/timeout.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "fixture.hpp"
#include "gofer/gofer.hpp"

namespace {

using namespace std::chrono_literals;
using gofer::error;
using gofer::nil;
namespace context = gofer::context;
namespace errors = gofer::errors;
namespace patterns = gofer::patterns;
namespace runtime = gofer::runtime;
namespace time = gofer::time;

class TimeoutTest : public gofer_test::RuntimeTest {};
GOFER_INSTANTIATE_WORKER_COUNTS(TimeoutTest);

struct User {
  std::string ID;
  std::string Name;
};

TEST_P(TimeoutTest, FastFnReturnsItsValue) {
  run([] {
    auto [v, err] =
        patterns::WithTimeout(context::Background(), time::Second, []() -> std::pair<int, error> {
          return {42, nil};
        });
    EXPECT_EQ(v, 42);
    EXPECT_EQ(err, nil);

    const error errNotFound = errors::New("not found");
    auto [u, err2] =
        patterns::WithTimeout(context::Background(), time::Second,
                              [errNotFound]() -> std::pair<std::shared_ptr<User>, error> {
                                return {nullptr, errNotFound};
                              });
    EXPECT_EQ(u, nullptr);
    EXPECT_EQ(err2, errNotFound) << "fn's own error is passed through";
  });
}

// The article's fetchUserWithTimeout, scaled: a 20 ms database call under a
// 1 s timeout returns the user.
TEST_P(TimeoutTest, ArticleFetchUserInTime) {
  run([] {
    const std::string userID = "u-1";
    auto start = time::Now();
    auto [user, err] = patterns::WithTimeout(
        context::Background(), time::Second, [userID]() -> std::pair<std::shared_ptr<User>, error> {
          time::Sleep(20 * time::Millisecond);
          return {std::make_shared<User>(User{userID, "John Doe"}), nil};
        });
    ASSERT_EQ(err, nil);
    EXPECT_EQ(user->ID, "u-1");
    EXPECT_EQ(user->Name, "John Doe");
    EXPECT_GE(time::Since(start), 20 * time::Millisecond);
    EXPECT_LT(time::Since(start), gofer_test::slack(500ms));
  });
}

// late_call runs a WithTimeout whose fn outlives it: everything fn uses is
// owned by fn (by-value captures and a shared_ptr), never this frame's
// locals. After it returns its frame is gone; ASan would flag any access.
struct late_state {
  std::atomic<bool> finished{false};
  std::atomic<int> writes{0};
};
std::pair<std::string, error> late_call(std::shared_ptr<late_state> st, time::Duration timeout,
                                        time::Duration work) {
  std::string local_prefix = "value-";  // a caller local: copied into fn
  return patterns::WithTimeout(context::Background(), timeout,
                               [st, local_prefix, work]() -> std::pair<std::string, error> {
                                 time::Sleep(work);
                                 st->writes.fetch_add(1);
                                 std::string v = local_prefix + "late";  // reads fn's own copy
                                 st->finished.store(true);
                                 return {v, nil};
                               });
}

TEST_P(TimeoutTest, SlowFnTimesOutAndKeepsRunningSafely) {
  run([] {
    auto st = std::make_shared<late_state>();
    const auto start = time::Now();
    auto [v, err] = late_call(st, 20 * time::Millisecond, 150 * time::Millisecond);
    const auto took = time::Since(start);
    EXPECT_EQ(v, "") << "T{} on a timeout";
    EXPECT_EQ(err, context::DeadlineExceeded);
    EXPECT_TRUE(errors::Is(err, context::DeadlineExceeded));
    EXPECT_GE(took, 20 * time::Millisecond);
    EXPECT_LT(took, 20 * time::Millisecond + gofer_test::slack(100ms));
    EXPECT_FALSE(st->finished.load()) << "fn is still running";
    // fn finishes later, in its own fiber, with its own state; its fiber
    // never blocks (buffered result channel) and then releases fn.
    EXPECT_TRUE(gofer_test::eventually([&] { return st->finished.load(); }));
    EXPECT_EQ(st->writes.load(), 1);
    EXPECT_TRUE(gofer_test::eventually([&] { return st.use_count() == 1; }))
        << "the late fiber released fn and its captures";
  });
}

// The fn(ctx) form sees the derived context end at the timeout and can stop
// early instead of wasting work.
TEST_P(TimeoutTest, CtxFormStopsEarly) {
  run([] {
    auto seen = std::make_shared<std::atomic<int>>(0);  // 1: DeadlineExceeded seen
    auto stopped_at = std::make_shared<std::atomic<std::int64_t>>(0);
    const auto start = time::Now();
    auto [v, err] = patterns::WithTimeout(
        context::Background(), 10 * time::Millisecond,
        [seen, stopped_at, start](const context::Context& ctx) -> std::pair<int, error> {
          gofer::select(gofer::recv(ctx.Done(), [] {}),
                        gofer::recv(time::After(10 * time::Second), [](time::Time) {}));
          if (ctx.Err() == context::DeadlineExceeded) seen->store(1);
          stopped_at->store(time::Since(start).count());
          return {1, ctx.Err()};
        });
    // fn wakes at the same moment as the caller and may finish before the
    // caller abandons it; then its own result, {1, DeadlineExceeded}, is
    // returned (exactly one side owns the outcome).
    EXPECT_TRUE(v == 0 || v == 1) << v;
    EXPECT_EQ(err, context::DeadlineExceeded);
    EXPECT_TRUE(gofer_test::eventually([&] { return seen->load() == 1; }));
    EXPECT_LT(stopped_at->load(), time::Duration(gofer_test::slack(1000ms)).count());
  });
}

// The derived context is also cancelled when WithTimeout returns normally.
TEST_P(TimeoutTest, DerivedContextEndsWithTheCall) {
  run([] {
    auto inner = std::make_shared<context::Context>();  // shared, per the capture rule
    auto [v, err] =
        patterns::WithTimeout(context::Background(), time::Second,
                              [inner](const context::Context& ctx) -> std::pair<int, error> {
                                *inner = ctx;
                                return {7, nil};
                              });
    EXPECT_EQ(v, 7);
    EXPECT_EQ(err, nil);
    ASSERT_TRUE(static_cast<bool>(*inner));
    EXPECT_EQ(inner->Err(), context::Canceled);
  });
}

TEST_P(TimeoutTest, ParentCancelledReturnsParentsError) {
  run([] {
    auto [ctx, cancel] = context::WithCancel(context::Background());
    gofer::go([cancel = cancel] {
      time::Sleep(10 * time::Millisecond);
      cancel();
    });
    const auto start = time::Now();
    auto [v, err] = patterns::WithTimeout(ctx, 10 * time::Second, []() -> std::pair<int, error> {
      time::Sleep(100 * time::Millisecond);
      return {1, nil};
    });
    EXPECT_EQ(v, 0);
    EXPECT_EQ(err, context::Canceled);
    EXPECT_LT(time::Since(start), gofer_test::slack(90ms));

    // Already cancelled: returns at once.
    auto [v2, err2] = patterns::WithTimeout(ctx, time::Second, []() -> std::pair<int, error> {
      time::Sleep(50 * time::Millisecond);
      return {2, nil};
    });
    EXPECT_EQ(err2, context::Canceled);

    // A parent deadline earlier than the timeout wins.
    auto [dctx, dcancel] = context::WithTimeout(context::Background(), 10 * time::Millisecond);
    auto [v3, err3] = patterns::WithTimeout(dctx, 10 * time::Second, []() -> std::pair<int, error> {
      time::Sleep(100 * time::Millisecond);
      return {3, nil};
    });
    EXPECT_EQ(err3, context::DeadlineExceeded);
    dcancel();
    // The late fibers finish on their own (the fixture checks none is left).
  });
}

TEST_P(TimeoutTest, ExceptionBeforeTheTimeoutIsRethrown) {
  run([] {
    EXPECT_THROW(
        {
          try {
            patterns::WithTimeout(
                context::Background(), time::Second,
                []() -> std::pair<int, error> { throw std::runtime_error("fn failed"); });
          } catch (const std::runtime_error& e) {
            EXPECT_STREQ(e.what(), "fn failed");
            throw;
          }
        },
        std::runtime_error);
  });
}

// Move-only fn and move-only T; explicit T (Go's WithTimeout[T]).
TEST_P(TimeoutTest, MoveOnlyAndExplicitT) {
  run([] {
    auto p = std::make_unique<int>(5);
    auto [v, err] = patterns::WithTimeout(
        context::Background(), time::Second,
        [p = std::move(p)]() mutable -> std::pair<std::unique_ptr<int>, error> {
          return {std::move(p), nil};
        });
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(*v, 5);
    EXPECT_EQ(err, nil);

    auto [d, err2] = patterns::WithTimeout<double>(context::Background(), time::Second,
                                                   []() { return std::pair<int, error>(3, nil); });
    static_assert(std::is_same_v<decltype(d), double>);
    EXPECT_EQ(d, 3.0);
    EXPECT_EQ(err2, nil);

    // A T without a default constructor goes through std::optional.
    struct NoDefault {
      explicit NoDefault(int x) : x(x) {}
      int x;
    };
    auto [o, err3] = patterns::WithTimeout(context::Background(), time::Second,
                                           []() -> std::pair<std::optional<NoDefault>, error> {
                                             return {NoDefault(9), nil};
                                           });
    ASSERT_TRUE(o.has_value());
    EXPECT_EQ(o->x, 9);
    EXPECT_EQ(err3, nil);
  });
}

// Many concurrent calls, half fast and half slow: each gets the right
// answer, and every late fiber ends. A slow fn waits for its context to end
// (so it can never beat the timeout, however late the scheduler runs the
// caller) and then reports the context's error itself; its result may win
// the caller's select at the deadline, so a slow call returns either
// {0, DeadlineExceeded} (the timeout path) or {-1, DeadlineExceeded} (fn's).
TEST_P(TimeoutTest, ManyConcurrentCalls) {
  run([] {
    const int n = static_cast<int>(gofer_test::live_capped(gofer_test::scaled(400, 100)));
    std::atomic<int> values{0}, timeouts{0}, wrong{0};
    gofer::sync::WaitGroup wg;
    for (int i = 0; i < n; i++) {
      wg.Add(1);
      gofer::go([&, i] {
        const bool slow = i % 2 == 1;
        auto [v, err] = patterns::WithTimeout(
            context::Background(), slow ? 5 * time::Millisecond : 10 * time::Second,
            [i, slow](const context::Context& ctx) -> std::pair<int, error> {
              if (!slow) {
                time::Sleep(time::Millisecond);
                return {i, nil};
              }
              gofer::select(gofer::recv(ctx.Done(), [] {}));
              return {-1, ctx.Err()};
            });
        if (slow) {
          if (err == context::DeadlineExceeded && (v == 0 || v == -1))
            timeouts.fetch_add(1);
          else
            wrong.fetch_add(1);
        } else {
          if (err == nil && v == i)
            values.fetch_add(1);
          else
            wrong.fetch_add(1);
        }
        wg.Done();
      });
    }
    wg.Wait();
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_EQ(values.load(), n / 2);
    EXPECT_EQ(timeouts.load(), n / 2);
  });
}

// fn finishing right at the deadline: the call returns either fn's value
// or DeadlineExceeded — never a lost or mixed result — and no fiber hangs.
TEST_P(TimeoutTest, ResultRacingTheDeadline) {
  run([] {
    const int n = static_cast<int>(gofer_test::scaled(200, 50));
    int values = 0, timeouts = 0;
    auto done = std::make_shared<std::atomic<int>>(0);
    for (int i = 0; i < n; i++) {
      auto [v, err] = patterns::WithTimeout(context::Background(), 200 * time::Microsecond,
                                            [i, done]() -> std::pair<int, error> {
                                              time::Sleep(200 * time::Microsecond);
                                              done->fetch_add(1);
                                              return {i + 1, nil};
                                            });
      if (err == nil) {
        ASSERT_EQ(v, i + 1);
        values++;
      } else {
        ASSERT_EQ(err, context::DeadlineExceeded);
        ASSERT_EQ(v, 0);
        timeouts++;
      }
    }
    EXPECT_EQ(values + timeouts, n);
    EXPECT_TRUE(gofer_test::eventually([&] { return done->load() == n; }));
  });
}

// An exception thrown after the timeout has nobody to go to: it ends the
// process as an unrecovered panic in a goroutine does.
TEST(TimeoutDeathTest, ExceptionAfterTheTimeoutIsAPanic) {
  EXPECT_EXIT(
      {
        alarm(30);
        gofer::run([] {
          auto [v, err] = patterns::WithTimeout(context::Background(), time::Millisecond,
                                                []() -> std::pair<int, error> {
                                                  time::Sleep(20 * time::Millisecond);
                                                  throw std::runtime_error("late boom");
                                                });
          (void)v;
          if (err != context::DeadlineExceeded) std::exit(3);
          time::Sleep(10 * time::Second);
        });
        std::exit(0);
      },
      ::testing::ExitedWithCode(2), "panic: late boom");
}

}  // namespace
