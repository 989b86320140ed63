// fiber.hpp — the machine-level context switch: Boost.Context's fcontext,
// the sanitizer fiber hooks and the C++ exception state, in one place.
//
// This file (with fiber.cpp) is the ONLY user of Boost.Context and of the
// ASan/TSan switch hooks (model: folly/fibers/BoostContextCompatibility.h).
// Everything above it switches through switch_in / switch_out.
//
// The switch model: the scheduler context (the worker thread's own stack,
// Go's g0) runs a fiber with switch_in; the fiber comes back with
// switch_out. When a fiber blocks, yields or exits and its worker has
// another fiber ready locally, it hands the worker straight over with
// switch_direct (one jump instead of two): the next fiber, as soon as it is
// resumed, runs an `arrive` callback on its own stack, the previous fiber
// being fully off its own by then; that is where the scheduler's
// post-switch work (park's unlock, re-queueing, freeing) happens. The scheduler stays parked
// in switch_in meanwhile; whichever fiber eventually switches out returns to
// it, so switch_in reports which fiber that was. Because fibers migrate, a
// fiber never caches "its" worker: every resume hands it the resuming
// scheduler's context (sched_fctx), and worker state is reached only through
// non-inlined accessors.
//
// Invariants:
//   - fctx is valid exactly while the fiber is not running (it is the point
//     to resume at); sched_fctx is valid exactly while it is running.
//   - The per-thread C++ exception globals (__cxa_get_globals) belong to the
//     running fiber: every switch into a fiber installs its saved state in
//     the thread's globals, every switch out of it saves them back, so
//     `throw;` and std::uncaught_exceptions() follow the fiber across
//     workers. The scheduler context itself never has an exception in
//     flight: while it runs, the globals are empty.
//   - errno is fiber-local the same way: a fiber reads the errno of its own
//     last failing call, wherever it runs now, never one left behind by
//     another fiber.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__SANITIZE_ADDRESS__)
#define GOFER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GOFER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define GOFER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GOFER_TSAN 1
#endif
#endif

#if defined(__GNUC__) && !defined(__clang__)
#define GOFER_NOINLINE __attribute__((noinline, noipa))
#else
#define GOFER_NOINLINE __attribute__((noinline))
#endif

namespace gofer::detail {

// eh_state mirrors the Itanium C++ ABI's __cxa_eh_globals (libstdc++
// unwind-cxx.h, libc++abi cxa_exception.h: the same two leading fields).
struct direct_args;

struct eh_state {
  void* caught = nullptr;     // caughtExceptions: the handler stack
  unsigned int uncaught = 0;  // uncaughtExceptions
};

// fiber_ctx: what the switch needs of one fiber.
struct fiber_ctx {
  void* fctx = nullptr;                 // resume point while not running
  void* sched_fctx = nullptr;           // the resuming scheduler, while running
  eh_state eh;                          // exception state while not running
  int err = 0;                          // errno while not running
  void (*entry)(fiber_ctx*) = nullptr;  // first function (fiber_init)
  direct_args* pending = nullptr;       // set by switch_direct for the target
  const void* stack_lo = nullptr;       // usable stack [stack_lo, stack_lo+size)
  std::size_t stack_size = 0;
#if GOFER_ASAN
  void* asan_fake_stack = nullptr;
#endif
#if GOFER_TSAN
  void* tsan_fiber = nullptr;
#endif
};

// sched_ctx: what the switch needs of one worker's scheduler context.
struct sched_ctx {
  const void* stack_lo = nullptr;  // the worker thread's stack
  std::size_t stack_size = 0;
  // This thread's exception globals and errno. A scheduler context never
  // leaves its thread, so their addresses can be cached here (a fiber's
  // cannot: see the invariants above).
  eh_state* eh_globals = nullptr;
  int* errno_loc = nullptr;
#if GOFER_ASAN
  void* asan_fake_stack = nullptr;
#endif
#if GOFER_TSAN
  void* tsan_fiber = nullptr;
#endif
  void init_for_current_thread();
};

// fiber_init prepares f to start at entry(&f) on the stack [lo, top), top
// being the usable top (the space above holds the control block). entry
// must never return: it ends with switch_out(..., true).
void fiber_init(fiber_ctx& f, void* lo, void* top, void (*entry)(fiber_ctx*));

// fiber_destroy resets a fiber that has exited or is abandoned so that its
// stack can be reused. Never on the running fiber.
void fiber_destroy(fiber_ctx& f);

// fiber_release frees what fiber_init made that outlives a fiber (the TSan
// fiber, reused across spawns): call before the stack is unmapped.
void fiber_release(fiber_ctx& f);

// switch_in runs fiber f from scheduler context s until a fiber switches
// out to s, and returns that fiber: f, or one that f (or its successors)
// handed the worker to with switch_direct. Scheduler side only.
fiber_ctx* switch_in(sched_ctx& s, fiber_ctx& f);

// switch_out returns from the running fiber f to the scheduler of its
// worker, s; it returns when some scheduler (or fiber) resumes f again.
// `exiting` marks the final switch of a dead fiber (its sanitizer state is
// dropped).
void switch_out(fiber_ctx& f, sched_ctx& s, bool exiting);

// switch_direct hands the worker (scheduler context s) from the running
// fiber `from` to the runnable fiber `to`, then runs arrive(from, arg) on
// to's stack, once from is off its own. Returns when from is resumed.
void switch_direct(fiber_ctx& from, fiber_ctx& to, sched_ctx& s, bool exiting,
                   void (*arrive)(fiber_ctx* from, void* arg), void* arg);

}  // namespace gofer::detail
