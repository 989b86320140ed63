// gofer/defer.hpp — Go's `defer` as a scope guard.
//
//   auto [ctx, cancel] = context::WithTimeout(parent, time::Second);
//   GOFER_DEFER(cancel());           // defer cancel()
//   mu.Lock();
//   GOFER_DEFER(mu.Unlock());        // defer mu.Unlock()
//   defer close_f([f] { f->Close(); });   // the named form, with a capture list
//
// GOFER_DEFER(stmt) runs `stmt` at scope exit with everything captured by
// reference (like a Go closure: `defer func() { ... }()`); the named form
// `defer name(fn)` takes any callable and copies it.
//
// A defer runs its function when the enclosing scope ends — by return, by
// falling off the end, or by an exception unwinding through it (Go runs
// deferred calls while a panic unwinds too). Defers in one scope run in
// reverse order of declaration, as Go's do: C++ destroys locals in reverse.
//
// Differences from Go, forced by C++:
//   - A defer runs at the end of its C++ scope (a block), not of the function:
//     a defer inside a loop body runs at the end of each iteration. Declare
//     it at function scope to get Go's behaviour.
//   - Go evaluates a deferred call's operands at the defer statement.
//     GOFER_DEFER captures by reference, so it sees later changes to the
//     variables it names; to freeze a value, copy it in a capture list:
//     `defer d([v = x] { use(v); });`.
//   - A deferred function that throws while an exception is already
//     unwinding would terminate the process (C++ rules); Go would replace the
//     first panic by the second. So the deferred call's exception propagates
//     when no other exception is in flight; if one is, it ends the process
//     with "panic: <what> [thrown by a deferred call ...]" and exit code 2,
//     as an unrecovered Go panic does.
//
// Not copyable or movable: a defer belongs to the scope that declared it.
// Cancel() disarms it (for "commit" paths that must not run the cleanup).
#pragma once

#include <exception>
#include <functional>
#include <type_traits>
#include <utility>

namespace gofer {

namespace detail {
// defer_double_fault reports an exception thrown by a deferred call while
// another was unwinding, then ends the process (exit 2, "panic: ...").
[[noreturn]] void defer_double_fault(std::exception_ptr deferred) noexcept;
}  // namespace detail

template <class F>
class [[nodiscard]] defer {
  static_assert(std::is_invocable_v<F&>, "defer: the deferred function must be callable with no arguments");

 public:
  explicit defer(F f) noexcept(std::is_nothrow_move_constructible_v<F>) : f_(std::move(f)) {}
  defer(const defer&) = delete;
  defer& operator=(const defer&) = delete;

  // Runs f unless Cancel()ed. Exceptions from f propagate when no other
  // exception is unwinding (see the file comment).
  ~defer() noexcept(false) {
    if (!armed_) return;
    armed_ = false;
    if (std::uncaught_exceptions() > uncaught_) {
      try {
        std::invoke(f_);
      } catch (...) {
        detail::defer_double_fault(std::current_exception());
      }
      return;
    }
    std::invoke(f_);
  }

  // Cancel disarms the defer: f will not run.
  void Cancel() noexcept { armed_ = false; }

 private:
  F f_;
  bool armed_ = true;
  int uncaught_ = std::uncaught_exceptions();
};

}  // namespace gofer

#define GOFER_DEFER_CAT2(a, b) a##b
#define GOFER_DEFER_CAT(a, b) GOFER_DEFER_CAT2(a, b)
// GOFER_DEFER(stmt): Go's `defer stmt` — see the file comment.
#define GOFER_DEFER(...) \
  ::gofer::defer GOFER_DEFER_CAT(gofer_defer_, __COUNTER__)([&]() -> void { __VA_ARGS__; })
