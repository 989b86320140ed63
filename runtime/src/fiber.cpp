// fiber.cpp — Boost.Context fcontext switching with sanitizer hooks, errno
// and exception-state hand-over. See fiber.hpp for the model and
// invariants.
#include "fiber.hpp"

#include <pthread.h>

#include <boost/context/detail/fcontext.hpp>
#include <cerrno>
#include <cstring>

#if GOFER_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if GOFER_TSAN
#include <sanitizer/tsan_interface.h>
#endif

extern "C" void* __cxa_get_globals() noexcept;  // Itanium C++ ABI

namespace gofer::detail {
namespace bctx = boost::context::detail;

// direct_args: what switch_direct leaves for its target. It lives on the
// source's stack, which stays intact until the arrival has copied it.
struct direct_args {
  fiber_ctx* from;
  void* sched_fctx;  // the way back to the scheduler, inherited by the target
  void (*arrive)(fiber_ctx*, void*);
  void* arg;
};

namespace {

// enter installs fiber f's exception globals and errno on the thread whose
// cached addresses s holds; leave saves them back into f and clears the
// thread's (the scheduler never has an exception in flight).
inline void enter(const sched_ctx& s, const fiber_ctx& f) noexcept {
  *s.eh_globals = f.eh;
  *s.errno_loc = f.err;
}
inline void leave(const sched_ctx& s, fiber_ctx& f) noexcept {
  f.eh = *s.eh_globals;
  f.err = *s.errno_loc;
  *s.eh_globals = eh_state{};
}

// resumed: the common tail of every resume of a fiber, and of its first
// entry. t comes from the jump that resumed f: from the scheduler (t.fctx is
// the scheduler), or from another fiber's switch_direct (t.fctx is that
// fiber, and f.pending holds the arrival work).
inline void resumed(fiber_ctx& f, bctx::transfer_t t) noexcept {
#if GOFER_ASAN
  __sanitizer_finish_switch_fiber(f.asan_fake_stack, nullptr, nullptr);
#endif
  if (direct_args* a = f.pending) {
    f.pending = nullptr;
    fiber_ctx* from = a->from;
    void (*arrive)(fiber_ctx*, void*) = a->arrive;
    void* arg = a->arg;
    f.sched_fctx = a->sched_fctx;
    from->fctx = t.fctx;  // `a` may die in arrive (from's stack is freed)
    arrive(from, arg);
  } else {
    f.sched_fctx = t.fctx;
  }
}

// trampoline is the first frame of every fiber. Every jump passes its
// target's fiber_ctx as the transfer data.
void trampoline(bctx::transfer_t t) {
  auto* f = static_cast<fiber_ctx*>(t.data);
  resumed(*f, t);
  f->entry(f);
  __builtin_unreachable();
}

}  // namespace

void sched_ctx::init_for_current_thread() {
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void* addr = nullptr;
    std::size_t size = 0;
    pthread_attr_getstack(&attr, &addr, &size);
    stack_lo = addr;
    stack_size = size;
    pthread_attr_destroy(&attr);
  }
  eh_globals = static_cast<eh_state*>(__cxa_get_globals());
  errno_loc = &errno;
#if GOFER_TSAN
  tsan_fiber = __tsan_get_current_fiber();
#endif
}

void fiber_init(fiber_ctx& f, void* lo, void* top, void (*entry)(fiber_ctx*)) {
  auto usable_top = reinterpret_cast<std::uintptr_t>(top) & ~std::uintptr_t{15};
  f.stack_lo = lo;
  f.stack_size = usable_top - reinterpret_cast<std::uintptr_t>(lo);
  f.eh = eh_state{};
  f.err = 0;
  f.entry = entry;
  f.pending = nullptr;
  f.fctx = bctx::make_fcontext(reinterpret_cast<void*>(usable_top), f.stack_size, &trampoline);
#if GOFER_TSAN
  // One TSan fiber per control block, reused with it: TSan's per-fiber
  // state is large (a trace of ~1 MiB), too costly to make per spawn.
  if (f.tsan_fiber == nullptr) f.tsan_fiber = __tsan_create_fiber(0);
#endif
}

void fiber_release(fiber_ctx& f) {
#if GOFER_TSAN
  if (f.tsan_fiber) __tsan_destroy_fiber(f.tsan_fiber);
  f.tsan_fiber = nullptr;
#endif
  (void)f;
}

void fiber_destroy(fiber_ctx& f) {
#if GOFER_ASAN
  // Frames the fiber left behind (the trampoline's, an abandoned fiber's)
  // keep their redzones poisoned; clear them before the stack is reused.
  __asan_unpoison_memory_region(f.stack_lo, f.stack_size);
  f.asan_fake_stack = nullptr;
#endif
  f.fctx = nullptr;
}

fiber_ctx* switch_in(sched_ctx& s, fiber_ctx& f) {
  enter(s, f);
#if GOFER_ASAN
  __sanitizer_start_switch_fiber(&s.asan_fake_stack, f.stack_lo, f.stack_size);
#endif
#if GOFER_TSAN
  __tsan_switch_to_fiber(f.tsan_fiber, 0);
#endif
  bctx::transfer_t t = bctx::jump_fcontext(f.fctx, &f);
#if GOFER_ASAN
  __sanitizer_finish_switch_fiber(s.asan_fake_stack, nullptr, nullptr);
#endif
  // The fiber coming back passes itself (switch_out): f, or a successor.
  auto* back = static_cast<fiber_ctx*>(t.data);
  back->fctx = t.fctx;
  leave(s, *back);
  return back;
}

void switch_out(fiber_ctx& f, sched_ctx& s, bool exiting) {
#if GOFER_ASAN
  __sanitizer_start_switch_fiber(exiting ? nullptr : &f.asan_fake_stack, s.stack_lo, s.stack_size);
#endif
#if GOFER_TSAN
  __tsan_switch_to_fiber(s.tsan_fiber, 0);
#endif
  (void)exiting;
  bctx::transfer_t t = bctx::jump_fcontext(f.sched_fctx, &f);
  // Resumed, possibly on another worker.
  resumed(f, t);
}

void switch_direct(fiber_ctx& from, fiber_ctx& to, sched_ctx& s, bool exiting,
                   void (*arrive)(fiber_ctx*, void*), void* arg) {
  // from's exception state and errno out, to's in: same thread, no
  // scheduler in between.
  from.eh = *s.eh_globals;
  from.err = *s.errno_loc;
  enter(s, to);
  // The scheduler stays parked where the first switch_in of this chain left
  // it; `to` inherits the way back to it and runs the arrival on resuming.
  direct_args a{&from, from.sched_fctx, arrive, arg};
  to.pending = &a;
#if GOFER_ASAN
  __sanitizer_start_switch_fiber(exiting ? nullptr : &from.asan_fake_stack, to.stack_lo,
                                 to.stack_size);
#endif
#if GOFER_TSAN
  __tsan_switch_to_fiber(to.tsan_fiber, 0);
#endif
  (void)exiting;
  bctx::transfer_t t = bctx::jump_fcontext(to.fctx, &to);
  resumed(from, t);
}

}  // namespace gofer::detail
