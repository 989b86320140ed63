// tests/patterns/circuit_breaker_test.cpp — gofer::patterns::CircuitBreaker
// against a failing dependency: the article's API (NewCircuitBreaker(3,
// resetTime), Call), its trip rule (failures since the last success), fast
// failure while open without calling fn, the half-open trial limit under
// many concurrent callers, generations (late results are ignored), Interval,
// OnStateChange (order, outside the lock), counts, exceptions, IsSuccessful,
// gobreaker's defaults, and State printing.
#include "gofer/patterns/circuit_breaker.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "fixture.hpp"
#include "gofer/fmt.hpp"
#include "gofer/gofer.hpp"

namespace {

using namespace std::chrono_literals;
using gofer::error;
using gofer::nil;
namespace errors = gofer::errors;
namespace fmt = gofer::fmt;
namespace patterns = gofer::patterns;
namespace sync = gofer::sync;
namespace time = gofer::time;
using patterns::Counts;
using patterns::State;
using patterns::StateClosed;
using patterns::StateHalfOpen;
using patterns::StateOpen;

class CircuitBreakerTest : public gofer_test::RuntimeTest {};
GOFER_INSTANTIATE_WORKER_COUNTS(CircuitBreakerTest);

// kTimeout: an open period long enough that the checks made right after a
// trip run before it ends, also on a loaded machine; tests that need the
// breaker half-open sleep kTimeout + kPast.
const time::Duration kTimeout = gofer_test::slack(100ms);
const time::Duration kPast = 20 * time::Millisecond;

// dependency: the flaky external API of the article's example.
struct dependency {
  std::atomic<int> calls{0};
  std::atomic<bool> failing{true};
  const error err = errors::New("服务器错误");
  error operator()() {
    calls++;
    return failing ? err : nil;
  }
};

// transitions records OnStateChange calls.
struct transitions {
  sync::Mutex mu;
  std::vector<std::string> seen;  // Guarded by mu: "name:from->to".
  auto callback() {
    return [this](const std::string& name, State from, State to) {
      std::lock_guard<sync::Mutex> lk(mu);
      seen.push_back(name + ":" + from.String() + "->" + to.String());
    };
  }
  std::vector<std::string> get() {
    std::lock_guard<sync::Mutex> lk(mu);
    return seen;
  }
};

Counts counts(std::uint32_t req, std::uint32_t succ, std::uint32_t fail, std::uint32_t csucc,
              std::uint32_t cfail) {
  return Counts{req, succ, fail, csucc, cfail};
}

TEST_P(CircuitBreakerTest, TripsAfterMaxFailuresAndFailsFastWithoutCallingFn) {
  run([] {
    dependency dep;
    auto cb = patterns::NewCircuitBreaker(3, 10 * time::Second);
    EXPECT_EQ(cb->State(), StateClosed);
    for (int i = 0; i < 2; i++) {
      EXPECT_EQ(cb->Call(dep), dep.err);
      EXPECT_EQ(cb->State(), StateClosed);
    }
    EXPECT_EQ(cb->Counts(), counts(2, 0, 2, 0, 2));
    EXPECT_EQ(cb->Call(dep), dep.err);  // the third failure trips it
    EXPECT_EQ(cb->State(), StateOpen);
    EXPECT_EQ(cb->Counts(), Counts{});  // a new generation
    for (int i = 0; i < 100; i++) {
      const error err = cb->Call(dep);
      ASSERT_TRUE(errors::Is(err, patterns::ErrOpenState)) << err;
      EXPECT_EQ(err.Error(), "熔断器已打开");
    }
    EXPECT_EQ(dep.calls.load(), 3) << "fn must not run while open";
    EXPECT_EQ(cb->Counts(), Counts{}) << "rejected calls are not requests";
    const error wrapped = fmt::Errorf("API 调用失败: %w", cb->Call(dep));
    EXPECT_TRUE(errors::Is(wrapped, patterns::ErrOpenState));
    EXPECT_FALSE(errors::Is(wrapped, patterns::ErrTooManyRequests));
  });
}

// The article resets its failure count on every success: it counts the
// failures since the last success, that is ConsecutiveFailures.
TEST_P(CircuitBreakerTest, ArticleFormCountsFailuresSinceTheLastSuccess) {
  run([] {
    dependency dep;
    auto cb = patterns::NewCircuitBreaker(3, 10 * time::Second);
    EXPECT_EQ(cb->Call(dep), dep.err);
    EXPECT_EQ(cb->Call(dep), dep.err);
    dep.failing = false;
    EXPECT_EQ(cb->Call(dep), nil);
    EXPECT_EQ(cb->Counts(), counts(3, 1, 2, 1, 0));
    dep.failing = true;
    EXPECT_EQ(cb->Call(dep), dep.err);
    EXPECT_EQ(cb->Call(dep), dep.err);
    EXPECT_EQ(cb->State(), StateClosed) << "4 failures, but only 2 since the last success";
    EXPECT_EQ(cb->Counts(), counts(5, 1, 4, 0, 2));
    EXPECT_EQ(cb->Call(dep), dep.err);
    EXPECT_EQ(cb->State(), StateOpen);
  });
}

TEST_P(CircuitBreakerTest, HalfOpenAfterTimeoutAndASuccessfulTrialCloses) {
  run([] {
    dependency dep;
    transitions tr;
    auto cb = patterns::NewCircuitBreaker(
        {.Name = "api",
         .Timeout = kTimeout,
         .ReadyToTrip = [](const Counts& c) { return c.ConsecutiveFailures >= 2; },
         .OnStateChange = tr.callback()});
    EXPECT_EQ(cb->Name(), "api");
    cb->Call(dep);
    cb->Call(dep);
    EXPECT_EQ(cb->State(), StateOpen);
    time::Sleep(kTimeout + kPast);
    EXPECT_EQ(cb->State(), StateHalfOpen) << "driven by time on the next call";
    dep.failing = false;
    EXPECT_EQ(cb->Call(dep), nil);
    EXPECT_EQ(cb->State(), StateClosed);
    EXPECT_EQ(cb->Counts(), Counts{});
    EXPECT_EQ(dep.calls.load(), 3);
    EXPECT_EQ(tr.get(), (std::vector<std::string>{"api:closed->open", "api:open->half-open",
                                                  "api:half-open->closed"}));
  });
}

TEST_P(CircuitBreakerTest, HalfOpenFailureReopensForAnotherTimeout) {
  run([] {
    dependency dep;
    transitions tr;
    auto cb = patterns::NewCircuitBreaker(
        {.Name = "api", .Timeout = kTimeout, .OnStateChange = tr.callback()});
    for (int i = 0; i < 6; i++) EXPECT_EQ(cb->Call(dep), dep.err);  // gobreaker's default: > 5
    EXPECT_EQ(cb->State(), StateOpen);
    time::Sleep(kTimeout + kPast);
    EXPECT_EQ(cb->Call(dep), dep.err);  // the trial call fails
    EXPECT_TRUE(errors::Is(cb->Call(dep), patterns::ErrOpenState));
    EXPECT_EQ(dep.calls.load(), 7);
    time::Sleep(kTimeout + kPast);
    EXPECT_EQ(cb->State(), StateHalfOpen);
    EXPECT_EQ(tr.get(), (std::vector<std::string>{"api:closed->open", "api:open->half-open",
                                                  "api:half-open->open", "api:open->half-open"}));
  });
}

// Many callers arrive at once in half-open: exactly MaxRequests run fn, all
// the others fail fast with ErrTooManyRequests; MaxRequests successes close
// the breaker.
TEST_P(CircuitBreakerTest, HalfOpenAdmitsExactlyMaxRequestsConcurrentTrials) {
  run([] {
    constexpr int kMax = 3;
    const int n = static_cast<int>(gofer_test::scaled(200, 64));
    transitions tr;
    auto cb = patterns::NewCircuitBreaker({.Name = "api",
                                           .MaxRequests = kMax,
                                           .Timeout = kTimeout,
                                           .ReadyToTrip = [](const Counts&) { return true; },
                                           .OnStateChange = tr.callback()});
    const error boom = errors::New("boom");
    EXPECT_EQ(cb->Call([&] { return boom; }), boom);
    EXPECT_EQ(cb->State(), StateOpen);
    time::Sleep(kTimeout + kPast);

    auto gate = gofer::make_chan<gofer::empty>();
    std::atomic<int> inside{0}, rejected{0}, wrong{0}, succeeded{0};
    sync::WaitGroup wg;
    for (int i = 0; i < n; i++) {
      wg.Add(1);
      gofer::go([&] {
        const error err = cb->Call([&] {
          inside++;
          gate.recv();  // the dependency is slow to answer
          return error(nil);
        });
        if (err == nil)
          succeeded++;
        else if (err == patterns::ErrTooManyRequests)
          rejected++;
        else
          wrong++;
        wg.Done();
      });
    }
    ASSERT_TRUE(gofer_test::eventually([&] { return inside + rejected == n; }));
    time::Sleep(5 * time::Millisecond);  // nobody else gets in late
    EXPECT_EQ(inside.load(), kMax);
    EXPECT_EQ(rejected.load(), n - kMax);
    EXPECT_EQ(cb->State(), StateHalfOpen);
    EXPECT_EQ(cb->Counts(), counts(kMax, 0, 0, 0, 0));
    close(gate);
    wg.Wait();
    EXPECT_EQ(succeeded.load(), kMax);
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_EQ(cb->State(), StateClosed);
    EXPECT_EQ(tr.get(), (std::vector<std::string>{"api:closed->open", "api:open->half-open",
                                                  "api:half-open->closed"}));
  });
}

// In half-open one trial fails: the breaker reopens and the successes of the
// other trials, which started in the half-open generation, are ignored.
TEST_P(CircuitBreakerTest, HalfOpenFailedTrialReopensAndLateSuccessesAreIgnored) {
  run([] {
    auto cb = patterns::NewCircuitBreaker(
        {.MaxRequests = 3, .Timeout = kTimeout, .ReadyToTrip = [](const Counts&) { return true; }});
    const error boom = errors::New("boom");
    cb->Call([&] { return boom; });
    time::Sleep(kTimeout + kPast);
    std::vector<gofer::chan<error>> gates;
    for (int i = 0; i < 3; i++) gates.push_back(gofer::make_chan<error>());
    sync::WaitGroup wg;
    std::atomic<int> inside{0};
    for (int i = 0; i < 3; i++) {
      wg.Add(1);
      gofer::go([&, i] {
        cb->Call([&] {
          inside++;
          return gates[i].recv();
        });
        wg.Done();
      });
    }
    ASSERT_TRUE(gofer_test::eventually([&] { return inside == 3; }));
    gates[0].send(error(nil));
    gates[1].send(boom);  // reopens
    gates[2].send(error(nil));
    wg.Wait();
    EXPECT_EQ(cb->State(), StateOpen);
    EXPECT_EQ(cb->Counts(), Counts{});
  });
}

// A call that started before a state change returns after it: its result
// belongs to the old generation and changes nothing.
TEST_P(CircuitBreakerTest, ResultFromAnEarlierGenerationIsIgnored) {
  run([] {
    transitions tr;
    auto cb = patterns::NewCircuitBreaker(
        {.Name = "g",
         .Timeout = 10 * time::Second,
         .ReadyToTrip = [](const Counts& c) { return c.ConsecutiveFailures >= 2; },
         .OnStateChange = tr.callback()});
    const error boom = errors::New("boom");
    auto slow = gofer::make_chan<error>();
    auto done = gofer::make_chan<error>(2);
    std::atomic<int> started{0};
    for (int i = 0; i < 2; i++) {
      gofer::go([&] {
        done.send(cb->Call([&] {
          started++;
          return slow.recv();
        }));
      });
    }
    ASSERT_TRUE(gofer_test::eventually([&] { return started == 2; }));
    EXPECT_EQ(cb->Counts(), counts(2, 0, 0, 0, 0));
    EXPECT_EQ(cb->Call([&] { return boom; }), boom);
    EXPECT_EQ(cb->Call([&] { return boom; }), boom);
    EXPECT_EQ(cb->State(), StateOpen);
    slow.send(error(nil));  // a success from the closed generation: does not close it
    slow.send(boom);        // a failure from it: not counted
    const error r1 = done.recv(), r2 = done.recv();  // in either order
    EXPECT_TRUE((r1 == nil && r2 == boom) || (r1 == boom && r2 == nil)) << r1 << ", " << r2;
    EXPECT_EQ(cb->State(), StateOpen);
    EXPECT_EQ(cb->Counts(), Counts{});
    EXPECT_EQ(tr.get(), (std::vector<std::string>{"g:closed->open"}));
  });
}

TEST_P(CircuitBreakerTest, IntervalClearsCountsInClosedState) {
  run([] {
    const time::Duration interval = gofer_test::slack(150ms);
    auto cb = patterns::NewCircuitBreaker(
        {.Interval = interval, .Timeout = 10 * time::Second, .ReadyToTrip = [](const Counts& c) {
           return c.ConsecutiveFailures >= 3;
         }});
    const error boom = errors::New("boom");
    cb->Call([&] { return boom; });
    cb->Call([&] { return boom; });
    EXPECT_EQ(cb->Counts(), counts(2, 0, 2, 0, 2));
    // A call of this interval that answers in the next one is not counted.
    auto slow = gofer::make_chan<error>();
    auto done = gofer::make_chan<error>(1);
    gofer::go([&] { done.send(cb->Call([&] { return slow.recv(); })); });
    ASSERT_TRUE(gofer_test::eventually([&] { return cb->Counts().Requests == 3; }));
    time::Sleep(interval + kPast);
    EXPECT_EQ(cb->Counts(), Counts{});
    slow.send(boom);
    EXPECT_EQ(done.recv(), boom);
    EXPECT_EQ(cb->Counts(), Counts{});
    cb->Call([&] { return boom; });
    cb->Call([&] { return boom; });
    EXPECT_EQ(cb->State(), StateClosed) << "the failures before the interval were cleared";
    EXPECT_EQ(cb->Counts(), counts(2, 0, 2, 0, 2));
  });
}

TEST_P(CircuitBreakerTest, ExceptionFromFnCountsAsFailureAndIsRethrown) {
  run([] {
    auto cb = patterns::NewCircuitBreaker(2, 10 * time::Second);
    int ran = 0;
    auto thrower = [&]() -> error {
      ran++;
      throw std::runtime_error("dependency crashed");
    };
    EXPECT_THROW(cb->Call(thrower), std::runtime_error);
    EXPECT_EQ(cb->Counts(), counts(1, 0, 1, 0, 1));
    EXPECT_THROW(cb->Call(thrower), std::runtime_error);
    EXPECT_EQ(cb->State(), StateOpen);
    EXPECT_EQ(cb->Call(thrower), patterns::ErrOpenState);  // not thrown: fn is not called
    EXPECT_EQ(ran, 2);
  });
}

TEST_P(CircuitBreakerTest, IsSuccessfulDecidesWhatCountsAsFailure) {
  run([] {
    const error notFound = errors::New("not found");
    const error boom = errors::New("boom");
    auto cb = patterns::NewCircuitBreaker(
        {.ReadyToTrip = [](const Counts& c) { return c.ConsecutiveFailures >= 1; },
         .IsSuccessful = [&](const error& err) { return err == nil || err == notFound; }});
    for (int i = 0; i < 5; i++) EXPECT_EQ(cb->Call([&] { return notFound; }), notFound);
    EXPECT_EQ(cb->State(), StateClosed);
    EXPECT_EQ(cb->Counts(), counts(5, 5, 0, 5, 0));
    EXPECT_EQ(cb->Call([&] { return boom; }), boom);
    EXPECT_EQ(cb->State(), StateOpen);
  });
}

TEST_P(CircuitBreakerTest, ExceptionFromIsSuccessfulCountsAsFailure) {
  run([] {
    auto cb = patterns::NewCircuitBreaker(
        {.MaxRequests = 1,
         .Timeout = 10 * time::Second,
         .ReadyToTrip = [](const Counts& c) { return c.ConsecutiveFailures >= 1; },
         .IsSuccessful = [](const error&) -> bool { throw std::logic_error("classifier bug"); }});
    EXPECT_THROW(cb->Call([] { return error(nil); }), std::logic_error);
    EXPECT_EQ(cb->State(), StateOpen) << "the call was counted, as a failure";
  });
}

TEST_P(CircuitBreakerTest, DefaultSettingsAreGobreakers) {
  run([] {
    auto cb = patterns::NewCircuitBreaker(patterns::Settings{});
    EXPECT_EQ(cb->Name(), "");
    const error boom = errors::New("boom");
    for (int i = 0; i < 5; i++) cb->Call([&] { return boom; });
    EXPECT_EQ(cb->State(), StateClosed) << "ReadyToTrip defaults to ConsecutiveFailures > 5";
    cb->Call([&] { return boom; });
    EXPECT_EQ(cb->State(), StateOpen);
  });
}

// OnStateChange is called without the breaker's lock: it may call the
// breaker, even Call, without deadlocking; nested transitions are reported
// after the current one, in order.
TEST_P(CircuitBreakerTest, OnStateChangeRunsOutsideTheLock) {
  run([] {
    std::shared_ptr<patterns::CircuitBreaker> cb;
    std::vector<std::string> seen;
    const error boom = errors::New("boom");
    cb = patterns::NewCircuitBreaker(
        {.Name = "re",
         .Timeout = 10 * time::Second,
         .ReadyToTrip = [](const Counts& c) { return c.ConsecutiveFailures >= 1; },
         .OnStateChange =
             [&](const std::string&, State from, State to) {
               seen.push_back(from.String() + "->" + to.String() + " now " + cb->State().String());
               const error err = cb->Call([] { return error(nil); });
               seen.push_back(fmt::Sprintf("nested call: %v", err));
             }});
    cb->Call([&] { return boom; });
    EXPECT_EQ(seen,
              (std::vector<std::string>{"closed->open now open", "nested call: 熔断器已打开"}));
  });
}

// Concurrent callers on a closed breaker: every request and result counted.
TEST_P(CircuitBreakerTest, ConcurrentCallsAreCountedExactly) {
  run([] {
    const int fibers = 8;
    const int per = static_cast<int>(gofer_test::scaled(5000, 500));
    auto cb = patterns::NewCircuitBreaker({.ReadyToTrip = [](const Counts&) { return false; }});
    const error boom = errors::New("boom");
    sync::WaitGroup wg;
    for (int f = 0; f < fibers; f++) {
      wg.Add(1);
      gofer::go([&, f] {
        for (int i = 0; i < per; i++) {
          const bool fail = (i + f) % 3 == 0;
          cb->Call([&] { return fail ? boom : error(nil); });
          if (i % 64 == 0) gofer::runtime::Gosched();
        }
        wg.Done();
      });
    }
    wg.Wait();
    const Counts c = cb->Counts();
    EXPECT_EQ(c.Requests, static_cast<std::uint32_t>(fibers * per));
    EXPECT_EQ(c.TotalSuccesses + c.TotalFailures, c.Requests);
    std::uint32_t fails = 0;
    for (int f = 0; f < fibers; f++)
      for (int i = 0; i < per; i++) fails += (i + f) % 3 == 0;
    EXPECT_EQ(c.TotalFailures, fails);
  });
}

// A flapping dependency hammered by many fibers: every result is one of the
// four possible, and the reported transitions form one chain from closed.
TEST_P(CircuitBreakerTest, FlappingDependencyUnderLoadReportsAConsistentChain) {
  run([] {
    transitions tr;
    auto cb = patterns::NewCircuitBreaker(
        {.Name = "f",
         .MaxRequests = 2,
         .Timeout = 2 * time::Millisecond,
         .ReadyToTrip = [](const Counts& c) { return c.ConsecutiveFailures >= 3; },
         .OnStateChange = tr.callback()});
    const error boom = errors::New("boom");
    std::atomic<bool> failing{true};
    std::atomic<int> odd{0};
    const auto until = time::Now().Add(gofer_test::scaled(200, 100) * time::Millisecond);
    sync::WaitGroup wg;
    for (int f = 0; f < 8; f++) {
      wg.Add(1);
      gofer::go([&] {
        for (int i = 0; time::Now().Before(until); i++) {
          const error err = cb->Call([&] {
            if (i % 4 == 0) time::Sleep(100 * time::Microsecond);
            return failing ? boom : error(nil);
          });
          if (err != nil && err != boom && err != patterns::ErrOpenState &&
              err != patterns::ErrTooManyRequests)
            odd++;
          if (i % 8 == 0) time::Sleep(50 * time::Microsecond);
        }
        wg.Done();
      });
    }
    wg.Add(1);
    gofer::go([&] {
      while (time::Now().Before(until)) {
        failing = !failing;
        time::Sleep(3 * time::Millisecond);
      }
      wg.Done();
    });
    wg.Wait();
    const State final_state = cb->State();  // reports its own transition before returning
    EXPECT_EQ(odd.load(), 0);
    const auto seen = tr.get();
    EXPECT_FALSE(seen.empty());
    std::string at = "closed";
    for (const auto& s : seen) {
      const auto arrow = s.find("->");
      ASSERT_NE(arrow, std::string::npos);
      EXPECT_EQ(s.substr(2, arrow - 2), at) << s;  // "f:" prefix
      at = s.substr(arrow + 2);
    }
    EXPECT_EQ(at, final_state.String());
  });
}

TEST(CircuitBreakerState, StringAndFmt) {
  EXPECT_EQ(StateClosed.String(), "closed");
  EXPECT_EQ(StateHalfOpen.String(), "half-open");
  EXPECT_EQ(StateOpen.String(), "open");
  EXPECT_EQ(State(7).String(), "unknown state: 7");
  EXPECT_EQ(fmt::Sprintf("%v|%s|%v", StateClosed, StateHalfOpen, StateOpen),
            "closed|half-open|open");
  EXPECT_EQ(fmt::Sprint(State()), "closed");
  EXPECT_EQ(patterns::ErrTooManyRequests.Error(), "熔断器半开: 试探请求过多");
}

TEST(CircuitBreakerArgs, InvalidArgumentsPanic) {
  try {
    patterns::NewCircuitBreaker(0, time::Second);
    ADD_FAILURE() << "no panic for maxFailures 0";
  } catch (const gofer::panic_error& e) {
    EXPECT_STREQ(e.what(), "patterns: NewCircuitBreaker: maxFailures must be >= 1");
  }
  try {
    patterns::NewCircuitBreaker(3, time::Duration::zero());
    ADD_FAILURE() << "no panic for resetTime 0";
  } catch (const gofer::panic_error& e) {
    EXPECT_STREQ(e.what(), "patterns: NewCircuitBreaker: resetTime must be positive");
  }
  EXPECT_THROW(patterns::NewCircuitBreaker(-1, time::Second), gofer::panic_error);
  EXPECT_THROW(patterns::NewCircuitBreaker(1, -time::Second), gofer::panic_error);
}

}  // namespace
