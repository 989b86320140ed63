// tests/runtime/timer_test.cpp — Go's time channels (gofer/timer.hpp):
// After, Tick, NewTimer, NewTicker and AfterFunc with Go 1.23's semantics.
// Timer and ticker channels are synchronous (after Stop or Reset returns, no
// value from before the call is received; Stop reports true for a value that
// fired but was not received), a Ticker drops ticks for a slow reader, Stop
// does not close C, and a timer or ticker nobody can receive from any more
// stops itself.
//
// Ports of Go's time/sleep_test.go and time/tick_test.go (go1.19) keep Go's
// test names: TestAfter, TestAfterTick, TestAfterQueuing, TestAfterStop,
// TestAfterFunc, TestAfterStress, TestReset, TestOverflowSleep (After part),
// TestTimerStopStress, TestTimerModifiedEarlier, TestAdjustTimers,
// TestTicker, TestTeardown, TestTick, TestNewTickerLtZeroDuration,
// TestTickerResetLtZeroDuration.
//
// Timing: every lower bound is strict (a timer never fires early, measured
// from a time read before the call that armed it); upper bounds are seconds,
// widened under sanitizers (kLate). The white-box probe len(C) == 1 ("fired,
// not received") relies on gofer's one-slot channel; Go 1.23 reports 0.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "fixture.hpp"
#include "gofer/gofer.hpp"

namespace {

using gofer_test::expect_panic;
using namespace std::chrono_literals;
namespace time = gofer::time;
using gofer::make_chan;
using gofer::recv_chan;
using gofer_test::in_fiber;
using gofer_test::scaled;
using gofer_test::slack;
using ::testing::ExitedWithCode;

class TimerTest : public gofer_test::RuntimeTest {};
GOFER_INSTANTIATE_WORKER_COUNTS(TimerTest);

// kLate: how late a timer may fire before a test calls it broken.
const time::Duration kLate = slack(3000ms);

std::int64_t ms(time::Duration d) { return time::Milliseconds(d); }

// recv_before receives from c, or gives up after `timeout` (Go's select
// with a time.After case); nullopt on timeout.
std::optional<time::Time> recv_before(const recv_chan<time::Time>& c, time::Duration timeout) {
  std::optional<time::Time> got;
  gofer::select(gofer::recv(c, [&](time::Time v) { got = v; }),
                gofer::recv(time::After(timeout), [] {}));
  return got;
}

// try_take: a non-blocking receive; true if a value was taken.
bool try_take(const recv_chan<time::Time>& c) {
  time::Time v;
  return c.try_recv(v);
}

// drain takes every value pending on c without blocking.
int drain(const recv_chan<time::Time>& c) {
  int n = 0;
  while (try_take(c)) ++n;
  return n;
}

// fired_unreceived waits until t's value sits in C, not received.
bool fired_unreceived(const recv_chan<time::Time>& c) {
  return gofer_test::eventually([&] { return len(c) == 1; }, 10s);
}

// ---------------------------------------------------------------------------
// After
// ---------------------------------------------------------------------------

// check_after is Go's TestAfter for one delay: <-After(d) no earlier than d,
// with a Time value read when it fired (close to now).
void check_after(time::Duration d) {
  const time::Time start = time::Now();
  const time::Time end = time::After(d).recv();
  const time::Time now = time::Now();
  EXPECT_GE(now.Sub(start), d) << "After(" << ms(d) << " ms) returned early";
  EXPECT_GE(end.Sub(start), d) << "After(" << ms(d) << " ms) sent a time before its deadline";
  EXPECT_FALSE(end.After(now)) << "the value is from the future";
  EXPECT_LT(now.Sub(end), kLate) << "the value is not the time it fired";
  EXPECT_LT(now.Sub(start), d + kLate);
}

TEST_P(TimerTest, After) {
  run([] {
    for (auto d : {1ms, 20ms, 50ms}) check_after(d);
  });
}

TEST(TimerPlainThread, After) {
  for (auto d : {1ms, 20ms}) check_after(d);
}

TEST_P(TimerTest, AfterZeroAndNegativeFireAtOnce) {
  run([] {
    const time::Time start = time::Now();
    time::After(0ns).recv();
    time::After(-time::Millisecond).recv();
    time::After(time::Duration::min()).recv();
    EXPECT_LT(time::Since(start), kLate);
  });
}

// TestOverflowSleep (the After part): a deadline that overflows never fires
// early and does not disturb other timers.
TEST_P(TimerTest, OverflowAfter) {
  run([] {
    const time::Duration big = time::Duration::max();
    int chosen = gofer::select(gofer::recv(time::After(big), [] {}),
                               gofer::recv(time::After(25 * time::Millisecond), [] {}));
    EXPECT_EQ(chosen, 1) << "big timeout fired";
    chosen = gofer::select(gofer::recv(time::After(time::Duration::min()), [] {}),
                           gofer::recv(time::After(kLate), [] {}));
    EXPECT_EQ(chosen, 0) << "negative timeout didn't fire";
  });
}

// check_select_timeout: After as a select timeout, Go's
//   select { case <-never: case <-time.After(20ms): }
void check_select_timeout() {
  auto never = make_chan<int>();
  const time::Time start = time::Now();
  int chosen = gofer::select(gofer::recv(never, [] {}), gofer::recv(time::After(20ms), [] {}));
  EXPECT_EQ(chosen, 1);
  EXPECT_GE(time::Since(start), 20ms) << "the timeout fired early";
  EXPECT_LT(time::Since(start), 20ms + kLate);

  // A ready channel wins over a pending timeout.
  auto ready = make_chan<int>(1);
  ready.send(7);
  int got = 0;
  chosen = gofer::select(gofer::recv(ready, [&](int v) { got = v; }),
                         gofer::recv(time::After(10 * time::Second), [] {}));
  EXPECT_EQ(chosen, 0);
  EXPECT_EQ(got, 7);
}

TEST_P(TimerTest, AfterAsASelectTimeout) { run(check_select_timeout); }
TEST(TimerPlainThread, AfterAsASelectTimeout) { check_select_timeout(); }

// TestAfterTick: ten After(delta) in a row take at least ten deltas.
TEST_P(TimerTest, AfterTick) {
  static constexpr int kCount = 10;
  static constexpr time::Duration kDelta = 10 * time::Millisecond;
  run([] {
    const time::Time t0 = time::Now();
    for (int i = 0; i < kCount; ++i) time::After(kDelta).recv();
    const time::Duration d = time::Since(t0);
    EXPECT_GE(d, kCount * kDelta) << kCount << " ticks of " << ms(kDelta) << " ms too fast";
    EXPECT_LT(d, kCount * kDelta + kLate);
  });
}

// TestAfterQueuing: fibers waiting on After(slot*delta) are released in slot
// order, each no earlier than its deadline. Ordering under load needs the
// retries Go uses, with a growing delta; the lower bounds never flake.
TEST_P(TimerTest, AfterQueuing) {
  const std::vector<int> slots = {5, 3, 6, 6, 6, 1, 1, 2, 7, 9, 4, 8, 0};
  struct result {
    int slot = 0;
    time::Time t;
  };
  run([&] {
    std::string err = "not run";
    for (int attempt = 0; attempt < 5 && !err.empty(); ++attempt) {
      err.clear();
      const time::Duration delta = (20 + attempt * 50) * time::Millisecond;
      auto results = make_chan<result>(static_cast<std::ptrdiff_t>(slots.size()));
      const time::Time t0 = time::Now();
      for (int slot : slots) {
        recv_chan<time::Time> ac = time::After(slot * delta);
        gofer::go([results, slot, ac] { results.send(result{slot, ac.recv()}); });
      }
      std::vector<result> got;
      for (std::size_t i = 0; i < slots.size(); ++i) got.push_back(results.recv());
      for (std::size_t i = 0; i < got.size(); ++i) {
        const time::Duration dt = got[i].t.Sub(t0);
        const time::Duration target = got[i].slot * delta;
        EXPECT_GE(dt, target) << "After(" << ms(target) << " ms) fired early";  // never flaky
        if (i > 0 && got[i].slot < got[i - 1].slot) err = "After calls returned out of order";
        if (dt > target + 10 * delta) err = "After(" + std::to_string(ms(target)) + " ms) was late";
      }
    }
    EXPECT_EQ(err, "");
  });
}

// ---------------------------------------------------------------------------
// NewTimer: C, Stop, Reset
// ---------------------------------------------------------------------------

// check_timer_fires_once: C receives once, no earlier than d; then Stop
// reports false (the value was received) and nothing more arrives.
void check_timer_fires_once() {
  const time::Time start = time::Now();
  auto t = time::NewTimer(20ms);
  const time::Time v = t->C.recv();
  EXPECT_GE(time::Since(start), 20ms);
  EXPECT_GE(v.Sub(start), 20ms);
  EXPECT_LT(time::Since(v), kLate);
  time::Sleep(30ms);
  EXPECT_FALSE(try_take(t->C)) << "a one-shot timer delivered twice";
  EXPECT_FALSE(t->Stop()) << "Stop after the value was received";
}

TEST_P(TimerTest, TimerFiresOnce) { run(check_timer_fires_once); }
TEST(TimerPlainThread, TimerFiresOnce) { check_timer_fires_once(); }

// check_stop_before_fire: Stop before the deadline reports true, and nothing
// is received after it, even long past the original deadline; a second Stop
// reports false (Go's TestAfterStop: "Stop returned true twice").
void check_stop_before_fire() {
  auto t = time::NewTimer(30ms);
  EXPECT_TRUE(t->Stop());
  EXPECT_FALSE(recv_before(t->C, 80ms).has_value()) << "a stopped timer fired";
  EXPECT_FALSE(try_take(t->C));
  EXPECT_FALSE(t->Stop()) << "Stop returned true twice";
}

TEST_P(TimerTest, TimerStopBeforeFire) { run(check_stop_before_fire); }
TEST(TimerPlainThread, TimerStopBeforeFire) { check_stop_before_fire(); }

// Go 1.23: a value that fired but was not received is discarded by Stop,
// which then reports true (the timer did not deliver).
TEST_P(TimerTest, TimerStopAfterFireBeforeReceiveDiscardsTheValue) {
  run([] {
    auto t = time::NewTimer(1ms);
    ASSERT_TRUE(fired_unreceived(t->C));
    EXPECT_TRUE(t->Stop()) << "Go 1.23: the unreceived value counts as not delivered";
    EXPECT_FALSE(try_take(t->C)) << "a stale value survived Stop";
    time::Sleep(20ms);
    EXPECT_FALSE(try_take(t->C));
    EXPECT_FALSE(t->Stop());
  });
}

// TestReset: Reset of an unfired timer reports true and moves the deadline;
// Reset of a fired and received one reports false and re-arms it.
void check_reset_before_fire() {
  constexpr time::Duration d = 25 * time::Millisecond;
  auto t = time::NewTimer(2 * d);
  time::Sleep(d);
  const time::Time r = time::Now();
  EXPECT_TRUE(t->Reset(3 * d)) << "resetting unfired timer returned false";
  const time::Time v = t->C.recv();
  EXPECT_GE(time::Since(r), 3 * d) << "timer fired early (at its old deadline?)";
  EXPECT_GE(v.Sub(r), 3 * d);
  const time::Time r2 = time::Now();
  EXPECT_FALSE(t->Reset(10ms)) << "resetting expired timer returned true";
  const time::Time v2 = t->C.recv();
  EXPECT_GE(v2.Sub(r2), 10ms);
  EXPECT_FALSE(try_take(t->C));
}

TEST_P(TimerTest, Reset) { run(check_reset_before_fire); }
TEST(TimerPlainThread, Reset) { check_reset_before_fire(); }

// After Reset, the value from the earlier deadline (fired, not received) is
// gone; only the new deadline's value arrives. Reset reports what Stop
// would have: true.
TEST_P(TimerTest, ResetAfterFireDiscardsTheStaleValue) {
  run([] {
    auto t = time::NewTimer(1ms);
    ASSERT_TRUE(fired_unreceived(t->C));
    const time::Time r = time::Now();
    EXPECT_TRUE(t->Reset(50ms));
    EXPECT_FALSE(try_take(t->C)) << "the stale value survived Reset";
    const time::Time v = t->C.recv();
    EXPECT_GE(v.Sub(r), 50ms) << "received the stale value from the first deadline";
    EXPECT_GE(time::Since(r), 50ms);
    time::Sleep(10ms);
    EXPECT_FALSE(try_take(t->C));
  });
}

TEST_P(TimerTest, ResetOfAStoppedTimerRearmsIt) {
  run([] {
    auto t = time::NewTimer(time::Hour);
    EXPECT_TRUE(t->Stop());
    const time::Time r = time::Now();
    EXPECT_FALSE(t->Reset(20ms)) << "Reset of a stopped timer reports false";
    const time::Time v = t->C.recv();
    EXPECT_GE(v.Sub(r), 20ms);
    EXPECT_LT(time::Since(r), 20ms + kLate);
  });
}

// A receiver already blocked on C when Reset re-arms the timer is woken only
// at the new deadline; one blocked when Stop runs is never woken. Stop may
// lose the race on a machine stalled past the deadline (then the receiver
// has the value and Stop reports false), so, like Go's TestAfterStop, this
// retries; Stop's result must agree with the receiver every time.
TEST_P(TimerTest, ResetAndStopWhileAReceiverIsBlocked) {
  run([] {
    auto t = time::NewTimer(time::Hour);
    auto got = make_chan<time::Time>();
    recv_chan<time::Time> c = t->C;
    gofer::go([c, got] { got.send(c.recv()); });
    time::Sleep(5ms);
    const time::Time r = time::Now();
    EXPECT_TRUE(t->Reset(100ms));
    EXPECT_GE(got.recv().Sub(r), 100ms) << "the blocked receiver woke before the new deadline";

    bool stopped_once = false;
    for (int attempt = 0; attempt < 5 && !stopped_once; ++attempt) {
      auto t2 = time::NewTimer(100ms);
      auto res = make_chan<bool>();
      recv_chan<time::Time> c2 = t2->C;
      gofer::go([c2, res] { res.send(recv_before(c2, 300ms).has_value()); });
      time::Sleep(5ms);
      const bool stopped = t2->Stop();
      const bool received = res.recv();
      EXPECT_NE(stopped, received) << "Stop's result disagrees with the blocked receiver";
      stopped_once = stopped_once || stopped;
    }
    EXPECT_TRUE(stopped_once);
  });
}

// TestTimerModifiedEarlier: moving a timer earlier (to the past) makes it
// fire promptly; Stop never reports false here (Go 1.23), so the classic
// drain `if !t.Stop() { <-t.C }` never runs.
TEST_P(TimerTest, TimerModifiedEarlier) {
  const int count = static_cast<int>(scaled(1000, 100));
  run([&] {
    const time::Duration past = time::Until(time::Now().Add(-time::Hour));
    int fail = 0;
    for (int i = 0; i < count; ++i) {
      auto timer = time::NewTimer(time::Hour);
      for (int j = 0; j < 10; ++j) {
        if (!timer->Stop()) ++fail;
        timer->Reset(past);
      }
      if (!recv_before(timer->C, kLate).has_value()) ++fail;
    }
    EXPECT_EQ(fail, 0);
  });
}

// TestAdjustTimers: many timers moved earlier and later in random order;
// none loses its firing. Port of Go's state machine, Go 1.23 results.
TEST_P(TimerTest, AdjustTimers) {
  run([] {
    std::mt19937 rnd(std::random_device{}());
    std::vector<std::shared_ptr<time::Timer>> timers(100);
    std::vector<int> states(timers.size(), 0);
    std::vector<int> indices(timers.size());
    for (std::size_t i = 0; i < indices.size(); ++i) indices[i] = static_cast<int>(i);
    std::shuffle(indices.begin(), indices.end(), rnd);
    while (!indices.empty()) {
      const std::size_t ii = rnd() % indices.size();
      const int i = indices[ii];
      auto& timer = timers[static_cast<std::size_t>(i)];
      const int state = states[static_cast<std::size_t>(i)]++;
      switch (state) {
        case 0:
          timer = time::NewTimer(0ns);
          break;
        case 1:
          timer->C.recv();
          break;  // the timer is now idle
        case 2:
          EXPECT_FALSE(timer->Reset(time::Minute)) << "shouldn't be active (1)";
          break;
        case 4:
          EXPECT_FALSE(timer->Reset(3 * time::Minute)) << "shouldn't be active (3)";
          break;
        case 6:
          EXPECT_FALSE(timer->Reset(2 * time::Minute)) << "shouldn't be active (2)";
          break;
        case 3:
        case 5:
        case 7:
          EXPECT_TRUE(timer->Stop()) << "timer " << i << " state " << state;
          break;
        case 8:
          EXPECT_FALSE(timer->Reset(0ns)) << "timer.Reset returned true";
          break;
        case 9: {
          const time::Time now = time::Now();
          EXPECT_TRUE(recv_before(timer->C, kLate).has_value()) << "timer " << i << " lost";
          EXPECT_LT(time::Since(now), kLate);
          break;
        }
        case 10:
          indices[ii] = indices.back();
          indices.pop_back();
          break;
      }
    }
  });
}

// Stop and Reset racing the firing (on other workers when there are any):
// as nobody receives, Stop and Reset must always report true, no value may
// be received after Stop, and after Reset only a value from the new
// deadline.
TEST_P(TimerTest, StopAndResetRacingTheFiring) {
  const int iters = static_cast<int>(scaled(1000, 300));
  run([&] {
    std::mt19937 rnd(12345);
    int stop_false = 0, reset_false = 0, stale = 0, after_stop = 0;
    std::vector<std::shared_ptr<time::Timer>> stopped;
    for (int i = 0; i < iters; ++i) {
      auto t = time::NewTimer(std::chrono::microseconds(rnd() % 200));
      if (rnd() % 2)
        time::Sleep(std::chrono::microseconds(rnd() % 200));
      else
        gofer::runtime::Gosched();
      if (i % 2 == 0) {
        if (!t->Stop()) ++stop_false;
        if (try_take(t->C)) ++after_stop;
        stopped.push_back(std::move(t));
      } else {
        const time::Time r = time::Now();
        const time::Duration d2 = std::chrono::microseconds(rnd() % 500);
        if (!t->Reset(d2)) ++reset_false;
        const time::Time v = t->C.recv();
        if (v.Sub(r) < d2) ++stale;
      }
    }
    time::Sleep(5ms);  // past every original deadline
    for (auto& t : stopped)
      if (try_take(t->C)) ++after_stop;
    EXPECT_EQ(stop_false, 0) << "Stop of an unreceived timer reported false";
    EXPECT_EQ(reset_false, 0) << "Reset of an unreceived timer reported false";
    EXPECT_EQ(stale, 0) << "a value from before Reset was received";
    EXPECT_EQ(after_stop, 0) << "a value was received after Stop";
  });
}

// ---------------------------------------------------------------------------
// NewTicker, Tick
// ---------------------------------------------------------------------------

// check_ticker_period: the k-th tick comes no earlier than k periods after
// NewTicker, and not absurdly late.
void check_ticker_period(time::Duration d, int n) {
  const time::Time t0 = time::Now();
  auto tk = time::NewTicker(d);
  for (int k = 1; k <= n; ++k) {
    const time::Time v = tk->C.recv();
    EXPECT_GE(v.Sub(t0), k * d) << "tick " << k << " early";
    EXPECT_GE(time::Since(t0), k * d);
  }
  EXPECT_LT(time::Since(t0), n * d + kLate);
  tk->Stop();
}

TEST_P(TimerTest, TickerTicksEveryPeriod) {
  run([] { check_ticker_period(10ms, 5); });
}
TEST(TimerPlainThread, TickerTicksEveryPeriod) { check_ticker_period(10ms, 5); }

// TestTicker: count/2 ticks of delta, Reset(2*delta), count/2 more; then the
// stopped ticker stays silent.
TEST_P(TimerTest, Ticker) {
  static constexpr int kCount = 10;
  static constexpr time::Duration kDelta = 20 * time::Millisecond;
  run([] {
    const time::Time t0 = time::Now();
    auto ticker = time::NewTicker(kDelta);
    for (int i = 0; i < kCount / 2; ++i) ticker->C.recv();
    ticker->Reset(2 * kDelta);
    for (int i = kCount / 2; i < kCount; ++i) ticker->C.recv();
    ticker->Stop();
    const time::Duration dt = time::Since(t0);
    const time::Duration target = 3 * kDelta * (kCount / 2);
    // kCount/2 ticks of kDelta from NewTicker, then kCount/2 of 2*kDelta
    // from the Reset: never less than the target.
    EXPECT_GE(dt, target) << "ticks too fast: " << ms(dt) << " ms";
    EXPECT_LT(dt, target + kLate);
    EXPECT_FALSE(recv_before(ticker->C, 2 * kDelta).has_value()) << "Ticker did not shut down";
  });
}

// A slow reader (asleep for 5 periods) finds at most one tick waiting: the
// others were dropped, not queued, and the ticker goes on at its period.
// With one worker no timer can fire while this fiber drains, so exactly one
// is waiting; with more, one more may land during the drain.
TEST_P(TimerTest, TickerDropsTicksForASlowReader) {
  static constexpr time::Duration kPeriod = 10 * time::Millisecond;
  run([&] {
    auto tk = time::NewTicker(kPeriod);
    int total = 0;
    for (int round = 0; round < 3; ++round) {
      time::Sleep(5 * kPeriod);
      const int n = drain(tk->C);
      total += n;
      if (workers() == 1) {
        EXPECT_EQ(n, 1) << "round " << round;
      }
      EXPECT_LE(n, 2) << "a burst of queued ticks in round " << round;
    }
    EXPECT_GE(total, 1);
    const time::Time r = time::Now();
    EXPECT_TRUE(recv_before(tk->C, kLate).has_value()) << "the ticker stopped after a slow read";
    EXPECT_LT(time::Since(r), kLate);
    tk->Stop();
  });
}

// Stop discards a pending tick, stops the ticks and does not close C.
void check_ticker_stop() {
  auto tk = time::NewTicker(5ms);
  tk->C.recv();
  ASSERT_TRUE(fired_unreceived(tk->C));
  tk->Stop();
  EXPECT_FALSE(try_take(tk->C)) << "a stale tick survived Stop";
  time::Sleep(30ms);  // six periods
  time::Time v;
  bool ok = true;
  EXPECT_FALSE(tk->C.try_recv(v, &ok)) << (ok ? "a stopped ticker ticked" : "Stop closed C");
  bool took_default = false;
  gofer::select(gofer::recv(tk->C, [] {}), gofer::default_([&] { took_default = true; }));
  EXPECT_TRUE(took_default);
  EXPECT_FALSE(recv_before(tk->C, 30ms).has_value());
  tk->Stop();  // twice: harmless
}

TEST_P(TimerTest, TickerStopStopsTicksAndDoesNotCloseC) { run(check_ticker_stop); }
TEST(TimerPlainThread, TickerStopStopsTicksAndDoesNotCloseC) { check_ticker_stop(); }

// Reset changes the period (measured from the Reset) and discards the tick
// that was waiting.
TEST_P(TimerTest, TickerResetChangesThePeriodAndDiscardsAStaleTick) {
  run([] {
    auto tk = time::NewTicker(5ms);
    ASSERT_TRUE(fired_unreceived(tk->C));
    const time::Time r = time::Now();
    tk->Reset(60ms);
    EXPECT_FALSE(try_take(tk->C)) << "a stale tick survived Reset";
    const time::Time v1 = tk->C.recv();
    EXPECT_GE(v1.Sub(r), 60ms) << "the first tick after Reset came early";
    const time::Time v2 = tk->C.recv();
    EXPECT_GE(v2.Sub(r), 120ms) << "the new period was not used";
    EXPECT_LT(time::Since(r), 120ms + kLate);
    tk->Stop();
  });
}

TEST_P(TimerTest, TickerResetAfterStopRestartsIt) {
  run([] {
    auto tk = time::NewTicker(time::Hour);
    tk->Stop();
    const time::Time r = time::Now();
    tk->Reset(10ms);
    EXPECT_GE(tk->C.recv().Sub(r), 10ms);
    EXPECT_GE(tk->C.recv().Sub(r), 20ms);
    tk->Stop();
  });
}

// TestTeardown: tickers made, read once and stopped in a row.
TEST_P(TimerTest, Teardown) {
  run([] {
    for (int i = 0; i < 3; ++i) {
      auto ticker = time::NewTicker(20ms);
      ticker->C.recv();
      ticker->Stop();
    }
  });
}

// TestAfterStress: a 1 ns ticker delivers while another fiber keeps the
// workers busy.
TEST_P(TimerTest, AfterStress) {
  run([] {
    std::atomic<bool> stop{false};
    gofer::sync::WaitGroup wg;
    wg.Add(1);
    gofer::go([&] {
      while (!stop.load()) time::Sleep(time::Nanosecond);
      wg.Done();
    });
    auto ticker = time::NewTicker(time::Nanosecond);
    for (int i = 0; i < 100; ++i) ticker->C.recv();
    ticker->Stop();
    stop.store(true);
    wg.Wait();
  });
}

// Ticker.Reset racing the ticker's own firing on other workers: the heap
// entry must never be queued twice (that would corrupt the timer heap or
// keep ticking after Stop).
TEST_P(TimerTest, TickerResetRacingItsTicks) {
  const int iters = static_cast<int>(scaled(20000, 3000));
  run([&] {
    auto tk = time::NewTicker(time::Microsecond);
    std::atomic<bool> done{false};
    gofer::sync::WaitGroup wg;
    wg.Add(1);
    recv_chan<time::Time> c = tk->C;
    gofer::go([&, c] {  // a reader keeps the channel draining
      while (!done.load()) {
        (void)drain(c);
        gofer::runtime::Gosched();
      }
      wg.Done();
    });
    std::mt19937 rnd(7);
    for (int i = 0; i < iters; ++i) {
      tk->Reset(time::Nanosecond * (1 + rnd() % 3000));
      if (i % 16 == 0) gofer::runtime::Gosched();
    }
    tk->Stop();
    done.store(true);
    wg.Wait();
    (void)drain(tk->C);
    EXPECT_FALSE(recv_before(tk->C, 50ms).has_value()) << "the ticker ticked after Stop";
  });
}

// TestTick: Tick(d <= 0) is a nil channel (receiving blocks forever; in a
// select with default, the default runs); Tick(d > 0) ticks.
TEST_P(TimerTest, Tick) {
  run([] {
    EXPECT_TRUE(time::Tick(-1ns) == nullptr) << "Tick(-1) is not nil";
    EXPECT_TRUE(time::Tick(0ns) == nullptr);
    bool took_default = false;
    gofer::select(gofer::recv(time::Tick(0ns), [] {}),
                  gofer::default_([&] { took_default = true; }));
    EXPECT_TRUE(took_default);
    const int chosen = gofer::select(gofer::recv(time::Tick(-time::Second), [] {}),
                                     gofer::recv(time::After(10ms), [] {}));
    EXPECT_EQ(chosen, 1);

    const time::Time t0 = time::Now();
    recv_chan<time::Time> c = time::Tick(10ms);
    for (int k = 1; k <= 3; ++k) EXPECT_GE(c.recv().Sub(t0), k * 10ms);
  });
}

// TestNewTickerLtZeroDuration, TestTickerResetLtZeroDuration, with Go's
// messages; a failed Reset leaves the ticker running.
TEST(TimerPanics, NonPositiveTickerIntervals) {
  expect_panic([] { (void)time::NewTicker(0ns); }, "non-positive interval for NewTicker");
  expect_panic([] { (void)time::NewTicker(-1ns); }, "non-positive interval for NewTicker");
  expect_panic([] { (void)time::NewTicker(time::Duration::min()); },
               "non-positive interval for NewTicker");
  auto tk = time::NewTicker(5ms);
  expect_panic([&] { tk->Reset(0ns); }, "non-positive interval for Ticker.Reset");
  expect_panic([&] { tk->Reset(-time::Second); }, "non-positive interval for Ticker.Reset");
  EXPECT_TRUE(recv_before(tk->C, kLate).has_value()) << "a panicking Reset stopped the ticker";
  tk->Stop();
}

TEST_P(TimerTest, NonPositiveTickerIntervalsPanicInAFiber) {
  run([] {
    expect_panic([] { (void)time::NewTicker(0ns); }, "non-positive interval for NewTicker");
    auto tk = time::NewTicker(time::Second);
    expect_panic([&] { tk->Reset(0ns); }, "non-positive interval for Ticker.Reset");
    tk->Stop();
  });
}

// ---------------------------------------------------------------------------
// AfterFunc
// ---------------------------------------------------------------------------

struct func_run {
  bool in_fiber = false;
  bool own_fiber = false;  // not the fiber that called AfterFunc
  time::Time at;
};

// check_after_func: f runs after d, in a fiber of its own (it may block:
// here it sends on an unbuffered channel); Stop afterwards reports false;
// Reset runs it again.
void check_after_func() {
  auto done = make_chan<func_run>();
  gofer::detail::g* caller = gofer::detail::current_g();
  const time::Time start = time::Now();
  auto t = time::AfterFunc(20ms, [done, caller] {
    done.send(func_run{in_fiber(), gofer::detail::current_g() != caller, time::Now()});
  });
  EXPECT_TRUE(t->C == nullptr) << "an AfterFunc timer has no channel";
  const func_run r = done.recv();
  EXPECT_TRUE(r.in_fiber);
  EXPECT_TRUE(r.own_fiber);
  EXPECT_GE(r.at.Sub(start), 20ms) << "f ran early";
  EXPECT_LT(time::Since(start), 20ms + kLate);
  EXPECT_FALSE(t->Stop()) << "Stop after f ran";
  const time::Time r2 = time::Now();
  EXPECT_FALSE(t->Reset(10ms));
  EXPECT_GE(done.recv().at.Sub(r2), 10ms) << "Reset did not run f again";
}

TEST_P(TimerTest, AfterFuncRunsInItsOwnFiber) { run(check_after_func); }
TEST(TimerPlainThread, AfterFuncRunsInItsOwnFiber) { check_after_func(); }

// TestAfterStop (the AfterFunc part): Stop before f runs reports true and f
// never runs.
void check_after_func_stop() {
  bool stopped_once = false;
  for (int attempt = 0; attempt < 5 && !stopped_once; ++attempt) {
    auto ran = std::make_shared<std::atomic<int>>(0);
    auto t = time::AfterFunc(30ms, [ran] { ran->fetch_add(1); });
    const bool stopped = t->Stop();
    if (stopped) {
      time::Sleep(80ms);
      EXPECT_EQ(ran->load(), 0) << "a stopped AfterFunc ran";
    } else {  // a stall past the deadline: f must have been started
      EXPECT_TRUE(gofer_test::eventually([&] { return ran->load() == 1; }));
    }
    EXPECT_FALSE(t->Stop()) << "Stop returned true twice";
    stopped_once = stopped_once || stopped;
  }
  EXPECT_TRUE(stopped_once);
}

TEST_P(TimerTest, AfterFuncStopBeforeItRuns) { run(check_after_func_stop); }
TEST(TimerPlainThread, AfterFuncStopBeforeItRuns) { check_after_func_stop(); }

// TestAfterFunc: f re-arms itself with AfterFunc(0, f) and sleeps; as each
// runs in its own fiber the sleeps overlap.
TEST_P(TimerTest, AfterFunc) {
  run([] {
    std::atomic<int> i{10};
    auto c = make_chan<bool>();
    gofer::sync::WaitGroup sleepers;
    std::function<void()> f;
    f = [&] {
      if (i.fetch_sub(1) - 1 >= 0) {
        sleepers.Add(1);
        time::AfterFunc(0ns, f);
        time::Sleep(100ms);
        sleepers.Done();
      } else {
        c.send(true);
      }
    };
    const time::Time start = time::Now();
    time::AfterFunc(0ns, f);
    c.recv();
    EXPECT_LT(time::Since(start), 100ms * 10) << "the fs did not run concurrently";
    sleepers.Wait();
  });
}

// TestTimerStopStress, without its timing assumption: Stop races f, and
// reports true exactly for the timers whose f never runs.
TEST_P(TimerTest, TimerStopStress) {
  const int n = static_cast<int>(scaled(1000, 200));
  run([&] {
    std::vector<std::atomic<int>> ran(static_cast<std::size_t>(n));
    std::vector<std::atomic<int>> stopped(static_cast<std::size_t>(n));
    std::atomic<int> accounted{0};
    gofer::sync::WaitGroup wg;
    wg.Add(n);
    for (int i = 0; i < n; ++i) {
      gofer::go([&, i] {
        auto timer = time::AfterFunc(std::chrono::microseconds(i % 500), [&, i] {
          ran[static_cast<std::size_t>(i)].fetch_add(1);
          accounted.fetch_add(1);
        });
        time::Sleep(std::chrono::microseconds((i * 7) % 500));
        if (timer->Stop()) {
          stopped[static_cast<std::size_t>(i)].store(1);
          accounted.fetch_add(1);
        }
        wg.Done();
      });
    }
    wg.Wait();
    EXPECT_TRUE(gofer_test::eventually([&] { return accounted.load() >= n; }))
        << "a Stop that reported false did not leave f to run";
    time::Sleep(5ms);  // past every deadline: a stopped f would have run by now
    int bad = 0;
    for (std::size_t i = 0; i < ran.size(); ++i)
      if (ran[i].load() + stopped[i].load() != 1) ++bad;
    EXPECT_EQ(bad, 0) << "Stop's result disagrees with whether f ran";
  });
}

// ---------------------------------------------------------------------------
// Dropped timers and tickers
// ---------------------------------------------------------------------------

// Timers, tickers and Tick channels dropped without Stop stop themselves:
// nothing leaks (ASan checks), no fiber is left, the runtime shuts down.
// A dropped Ticker whose channel is still held keeps ticking.
TEST_P(TimerTest, DroppedTimersAndTickersStopThemselves) {
  run([] {
    for (int i = 0; i < 100; ++i) {
      (void)time::NewTimer(std::chrono::microseconds(i * 10));
      (void)time::NewTicker(std::chrono::microseconds(1 + i * 10));
      (void)time::Tick(std::chrono::microseconds(1 + i * 10));
      (void)time::After(std::chrono::microseconds(i * 10));
    }
    const time::Time t0 = time::Now();
    recv_chan<time::Time> c = time::NewTicker(5ms)->C;  // the Ticker is gone, C is not
    for (int k = 1; k <= 3; ++k) EXPECT_GE(c.recv().Sub(t0), k * 5ms);
    time::Sleep(10ms);  // every dropped one has had its next tick
  });
}

// A fiber blocked on the channel of a stopped timer or ticker is asleep for
// good: Go reports the deadlock, and so does gofer (and Stop not closing C
// is what keeps the receive blocked). An abandoned Tick stops itself at its
// next tick, after which nothing can wake the program either. A live ticker
// or pending After is not a deadlock.
constexpr const char* kDeadlock = "fatal error: all goroutines are asleep - deadlock!";

TEST(TimerDeathTest, ReceivingFromAStoppedTimerIsADeadlock) {
  EXPECT_EXIT(
      {
        alarm(30);
        gofer::run([] {
          auto t = time::NewTimer(10ms);
          t->Stop();
          t->C.recv();
        });
        std::exit(0);
      },
      ExitedWithCode(2), kDeadlock);
}

TEST(TimerDeathTest, ReceivingFromAStoppedTickerIsADeadlock) {
  EXPECT_EXIT(
      {
        alarm(30);
        gofer::run([] {
          auto tk = time::NewTicker(5ms);
          tk->C.recv();
          tk->Stop();
          tk->C.recv();  // Stop does not close C: blocks forever
        });
        std::exit(0);
      },
      ExitedWithCode(2), kDeadlock);
}

TEST(TimerDeathTest, AnAbandonedTickStopsItselfAndTheDeadlockIsReported) {
  EXPECT_EXIT(
      {
        alarm(30);
        gofer::run([] {
          (void)time::Tick(5ms);
          (void)time::NewTicker(5ms);
          make_chan<int>().recv();
        });
        std::exit(0);
      },
      ExitedWithCode(2), kDeadlock);
}

TEST(TimerDeathTest, WaitingOnALiveTickerOrAfterIsNotADeadlock) {
  EXPECT_EXIT(
      {
        alarm(30);
        gofer::run([] {
          auto tk = time::NewTicker(10ms);
          for (int i = 0; i < 3; ++i) tk->C.recv();
          tk->Stop();
          time::After(100ms).recv();
          auto done = make_chan<int>();
          time::AfterFunc(100ms, [done] { done.send(1); });
          done.recv();
        });
        std::exit(0);
      },
      ExitedWithCode(0), "");
}

// ---------------------------------------------------------------------------
// Many timers
// ---------------------------------------------------------------------------

// Many short timers made and read by many fibers: each fires exactly once,
// no earlier than its deadline.
TEST_P(TimerTest, ManyTimersAcrossFibersEachFireExactlyOnce) {
  constexpr int kFibers = 100;
  const int per_fiber = static_cast<int>(scaled(100, 10));  // 10,000 timers (1,000 short)
  std::atomic<std::uint64_t> progress{0};
  gofer_test::Watchdog dog(
      "many timers", [&] { return progress.load(); }, 30s);
  run([&] {
    std::vector<std::vector<std::shared_ptr<time::Timer>>> timers(kFibers);
    std::atomic<int> early{0}, received{0};
    gofer::sync::WaitGroup wg;
    wg.Add(kFibers);
    for (int f = 0; f < kFibers; ++f) {
      gofer::go([&, f] {
        auto& mine = timers[static_cast<std::size_t>(f)];
        std::vector<time::Time> armed;
        std::vector<time::Duration> ds;
        for (int j = 0; j < per_fiber; ++j) {
          ds.push_back((j % 20) * time::Millisecond + (f % 7) * time::Microsecond);
          armed.push_back(time::Now());
          mine.push_back(time::NewTimer(ds.back()));
        }
        for (int j = 0; j < per_fiber; ++j) {
          const time::Time v = mine[static_cast<std::size_t>(j)]->C.recv();
          if (v.Sub(armed[static_cast<std::size_t>(j)]) < ds[static_cast<std::size_t>(j)])
            early.fetch_add(1);
          received.fetch_add(1);
          progress.fetch_add(1, std::memory_order_relaxed);
        }
        wg.Done();
      });
    }
    wg.Wait();
    time::Sleep(30ms);  // past every deadline: a second value would be here now
    int twice = 0;
    for (auto& v : timers)
      for (auto& t : v)
        if (try_take(t->C)) ++twice;
    EXPECT_EQ(received.load(), kFibers * per_fiber);
    EXPECT_EQ(early.load(), 0);
    EXPECT_EQ(twice, 0) << "timers fired more than once";
  });
  dog.stop();
}

TEST_P(TimerTest, ManyAfterFuncsEachRunExactlyOnce) {
  const int n = static_cast<int>(gofer_test::live_capped(scaled(10000, 1000)));
  std::atomic<std::uint64_t> progress{0};
  gofer_test::Watchdog dog(
      "many AfterFuncs", [&] { return progress.load(); }, 30s);
  run([&] {
    std::vector<std::atomic<int>> ran(static_cast<std::size_t>(n));
    gofer::sync::WaitGroup wg;
    wg.Add(n);
    std::vector<std::shared_ptr<time::Timer>> ts;
    for (int i = 0; i < n; ++i)
      ts.push_back(time::AfterFunc((i % 20) * time::Millisecond, [&, i] {
        ran[static_cast<std::size_t>(i)].fetch_add(1);
        progress.fetch_add(1, std::memory_order_relaxed);
        wg.Done();
      }));
    wg.Wait();
    time::Sleep(30ms);
    int bad = 0;
    for (auto& r : ran)
      if (r.load() != 1) ++bad;
    EXPECT_EQ(bad, 0) << "AfterFuncs that did not run exactly once";
    for (auto& t : ts) EXPECT_FALSE(t->Stop());
  });
  dog.stop();
}

}  // namespace
