// fiber.cpp — Boost.Context fcontext switching with sanitizer hooks and
// exception-state hand-over. See fiber.hpp for the model and invariants.
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

namespace {

// eh_swap exchanges a thread's exception globals `cur` with `saved`.
inline void eh_swap(eh_state* cur, eh_state& saved) noexcept {
  eh_state tmp = *cur;
  *cur = saved;
  saved = tmp;
}

// trampoline is the first frame of every fiber: it records the scheduler
// that first resumed it and calls entry, which never returns.
void trampoline(bctx::transfer_t t) {
  auto* f = static_cast<fiber_ctx*>(t.data);
  f->sched_fctx = t.fctx;
#if GOFER_ASAN
  __sanitizer_finish_switch_fiber(nullptr, nullptr, nullptr);
#endif
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
  f.fctx = bctx::make_fcontext(reinterpret_cast<void*>(usable_top), f.stack_size, &trampoline);
  // The first switch_in passes &f as the transfer data (see switch_in).
  f.sched_fctx = &f;
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

void switch_in(sched_ctx& s, fiber_ctx& f) {
  // A fiber that has not started yet carries &f in sched_fctx.
  void* data = f.sched_fctx;
  // The scheduler runs on its own thread for good: s's cached addresses
  // are this thread's exception globals and errno.
  eh_swap(s.eh_globals, f.eh);
  const int sched_errno = *s.errno_loc;
  *s.errno_loc = f.err;
#if GOFER_ASAN
  __sanitizer_start_switch_fiber(&s.asan_fake_stack, f.stack_lo, f.stack_size);
#endif
#if GOFER_TSAN
  __tsan_switch_to_fiber(f.tsan_fiber, 0);
#endif
  bctx::transfer_t t = bctx::jump_fcontext(f.fctx, data);
#if GOFER_ASAN
  __sanitizer_finish_switch_fiber(s.asan_fake_stack, nullptr, nullptr);
#endif
  f.fctx = t.fctx;
  f.err = *s.errno_loc;
  *s.errno_loc = sched_errno;
  eh_swap(s.eh_globals, f.eh);
}

void switch_out(fiber_ctx& f, sched_ctx& s, bool exiting) {
#if GOFER_ASAN
  __sanitizer_start_switch_fiber(exiting ? nullptr : &f.asan_fake_stack, s.stack_lo,
                                 s.stack_size);
#endif
#if GOFER_TSAN
  __tsan_switch_to_fiber(s.tsan_fiber, 0);
#endif
  (void)exiting;
  bctx::transfer_t t = bctx::jump_fcontext(f.sched_fctx, nullptr);
  // Resumed, possibly by another worker: t.fctx is that scheduler.
  f.sched_fctx = t.fctx;
#if GOFER_ASAN
  __sanitizer_finish_switch_fiber(f.asan_fake_stack, nullptr, nullptr);
#endif
}

}  // namespace gofer::detail
