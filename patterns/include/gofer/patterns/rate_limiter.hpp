// gofer/patterns/rate_limiter.hpp — the Rate Limiter pattern of the seed
// article (shared/seeds/000_93dc988236682126.txt, 'Go并发模式：7种让代码坚不
// 可摧的策略', section 5): a token bucket that is a buffered channel of
// tokens, filled by a background fiber on a time::Ticker.
//
//   limiter := NewRateLimiter(10, 5)        auto limiter = patterns::NewRateLimiter(10, 5);
//   defer limiter.Stop()                    gofer::defer stop([&] { limiter->Stop(); });
//   if limiter.Allow() { ... }              if (limiter->Allow()) { ... }
//   if err := limiter.Wait(ctx); err != nil if (error err = limiter->Wait(ctx)) { ... }
//
// The bucket holds burstSize tokens and starts full; the refill fiber adds
// one every time::Second / requestsPerSecond while the bucket has room.
// Allow takes a token if one is there; Wait parks until one is (waiters are
// served in arrival order, the channel's FIFO), ctx is done, or the limiter
// is stopped. For a limiter without a fiber, reservations and a changeable
// rate, see rate.hpp (x/time/rate).
//
// Differences from the article's Go (docs/patterns.md):
//   - requestsPerSecond <= 0 (Go: integer divide by zero), > 1e9 (Go:
//     NewTicker's non-positive interval) and burstSize <= 0 (Go: an
//     unbuffered bucket) panic with a message naming the argument.
//   - Stop may be called any number of times, from any fiber or thread (Go
//     panics on the second close); it returns once the refill fiber has
//     stopped its ticker, and the fiber exits right after. The destructor
//     calls Stop.
//   - After Stop, Allow returns false and Wait returns ErrRateLimiterStopped,
//     also to fibers already waiting (Go's Wait blocks forever once the
//     refill goroutine is gone and the bucket is empty).
//   - Wait with a ctx that is already done returns ctx.Err() even if a
//     token is free (Go's select picks either at random).
//
// Invariants:
//   - len(tokens_) <= burstSize; only the refill fiber sends on tokens_.
//   - done_ is closed exactly once (the stopped_ exchange that saw false);
//     exited_ is closed by the refill fiber after its ticker is stopped.
//
// Memory ordering: stopped_ is set (acq_rel exchange) before done_ is
// closed; Allow/Wait's acquire loads make a Stop that returned visible to
// later calls of any fiber that synchronised with it. Tokens travel through
// the channel (its lock orders them).
#pragma once

#include <atomic>
#include <memory>

#include "gofer/chan.hpp"
#include "gofer/context.hpp"
#include "gofer/errors.hpp"
#include "gofer/go.hpp"
#include "gofer/panic.hpp"
#include "gofer/select.hpp"
#include "gofer/time.hpp"
#include "gofer/timer.hpp"

namespace gofer::patterns {

namespace detail_rate_limiter {
inline const error& stopped_error() {
  static const error e = errors::New("限流器已停止");
  return e;
}
inline int checked_burst(int requestsPerSecond, int burstSize) {
  if (requestsPerSecond <= 0)
    gofer::detail::throw_panic("patterns: NewRateLimiter: requestsPerSecond must be positive");
  if (requestsPerSecond > 1000000000)
    gofer::detail::throw_panic("patterns: NewRateLimiter: requestsPerSecond must be at most 1e9");
  if (burstSize <= 0)
    gofer::detail::throw_panic("patterns: NewRateLimiter: burstSize must be positive");
  return burstSize;
}
}  // namespace detail_rate_limiter

// ErrRateLimiterStopped: what Wait returns once Stop has been called.
inline const error ErrRateLimiterStopped = detail_rate_limiter::stopped_error();

class RateLimiter {
 public:
  // RateLimiter: the article's NewRateLimiter(requestsPerSecond, burstSize).
  // Starts the refill fiber (on the caller's runtime; the default runtime
  // from a plain thread).
  RateLimiter(int requestsPerSecond, int burstSize)
      : tokens_(make_chan<empty>(detail_rate_limiter::checked_burst(requestsPerSecond, burstSize))),
        done_(make_chan<empty>()),
        exited_(make_chan<empty>()) {
    for (int i = 0; i < burstSize; i++) tokens_.try_send(empty{});
    auto ticker = time::NewTicker(time::Second / requestsPerSecond);
    // The fiber holds its own handles, never `this`.
    go([tokens = tokens_, done = done_, exited = exited_, ticker = std::move(ticker)] {
      bool quit = false;
      while (!quit) {
        select(recv(ticker->C, [&] { tokens.try_send(empty{}); }),  // full: drop the token
               recv(done, [&] { quit = true; }));
      }
      ticker->Stop();
      close(exited);
    });
  }
  ~RateLimiter() { Stop(); }
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Allow takes a token if one is free. Never blocks; no heap allocation.
  bool Allow() {
    // acquire: pairs with Stop's exchange.
    if (stopped_.load(std::memory_order_acquire)) return false;
    empty e;
    return tokens_.try_recv(e);
  }

  // Wait takes a token, parking until one is free. Returns nil, ctx.Err()
  // if ctx is done first, or ErrRateLimiterStopped once Stop was called.
  error Wait(const context::Context& ctx) {
    if (stopped_.load(std::memory_order_acquire)) return ErrRateLimiterStopped;
    if (error err = ctx.Err()) return err;
    empty e;
    if (tokens_.try_recv(e)) return nil;
    error err;
    select(recv(tokens_, [] {}), recv(ctx.Done(), [&] { err = ctx.Err(); }),
           recv(done_, [&] { err = ErrRateLimiterStopped; }));
    return err;
  }

  // Stop stops the refill fiber and releases every waiter. Idempotent; may
  // park until the refill fiber has seen it.
  void Stop() {
    if (!stopped_.exchange(true, std::memory_order_acq_rel)) close(done_);
    exited_.recv();  // closed: returns at once on later calls
  }

 private:
  chan<empty> tokens_;
  chan<empty> done_;
  chan<empty> exited_;
  std::atomic<bool> stopped_{false};
};

// NewRateLimiter: the article's constructor, returning a shared handle
// (Go's *RateLimiter).
inline std::shared_ptr<RateLimiter> NewRateLimiter(int requestsPerSecond, int burstSize) {
  return std::make_shared<RateLimiter>(requestsPerSecond, burstSize);
}

}  // namespace gofer::patterns
