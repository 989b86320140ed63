// park.cpp — park/ready, the thread-or-fiber waiter, futexes, and the
// spin/yield helpers of the sync primitives. See gofer/detail/park.hpp.
#include "gofer/detail/park.hpp"

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>

#include "gofer/panic.hpp"
#include "sched.hpp"

namespace gofer::detail {

GOFER_NOINLINE g* current_g() noexcept {
  worker* w = this_worker();
  return w ? w->cur : nullptr;
}

std::uint64_t goid(const g* gp) noexcept { return gp ? gp->id : 0; }

// park: Go's gopark. The fiber records what the scheduler must do and
// switches out; execute() runs unlock on the scheduler stack.
void park(unlock_fn unlock, void* arg) {
  worker* w = this_worker();
  g* gp = w ? w->cur : nullptr;
  if (gp == nullptr) fatal("gofer: park called outside a fiber");
  gp->unlock = unlock;
  gp->unlock_arg = arg;
  w->s->leave(w, gp, gaction::park);
  // Resumed, perhaps on another worker: do not use w here.
}

void ready(g* gp) noexcept { gp->s->ready(gp); }

void go_yield() noexcept {
  worker* w = this_worker();
  g* gp = w ? w->cur : nullptr;
  if (gp == nullptr) {
    sched_yield();
    return;
  }
  // Nothing else to run here: the scheduler would pick gp straight back.
  if (w->s->yield_finds_nothing(w)) return;
  w->s->leave(w, gp, gaction::yield);
}

bool can_spin(int iter) noexcept {
  // Go: active_spin = 4; no spinning on one CPU, or when every other worker
  // is idle or spinning (the owner is likely not running), or when this
  // worker has other fibers to run.
  static const long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  if (iter >= 4 || ncpu <= 1) return false;
  worker* w = this_worker();
  if (w == nullptr) return true;
  return w->s->others_running() && w->q.empty();
}

void do_spin() noexcept {
  for (int i = 0; i < 30; i++) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }
}

void futex_wait(std::atomic<std::uint32_t>* word, std::uint32_t expected) noexcept {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAIT_PRIVATE, expected, nullptr,
          nullptr, 0);
}

void futex_wake(std::atomic<std::uint32_t>* word, int n) noexcept {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAKE_PRIVATE, n, nullptr,
          nullptr, 0);
}

void block(waiter& w, void (*unlock)(void*), void* arg) {
  if (w.gp != nullptr) {
    struct pack {
      void (*unlock)(void*);
      void* arg;
    } p{unlock, arg};
    park(
        [](g*, void* x) {
          auto* pk = static_cast<pack*>(x);
          if (pk->unlock) pk->unlock(pk->arg);
          return true;
        },
        &p);
    return;
  }
  if (unlock) unlock(arg);
  // Counted only after unlock: unlock may itself wake a fiber (Cond::Wait
  // unlocks the user's mutex), and while it runs this thread is not asleep.
  // wake() undoes the count, possibly before this increment: the sum is
  // right once both ran, and a transient low count only delays a deadlock
  // report, never invents one.
  blocked_threads().fetch_add(1, std::memory_order_acq_rel);
  // acquire: pairs with wake()'s release store; the waker's writes are
  // visible when we return.
  while (w.woken.load(std::memory_order_acquire) == 0) futex_wait(&w.woken, 0);
}

void wake(waiter& w) noexcept {
  if (w.gp != nullptr) {
    ready(w.gp);
    return;
  }
  blocked_threads().fetch_sub(1, std::memory_order_acq_rel);
  // After this store the waiter may return and its frame die; futex_wake
  // on a dead address is harmless (at worst a spurious wake-up of a futex
  // that re-checks its word, as all of ours do).
  w.woken.store(1, std::memory_order_release);
  futex_wake(&w.woken, 1);
}

}  // namespace gofer::detail
