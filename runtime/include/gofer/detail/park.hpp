// gofer/detail/park.hpp — the one blocking primitive every gofer type is
// built on (installed, not API).
//
// park(unlock, arg) / ready(g) are Go's gopark / goready: a fiber that must
// wait publishes itself somewhere (a wait queue under a lock), then parks;
// the runtime switches it off its stack and only THEN calls unlock(g, arg),
// which typically releases that lock. A waker can therefore never resume a
// fiber that is still running on its stack. If unlock returns false the
// fiber is resumed at once, as with Go's unlockf.
//
// waiter makes the same protocol work for plain threads: a thread that
// "parks" runs unlock and sleeps on a futex word; wake() stores the word and
// wakes it. Blocking types hold a waiter and never need to know which kind
// of caller they have.
//
// Invariants:
//   - A fiber is on at most one wait queue per park (the blocking type's).
//   - ready(g) is called exactly once per park that returned true from
//     unlock, and never before unlock has run.
#pragma once

#include <atomic>
#include <cstdint>

namespace gofer::detail {

struct g;  // the fiber control block (runtime/src/sched.hpp)

// current_g returns the running fiber, or nullptr on a plain thread.
// Out of line and never inlined: it reads thread-local state, which must be
// re-read after every switch since fibers migrate between workers.
g* current_g() noexcept;

// goid returns the Go-style id of fiber gp (1 is gofer::run's main fiber).
std::uint64_t goid(const g* gp) noexcept;

// unlock_fn runs on the scheduler's stack after the parking fiber is off its
// own. Returning false resumes the fiber immediately (nothing will ready it).
using unlock_fn = bool (*)(g* gp, void* arg);

// park parks the current fiber. Fiber only. Returns after ready(gp).
void park(unlock_fn unlock, void* arg);

// ready makes a parked fiber runnable. Any thread; never blocks.
void ready(g* gp) noexcept;

// futex_wait blocks while *word == expected (spurious returns possible).
void futex_wait(std::atomic<std::uint32_t>* word, std::uint32_t expected) noexcept;
// futex_wake wakes up to n threads blocked on word.
void futex_wake(std::atomic<std::uint32_t>* word, int n) noexcept;

// waiter is one blocked caller, fiber or thread. Lives on the caller's stack
// for the duration of one block().
struct waiter {
  g* gp = nullptr;                      // the fiber, or nullptr for a thread
  std::atomic<std::uint32_t> woken{0};  // thread only: 1 once wake() ran

  // for_current fills gp for the calling context.
  void init() noexcept { gp = current_g(); }
};

// block waits until wake(w): a fiber parks, a thread sleeps on w.woken.
// unlock(arg) runs once the caller can no longer miss a wake (for a fiber:
// after it is off its stack; for a thread: before it sleeps). Call init()
// first.
void block(waiter& w, void (*unlock)(void*), void* arg);

// wake resumes the caller blocked (or about to block) in block(w).
// Any thread. Must be called at most once per block.
void wake(waiter& w) noexcept;

}  // namespace gofer::detail
