// lock_rank.hpp — the runtime's lock order, in one table (mirrored in
// docs/lock-order.md). Go keeps the same kind of table in
// runtime/lockrank.go.
//
// A thread may take a lock only if every lock it already holds has a LOWER
// rank. No runtime lock is ever held across a park or a context switch:
// park's unlock callback releases the wait queue's lock after the fiber is
// off its stack, and ready() is called only after every lock is released
// (collect waiters, unlock, then wake — Go's closechan discipline).
//
//   rank  lock                         held while taking
//   ----  ---------------------------  ------------------------------------
//   10    sync::Mutex / RWMutex (user)  anything below (user code)
//   12    context cancel_node::mu      a child context's mu (tree order,
//                                      parent before child), a channel lock
//                                      (closing Done), a timer heap lock
//   15    time Timer/Ticker state::mu  a channel lock (the one-slot C), a
//                                      timer heap lock (re-arming)
//   20    hchan::lock_                 other channel locks, in address
//                                      order (select); released by park
//   20    sema_root::lock (semtable)   nothing (a leaf; released by park)
//   20    Cond nl_lock_                nothing (a leaf; released by park)
//   30    timer_heap::lock_            nothing (callbacks run unlocked)
//   40    sched::free_lock_            nothing
//   40    sched::all_lock_             nothing (free_g takes it after
//                                      releasing free_lock_)
//   50    sched::lock_ (idle list)     nothing (wakep takes it from any
//                                      context, so everything else must
//                                      be released first)
//
// The global run queue (moodycamel) and the per-worker runqs are lock-free
// and may be used under any of the above.
#pragma once

namespace gofer::detail {

enum class lock_rank : int {
  user_mutex = 10,
  context_node = 12,
  timer_state = 15,
  chan = 20,
  sema_root = 20,
  cond_list = 20,
  timers = 30,
  free_pool = 40,
  all_gs = 40,
  sched_idle = 50,
};

}  // namespace gofer::detail
