// tests/runtime/time_test.cpp — Go's time package: Duration and its
// constants, Time (Now, Since, Until, Sub, Add), and Sleep on the runtime's
// timers: never early, never blocking a worker, zero and negative durations,
// a short timer added while a long one is pending, and many concurrent
// sleepers.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "fixture.hpp"
#include "gofer/gofer.hpp"

namespace {

using namespace std::chrono_literals;
namespace time = gofer::time;
using gofer_test::slack;

class TimeTest : public gofer_test::RuntimeTest {};
GOFER_INSTANTIATE_WORKER_COUNTS(TimeTest);

std::int64_t ms(time::Duration d) { return time::Milliseconds(d); }

// ---------------------------------------------------------------------------
// Duration
// ---------------------------------------------------------------------------

TEST(Duration, ConstantsMatchGo) {
  static_assert(time::Microsecond == 1000 * time::Nanosecond);
  static_assert(time::Millisecond == 1000 * time::Microsecond);
  static_assert(time::Second == 1000 * time::Millisecond);
  static_assert(time::Minute == 60 * time::Second);
  static_assert(time::Hour == 60 * time::Minute);
  EXPECT_EQ(time::Nanosecond.count(), 1);
  EXPECT_EQ(time::Second.count(), 1'000'000'000);
  EXPECT_EQ(time::Hour.count(), 3'600'000'000'000);
  EXPECT_EQ(100 * time::Millisecond, 100ms) << "C++ chrono literals mix with Go's constants";
  EXPECT_EQ(time::Duration(2s), 2 * time::Second);
  EXPECT_TRUE((std::is_same_v<time::Duration, std::chrono::nanoseconds>));
}

TEST(Duration, ConversionsMatchGo) {
  const time::Duration d = 1500 * time::Millisecond;
  EXPECT_DOUBLE_EQ(time::Seconds(d), 1.5);
  EXPECT_EQ(time::Milliseconds(d), 1500);
  EXPECT_EQ(time::Microseconds(d), 1'500'000);
  EXPECT_EQ(time::Nanoseconds(d), 1'500'000'000);
  EXPECT_DOUBLE_EQ(time::Minutes(90 * time::Second), 1.5);
  EXPECT_DOUBLE_EQ(time::Hours(90 * time::Minute), 1.5);
  // Go's integer conversions truncate toward zero.
  EXPECT_EQ(time::Milliseconds(1999 * time::Microsecond), 1);
  EXPECT_EQ(time::Milliseconds(-1999 * time::Microsecond), -1);
}

// ---------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------

TEST(Time, ZeroTime) {
  time::Time zero;
  EXPECT_TRUE(zero.IsZero());
  EXPECT_FALSE(time::Now().IsZero());
  EXPECT_EQ(zero.UnixNano(), 0);
}

TEST(Time, NowIsMonotonicAndMatchesTheWallClock) {
  const auto wall = std::chrono::system_clock::now().time_since_epoch();
  const time::Time t1 = time::Now();
  const time::Time t2 = time::Now();
  EXPECT_FALSE(t2.Before(t1));
  EXPECT_GE((t2 - t1).count(), 0);
  EXPECT_GE(time::Since(t1).count(), 0);
  const auto wall_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(wall).count();
  EXPECT_LT(std::llabs(t1.UnixNano() - wall_ns), std::int64_t{1'000'000'000})
      << "UnixNano is not the wall clock";
  EXPECT_EQ(t1.Unix(), t1.UnixNano() / 1'000'000'000);
  EXPECT_EQ(t1.UnixMilli(), t1.UnixNano() / 1'000'000);
  EXPECT_GT(t1.mono_nanos(), 0);
}

TEST(Time, SinceAndUntil) {
  const time::Time start = time::Now();
  std::this_thread::sleep_for(20ms);
  EXPECT_GE(time::Since(start), 20 * time::Millisecond);
  const time::Time later = time::Now().Add(time::Hour);
  const time::Duration until = time::Until(later);
  EXPECT_GT(until, 59 * time::Minute);
  EXPECT_LE(until, time::Hour);
  EXPECT_LT(time::Until(start), time::Duration::zero()) << "Until a past time is negative";
}

TEST(Time, AddSubAndComparisons) {
  const time::Time t = time::Now();
  const time::Time u = t + 5 * time::Second;
  EXPECT_EQ(u - t, 5 * time::Second);
  EXPECT_EQ(t.Sub(u), -5 * time::Second);
  EXPECT_TRUE(t.Before(u));
  EXPECT_TRUE(u.After(t));
  EXPECT_TRUE(t < u);
  EXPECT_FALSE(u < t);
  EXPECT_TRUE(t.Add(5 * time::Second).Equal(u));
  EXPECT_TRUE(t.Add(5 * time::Second) == u);
  EXPECT_EQ(u.UnixNano() - t.UnixNano(), (5 * time::Second).count());
}

// ---------------------------------------------------------------------------
// Sleep on a plain thread
// ---------------------------------------------------------------------------

TEST(Sleep, OnAPlainThreadSleepsAtLeastTheDuration) {
  for (auto d : {1ms, 10ms, 30ms}) {
    const auto t0 = std::chrono::steady_clock::now();
    time::Sleep(d);
    EXPECT_GE(std::chrono::steady_clock::now() - t0, d);
  }
}

TEST(Sleep, ZeroAndNegativeReturnImmediatelyOnAPlainThread) {
  const auto t0 = std::chrono::steady_clock::now();
  time::Sleep(time::Duration::zero());
  time::Sleep(-time::Nanosecond);
  time::Sleep(-time::Hour);
  time::Sleep(time::Duration::min());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, slack(500ms));
}

// ---------------------------------------------------------------------------
// Sleep in fibers
// ---------------------------------------------------------------------------

TEST_P(TimeTest, SleepInAFiberSleepsAtLeastTheDuration) {
  std::vector<time::Duration> slept;
  const std::vector<time::Duration> asked = {1ms, 5ms, 20ms, 50ms};
  run([&] {
    for (auto d : asked) {
      const time::Time t0 = time::Now();
      time::Sleep(d);
      slept.push_back(time::Since(t0));
    }
  });
  ASSERT_EQ(slept.size(), asked.size());
  for (std::size_t i = 0; i < asked.size(); ++i) {
    EXPECT_GE(slept[i], asked[i]) << "Sleep(" << ms(asked[i]) << " ms) woke early";
    EXPECT_LT(slept[i], asked[i] + slack(1000ms)) << "Sleep(" << ms(asked[i]) << " ms)";
  }
}

TEST_P(TimeTest, SleepZeroAndNegativeReturnImmediatelyInAFiber) {
  time::Duration took{};
  run([&] {
    const time::Time t0 = time::Now();
    for (int i = 0; i < 100; ++i) {
      time::Sleep(time::Duration::zero());
      time::Sleep(-time::Millisecond);
    }
    time::Sleep(-time::Hour);
    time::Sleep(time::Duration::min());
    took = time::Since(t0);
  });
  EXPECT_LT(took, slack(500ms));
}

TEST_P(TimeTest, SleepParksTheFiberNotTheWorker) {
  // With one worker, the other fibers can only run during the sleep if Sleep
  // parked the sleeping fiber instead of blocking the worker thread.
  constexpr int kOthers = 10;
  std::atomic<int> ran{0};
  int ran_during_sleep = -1;
  run([&] {
    gofer::sync::WaitGroup wg;
    wg.Add(kOthers);
    for (int i = 0; i < kOthers; ++i)
      gofer::go([&] {
        ran.fetch_add(1);
        wg.Done();
      });
    time::Sleep(200ms);
    ran_during_sleep = ran.load();
    wg.Wait();
  });
  EXPECT_EQ(ran_during_sleep, kOthers);
}

TEST_P(TimeTest, ShortTimerAddedWhileALongOneIsPendingFiresOnTime) {
  // Workers sleep in the kernel with the earliest timer as their timeout; a
  // shorter timer added later (from another fiber, while every worker is
  // idle) must cut that sleep short.
  gofer::sync::WaitGroup long_done, short_done;
  long_done.Add(1);
  short_done.Add(1);
  time::Duration long_slept{}, short_slept{};
  rt().go([&] {
    const time::Time t0 = time::Now();
    time::Sleep(2 * time::Second);
    long_slept = time::Since(t0);
    long_done.Done();
  });
  std::this_thread::sleep_for(100ms);  // every worker idle, the long timer armed
  rt().go([&] {
    const time::Time t0 = time::Now();
    time::Sleep(10 * time::Millisecond);
    short_slept = time::Since(t0);
    short_done.Done();
  });
  short_done.Wait();
  long_done.Wait();
  EXPECT_GE(short_slept, 10 * time::Millisecond);
  EXPECT_LT(short_slept, slack(500ms)) << "the short timer waited for the long one";
  EXPECT_GE(long_slept, 2 * time::Second);
}

TEST_P(TimeTest, SleepersWithDifferentDurationsEachWakeNoEarlier) {
  constexpr int kSleepers = 200;
  std::atomic<int> early{0};
  std::atomic<int> woke{0};
  run([&] {
    gofer::sync::WaitGroup wg;
    wg.Add(kSleepers);
    for (int i = 0; i < kSleepers; ++i)
      gofer::go([&, i] {
        const time::Duration d = (i % 40) * time::Millisecond + (i % 7) * time::Microsecond;
        const time::Time t0 = time::Now();
        time::Sleep(d);
        if (time::Since(t0) < d) early.fetch_add(1);
        woke.fetch_add(1);
        wg.Done();
      });
    wg.Wait();
  });
  EXPECT_EQ(woke.load(), kSleepers);
  EXPECT_EQ(early.load(), 0);
}

TEST_P(TimeTest, ManyConcurrentSleepersAllWakeOnTime) {
  const int kSleepers =
      static_cast<int>(gofer_test::live_capped(gofer_test::scaled(100'000, 10'000)));
  constexpr time::Duration kNap = 10 * time::Millisecond;
  std::atomic<int> woke{0};
  std::atomic<int> early{0};
  std::atomic<std::int64_t> max_late_ns{0};
  time::Duration spawn_time{}, total_time{};
  std::atomic<std::uint64_t> progress{0};
  gofer_test::Watchdog dog(
      "concurrent sleepers", [&] { return progress.load(); }, 30s);
  run([&] {
    gofer::sync::WaitGroup wg;
    wg.Add(kSleepers);
    const time::Time start = time::Now();
    for (int i = 0; i < kSleepers; ++i) {
      gofer::go([&] {
        const time::Time t0 = time::Now();
        time::Sleep(kNap);
        const time::Duration slept = time::Since(t0);
        if (slept < kNap) early.fetch_add(1);
        const std::int64_t late = (slept - kNap).count();
        std::int64_t cur = max_late_ns.load(std::memory_order_relaxed);
        while (late > cur && !max_late_ns.compare_exchange_weak(cur, late)) {
        }
        woke.fetch_add(1);
        progress.fetch_add(1, std::memory_order_relaxed);
        wg.Done();
      });
      if (i % 1024 == 0) progress.fetch_add(1, std::memory_order_relaxed);
    }
    spawn_time = time::Since(start);
    wg.Wait();
    total_time = time::Since(start);
  });
  dog.stop();
  EXPECT_EQ(woke.load(), kSleepers);
  EXPECT_EQ(early.load(), 0) << "sleepers woke before their 10 ms";
  const auto bound = slack(2000ms);
  EXPECT_LT(std::chrono::nanoseconds(max_late_ns.load()), bound)
      << "the latest sleeper woke " << max_late_ns.load() / 1'000'000 << " ms late";
  EXPECT_LT(total_time - spawn_time, bound + kNap)
      << "the last sleeper woke " << ms(total_time - spawn_time) << " ms after the last spawn";
}

}  // namespace
