// gofer/runtime.hpp — the runtime object, gofer::run, and Go's runtime
// package (Gosched, GOMAXPROCS, NumGoroutine, NumCPU).
//
// A Runtime is a set of worker threads (Go's Ps and Ms, one to one) running
// fibers M:N with work stealing (docs/architecture.md). It can be made with
// a chosen worker count, shut down cleanly (workers joined, stacks freed) and
// made again in the same process. The default runtime is one such object,
// started lazily by the first go() or blocking call from a plain thread, or
// by gofer::run.
//
//   int main() {
//     gofer::run([] {            // Go's func main()
//       gofer::go([] { ... });   // go func() { ... }()
//     });
//   }
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

#include "gofer/detail/spawn.hpp"

namespace gofer {

namespace detail {
void run_default(void (*fn)(void*), void* arg);
}

class Runtime {
 public:
  struct Options {
    // workers: number of worker threads (GOMAXPROCS). 0: the GOMAXPROCS
    // environment variable if set, else runtime::NumCPU().
    int workers = 0;
    // stack_size: default usable stack bytes per fiber. 0: the
    // GOFER_STACK_SIZE environment variable if set, else 256 KiB. Stacks are
    // reserved, not committed: a fiber costs the pages it touches.
    std::size_t stack_size = 0;
  };

  Runtime();
  explicit Runtime(Options opts);
  ~Runtime();  // Shutdown()
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // run runs main_fn as a fiber of this runtime and blocks the calling
  // (plain) thread until it returns. While it runs, deadlock detection is on
  // (docs/semantics.md). Other fibers keep running after it returns.
  template <class F>
  void run(F&& main_fn) {
    auto body = [&main_fn] { main_fn(); };  // also for plain functions
    run_main([](void* p) { (*static_cast<decltype(body)*>(p))(); }, &body);
  }

  // go spawns a fiber on this runtime (from any thread or fiber).
  template <class F, class... A>
  void go(F&& f, A&&... args) {
    detail::spawn_callable(s_, spawn_options{}, std::forward<F>(f), std::forward<A>(args)...);
  }

  // Shutdown stops the workers after their current fibers block or yield,
  // joins them and frees every stack. Fibers still alive are abandoned (their
  // destructors do not run), as when a Go program's main returns. Idempotent.
  // Must not be called from one of this runtime's own fibers.
  void Shutdown();

  int NumWorkers() const noexcept;
  // NumGoroutine: fibers of this runtime that exist (running, runnable or
  // parked).
  std::int64_t NumGoroutine() const noexcept;

  // Default returns the default runtime, starting it if needed.
  static Runtime& Default();

  detail::sched* sched_for_internal_use() const noexcept { return s_; }

 private:
  friend void detail::run_default(void (*fn)(void*), void* arg);
  void run_main(void (*fn)(void*), void* arg);
  void run_main_for_default(void (*fn)(void*), void* arg);
  detail::sched* s_;
};

// run is Go's program entry: it runs main_fn as the main fiber (goroutine 1
// when it is the runtime's first) on the default runtime, with deadlock
// detection on, and returns when main_fn returns; then the default runtime
// is shut down and other fibers are abandoned, as when Go's main returns.
// An exception escaping main_fn is a panic: "panic: <what>", exit code 2.
template <class F>
void run(F&& main_fn) {
  auto body = [&main_fn] { main_fn(); };  // also for plain functions
  detail::run_default([](void* p) { (*static_cast<decltype(body)*>(p))(); }, &body);
}

namespace runtime {

// Gosched yields the worker so other fibers run; the caller is runnable
// again at once. On a plain thread it calls sched_yield.
void Gosched();

// GOMAXPROCS returns the worker count of the current fiber's runtime (the
// default runtime on a plain thread). With n > 0 before the default runtime
// starts, it sets the count it will start with; a running runtime keeps its
// count (see docs/semantics.md). Returns the previous setting.
int GOMAXPROCS(int n = 0);

// NumGoroutine returns the number of fibers of the current runtime.
int NumGoroutine();

// NumCPU returns the number of CPUs this process may run on.
int NumCPU();

}  // namespace runtime
}  // namespace gofer
