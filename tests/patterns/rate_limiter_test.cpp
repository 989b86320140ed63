// tests/patterns/rate_limiter_test.cpp — the two rate limiters.
//
// patterns::RateLimiter (the article's channel-of-tokens bucket): the burst
// is admitted at once, then the ticker's rate; many concurrent Allow callers
// never get more than burst + rate * elapsed; waiters are none lost and
// served in arrival order; ctx cancellation and deadlines; Stop (twice,
// from a thread, releasing waiters, the refill fiber gone); bad arguments.
//
// patterns::rate::Limiter (x/time/rate's lazy bucket): exact checks on a
// fake clock through the *At/*N forms (burst then rate, FIFO reservations,
// Cancel giving tokens back, SetLimit/SetBurst mid-stream, Inf, burst 0,
// limit 0, a clock that goes backwards), the same bound under concurrent
// callers on real and fake time, and Wait with real timers (never early,
// none lost, deadline refused at once, cancel gives the reservation back).
#include "gofer/patterns/rate_limiter.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "fixture.hpp"
#include "gofer/fmt.hpp"
#include "gofer/gofer.hpp"
#include "gofer/patterns/rate.hpp"

namespace {

using namespace std::chrono_literals;
using gofer::error;
using gofer::nil;
namespace context = gofer::context;
namespace errors = gofer::errors;
namespace patterns = gofer::patterns;
namespace rate = gofer::patterns::rate;
namespace sync = gofer::sync;
namespace time = gofer::time;

class RateLimiterTest : public gofer_test::RuntimeTest {};
GOFER_INSTANTIATE_WORKER_COUNTS(RateLimiterTest);
class LimiterTest : public gofer_test::RuntimeTest {};
GOFER_INSTANTIATE_WORKER_COUNTS(LimiterTest);

const time::Duration kMs = time::Millisecond;

// ---------------------------------------------------------------------------
// patterns::RateLimiter
// ---------------------------------------------------------------------------

TEST_P(RateLimiterTest, BurstIsAdmittedAtOnceThenNothingUntilATick) {
  run([] {
    auto limiter = patterns::NewRateLimiter(1, 5);  // one tick a second
    for (int i = 0; i < 5; i++) EXPECT_TRUE(limiter->Allow()) << i;
    EXPECT_FALSE(limiter->Allow());
    limiter->Stop();
  });
}

TEST_P(RateLimiterTest, WaitFollowsTheTickerAfterTheBurst) {
  run([] {
    const time::Time start = time::Now();
    auto limiter = patterns::NewRateLimiter(50, 2);  // a token every 20 ms
    EXPECT_EQ(limiter->Wait(context::Background()), nil);
    EXPECT_EQ(limiter->Wait(context::Background()), nil);
    for (int i = 0; i < 10; i++) ASSERT_EQ(limiter->Wait(context::Background()), nil);
    const time::Duration took = time::Since(start);
    // The 10th tick fires no earlier than 200 ms after the ticker started.
    EXPECT_GE(took, 200 * kMs - kMs);
    EXPECT_LE(took, 200 * kMs + gofer_test::slack(1000ms));
    limiter->Stop();
  });
}

// Over any run that starts when the limiter is made and lasts W, the bucket
// hands out at most burst + rate * W tokens (one per tick, ticks come no
// faster than the period), however many fibers ask.
TEST_P(RateLimiterTest, ConcurrentAllowNeverExceedsBurstPlusRate) {
  run([] {
    constexpr int kRate = 500, kBurst = 10, kFibers = 8;
    const time::Time start = time::Now();
    auto limiter = patterns::NewRateLimiter(kRate, kBurst);
    const time::Time until = start.Add(gofer_test::scaled(150, 80) * kMs);
    std::atomic<std::int64_t> admitted{0};
    sync::WaitGroup wg;
    for (int f = 0; f < kFibers; f++) {
      wg.Add(1);
      gofer::go([&] {
        while (time::Now().Before(until)) {
          if (limiter->Allow()) admitted++;
          gofer::runtime::Gosched();
        }
        wg.Done();
      });
    }
    wg.Wait();
    const double w = time::Seconds(time::Since(start));
    EXPECT_LE(admitted.load(), kBurst + static_cast<std::int64_t>(kRate * w) + 1) << "W=" << w;
    EXPECT_GE(admitted.load(), kBurst);
    limiter->Stop();
  });
}

TEST_P(RateLimiterTest, WaitersAreNoneLost) {
  run([] {
    constexpr int kRate = 200, kBurst = 5, kWaiters = 30;
    const time::Time start = time::Now();
    auto limiter = patterns::NewRateLimiter(kRate, kBurst);
    std::atomic<int> ok{0};
    sync::WaitGroup wg;
    for (int i = 0; i < kWaiters; i++) {
      wg.Add(1);
      gofer::go([&] {
        if (limiter->Wait(context::Background()) == nil) ok++;
        wg.Done();
      });
    }
    wg.Wait();
    EXPECT_EQ(ok.load(), kWaiters);
    // kWaiters - kBurst tokens came from ticks, 5 ms apart.
    EXPECT_GE(time::Since(start), (kWaiters - kBurst) * 5 * kMs - kMs);
    limiter->Stop();
  });
}

// Waiters are served in the order they started waiting (the channel's FIFO
// queue). On one worker the order in which they park is the order they are
// spawned in, whatever the timing, so this runs on its own 1-worker runtime.
TEST(RateLimiterFifo, WaitersAreServedInArrivalOrder) {
  gofer::Runtime rt(gofer::Runtime::Options{.workers = 1});
  std::vector<int> order;
  rt.run([&] {
    constexpr int kWaiters = 10;
    auto limiter = patterns::NewRateLimiter(50, 1);  // 20 ms between tokens
    ASSERT_TRUE(limiter->Allow());
    sync::Mutex mu;
    sync::WaitGroup wg;
    for (int i = 0; i < kWaiters; i++) {
      wg.Add(1);
      gofer::go([&, i] {
        EXPECT_EQ(limiter->Wait(context::Background()), nil);
        std::lock_guard<sync::Mutex> lk(mu);
        order.push_back(i);
        wg.Done();
      });
      time::Sleep(100 * time::Microsecond);  // lets fiber i park before i+1 starts
    }
    wg.Wait();
    limiter->Stop();
  });
  std::vector<int> want(10);
  for (int i = 0; i < 10; i++) want[i] = i;
  EXPECT_EQ(order, want);
  EXPECT_TRUE(gofer_test::eventually([&] { return rt.NumGoroutine() == 0; }));
  rt.Shutdown();
}

TEST_P(RateLimiterTest, WaitHonoursCtxCancelAndDeadline) {
  run([] {
    auto limiter = patterns::NewRateLimiter(1, 1);
    {
      auto [ctx, cancel] = context::WithCancel(context::Background());
      cancel();
      EXPECT_EQ(limiter->Wait(ctx), context::Canceled) << "a done ctx fails even with a free token";
      EXPECT_TRUE(limiter->Allow()) << "and takes nothing";
    }
    {
      const time::Time t0 = time::Now();
      auto [ctx, cancel] = context::WithTimeout(context::Background(), 30 * kMs);
      EXPECT_EQ(limiter->Wait(ctx), context::DeadlineExceeded);
      EXPECT_GE(time::Since(t0), 30 * kMs - kMs);
      cancel();
    }
    {
      auto [ctx, cancel] = context::WithCancel(context::Background());
      auto got = gofer::make_chan<error>(1);
      gofer::go([&, ctx = ctx] { got.send(limiter->Wait(ctx)); });
      time::Sleep(5 * kMs);
      cancel();
      EXPECT_EQ(got.recv(), context::Canceled);
    }
    limiter->Stop();
  });
}

TEST_P(RateLimiterTest, StopIsIdempotentReleasesWaitersAndEndsTheRefillFiber) {
  run([&] {
    const std::int64_t base = rt().NumGoroutine();
    auto limiter = patterns::NewRateLimiter(1, 1);
    EXPECT_EQ(rt().NumGoroutine(), base + 1) << "the refill fiber";
    ASSERT_TRUE(limiter->Allow());
    auto got = gofer::make_chan<error>(2);
    for (int i = 0; i < 2; i++) gofer::go([&] { got.send(limiter->Wait(context::Background())); });
    time::Sleep(5 * kMs);
    limiter->Stop();
    EXPECT_EQ(got.recv(), patterns::ErrRateLimiterStopped);
    EXPECT_EQ(got.recv(), patterns::ErrRateLimiterStopped);
    limiter->Stop();  // twice: nothing happens
    EXPECT_FALSE(limiter->Allow());
    EXPECT_EQ(limiter->Wait(context::Background()), patterns::ErrRateLimiterStopped);
    EXPECT_TRUE(gofer_test::eventually([&] { return rt().NumGoroutine() == base; }));
    {
      patterns::RateLimiter scoped(10, 1);  // the destructor stops it
      // Stop from a plain thread (which blocks until the refill fiber has
      // seen it); this fiber parks meanwhile instead of blocking its worker.
      auto stopped = gofer::make_chan<gofer::empty>(1);
      std::thread th([&] {
        scoped.Stop();
        stopped.send(gofer::empty{});
      });
      stopped.recv();
      th.join();
      EXPECT_FALSE(scoped.Allow());
    }
    EXPECT_TRUE(gofer_test::eventually([&] { return rt().NumGoroutine() == base; }));
    { patterns::RateLimiter dropped(10, 1); }  // never stopped by hand
    EXPECT_TRUE(gofer_test::eventually([&] { return rt().NumGoroutine() == base; }));
  });
}

TEST(RateLimiterArgs, InvalidArgumentsPanicWithAMessage) {
  const auto message = [](int rps, int burst) -> std::string {
    try {
      patterns::NewRateLimiter(rps, burst);
    } catch (const gofer::panic_error& e) {
      return e.what();
    }
    return "no panic";
  };
  EXPECT_EQ(message(0, 5), "patterns: NewRateLimiter: requestsPerSecond must be positive");
  EXPECT_EQ(message(-3, 5), "patterns: NewRateLimiter: requestsPerSecond must be positive");
  EXPECT_EQ(message(2000000000, 5),
            "patterns: NewRateLimiter: requestsPerSecond must be at most 1e9");
  EXPECT_EQ(message(10, 0), "patterns: NewRateLimiter: burstSize must be positive");
  EXPECT_EQ(message(10, -1), "patterns: NewRateLimiter: burstSize must be positive");
}

// ---------------------------------------------------------------------------
// rate::Limiter on a fake clock: t0 + offsets. Rates and offsets are chosen
// so every token count is exact in binary floating point.
// ---------------------------------------------------------------------------

struct fake_clock {
  const time::Time t0 = time::Now();
  time::Time at(time::Duration d) const { return t0.Add(d); }
};

TEST(RateLimiterLazy, EveryAndInf) {
  EXPECT_DOUBLE_EQ(rate::Every(250 * kMs), 4.0);
  EXPECT_DOUBLE_EQ(rate::Every(100 * kMs), 10.0);
  EXPECT_EQ(rate::Every(time::Duration::zero()), rate::Inf);
  EXPECT_EQ(rate::Every(-time::Second), rate::Inf);
  auto lim = rate::NewLimiter(rate::Every(250 * kMs), 3);
  EXPECT_DOUBLE_EQ(lim->Limit(), 4.0);
  EXPECT_EQ(lim->Burst(), 3);
  EXPECT_DOUBLE_EQ(lim->Tokens(), 3.0) << "starts full";
}

TEST(RateLimiterLazy, BurstThenSteadyRate) {
  fake_clock c;
  rate::Limiter lim(4, 2);  // a token every 250 ms, bursts of 2
  EXPECT_TRUE(lim.AllowN(c.at(0ms), 1));
  EXPECT_TRUE(lim.AllowN(c.at(0ms), 1));
  EXPECT_FALSE(lim.AllowN(c.at(0ms), 1));
  EXPECT_FALSE(lim.AllowN(c.at(249ms), 1));
  EXPECT_TRUE(lim.AllowN(c.at(250ms), 1));
  EXPECT_FALSE(lim.AllowN(c.at(250ms), 1));
  EXPECT_DOUBLE_EQ(lim.TokensAt(c.at(375ms)), 0.5);
  EXPECT_TRUE(lim.AllowN(c.at(750ms), 2));  // two accrued
  EXPECT_FALSE(lim.AllowN(c.at(10s), 3));   // more than the burst, ever
  EXPECT_TRUE(lim.AllowN(c.at(10s), 2));    // the bucket holds 2 at most
  EXPECT_FALSE(lim.AllowN(c.at(10s), 1));
  EXPECT_TRUE(lim.AllowN(c.at(10s), 0));  // zero events are always allowed
}

TEST(RateLimiterLazy, ReservationsQueueInOrder) {
  fake_clock c;
  rate::Limiter lim(4, 2);
  std::vector<time::Duration> delays;
  for (int i = 0; i < 6; i++) {
    rate::Reservation r = lim.ReserveN(c.at(0ms), 1);
    ASSERT_TRUE(r.OK());
    delays.push_back(r.DelayFrom(c.at(0ms)));
  }
  EXPECT_EQ(delays, (std::vector<time::Duration>{0ms, 0ms, 250ms, 500ms, 750ms, 1000ms}));
  EXPECT_DOUBLE_EQ(lim.TokensAt(c.at(0ms)), -4.0);
  EXPECT_DOUBLE_EQ(lim.TokensAt(c.at(1s)), 0.0);
  rate::Reservation big = lim.ReserveN(c.at(0ms), 3);
  EXPECT_FALSE(big.OK());
  EXPECT_EQ(big.DelayFrom(c.at(0ms)), rate::InfDuration);
  big.CancelAt(c.at(0ms));  // not OK: nothing to give back
  EXPECT_DOUBLE_EQ(lim.TokensAt(c.at(0ms)), -4.0);
}

TEST(RateLimiterLazy, CancelGivesBackWhatNobodyReservedAfter) {
  fake_clock c;
  rate::Limiter lim(4, 2);
  lim.ReserveN(c.at(0ms), 2);
  rate::Reservation r3 = lim.ReserveN(c.at(0ms), 1);  // acts at 250 ms
  rate::Reservation r4 = lim.ReserveN(c.at(0ms), 1);  // acts at 500 ms
  EXPECT_EQ(r4.DelayFrom(c.at(0ms)), 500ms);
  EXPECT_DOUBLE_EQ(lim.TokensAt(c.at(0ms)), -2.0);
  r4.CancelAt(c.at(0ms));  // the last one: its token comes back
  EXPECT_DOUBLE_EQ(lim.TokensAt(c.at(0ms)), -1.0);
  rate::Reservation r5 = lim.ReserveN(c.at(0ms), 1);
  EXPECT_EQ(r5.DelayFrom(c.at(0ms)), 500ms) << "takes r4's place";
  r3.CancelAt(c.at(0ms));  // r5 was reserved after r3: nothing comes back
  EXPECT_DOUBLE_EQ(lim.TokensAt(c.at(0ms)), -2.0);
  r5.CancelAt(c.at(0ms));
  EXPECT_DOUBLE_EQ(lim.TokensAt(c.at(0ms)), -1.0);
  r5.CancelAt(c.at(0ms));  // a second Cancel does nothing
  EXPECT_DOUBLE_EQ(lim.TokensAt(c.at(0ms)), -1.0);
  rate::Reservation r6 = lim.ReserveN(c.at(0ms), 1);  // acts at 500 ms
  r6.CancelAt(c.at(600ms));                           // too late: it has acted
  EXPECT_DOUBLE_EQ(lim.TokensAt(c.at(750ms)), 1.0) << "-2 + 3 accrued: nothing was given back";
  rate::Reservation moved = std::move(r6);
  EXPECT_FALSE(r6.OK());  // NOLINT(bugprone-use-after-move): moved-from is not OK
  EXPECT_TRUE(moved.OK());
}

TEST(RateLimiterLazy, SetLimitMidStream) {
  fake_clock c;
  rate::Limiter lim(4, 1);
  EXPECT_TRUE(lim.AllowN(c.at(0ms), 1));
  lim.SetLimitAt(c.at(0ms), 1);  // now one a second
  EXPECT_FALSE(lim.AllowN(c.at(500ms), 1));
  EXPECT_TRUE(lim.AllowN(c.at(1s), 1));
  lim.SetLimitAt(c.at(1s), rate::Inf);
  EXPECT_TRUE(lim.AllowN(c.at(1s), 1000));
  EXPECT_DOUBLE_EQ(lim.Limit(), rate::Inf);
  lim.SetLimitAt(c.at(1s), 2);
  EXPECT_FALSE(lim.AllowN(c.at(1s), 1)) << "Inf took nothing, but the bucket was empty";
  EXPECT_TRUE(lim.AllowN(c.at(1500ms), 1));
  // Tokens accrued at the old limit are kept.
  lim.SetLimitAt(c.at(2s), 0.5);
  EXPECT_DOUBLE_EQ(lim.TokensAt(c.at(2s)), 1.0);
  EXPECT_DOUBLE_EQ(lim.TokensAt(c.at(2500ms)), 1.0);  // capped at the burst
}

TEST(RateLimiterLazy, SetBurstMidStream) {
  fake_clock c;
  rate::Limiter lim(1, 1);
  EXPECT_TRUE(lim.AllowN(c.at(0ms), 1));
  lim.SetBurstAt(c.at(0ms), 3);
  EXPECT_EQ(lim.Burst(), 3);
  EXPECT_TRUE(lim.AllowN(c.at(2s), 2));
  EXPECT_TRUE(lim.AllowN(c.at(5s), 3));  // 3 accrued, the new cap
  EXPECT_FALSE(lim.AllowN(c.at(10s), 4));
  lim.SetBurstAt(c.at(10s), 0);
  EXPECT_FALSE(lim.AllowN(c.at(20s), 1));
  EXPECT_DOUBLE_EQ(lim.TokensAt(c.at(20s)), 0.0);
}

TEST(RateLimiterLazy, InfAllowsEverything) {
  fake_clock c;
  rate::Limiter lim(rate::Inf, 0);
  EXPECT_TRUE(lim.AllowN(c.at(0ms), 1 << 20));
  EXPECT_TRUE(lim.Allow());
  rate::Reservation r = lim.Reserve();
  EXPECT_TRUE(r.OK());
  EXPECT_EQ(r.Delay(), time::Duration::zero());
  EXPECT_EQ(lim.WaitN(context::Background(), 1000), nil);
}

TEST(RateLimiterLazy, BurstZeroAllowsNothing) {
  fake_clock c;
  rate::Limiter lim(10, 0);
  EXPECT_FALSE(lim.Allow());
  EXPECT_FALSE(lim.AllowN(c.at(1h), 1));
  EXPECT_TRUE(lim.AllowN(c.at(1h), 0));
  rate::Reservation r = lim.ReserveN(c.at(1h), 1);
  EXPECT_FALSE(r.OK());
  EXPECT_EQ(r.DelayFrom(c.at(1h)), rate::InfDuration);
  EXPECT_DOUBLE_EQ(lim.TokensAt(c.at(2h)), 0.0);
  const error err = lim.Wait(context::Background());
  ASSERT_NE(err, nil);
  EXPECT_EQ(err.Error(), "rate: Wait(n=1) exceeds limiter's burst 0");
}

// x/time/rate's rule for a zero limit: the burst is a budget for all time.
TEST(RateLimiterLazy, ZeroLimitAllowsTheBurstInAll) {
  fake_clock c;
  rate::Limiter lim(0, 3);
  EXPECT_TRUE(lim.AllowN(c.at(0ms), 2));
  EXPECT_TRUE(lim.AllowN(c.at(1s), 1));
  EXPECT_FALSE(lim.AllowN(c.at(1h), 1));
  EXPECT_EQ(lim.Burst(), 0);
}

// A caller whose time is earlier than the last update (its clock read
// before another caller's) is taken at that update: the interval between is
// not credited twice. x/time/rate would admit 10 here (4 + 1 + 3 + 2).
TEST(RateLimiterLazy, EarlierTimeIsNotCreditedTwice) {
  fake_clock c;
  rate::Limiter lim(4, 4);
  EXPECT_TRUE(lim.AllowN(c.at(0ms), 4));
  EXPECT_TRUE(lim.AllowN(c.at(1s), 1));
  EXPECT_TRUE(lim.AllowN(c.at(500ms), 3));
  EXPECT_FALSE(lim.AllowN(c.at(1s), 2)) << "burst + rate * 1 s = 8 events, all taken";
  EXPECT_DOUBLE_EQ(lim.TokensAt(c.at(500ms)), 0.0);
  EXPECT_TRUE(lim.AllowN(c.at(1500ms), 2));
}

TEST(RateLimiterLazy, NegativeNPanics) {
  rate::Limiter lim(1, 1);
  EXPECT_THROW(lim.AllowN(time::Now(), -1), gofer::panic_error);
  EXPECT_THROW(lim.ReserveN(time::Now(), -1), gofer::panic_error);
  EXPECT_TRUE(lim.Allow()) << "the limiter still works (its lock was released)";
}

// Many fibers on interleaved fake clocks: admitted events stay within
// burst + rate * W.
TEST_P(LimiterTest, ConcurrentFakeClockCallersStayWithinTheBound) {
  run([] {
    constexpr int kFibers = 8, kSteps = 1000;
    fake_clock c;
    rate::Limiter lim(4, 3);
    const time::Duration window = 10s;
    std::atomic<int> admitted{0};
    sync::WaitGroup wg;
    for (int f = 0; f < kFibers; f++) {
      wg.Add(1);
      gofer::go([&, f] {
        for (int i = 0; i <= kSteps; i++) {
          // Each fiber's clock runs forward, offset from the others'.
          const auto off = window * i / kSteps - f * 100 * kMs;
          if (lim.AllowN(c.at(off < time::Duration::zero() ? time::Duration::zero() : off), 1))
            admitted++;
          if (i % 16 == 0) gofer::runtime::Gosched();
        }
        wg.Done();
      });
    }
    wg.Wait();
    EXPECT_LE(admitted.load(), 3 + 40);
    EXPECT_GE(admitted.load(), 40 - 1);
  });
}

TEST_P(LimiterTest, ConcurrentAllowNeverExceedsBurstPlusRate) {
  run([] {
    constexpr double kRate = 1000;
    constexpr int kBurst = 20, kFibers = 8;
    const time::Time start = time::Now();
    auto lim = rate::NewLimiter(kRate, kBurst);
    const time::Time until = start.Add(gofer_test::scaled(150, 80) * kMs);
    std::atomic<std::int64_t> admitted{0};
    sync::WaitGroup wg;
    for (int f = 0; f < kFibers; f++) {
      wg.Add(1);
      gofer::go([&] {
        while (time::Now().Before(until)) {
          if (lim->Allow()) admitted++;
          gofer::runtime::Gosched();
        }
        wg.Done();
      });
    }
    wg.Wait();
    const double w = time::Seconds(time::Since(start));
    EXPECT_LE(admitted.load(), kBurst + static_cast<std::int64_t>(kRate * w) + 1) << "W=" << w;
    const double polled = time::Seconds(until - start);
    EXPECT_GE(admitted.load(), kBurst + static_cast<std::int64_t>(kRate * polled / 4));
  });
}

// SetLimit and SetBurst from another fiber while callers run: never more
// than the largest burst plus the largest rate over the run.
TEST_P(LimiterTest, SetLimitAndSetBurstWhileCallersRun) {
  run([] {
    const time::Time start = time::Now();
    rate::Limiter lim(500, 5);
    const time::Time until = start.Add(gofer_test::scaled(120, 60) * kMs);
    std::atomic<std::int64_t> admitted{0};
    sync::WaitGroup wg;
    for (int f = 0; f < 4; f++) {
      wg.Add(1);
      gofer::go([&] {
        while (time::Now().Before(until)) {
          if (lim.Allow()) admitted++;
          gofer::runtime::Gosched();
        }
        wg.Done();
      });
    }
    wg.Add(1);
    gofer::go([&] {
      for (int i = 0; time::Now().Before(until); i++) {
        lim.SetLimit(i % 2 ? 2000 : 500);
        lim.SetBurst(i % 3 ? 10 : 5);
        time::Sleep(3 * kMs);
      }
      wg.Done();
    });
    wg.Wait();
    const double w = time::Seconds(time::Since(start));
    EXPECT_LE(admitted.load(), 10 + static_cast<std::int64_t>(2000 * w) + 1);
    EXPECT_GE(admitted.load(), 5);
  });
}

// Waiters are none lost and none early: the k-th to finish (of all, sorted)
// finishes no earlier than its slot, (k + 1 - burst) / rate after the start.
TEST_P(LimiterTest, WaitersAreNoneLostAndNeverEarly) {
  run([] {
    constexpr int kRate = 200, kBurst = 5, kWaiters = 40;
    auto lim = rate::NewLimiter(kRate, kBurst);
    const time::Time start = time::Now();
    sync::Mutex mu;
    std::vector<time::Duration> done;
    sync::WaitGroup wg;
    for (int i = 0; i < kWaiters; i++) {
      wg.Add(1);
      gofer::go([&] {
        const error err = lim->Wait(context::Background());
        const time::Duration at = time::Since(start);
        EXPECT_EQ(err, nil);
        std::lock_guard<sync::Mutex> lk(mu);
        done.push_back(at);
        wg.Done();
      });
    }
    wg.Wait();
    ASSERT_EQ(done.size(), static_cast<std::size_t>(kWaiters));
    std::sort(done.begin(), done.end());
    for (int k = kBurst; k < kWaiters; k++) {
      const time::Duration slot = (k + 1 - kBurst) * time::Second / kRate;
      EXPECT_GE(done[k], slot - 100 * time::Microsecond) << "waiter " << k;
    }
    EXPECT_LE(done.back(), (kWaiters - kBurst) * time::Second / kRate + gofer_test::slack(1000ms));
  });
}

TEST_P(LimiterTest, WaitThatWouldOutlastTheDeadlineFailsAtOnceAndTakesNothing) {
  run([] {
    auto lim = rate::NewLimiter(rate::Every(10 * time::Second), 1);
    ASSERT_TRUE(lim->Allow());
    auto [ctx, cancel] = context::WithTimeout(context::Background(), 2 * time::Second);
    const time::Time t0 = time::Now();
    const error err = lim->Wait(ctx);
    ASSERT_NE(err, nil);
    EXPECT_EQ(err.Error(), "rate: Wait(n=1) would exceed context deadline");
    EXPECT_LT(time::Since(t0), time::Second) << "at once, not at the deadline";
    EXPECT_GE(lim->Tokens(), 0.0) << "no reservation was kept";
    EXPECT_EQ(lim->WaitN(ctx, 2).Error(), "rate: Wait(n=2) exceeds limiter's burst 1");
    cancel();
    EXPECT_EQ(lim->Wait(ctx), context::Canceled);
  });
}

TEST_P(LimiterTest, WaitCancelledWhileWaitingGivesTheReservationBack) {
  run([] {
    auto lim = rate::NewLimiter(rate::Every(10 * time::Second), 1);
    ASSERT_TRUE(lim->Allow());
    auto [ctx, cancel] = context::WithCancel(context::Background());
    auto got = gofer::make_chan<error>(1);
    gofer::go([&, ctx = ctx] { got.send(lim->Wait(ctx)); });
    // Reserved: the bucket is one token in debt (it regains 0.1 a second).
    ASSERT_TRUE(gofer_test::eventually([&] { return lim->Tokens() < -0.5; }));
    const time::Time t0 = time::Now();
    cancel();
    EXPECT_EQ(got.recv(), context::Canceled);
    EXPECT_LT(time::Since(t0), gofer_test::slack(1000ms));
    const double tokens = lim->Tokens();
    EXPECT_GE(tokens, 0.0) << "the reservation was given back";
    EXPECT_LT(tokens, 0.5);
  });
}

// Wait parks on a timer for exactly the reservation's delay (never early).
TEST_P(LimiterTest, WaitParksForTheDelay) {
  run([] {
    auto lim = rate::NewLimiter(rate::Every(40 * kMs), 1);
    ASSERT_TRUE(lim->Allow());
    const time::Time t0 = time::Now();
    auto [ctx, cancel] = context::WithTimeout(context::Background(), 10 * time::Second);
    EXPECT_EQ(lim->Wait(ctx), nil);
    EXPECT_GE(time::Since(t0), 40 * kMs - 100 * time::Microsecond);
    rate::Reservation r = lim->Reserve();
    EXPECT_TRUE(r.OK());
    EXPECT_GT(r.Delay(), time::Duration::zero());
    EXPECT_LE(r.Delay(), 40 * kMs);
    r.Cancel();
    EXPECT_EQ(lim->Wait(ctx), nil);
    cancel();
  });
}

}  // namespace
