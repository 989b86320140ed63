// gofer/detail/spawn.hpp — how go() places a closure on a new fiber's stack
// (installed, not API).
//
// A spawn allocates no heap memory: the closure (the callable and its
// decay-copied arguments, as std::thread makes them) is constructed at the
// top of the new fiber's own stack, next to its control block, and is
// destroyed on that stack when the callable returns.
#pragma once

#include <cstddef>
#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>

namespace gofer {

// spawn_options: per-spawn settings, go(spawn_options{...}, f, args...).
struct spawn_options {
  // stack_size: usable stack bytes for this fiber (rounded up to pages);
  // 0 means the runtime's default (Runtime::Options::stack_size).
  std::size_t stack_size = 0;
};

namespace detail {

class sched;

// spawn makes a fiber on s (nullptr: the calling fiber's runtime, or the
// default runtime from a plain thread), calls construct(mem, ctx) to build
// the closure of size/align bytes at mem on its stack, and makes it
// runnable. run(mem) later invokes and destroys the closure. If construct
// throws, the fiber is released and the exception propagates.
void spawn(sched* s, const spawn_options& opts, std::size_t size, std::size_t align,
           void (*construct)(void* mem, void* ctx), void* ctx, void (*run)(void* mem));

template <class F, class... A>
struct closure {
  F f;
  std::tuple<A...> args;

  static void run(void* mem) {
    auto* c = static_cast<closure*>(mem);
    struct destroy {
      closure* c;
      ~destroy() { c->~closure(); }
    } d{c};
    std::apply([c](A&... xs) { std::invoke(std::move(c->f), std::move(xs)...); }, c->args);
  }
};

template <class F, class... A>
void spawn_callable(sched* s, const spawn_options& opts, F&& f, A&&... a) {
  using C = closure<std::decay_t<F>, std::decay_t<A>...>;
  static_assert(std::is_invocable_v<std::decay_t<F>, std::decay_t<A>...>,
                "go(f, args...): f must be callable with (decay-copied) args");
  auto make = [&](void* mem) {
    ::new (mem) C{std::forward<F>(f), std::tuple<std::decay_t<A>...>(std::forward<A>(a)...)};
  };
  spawn(
      s, opts, sizeof(C), alignof(C),
      [](void* mem, void* ctx) { (*static_cast<decltype(make)*>(ctx))(mem); }, &make, &C::run);
}

}  // namespace detail
}  // namespace gofer
