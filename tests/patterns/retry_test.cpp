// tests/patterns/retry_test.cpp — gofer::patterns::WithRetry, the article's
// withRetry (shared/seeds/000_93dc988236682126.txt, "最佳实践总结" 4) made
// ctx-aware: success on the Nth attempt, giving up after MaxAttempts with
// the last error wrapped, no sleep after the last attempt (measured),
// prompt return on ctx cancel and deadline, permanent errors, backoff
// growth and cap, bounded jitter, bad options, the article's signature.
#include "gofer/patterns/retry.hpp"

#include <atomic>
#include <chrono>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "fixture.hpp"
#include "gofer/gofer.hpp"
#include "gofer/patterns/worker_pool.hpp"

namespace {

using namespace std::chrono_literals;
using gofer::error;
using gofer::nil;
using gofer_test::slack;
namespace context = gofer::context;
namespace errors = gofer::errors;
namespace patterns = gofer::patterns;
namespace time = gofer::time;
using patterns::RetryOptions;

class RetryTest : public gofer_test::RuntimeTest {};
GOFER_INSTANTIATE_WORKER_COUNTS(RetryTest);

// fast: options with tiny delays and no jitter, for tests about counts.
RetryOptions fast(int attempts) {
  RetryOptions o;
  o.MaxAttempts = attempts;
  o.BaseDelay = 100 * time::Microsecond;
  o.MaxDelay = time::Millisecond;
  o.Jitter = 0;
  return o;
}

TEST_P(RetryTest, SucceedsOnNthAttempt) {
  run([] {
    int calls = 0;
    std::vector<int> retried;
    RetryOptions o = fast(5);
    o.OnRetry = [&](int attempt, const error& err, time::Duration) {
      EXPECT_EQ(err.Error(), "transient");
      retried.push_back(attempt);
    };
    const error err = patterns::WithRetry(
        context::Background(),
        [&]() -> error { return ++calls < 3 ? errors::New("transient") : nil; }, o);
    EXPECT_EQ(err, nil);
    EXPECT_EQ(calls, 3);
    EXPECT_EQ(retried, (std::vector<int>{1, 2}));
  });
}

// Every attempt fails: the result wraps the last error (errors::Is finds
// it) and ErrRetriesExhausted, and keeps the article's text.
TEST_P(RetryTest, GivesUpWithLastErrorWrapped) {
  run([] {
    int calls = 0;
    const error last = errors::New("third failure");
    const error err = patterns::WithRetry(
        context::Background(),
        [&]() -> error {
          ++calls;
          return calls == 3 ? last : errors::New("earlier failure");
        },
        fast(3));
    EXPECT_EQ(calls, 3);
    EXPECT_TRUE(errors::Is(err, last)) << err;
    EXPECT_TRUE(errors::Is(err, patterns::ErrRetriesExhausted)) << err;
    EXPECT_EQ(err.Error(), "重试次数超限 (尝试 3 次): third failure");
  });
}

// No sleep after the last attempt: two attempts with a 150 ms delay take
// one delay, not two (the article sleeps after its last attempt too).
TEST_P(RetryTest, NoSleepAfterLastAttempt) {
  run([] {
    RetryOptions o;
    o.MaxAttempts = 2;
    o.BaseDelay = 150 * time::Millisecond;
    o.Jitter = 0;
    int calls = 0;
    auto t0 = time::Now();
    error err = patterns::WithRetry(
        context::Background(),
        [&]() -> error {
          ++calls;
          return errors::New("no");
        },
        o);
    auto took = time::Since(t0);
    EXPECT_NE(err, nil);
    EXPECT_EQ(calls, 2);
    EXPECT_GE(took, 150ms);
    EXPECT_LT(took, 150ms + slack(120ms));  // a second sleep would make it 300 ms

    o.MaxAttempts = 1;  // one attempt: no sleep at all
    t0 = time::Now();
    err = patterns::WithRetry(
        context::Background(), [] { return errors::New("no"); }, o);
    took = time::Since(t0);
    EXPECT_TRUE(errors::Is(err, patterns::ErrRetriesExhausted));
    EXPECT_LT(took, slack(100ms));
  });
}

// Cancelling ctx while WithRetry sleeps returns at once, not after the
// 5 s delay; the result wraps both ctx's error and the last error.
TEST_P(RetryTest, CtxCancelDuringSleepReturnsPromptly) {
  run([] {
    RetryOptions o;
    o.MaxAttempts = 10;
    o.BaseDelay = 5 * time::Second;
    auto [ctx, cancel] = context::WithCancel(context::Background());
    gofer::go([cancel = cancel] {
      time::Sleep(30 * time::Millisecond);
      cancel();
    });
    int calls = 0;
    const error last = errors::New("down");
    const auto t0 = time::Now();
    const error err = patterns::WithRetry(
        ctx,
        [&](const context::Context&) {
          ++calls;
          return last;
        },
        o);
    const auto took = time::Since(t0);
    EXPECT_EQ(calls, 1);
    EXPECT_TRUE(errors::Is(err, context::Canceled)) << err;
    EXPECT_TRUE(errors::Is(err, last)) << err;
    EXPECT_EQ(err.Error(), "context canceled; last error: down");
    EXPECT_GE(took, 25ms);
    EXPECT_LT(took, 30ms + slack(300ms));
  });
}

// A deadline stops the retries: DeadlineExceeded, about when it expires.
TEST_P(RetryTest, CtxDeadlineStopsRetries) {
  run([] {
    RetryOptions o;
    o.MaxAttempts = 1000;
    o.BaseDelay = 10 * time::Millisecond;
    o.Multiplier = 1;
    o.Jitter = 0;
    const auto t0 = time::Now();
    auto [ctx, cancel] = context::WithTimeout(context::Background(), 60 * time::Millisecond);
    std::atomic<int> calls{0};
    const error err = patterns::WithRetry(
        ctx,
        [&] {
          calls++;
          return errors::New("busy");
        },
        o);
    const auto took = time::Since(t0);
    cancel();
    EXPECT_TRUE(errors::Is(err, context::DeadlineExceeded)) << err;
    EXPECT_GE(calls.load(), 2);
    EXPECT_LE(calls.load(), 8);  // ~6 attempts fit in 60 ms at 10 ms apart
    EXPECT_GE(took, 55ms);
    EXPECT_LT(took, 60ms + slack(300ms));
  });
}

// fn observes ctx (fn(ctx) form) and returns its error: WithRetry stops at
// once instead of sleeping; a ctx done on entry means fn is never called.
TEST_P(RetryTest, CtxDoneBeforeOrDuringAttempt) {
  run([] {
    auto [ctx, cancel] = context::WithCancel(context::Background());
    RetryOptions o;
    o.BaseDelay = 5 * time::Second;
    int calls = 0;
    const auto t0 = time::Now();
    error err = patterns::WithRetry(
        ctx,
        [&](const context::Context& c) {
          ++calls;
          cancel();  // the call itself sees the cancellation
          return c.Err();
        },
        o);
    EXPECT_LT(time::Since(t0), slack(200ms));
    EXPECT_EQ(calls, 1);
    EXPECT_TRUE(errors::Is(err, context::Canceled));

    calls = 0;
    err = patterns::WithRetry(ctx, [&] {
      ++calls;
      return error(nil);
    });
    EXPECT_EQ(calls, 0);
    EXPECT_EQ(err, context::Canceled);
  });
}

// The options read as in the docs: designated initialisers, fn(ctx).
TEST_P(RetryTest, DesignatedOptions) {
  run([] {
    int calls = 0;
    const error err = patterns::WithRetry(context::Background(),
                                          [&](const context::Context& c) {
                                            EXPECT_EQ(c, context::Background());
                                            return ++calls < 2 ? errors::New("again") : error(nil);
                                          },
                                          {.MaxAttempts = 5, .BaseDelay = 50 * time::Microsecond});
    EXPECT_EQ(err, nil);
    EXPECT_EQ(calls, 2);
  });
}

// Permanent errors are not retried; WithRetry returns their cause.
TEST_P(RetryTest, PermanentErrorStops) {
  run([] {
    const error bad = errors::New("400 bad request");
    int calls = 0;
    const error err = patterns::WithRetry(
        context::Background(),
        [&] {
          ++calls;
          return patterns::Permanent(bad);
        },
        fast(5));
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(err, bad);
    EXPECT_TRUE(patterns::IsPermanent(patterns::Permanent(bad)));
    EXPECT_TRUE(patterns::IsPermanent(gofer::fmt::Errorf("ctx: %w", patterns::Permanent(bad))));
    EXPECT_FALSE(patterns::IsPermanent(bad));
    EXPECT_EQ(patterns::Permanent(nil), nil);
    EXPECT_EQ(patterns::Permanent(bad).Error(), "400 bad request");
    EXPECT_TRUE(errors::Is(patterns::Permanent(bad), bad));
  });
}

// Without jitter the delays are BaseDelay * Multiplier^(n-1), capped at
// MaxDelay, and WithRetry really sleeps them.
TEST_P(RetryTest, BackoffGrowsAndIsCapped) {
  run([] {
    RetryOptions o;
    o.MaxAttempts = 6;
    o.BaseDelay = 2 * time::Millisecond;
    o.MaxDelay = 16 * time::Millisecond;
    o.Multiplier = 2;
    o.Jitter = 0;
    std::vector<time::Duration> delays;
    o.OnRetry = [&](int, const error&, time::Duration d) { delays.push_back(d); };
    const auto t0 = time::Now();
    const error err = patterns::WithRetry(
        context::Background(), [] { return errors::New("x"); }, o);
    const auto took = time::Since(t0);
    EXPECT_TRUE(errors::Is(err, patterns::ErrRetriesExhausted));
    EXPECT_EQ(delays, (std::vector<time::Duration>{2ms, 4ms, 8ms, 16ms, 16ms}));
    EXPECT_GE(took, 46ms);
    EXPECT_LT(took, 46ms + slack(200ms));
    EXPECT_EQ(patterns::RetryDelay(o, 1), 2ms);
    EXPECT_EQ(patterns::RetryDelay(o, 3), 8ms);
    EXPECT_EQ(patterns::RetryDelay(o, 60), 16ms);  // no overflow far out
  });
}

// Jitter spreads each delay within [d*(1-J), d*(1+J)], capped at MaxDelay,
// and really varies.
TEST_P(RetryTest, JitterBounded) {
  run([] {
    RetryOptions o;
    o.MaxAttempts = 40;
    o.BaseDelay = 200 * time::Microsecond;
    o.MaxDelay = 250 * time::Microsecond;
    o.Multiplier = 1;
    o.Jitter = 0.5;
    std::vector<time::Duration> delays;
    o.OnRetry = [&](int, const error&, time::Duration d) { delays.push_back(d); };
    (void)patterns::WithRetry(
        context::Background(), [] { return errors::New("x"); }, o);
    ASSERT_EQ(delays.size(), 39u);
    std::set<std::int64_t> distinct;
    int capped = 0;
    for (const auto d : delays) {
      EXPECT_GE(d, 100us);
      EXPECT_LE(d, 250us);
      capped += d == 250us ? 1 : 0;
      distinct.insert(d.count());
    }
    EXPECT_GT(distinct.size(), 5u);  // not a constant
    EXPECT_GT(capped, 0);            // about half the draws exceed the cap
  });
}

// Bad options are a clear error, and fn is not called.
TEST_P(RetryTest, InvalidOptions) {
  run([] {
    int calls = 0;
    auto fn = [&] {
      ++calls;
      return error(nil);
    };
    RetryOptions o;
    o.MaxAttempts = 0;
    EXPECT_TRUE(errors::Is(patterns::WithRetry(context::Background(), fn, o),
                           patterns::ErrInvalidRetryOptions));
    o = RetryOptions{};
    o.Jitter = 1.5;
    EXPECT_TRUE(errors::Is(patterns::WithRetry(context::Background(), fn, o),
                           patterns::ErrInvalidRetryOptions));
    o = RetryOptions{};
    o.Multiplier = 0.5;
    EXPECT_TRUE(errors::Is(patterns::WithRetry(context::Background(), fn, o),
                           patterns::ErrInvalidRetryOptions));
    o = RetryOptions{};
    o.MaxDelay = time::Millisecond;  // below BaseDelay
    EXPECT_TRUE(errors::Is(patterns::WithRetry(context::Background(), fn, o),
                           patterns::ErrInvalidRetryOptions));
    EXPECT_TRUE(errors::Is(patterns::WithRetry(fn, 0), patterns::ErrInvalidRetryOptions));
    EXPECT_EQ(calls, 0);
  });
}

// An exception from fn propagates at once: no retry.
TEST_P(RetryTest, ExceptionPropagates) {
  run([] {
    int calls = 0;
    EXPECT_THROW((void)patterns::WithRetry(
                     context::Background(),
                     [&]() -> error {
                       ++calls;
                       throw std::runtime_error("bug");
                     },
                     fast(3)),
                 std::runtime_error);
    EXPECT_EQ(calls, 1);
  });
}

// The article's signature WithRetry(fn, maxRetries): succeeds at once
// without waiting; with one attempt it gives up at once (the article
// would sleep 1 s first).
TEST_P(RetryTest, ArticleSignatureFast) {
  run([] {
    int calls = 0;
    auto t0 = time::Now();
    EXPECT_EQ(patterns::WithRetry(
                  [&] {
                    ++calls;
                    return error(nil);
                  },
                  3),
              nil);
    EXPECT_EQ(calls, 1);
    const error err = patterns::WithRetry([] { return errors::New("x"); }, 1);
    EXPECT_TRUE(errors::Is(err, patterns::ErrRetriesExhausted));
    EXPECT_LT(time::Since(t0), slack(100ms));
  });
}

// Retry inside worker-pool jobs: the job's ctx is the pool's, and the
// retries run on the pool's workers.
TEST_P(RetryTest, InsideWorkerPoolJobs) {
  run([] {
    std::atomic<int> attempts{0};
    auto pool = patterns::NewWorkerPool(2, 16);
    ASSERT_EQ(pool->Start(context::Background()), nil);
    for (int i = 0; i < 8; i++) {
      patterns::Job j{.ID = i};
      j.Fn = [&](const context::Context& ctx) {
        auto tries = std::make_shared<int>(0);
        return patterns::WithRetry(
            ctx,
            [&, tries] {
              attempts++;
              return ++*tries < 2 ? errors::New("flaky") : error(nil);
            },
            fast(3));
      };
      ASSERT_EQ(pool->Submit(std::move(j)), nil);
    }
    pool->Close();
    const auto m = pool->GetMetrics();
    EXPECT_EQ(m.ProcessedJobs, 8);
    EXPECT_EQ(m.FailedJobs, 0);
    EXPECT_EQ(attempts.load(), 16);
  });
}

// The article's signature with a retry sleeps the article's first delay,
// 1 s, once: (fn fails, sleeps 1 s, succeeds). Not parameterised: it takes
// a second.
TEST(RetryArticle, SleepsOneSecondBetweenTwoAttempts) {
  gofer::Runtime rt(gofer::Runtime::Options{.workers = 2});
  rt.run([] {
    int calls = 0;
    const auto t0 = time::Now();
    const error err = patterns::WithRetry(
        [&] { return ++calls == 1 ? errors::New("first fails") : error(nil); }, 3);
    const auto took = time::Since(t0);
    EXPECT_EQ(err, nil);
    EXPECT_EQ(calls, 2);
    EXPECT_GE(took, 1000ms);
    EXPECT_LT(took, 1000ms + slack(300ms));
  });
  rt.Shutdown();
}

}  // namespace
