// gofer/patterns/retry.hpp — retry with exponential backoff and jitter,
// aware of a context.
//
// Port of the article's withRetry (shared/seeds/000_93dc988236682126.txt,
// "Go并发模式：7种让代码坚不可摧的策略", "最佳实践总结", 4. 错误处理策略),
// kept as API and fixed:
//
//   err := withRetry(fn, 3)        error err = patterns::WithRetry(fn, 3);
//                                  error err = patterns::WithRetry(ctx, fn, patterns::RetryOptions{
//                                      .MaxAttempts = 5, .BaseDelay = 50 * time::Millisecond});
//
// Differences from the article (docs/patterns.md, "Retry"):
//   - It does not sleep after the last attempt (the article sleeps, then
//     gives up).
//   - Delays grow exponentially (BaseDelay * Multiplier^(n-1), capped at
//     MaxDelay) with random jitter, instead of 1 s, 2 s, 3 s ...
//   - It stops at once when ctx is done, also while sleeping: the result
//     then wraps ctx.Err() and the last error (errors::Is sees both).
//   - When it gives up it returns the last error wrapped (fmt::Errorf %w)
//     with the article's text: "重试次数超限 (尝试 3 次): <last error>";
//     errors::Is(err, ErrRetriesExhausted) and errors::Is(err, cause) hold.
//     The article returned a new error and lost the cause.
//   - Permanent(err) marks an error not worth retrying: WithRetry returns
//     the wrapped error at once.
//
// fn is called as fn(ctx) if it takes the context, else as fn(); it returns
// an error. An exception thrown by fn propagates out of WithRetry at once
// (no retry). WithRetry may be called from any fiber (it parks while
// waiting) or plain thread (it blocks).
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "gofer/chan.hpp"
#include "gofer/context.hpp"
#include "gofer/errors.hpp"
#include "gofer/fmt.hpp"
#include "gofer/select.hpp"
#include "gofer/time.hpp"
#include "gofer/timer.hpp"

namespace gofer::patterns {

namespace detail_retry {
inline const error& err_exhausted() {
  static const error e = errors::New("重试次数超限");  // the article's text
  return e;
}
inline const error& err_bad_options() {
  static const error e = errors::New("retry: invalid options");
  return e;
}

// permanent_error: Permanent's wrapper (backoff's PermanentError).
class permanent_error final : public error_interface {
 public:
  explicit permanent_error(error e) : err_(std::move(e)) {}
  std::string Error() const override { return err_.Error(); }
  error Unwrap() const override { return err_; }
  const error& cause() const noexcept { return err_; }

 private:
  error err_;
};

// next_unit: a uniform double in [0, 1) from a splitmix64 state.
inline double next_unit(std::uint64_t& s) {
  std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}
}  // namespace detail_retry

// ErrRetriesExhausted: wrapped by WithRetry's error when every attempt
// failed (the article's "重试次数超限").
inline const error ErrRetriesExhausted = detail_retry::err_exhausted();
// ErrInvalidRetryOptions: wrapped by WithRetry's error for bad options (fn
// is then not called).
inline const error ErrInvalidRetryOptions = detail_retry::err_bad_options();

// RetryOptions: how WithRetry retries. The defaults suit a call to a
// service: 3 attempts, 100 ms, 200 ms between them, ±20 %.
struct RetryOptions {
  // MaxAttempts: calls of fn in all (>= 1). The article's maxRetries is
  // this number too: its loop calls fn maxRetries times.
  int MaxAttempts = 3;
  // BaseDelay: the delay after the first failure (>= 0).
  time::Duration BaseDelay = 100 * time::Millisecond;
  // MaxDelay: no delay exceeds it, jitter included (>= BaseDelay).
  time::Duration MaxDelay = 10 * time::Second;
  // Multiplier: each delay is the previous one times this (>= 1).
  double Multiplier = 2.0;
  // Jitter: each delay d becomes uniform in [d*(1-Jitter), d*(1+Jitter)]
  // (then capped at MaxDelay), so clients that failed together do not
  // retry together. 0 <= Jitter <= 1.
  double Jitter = 0.2;
  // OnRetry: if set, called after failed attempt `attempt` (1-based) with
  // its error and the delay about to be slept; not after the last attempt.
  std::function<void(int attempt, const error& err, time::Duration delay)> OnRetry{};
};

// Permanent marks err as permanent: WithRetry stops at once and returns
// err (unwrapped). Permanent(nil) is nil.
inline error Permanent(error err) {
  if (!err) return nil;
  return make_error<detail_retry::permanent_error>(std::move(err));
}

// IsPermanent reports whether err's tree holds an error made by Permanent.
inline bool IsPermanent(const error& err) {
  const detail_retry::permanent_error* p = nullptr;
  return errors::As(err, &p);
}

// RetryDelay: the delay before attempt `attempt` + 1 (attempt >= 1) before
// jitter: min(MaxDelay, BaseDelay * Multiplier^(attempt-1)).
inline time::Duration RetryDelay(const RetryOptions& o, int attempt) {
  const double ns = static_cast<double>(o.BaseDelay.count()) *
                    std::pow(o.Multiplier, static_cast<double>(attempt - 1));
  const double cap = static_cast<double>(o.MaxDelay.count());
  return time::Duration(static_cast<std::int64_t>(ns < cap ? ns : cap));
}

namespace detail_retry {
inline error validate(const RetryOptions& o) {
  if (o.MaxAttempts < 1)
    return fmt::Errorf("%w: MaxAttempts %d < 1", ErrInvalidRetryOptions, o.MaxAttempts);
  if (o.BaseDelay.count() < 0 || o.MaxDelay < o.BaseDelay)
    return fmt::Errorf("%w: need 0 <= BaseDelay (%v) <= MaxDelay (%v)", ErrInvalidRetryOptions,
                       o.BaseDelay, o.MaxDelay);
  if (!(o.Multiplier >= 1.0))
    return fmt::Errorf("%w: Multiplier %v < 1", ErrInvalidRetryOptions, o.Multiplier);
  if (!(o.Jitter >= 0.0 && o.Jitter <= 1.0))
    return fmt::Errorf("%w: Jitter %v not in [0, 1]", ErrInvalidRetryOptions, o.Jitter);
  return nil;
}

// done_error: why WithRetry stopped early because ctx is done.
inline error done_error(const context::Context& ctx, const error& last) {
  if (!last) return ctx.Err();
  return fmt::Errorf("%w; last error: %w", ctx.Err(), last);
}

// jittered: d spread by ±Jitter, capped at MaxDelay.
inline time::Duration jittered(const RetryOptions& o, time::Duration d, std::uint64_t& rng) {
  if (o.Jitter == 0.0 || d.count() == 0) return d;
  const double f = 1.0 + o.Jitter * (2.0 * next_unit(rng) - 1.0);
  double ns = static_cast<double>(d.count()) * f;
  const double cap = static_cast<double>(o.MaxDelay.count());
  if (ns > cap) ns = cap;
  return time::Duration(static_cast<std::int64_t>(ns));
}

// sleep_ctx waits d or until ctx is done; returns false if ctx won.
inline bool sleep_ctx(const context::Context& ctx, time::Duration d) {
  if (d.count() <= 0) return ctx.Err() == nil;
  const std::shared_ptr<time::Timer> t = time::NewTimer(d);
  bool done = false;
  gofer::select(recv(t->C, [] {}), recv(ctx.Done(), [&] { done = true; }));
  if (done) t->Stop();
  return !done;
}
}  // namespace detail_retry

// WithRetry calls fn until it returns nil, it returns a Permanent error, it
// has been called opts.MaxAttempts times, or ctx is done; between attempts
// it waits the backoff delay (never after the last attempt). Returns:
//   nil                      fn succeeded;
//   the cause of Permanent   fn returned Permanent(cause);
//   ctx.Err() wrapped with the last error, when ctx is done before an
//                            attempt or during a wait (fn is not called
//                            when ctx is already done on entry);
//   "重试次数超限 (尝试 N 次): <last>" wrapping ErrRetriesExhausted and the
//                            last error, when every attempt failed;
//   ErrInvalidRetryOptions (wrapped), for bad options.
template <class F>
requires(std::is_invocable_r_v<error, F&, const context::Context&> ||
         std::is_invocable_r_v<error, F&>) error
    WithRetry(const context::Context& ctx, F&& fn, const RetryOptions& opts = RetryOptions{}) {
  if (error err = detail_retry::validate(opts)) return err;
  // Jitter only needs to differ between callers: seed from the clock and
  // this frame's address.
  std::uint64_t rng =
      static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
      reinterpret_cast<std::uintptr_t>(&rng);
  error last;
  for (int attempt = 1;; attempt++) {
    if (ctx.Err()) return detail_retry::done_error(ctx, last);
    error err;
    if constexpr (std::is_invocable_r_v<error, F&, const context::Context&>)
      err = fn(ctx);
    else
      err = fn();
    if (!err) return nil;
    const detail_retry::permanent_error* perm = nullptr;
    if (errors::As(err, &perm)) return perm->cause();
    last = std::move(err);
    if (attempt >= opts.MaxAttempts) break;  // no wait after the last attempt
    if (ctx.Err()) return detail_retry::done_error(ctx, last);
    const time::Duration d = detail_retry::jittered(opts, RetryDelay(opts, attempt), rng);
    if (opts.OnRetry) opts.OnRetry(attempt, last, d);
    if (!detail_retry::sleep_ctx(ctx, d)) return detail_retry::done_error(ctx, last);
  }
  return fmt::Errorf("%w (尝试 %d 次): %w", ErrRetriesExhausted, opts.MaxAttempts, last);
}

// WithRetry(fn, maxRetries): the article's signature. fn is called at most
// maxRetries times, with 1 s, 2 s, 4 s ... between attempts (the article:
// 1 s, 2 s, 3 s), no jitter, no context (Background).
template <class F>
requires std::is_invocable_r_v<error, F&> error WithRetry(F&& fn, int maxRetries) {
  RetryOptions o;
  o.MaxAttempts = maxRetries;
  o.BaseDelay = time::Second;
  o.MaxDelay = time::Minute;
  o.Multiplier = 2.0;
  o.Jitter = 0.0;
  return WithRetry(context::Background(), std::forward<F>(fn), o);
}

}  // namespace gofer::patterns
