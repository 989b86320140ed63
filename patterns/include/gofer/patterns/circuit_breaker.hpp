// gofer/patterns/circuit_breaker.hpp — the Circuit Breaker pattern of the
// seed article (shared/seeds/000_93dc988236682126.txt, 'Go并发模式：7种让代码
// 坚不可摧的策略', section 3), with the state machine of sony/gobreaker.
//
//   cb := NewCircuitBreaker(3, 30*time.Second)
//   auto cb = patterns::NewCircuitBreaker(3, 30 * time::Second);
//   err := cb.Call(func() error { ... })
//   error err = cb->Call([&] { return callAPI(); });
//   if errors.Is(err, ErrOpenState) { ... }
//   if (errors::Is(err, patterns::ErrOpenState)) { ... }
//
//   cb := gobreaker.NewCircuitBreaker(gobreaker.Settings{Name: "api", MaxRequests: 3, ...})
//   auto cb = patterns::NewCircuitBreaker({.Name = "api", .MaxRequests = 3, ...});
//
// States: closed (calls go through; failures are counted), open (calls fail
// at once with ErrOpenState and fn is not called), half-open (up to
// MaxRequests trial calls go through; more fail at once with
// ErrTooManyRequests). closed -> open when ReadyToTrip(counts) holds after a
// failure; open -> half-open on the first call (or State()/Counts()) after
// Timeout has passed since the trip (time::Now(), as the article's
// time.Since(lastFailTime) > resetTime); half-open -> closed after
// MaxRequests consecutive successes; half-open -> open on any failure.
//
// Differences from the article's Go (docs/patterns.md):
//   - The article reads the state under RLock, calls fn, then updates under
//     Lock: between the two any number of callers pass in half-open, and a
//     result from before a transition changes the state after it. Here the
//     state is read and changed in one critical section before fn and one
//     after, and every state change (and every Interval roll-over) starts a
//     new generation: a result that comes back in a later generation than
//     it started in is ignored (gobreaker's scheme).
//   - Half-open admits at most MaxRequests trial calls (default 1).
//   - It compiles (the article's `failures` is declared and not used).
//   - An exception thrown by fn counts as a failure and is rethrown.
//
// Invariants (under mu_):
//   - counts_ holds only the results of calls admitted in generation_;
//     every change of state_ and every Interval roll-over increments
//     generation_ and clears counts_.
//   - state_ == HalfOpen implies counts_.Requests <= max_requests_.
//   - expiry_ is zero in half-open; the trip time + Timeout in open; the end
//     of the current interval (or zero: no Interval) in closed.
//   - Transitions are appended to pending_ in the order they happen;
//     while delivering_, exactly one fiber calls OnStateChange with them,
//     in order, with mu_ not held.
//
// Thread safety: every member may be called from any fiber or thread at
// once. fn, IsSuccessful and OnStateChange run with no lock held (they may
// call the breaker); ReadyToTrip runs under mu_ and must not call it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "gofer/errors.hpp"
#include "gofer/panic.hpp"
#include "gofer/sync/mutex.hpp"
#include "gofer/time.hpp"

namespace gofer::patterns {

// State: gobreaker's State. String() is "closed", "half-open", "open" (and
// "unknown state: N" for any other value), so fmt prints it by name.
class State {
 public:
  constexpr State() noexcept = default;  // StateClosed
  constexpr explicit State(int v) noexcept : v_(v) {}
  constexpr int value() const noexcept { return v_; }
  std::string String() const {
    switch (v_) {
      case 0:
        return "closed";
      case 1:
        return "half-open";
      case 2:
        return "open";
      default:
        return "unknown state: " + std::to_string(v_);
    }
  }
  friend constexpr bool operator==(State a, State b) noexcept = default;
  friend std::ostream& operator<<(std::ostream& os, State s) { return os << s.String(); }

 private:
  int v_ = 0;
};

inline constexpr State StateClosed{0};
inline constexpr State StateHalfOpen{1};
inline constexpr State StateOpen{2};

// Counts: the numbers of requests and their results in the current
// generation (gobreaker's Counts; cleared on every state change and every
// Interval in closed state).
struct Counts {
  std::uint32_t Requests = 0;
  std::uint32_t TotalSuccesses = 0;
  std::uint32_t TotalFailures = 0;
  std::uint32_t ConsecutiveSuccesses = 0;
  std::uint32_t ConsecutiveFailures = 0;

  friend bool operator==(const Counts&, const Counts&) = default;
  friend std::ostream& operator<<(std::ostream& os, const Counts& c) {  // Go's %+v
    return os << "{Requests:" << c.Requests << " TotalSuccesses:" << c.TotalSuccesses
              << " TotalFailures:" << c.TotalFailures
              << " ConsecutiveSuccesses:" << c.ConsecutiveSuccesses
              << " ConsecutiveFailures:" << c.ConsecutiveFailures << "}";
  }
};

// Settings: gobreaker's Settings. Zero values take gobreaker's defaults.
struct Settings {
  std::string Name{};
  // MaxRequests: trial calls admitted in half-open, and the consecutive
  // successes that close it again. 0 means 1.
  std::uint32_t MaxRequests = 0;
  // Interval: in closed state, the period after which counts are cleared.
  // 0 (or negative) never clears them.
  time::Duration Interval{0};
  // Timeout: how long the breaker stays open (the article's resetTime).
  // 0 (or negative) means 60 s.
  time::Duration Timeout{0};
  // ReadyToTrip: called under the breaker's lock after every failure in
  // closed state; true opens the breaker. Default: ConsecutiveFailures > 5.
  std::function<bool(const Counts&)> ReadyToTrip{};
  // OnStateChange: called on every state change, outside the lock, in the
  // order of the changes, never concurrently with itself (see Call).
  std::function<void(const std::string& name, State from, State to)> OnStateChange{};
  // IsSuccessful: whether fn's error counts as a success (fn's error is
  // returned by Call either way). Default: err == nil.
  std::function<bool(const error&)> IsSuccessful{};
};

namespace detail_breaker {
inline const error& open_state_error() {
  static const error e = errors::New("熔断器已打开");
  return e;
}
inline const error& too_many_requests_error() {
  static const error e = errors::New("熔断器半开: 试探请求过多");
  return e;
}
}  // namespace detail_breaker

// ErrOpenState: what Call returns while the breaker is open (the article's
// "熔断器已打开"; gobreaker's ErrOpenState). ErrTooManyRequests: what it
// returns in half-open once MaxRequests trial calls are in flight. One
// value each process-wide, so == and errors::Is match.
inline const error ErrOpenState = detail_breaker::open_state_error();
inline const error ErrTooManyRequests = detail_breaker::too_many_requests_error();

class CircuitBreaker {
 public:
  // CircuitBreaker(st): gobreaker's NewCircuitBreaker(st).
  explicit CircuitBreaker(Settings st)
      : name_(std::move(st.Name)),
        max_requests_(st.MaxRequests == 0 ? 1 : st.MaxRequests),
        interval_(st.Interval > time::Duration::zero() ? st.Interval : time::Duration::zero()),
        timeout_(st.Timeout > time::Duration::zero() ? st.Timeout : 60 * time::Second),
        ready_to_trip_(std::move(st.ReadyToTrip)),
        on_state_change_(std::move(st.OnStateChange)),
        is_successful_(std::move(st.IsSuccessful)) {
    if (on_state_change_) pending_.reserve(4);
    lazy_now now;
    to_new_generation(now);
  }

  // CircuitBreaker(maxFailures, resetTime): the article's form. Trips when
  // maxFailures calls have failed since the last success (that is
  // ConsecutiveFailures >= maxFailures), stays open for resetTime, then lets
  // one trial call through. maxFailures < 1 or resetTime <= 0 panics.
  CircuitBreaker(int maxFailures, time::Duration resetTime)
      : CircuitBreaker(checked_settings(maxFailures, resetTime)) {
    trip_after_ = static_cast<std::uint32_t>(maxFailures);
  }

  CircuitBreaker(const CircuitBreaker&) = delete;
  CircuitBreaker& operator=(const CircuitBreaker&) = delete;

  // Call runs fn (any callable returning something convertible to error)
  // if the breaker admits it, and returns fn's error; ErrOpenState or
  // ErrTooManyRequests (fn not called) if not. fn runs with no lock held.
  // An exception from fn (or from IsSuccessful) counts as a failure and
  // propagates. Transitions caused by this call are reported to
  // OnStateChange before Call returns (one found on entry, open ->
  // half-open, before fn runs), unless another fiber is delivering
  // notifications at that moment: then that fiber reports them, in order,
  // before its own call returns. No heap allocation (fn is not type-erased).
  template <class F>
  error Call(F&& fn) {
    static_assert(std::is_convertible_v<std::invoke_result_t<F&>, error>,
                  "CircuitBreaker::Call: fn must return an error");
    std::uint64_t gen = 0;
    if (error rejected = before_request(&gen)) return rejected;
    error err;
    try {
      err = fn();
    } catch (...) {
      after_request(gen, false);
      throw;
    }
    bool success = err == nil;
    if (is_successful_) {
      try {
        success = is_successful_(err);
      } catch (...) {
        after_request(gen, false);
        throw;
      }
    }
    after_request(gen, success);
    return err;
  }

  const std::string& Name() const noexcept { return name_; }

  // State: the current state, applying the time-driven changes first
  // (open -> half-open after Timeout; a new interval in closed).
  patterns::State State() {
    mu_.Lock();
    const patterns::State st = current_state(lazy_now{});
    finish_locked();
    return st;
  }

  // Counts: the counts of the current generation (time applied as State).
  patterns::Counts Counts() {
    mu_.Lock();
    current_state(lazy_now{});
    const patterns::Counts c = counts_;
    finish_locked();
    return c;
  }

 private:
  struct transition {
    patterns::State from, to;
  };

  static Settings checked_settings(int maxFailures, time::Duration resetTime) {
    if (maxFailures < 1)
      detail::throw_panic("patterns: NewCircuitBreaker: maxFailures must be >= 1");
    if (resetTime <= time::Duration::zero())
      detail::throw_panic("patterns: NewCircuitBreaker: resetTime must be positive");
    return Settings{.MaxRequests = 1, .Timeout = resetTime};
  }

  // before_request: gobreaker's beforeRequest. Returns nil and stores the
  // generation in *gen when the call is admitted.
  // Transitions are reported before the request is counted, so an
  // exception from OnStateChange leaves no admitted call behind.
  error before_request(std::uint64_t* gen) {
    mu_.Lock();
    patterns::State st = current_state(lazy_now{});
    while (!delivering_ && next_pending_ < pending_.size()) {
      delivering_ = true;
      mu_.Unlock();
      deliver_pending();
      mu_.Lock();
      st = current_state(lazy_now{});
    }
    error rejected;
    if (st == StateOpen) {
      rejected = ErrOpenState;
    } else if (st == StateHalfOpen && counts_.Requests >= max_requests_) {
      rejected = ErrTooManyRequests;
    } else {
      counts_.Requests++;
    }
    *gen = generation_;
    finish_locked();
    return rejected;
  }

  // after_request: gobreaker's afterRequest: counts the result unless the
  // generation changed while fn ran.
  void after_request(std::uint64_t before, bool success) {
    mu_.Lock();
    lazy_now now;
    const patterns::State st = current_state(now);
    if (generation_ == before) {
      if (success) {
        on_success(st, now);
      } else {
        on_failure(st, now);
      }
    }
    finish_locked();
  }

  // lazy_now reads time::Now() on first use only: a closed breaker without
  // an Interval never needs the time, so its Call reads no clock.
  class lazy_now {
   public:
    const time::Time& get() {
      if (!read_) {
        t_ = time::Now();
        read_ = true;
      }
      return t_;
    }

   private:
    time::Time t_;
    bool read_ = false;
  };

  // The rest runs with mu_ held.
  patterns::State current_state(lazy_now&& now) { return current_state(now); }
  patterns::State current_state(lazy_now& now) {
    if (state_ == StateClosed) {
      if (!expiry_.IsZero() && expiry_.Before(now.get())) to_new_generation(now);
    } else if (state_ == StateOpen) {
      if (expiry_.Before(now.get())) set_state(StateHalfOpen, now);
    }
    return state_;
  }

  void on_success(patterns::State st, lazy_now& now) {
    counts_.TotalSuccesses++;
    counts_.ConsecutiveSuccesses++;
    counts_.ConsecutiveFailures = 0;
    if (st == StateHalfOpen && counts_.ConsecutiveSuccesses >= max_requests_)
      set_state(StateClosed, now);
  }

  void on_failure(patterns::State st, lazy_now& now) {
    counts_.TotalFailures++;
    counts_.ConsecutiveFailures++;
    counts_.ConsecutiveSuccesses = 0;
    if (st == StateClosed) {
      const bool trip =
          ready_to_trip_ ? ready_to_trip_(counts_) : counts_.ConsecutiveFailures >= trip_after_;
      if (trip) set_state(StateOpen, now);
    } else if (st == StateHalfOpen) {
      set_state(StateOpen, now);
    }
  }

  void set_state(patterns::State to, lazy_now& now) {
    if (state_ == to) return;
    const patterns::State from = state_;
    state_ = to;
    to_new_generation(now);
    if (on_state_change_) pending_.push_back({from, to});  // allocates only past 4 queued
  }

  void to_new_generation(lazy_now& now) {
    generation_++;
    counts_ = {};
    if (state_ == StateClosed) {
      expiry_ = interval_ == time::Duration::zero() ? time::Time{} : now.get().Add(interval_);
    } else if (state_ == StateOpen) {
      expiry_ = now.get().Add(timeout_);
    } else {
      expiry_ = time::Time{};
    }
  }

  // finish_locked unlocks mu_ and, if transitions are pending and nobody is
  // delivering them, delivers them.
  void finish_locked() {
    const bool deliver = !delivering_ && next_pending_ < pending_.size();
    if (deliver) delivering_ = true;
    mu_.Unlock();
    if (deliver) deliver_pending();
  }

  // deliver_pending calls OnStateChange for every pending transition, in
  // order, with mu_ not held. Only the fiber that set delivering_ runs it.
  void deliver_pending() {
    for (;;) {
      mu_.Lock();
      if (next_pending_ == pending_.size()) {
        pending_.clear();  // keeps the capacity
        next_pending_ = 0;
        delivering_ = false;
        mu_.Unlock();
        return;
      }
      const transition t = pending_[next_pending_++];
      mu_.Unlock();
      try {
        on_state_change_(name_, t.from, t.to);
      } catch (...) {
        // The rest stay pending for the next caller that finishes.
        mu_.Lock();
        delivering_ = false;
        mu_.Unlock();
        throw;
      }
    }
  }

  const std::string name_;
  const std::uint32_t max_requests_;
  const time::Duration interval_;
  const time::Duration timeout_;
  const std::function<bool(const patterns::Counts&)> ready_to_trip_;
  const std::function<void(const std::string&, patterns::State, patterns::State)> on_state_change_;
  const std::function<bool(const error&)> is_successful_;
  // The default ReadyToTrip's threshold: gobreaker's ConsecutiveFailures > 5;
  // the article's form sets maxFailures. Written only by the constructors.
  std::uint32_t trip_after_ = 6;

  sync::Mutex mu_;
  patterns::State state_ = StateClosed;  // Guarded by mu_.
  std::uint64_t generation_ = 0;         // Guarded by mu_.
  patterns::Counts counts_;              // Guarded by mu_.
  time::Time expiry_;                    // Guarded by mu_.
  std::vector<transition> pending_;      // Guarded by mu_: transitions not yet reported.
  std::size_t next_pending_ = 0;         // Guarded by mu_: first of pending_ not yet taken.
  bool delivering_ = false;              // Guarded by mu_: a fiber is in deliver_pending.
};

// NewCircuitBreaker: the article's NewCircuitBreaker(maxFailures,
// resetTime) and gobreaker's NewCircuitBreaker(st), returning a shared
// handle (Go's *CircuitBreaker).
inline std::shared_ptr<CircuitBreaker> NewCircuitBreaker(int maxFailures,
                                                         time::Duration resetTime) {
  return std::make_shared<CircuitBreaker>(maxFailures, resetTime);
}
inline std::shared_ptr<CircuitBreaker> NewCircuitBreaker(Settings st) {
  return std::make_shared<CircuitBreaker>(std::move(st));
}

}  // namespace gofer::patterns
