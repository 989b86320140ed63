// gofer/patterns/rate.hpp — a token-bucket rate limiter without a
// background ticker: the algorithm of golang.org/x/time/rate, written for
// gofer. The bucket is a number (tokens) and a time (last): tokens that have
// accrued since last are computed when a caller asks, so an idle limiter
// costs nothing and needs no fiber.
//
//   lim := rate.NewLimiter(rate.Every(100*time.Millisecond), 5)
//   namespace rate = gofer::patterns::rate;
//   auto lim = rate::NewLimiter(rate::Every(100 * time::Millisecond), 5);
//   if lim.Allow() { ... }                    if (lim->Allow()) { ... }
//   if err := lim.Wait(ctx); err != nil {…}   if (error err = lim->Wait(ctx)) { … }
//   r := lim.Reserve(); time.Sleep(r.Delay()) auto r = lim->Reserve(); time::Sleep(r.Delay());
//
// A Limiter admits events at rate r (Limit, events per second) with bursts
// of up to b: the bucket holds at most b tokens, starts full, gains r tokens
// a second, and every event takes one. Allow/AllowN take tokens only if
// they are there now; Reserve/ReserveN take them anyway and say when the
// caller may act (the bucket goes negative: later callers wait behind it);
// Wait/WaitN reserve and park on a timer until then. Inf allows everything;
// a burst of 0 with a finite limit allows nothing; a limit of 0 allows b
// events in all (x/time/rate's rules).
//
// Differences from x/time/rate:
//   - A time earlier than the limiter's last update is taken as that last
//     update, so `last` never moves backwards. x/time/rate reads time.Now()
//     before locking and moves `last` back for such a caller, which credits
//     the same interval twice when concurrent callers' clock readings
//     interleave (EarlierTimeIsNotCreditedTwice in the tests shows 10 events
//     admitted where burst + rate * W allows 8). Here the bound holds for
//     any interleaving.
//   - Reservation is move-only and Cancel acts once (x/time/rate restores
//     the tokens again on a second Cancel).
//   - A negative n panics ("rate: negative n"); x/time/rate would add tokens.
//   - Delays are capped at about 73 years (2^61 ns); a reservation that is
//     not OK still reports InfDuration.
//   - WaitN checks ctx before the burst (Go checks the burst first), and
//     checks the burst in the same critical section as the reservation.
//
// Time: the limiter keeps CLOCK_MONOTONIC nanoseconds (time::Time's
// monotonic reading, Time::mono_nanos()), and the forms without a time read
// that clock alone (one vDSO call; time::Now() also reads the wall clock).
// The *At forms take any Time made by time::Now() (and Add); the zero Time
// has no monotonic reading and is taken as the last update.
//
// Invariants (under mu_):
//   - tokens_ <= burst_ after every advance (it may be negative: reserved
//     events not yet due).
//   - last_ never decreases; last_event_ is the latest time to act of a
//     finite-limit reservation (past or future).
//
// Thread safety: every member may be called from any fiber or thread at
// once. A Reservation must not outlive its Limiter.
#pragma once

#include <time.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <utility>

#include "gofer/context.hpp"
#include "gofer/errors.hpp"
#include "gofer/fmt.hpp"
#include "gofer/panic.hpp"
#include "gofer/select.hpp"
#include "gofer/sync/mutex.hpp"
#include "gofer/time.hpp"
#include "gofer/timer.hpp"

namespace gofer::patterns::rate {

// Limit: events per second (Go's `type Limit float64`).
using Limit = double;

// Inf: the infinite rate limit; it allows all events, even with burst 0.
inline constexpr Limit Inf = std::numeric_limits<double>::max();

// InfDuration: the delay of a Reservation that is not OK.
inline constexpr time::Duration InfDuration = time::Duration::max();

// Every converts a minimum time between events to a Limit (<= 0: Inf).
inline Limit Every(time::Duration interval) {
  if (interval <= time::Duration::zero()) return Inf;
  return 1 / time::Seconds(interval);
}

namespace detail_rate {
// kMaxDelay: the largest delay added to a time (2^61 ns, about 73 years),
// so that monotonic nanoseconds + delay cannot overflow.
inline constexpr std::int64_t kMaxDelay = std::int64_t{1} << 61;
// kNever: last_ of a limiter never updated (the bucket is full).
inline constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::min();

// mono_now: CLOCK_MONOTONIC in nanoseconds, the clock of Time::mono_nanos().
inline std::int64_t mono_now() noexcept {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// duration_from_tokens: nanoseconds to accrue tokens at limit (capped).
inline std::int64_t duration_from_tokens(Limit limit, double tokens) {
  if (limit <= 0) return InfDuration.count();
  const double ns = tokens / limit * 1e9;
  if (!(ns < 9.2e18)) return InfDuration.count();  // also NaN
  return static_cast<std::int64_t>(ns);
}
// tokens_from_duration: tokens accrued over ns nanoseconds at limit.
inline double tokens_from_duration(Limit limit, std::int64_t ns) {
  if (limit <= 0) return 0;
  return static_cast<double>(ns) / 1e9 * limit;
}
[[noreturn]] inline void negative_n() { gofer::detail::throw_panic("rate: negative n"); }
}  // namespace detail_rate

class Limiter;

// Reservation: events a Limiter has let through and when they may happen
// (Go's *Reservation; here a move-only value).
class Reservation {
 public:
  Reservation() noexcept = default;  // not OK
  Reservation(Reservation&& o) noexcept { *this = std::move(o); }
  Reservation& operator=(Reservation&& o) noexcept {
    lim_ = o.lim_;
    ok_ = std::exchange(o.ok_, false);
    tokens_ = std::exchange(o.tokens_, 0);
    time_to_act_ = o.time_to_act_;
    limit_ = o.limit_;
    return *this;
  }
  Reservation(const Reservation&) = delete;
  Reservation& operator=(const Reservation&) = delete;

  // OK: whether the limiter can provide the tokens within the maximum wait.
  // A Reservation that is not OK took nothing and needs no Cancel.
  bool OK() const noexcept { return ok_; }

  // DelayFrom: how long after t the holder must wait before acting (0: at
  // once; InfDuration: not OK).
  time::Duration DelayFrom(const time::Time& t) const noexcept {
    return delay_from(t.mono_nanos());
  }
  // Delay: DelayFrom(time::Now()).
  time::Duration Delay() const noexcept { return delay_from(detail_rate::mono_now()); }

  // Cancel: the holder will not act; give back what can be given back, as
  // if the reservation had not been made (tokens reserved after it by others
  // stay reserved). No effect once the time to act has passed, and after
  // the first call.
  inline void Cancel();
  inline void CancelAt(const time::Time& t);

 private:
  friend class Limiter;
  time::Duration delay_from(std::int64_t now) const noexcept {
    if (!ok_) return InfDuration;
    return time::Duration(time_to_act_ > now ? time_to_act_ - now : 0);
  }
  Limiter* lim_ = nullptr;
  bool ok_ = false;
  int tokens_ = 0;
  std::int64_t time_to_act_ = 0;  // monotonic ns
  Limit limit_ = 0;               // the limit when it was reserved
};

class Limiter {
 public:
  // Limiter(r, b): Go's NewLimiter(r, b). The bucket starts full (b tokens).
  Limiter(rate::Limit r, int b) : limit_(r), burst_(b), tokens_(b) {}
  Limiter(const Limiter&) = delete;
  Limiter& operator=(const Limiter&) = delete;

  rate::Limit Limit() {
    mu_.Lock();
    const rate::Limit l = limit_;
    mu_.Unlock();
    return l;
  }
  int Burst() {
    mu_.Lock();
    const int b = burst_;
    mu_.Unlock();
    return b;
  }

  // TokensAt / Tokens: the tokens available at t / now (negative while
  // reserved events are pending).
  double TokensAt(const time::Time& t) { return tokens_at(t.mono_nanos()); }
  double Tokens() { return tokens_at(detail_rate::mono_now()); }

  // Allow: AllowN(now, 1). AllowN: whether n events may happen at t; takes
  // the tokens if so. No heap allocation; one clock read, outside the lock.
  bool Allow() { return allow_at(detail_rate::mono_now(), 1); }
  bool AllowN(const time::Time& t, int n) { return allow_at(t.mono_nanos(), n); }

  // Reserve: ReserveN(now, 1). ReserveN: reserve n tokens at t however long
  // that makes the holder wait; not OK only if n exceeds the burst (finite
  // limit). The holder must wait r.Delay() or call r.Cancel().
  Reservation Reserve() { return reserve_at(detail_rate::mono_now(), 1); }
  Reservation ReserveN(const time::Time& t, int n) { return reserve_at(t.mono_nanos(), n); }

  // Wait: WaitN(ctx, 1). WaitN blocks (parks the fiber on a timer) until n
  // events may happen. It returns an error at once, taking nothing, if ctx
  // is done, if n exceeds the burst (finite limit), or if the wait would
  // outlast ctx's deadline; if ctx is done while waiting it gives the
  // reservation back (Cancel) and returns ctx.Err().
  error Wait(const context::Context& ctx) { return WaitN(ctx, 1); }
  error WaitN(const context::Context& ctx, int n) {
    if (error err = ctx.Err()) return err;
    const auto [deadline, has_deadline] = ctx.Deadline();
    const std::int64_t now = detail_rate::mono_now();
    const std::int64_t wait_limit =
        has_deadline ? deadline.mono_nanos() - now : InfDuration.count();
    mu_.Lock();
    const int burst = burst_;
    if (n > burst && limit_ != Inf) {
      mu_.Unlock();
      return fmt::Errorf("rate: Wait(n=%d) exceeds limiter's burst %d", n, burst);
    }
    Reservation r = reserve_locked(now, n, wait_limit);
    mu_.Unlock();
    if (!r.ok_) return fmt::Errorf("rate: Wait(n=%d) would exceed context deadline", n);
    const time::Duration delay = r.delay_from(now);
    if (delay == time::Duration::zero()) return nil;
    auto timer = time::NewTimer(delay);
    error err;
    select(recv(timer->C, [] {}), recv(ctx.Done(), [&] { err = ctx.Err(); }));
    if (err) {
      timer->Stop();
      r.Cancel();
    }
    return err;
  }

  // SetLimit / SetLimitAt: change the limit; tokens accrued until then at
  // the old limit are kept. SetBurst / SetBurstAt: change the burst.
  void SetLimit(rate::Limit newLimit) { set_limit_at(detail_rate::mono_now(), newLimit); }
  void SetLimitAt(const time::Time& t, rate::Limit newLimit) {
    set_limit_at(t.mono_nanos(), newLimit);
  }
  void SetBurst(int newBurst) { set_burst_at(detail_rate::mono_now(), newBurst); }
  void SetBurstAt(const time::Time& t, int newBurst) { set_burst_at(t.mono_nanos(), newBurst); }

 private:
  friend class Reservation;

  bool allow_at(std::int64_t t, int n) {
    mu_.Lock();
    const bool ok = reserve_locked(t, n, 0).ok_;
    mu_.Unlock();
    return ok;
  }
  Reservation reserve_at(std::int64_t t, int n) {
    mu_.Lock();
    Reservation r = reserve_locked(t, n, InfDuration.count());
    mu_.Unlock();
    return r;
  }
  double tokens_at(std::int64_t t) {
    mu_.Lock();
    const double tokens = advance(t).second;
    mu_.Unlock();
    return tokens;
  }
  void set_limit_at(std::int64_t t, rate::Limit l) {
    mu_.Lock();
    const auto [now, tokens] = advance(t);
    last_ = now;
    tokens_ = tokens;
    limit_ = l;
    mu_.Unlock();
  }
  void set_burst_at(std::int64_t t, int b) {
    mu_.Lock();
    const auto [now, tokens] = advance(t);
    last_ = now;
    tokens_ = tokens;
    burst_ = b;
    mu_.Unlock();
  }

  // advance: the time (t, or last_ if t is earlier) and the tokens then.
  // mu_ held.
  std::pair<std::int64_t, double> advance(std::int64_t t) const {
    if (last_ == detail_rate::kNever) return {t, tokens_ < burst_ ? tokens_ : burst_};
    const std::int64_t now = t < last_ ? last_ : t;
    double tokens = tokens_ + detail_rate::tokens_from_duration(limit_, now - last_);
    if (const double burst = burst_; tokens > burst) tokens = burst;
    return {now, tokens};
  }

  // reserve_locked: x/time/rate's reserveN; max_future_reserve in ns.
  // mu_ held (released before the panic for a negative n).
  Reservation reserve_locked(std::int64_t t, int n, std::int64_t max_future_reserve) {
    if (n < 0) {
      mu_.Unlock();
      detail_rate::negative_n();
    }
    Reservation r;
    r.lim_ = this;
    if (limit_ == Inf) {
      r.ok_ = true;
      r.tokens_ = n;
      r.time_to_act_ = t;
      return r;
    }
    if (limit_ == 0) {  // b events in all, as x/time/rate
      if (burst_ >= n) {
        r.ok_ = true;
        burst_ -= n;
      }
      r.tokens_ = n;
      r.time_to_act_ = t;
      return r;
    }
    auto [now, tokens] = advance(t);
    tokens -= n;
    std::int64_t wait = 0;
    if (tokens < 0) wait = detail_rate::duration_from_tokens(limit_, -tokens);
    r.ok_ = n <= burst_ && wait <= max_future_reserve;
    r.limit_ = limit_;
    if (r.ok_) {
      r.tokens_ = n;
      r.time_to_act_ = now + (wait < detail_rate::kMaxDelay ? wait : detail_rate::kMaxDelay);
      last_ = now;
      tokens_ = tokens;
      last_event_ = r.time_to_act_;
    }
    return r;
  }

  // cancel_locked: x/time/rate's CancelAt. mu_ held.
  void cancel_locked(Reservation& r, std::int64_t t) {
    const int reserved = std::exchange(r.tokens_, 0);  // Cancel acts once
    if (limit_ == Inf || r.limit_ <= 0 || reserved == 0 || r.time_to_act_ < t) return;
    // Tokens reserved by others after r (the time from r's time to act to
    // the last event) stay reserved.
    const double restore =
        reserved - detail_rate::tokens_from_duration(r.limit_, last_event_ - r.time_to_act_);
    if (restore <= 0) return;
    auto [now, tokens] = advance(t);
    tokens += restore;
    if (const double burst = burst_; tokens > burst) tokens = burst;
    last_ = now;
    tokens_ = tokens;
    if (r.time_to_act_ == last_event_) {
      const std::int64_t prev =
          r.time_to_act_ - detail_rate::duration_from_tokens(r.limit_, reserved);
      if (prev >= now) last_event_ = prev;
    }
  }

  sync::Mutex mu_;
  rate::Limit limit_;                        // Guarded by mu_.
  int burst_;                                // Guarded by mu_.
  double tokens_;                            // Guarded by mu_: tokens at last_.
  std::int64_t last_ = detail_rate::kNever;  // Guarded by mu_: last update of tokens_ (mono ns).
  std::int64_t last_event_ = 0;              // Guarded by mu_: latest time to act (mono ns).
};

inline void Reservation::Cancel() {
  if (!ok_) return;
  const std::int64_t now = detail_rate::mono_now();
  lim_->mu_.Lock();
  lim_->cancel_locked(*this, now);
  lim_->mu_.Unlock();
}
inline void Reservation::CancelAt(const time::Time& t) {
  if (!ok_) return;
  lim_->mu_.Lock();
  lim_->cancel_locked(*this, t.mono_nanos());
  lim_->mu_.Unlock();
}

// NewLimiter: a shared handle (Go's *Limiter) to a Limiter(r, b).
inline std::shared_ptr<Limiter> NewLimiter(Limit r, int b) {
  return std::make_shared<Limiter>(r, b);
}

}  // namespace gofer::patterns::rate
