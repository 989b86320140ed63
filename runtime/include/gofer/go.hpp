// gofer/go.hpp — Go's `go` statement.
//
//   go f(x, y)              →  gofer::go(f, x, y);
//   go func() { ... }()     →  gofer::go([=] { ... });
//
// The callable and its arguments are decay-copied (moved when they are
// rvalues) into the new fiber, as std::thread does; capture by value, or
// make sure what you capture by reference outlives the fiber
// (docs/porting.md, "Captures and lifetimes").
//
// Called from a fiber, go() spawns on that fiber's runtime and the new fiber
// runs next on the same worker once the caller blocks or yields (Go's
// runnext). Called from a plain thread, it starts the default runtime if
// needed. go() never blocks.
#pragma once

#include <type_traits>
#include <utility>

#include "gofer/detail/spawn.hpp"

namespace gofer {

template <class F, class... A>
requires(!std::is_same_v<std::decay_t<F>, spawn_options>) void go(F&& f, A&&... args) {
  detail::spawn_callable(nullptr, spawn_options{}, std::forward<F>(f), std::forward<A>(args)...);
}

// go(spawn_options{.stack_size = 1 << 20}, f, args...): with per-spawn options.
template <class F, class... A>
void go(const spawn_options& opts, F&& f, A&&... args) {
  detail::spawn_callable(nullptr, opts, std::forward<F>(f), std::forward<A>(args)...);
}

}  // namespace gofer
