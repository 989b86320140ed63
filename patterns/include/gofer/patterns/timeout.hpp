// gofer/patterns/timeout.hpp — the Timeout pattern of the seed article
// (shared/seeds/000_93dc988236682126.txt, 'Go并发模式：7种让代码坚不可摧的策略',
// section 6): WithTimeout[T](ctx, timeout, fn) (T, error).
//
//   user, err := WithTimeout(ctx, 5*time.Second, func() (*User, error) {
//       return fetchUserFromDatabase(userID)
//   })
//   auto [user, err] = patterns::WithTimeout(ctx, 5 * time::Second,
//       [userID]() { return fetchUserFromDatabase(userID); });       // fn() form
//   auto [user, err] = patterns::WithTimeout(ctx, 5 * time::Second,
//       [userID](const context::Context& c) { return fetchUser(c, userID); });  // fn(ctx) form
//
// fn returns std::pair<T, error> (Go's (T, error)) and runs in its own
// fiber. WithTimeout returns fn's result if it comes first (also one fn
// delivers while the call is handling its deadline: there is no window in
// which a result is dropped); else, when the timeout passes,
// {T{}, context::DeadlineExceeded}, or {T{}, ctx.Err()} when the parent ctx
// is cancelled (or its own deadline is earlier) — while fn keeps running in
// its fiber until it returns.
//
// THE CAPTURE RULE. fn is moved (an lvalue: copied) into its fiber, which
// owns it; after a timeout fn outlives the WithTimeout call, and the
// caller's stack frame. So fn must capture by value, or share state through
// std::shared_ptr (or anything else that owns it): never capture a caller's
// local by reference ([&] or [&x]) — a late fn would write through a
// dangling reference. (Go's garbage collector keeps captured variables
// alive; C++ does not.) The fn(ctx) form gets the derived context, which is
// cancelled when WithTimeout returns, so a well-behaved fn stops early
// instead of wasting work after a timeout (the article's drawback
// "超时后资源可能被浪费").
//
// What changed from the article, and why (docs/patterns.md):
//   - The article's Go does not compile with Go 1.19: it declares `type
//     result struct` inside the generic function ("type declarations inside
//     generic functions are not currently supported"). Here the result type
//     is a namespace-scope template (detail_timeout::result<T>), as the Go
//     fix (a package-level `type result[T any] struct`) would have it.
//   - The derived context is made before fn starts, so fn(ctx) can watch it.
//   - An exception thrown by fn is rethrown by WithTimeout when it is still
//     waiting; one thrown after the timeout ends the process as an
//     unrecovered panic in a goroutine does ("panic: <what>"). It is never
//     lost silently.
//
// T must be default-constructible: T{} is Go's zero value returned on a
// timeout. For a T without a default constructor use std::optional<T> as
// the result type (std::nullopt on timeout).
//
// Invariants:
//   - Exactly one side owns fn's outcome: shared::phase goes pending ->
//     delivered (fn finished first; the caller will take the result from the
//     channel) or pending -> abandoned (the caller returned; the fiber drops
//     the value, or rethrows the exception), never both.
//   - The result channel is buffered(1) and gets at most one value, so fn's
//     fiber never blocks after fn returns.
#pragma once

#include <atomic>
#include <exception>
#include <type_traits>
#include <utility>

#include "gofer/chan.hpp"
#include "gofer/context.hpp"
#include "gofer/errors.hpp"
#include "gofer/go.hpp"
#include "gofer/select.hpp"
#include "gofer/time.hpp"

namespace gofer::patterns {

namespace detail_timeout {

// result: the article's `type result struct { value T; err error }`, at
// namespace scope, plus the exception fn may throw.
template <class T>
struct result {
  T value{};
  error err;
  std::exception_ptr ex;
};

enum phase : int { kPending = 0, kDelivered = 1, kAbandoned = 2 };

template <class T>
struct shared {
  chan<result<T>> ch = make_chan<result<T>>(1);
  std::atomic<int> phase{kPending};
};

template <class F>
decltype(auto) invoke_timed(F& fn, const context::Context& ctx) {
  if constexpr (std::is_invocable_v<F&, const context::Context&>)
    return fn(ctx);
  else
    return fn();
}

template <class F>
concept timed_fn = std::is_invocable_v<F&, const context::Context&> || std::is_invocable_v<F&>;

template <class F>
using timed_result_t = std::decay_t<decltype(invoke_timed(
    std::declval<F&>(), std::declval<const context::Context&>()))>;

template <class P>
struct pair_value {};
template <class T>
struct pair_value<std::pair<T, error>> {
  using type = T;
};

// timed_value_t<F>: T of fn's std::pair<T, error> result.
template <class F>
using timed_value_t = typename pair_value<timed_result_t<std::decay_t<F>>>::type;

template <class T, class F>
std::pair<T, error> with_timeout(const context::Context& ctx, time::Duration timeout, F fn) {
  static_assert(std::is_default_constructible_v<T>,
                "WithTimeout: T must be default-constructible (Go's zero value); use "
                "std::optional<T> for a T without a default constructor");
  auto [tctx, cancel] = context::WithTimeout(ctx, timeout);
  auto st = std::make_shared<shared<T>>();
  gofer::go([st, tctx, fn = std::move(fn)]() mutable {
    result<T> r;
    try {
      auto res = invoke_timed(fn, tctx);
      r.value = T(std::move(res.first));
      r.err = std::move(res.second);
    } catch (...) {
      r.ex = std::current_exception();
    }
    int expected = kPending;
    // acq_rel: delivered publishes nothing by itself (the channel carries
    // the result); abandoned pairs with the caller's CAS so that exactly one
    // side owns the outcome.
    if (st->phase.compare_exchange_strong(expected, kDelivered, std::memory_order_acq_rel)) {
      st->ch.send(std::move(r));  // buffered(1), empty: never blocks
      return;
    }
    if (r.ex) std::rethrow_exception(r.ex);  // the caller is gone: a Go panic
  });

  result<T> r;
  bool got = false;
  gofer::select(gofer::recv(st->ch,
                            [&](result<T>&& x) {
                              r = std::move(x);
                              got = true;
                            }),
                gofer::recv(tctx.Done(), [] {}));
  if (!got) {
    int expected = kPending;
    if (!st->phase.compare_exchange_strong(expected, kAbandoned, std::memory_order_acq_rel)) {
      // fn finished before the caller could abandon it (at the deadline,
      // or woken by it) and is delivering: its send is under way and cannot
      // block, so take its result (Go's select could have chosen it too).
      r = st->ch.recv();
      got = true;
    }
  }
  error timeout_err = got ? error() : tctx.Err();
  cancel();
  if (!got) return {T{}, std::move(timeout_err)};
  if (r.ex) std::rethrow_exception(r.ex);
  return {std::move(r.value), std::move(r.err)};
}

}  // namespace detail_timeout

// WithTimeout: see the file comment. fn is fn() or fn(const
// context::Context&) returning std::pair<T, error>; T is deduced. May park.
template <class F>
  requires detail_timeout::timed_fn<std::decay_t<F>>
std::pair<detail_timeout::timed_value_t<F>, error> WithTimeout(const context::Context& ctx,
                                                              time::Duration timeout, F&& fn) {
  using T = detail_timeout::timed_value_t<F>;
  return detail_timeout::with_timeout<T>(ctx, timeout, std::decay_t<F>(std::forward<F>(fn)));
}

// WithTimeout<T>: T given explicitly (Go's WithTimeout[T]); fn's result
// must convert to std::pair<T, error>.
template <class T, class F>
  requires detail_timeout::timed_fn<std::decay_t<F>> &&
           std::is_convertible_v<detail_timeout::timed_result_t<std::decay_t<F>>,
                                 std::pair<T, error>>
std::pair<T, error> WithTimeout(const context::Context& ctx, time::Duration timeout, F&& fn) {
  auto conv = [fn = std::decay_t<F>(std::forward<F>(fn))](const context::Context& c) mutable {
    return std::pair<T, error>(detail_timeout::invoke_timed(fn, c));
  };
  return detail_timeout::with_timeout<T>(ctx, timeout, std::move(conv));
}

}  // namespace gofer::patterns
