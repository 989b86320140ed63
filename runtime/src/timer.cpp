// timer.cpp — time.Timer, time.Ticker, After, Tick, AfterFunc with Go
// 1.23's synchronous channels. See gofer/timer.hpp for the semantics.
//
// Port of the channel-timer parts of time/sleep.go, time/tick.go and
// runtime/time.go (go1.23 behaviour on the go1.19 heap): Go 1.23 makes a
// timer channel "synchronous" by never letting a stale value be received
// after Stop/Reset; here Stop and Reset drain the one-slot channel under
// the timer's lock, and a firing that lost the race to Stop/Reset sees the
// new state (disarmed, or a later deadline) under that same lock and sends
// nothing.
//
// Invariants (state::mu guards when, period, armed):
//   - refs counts the user's handle (Timer/Ticker) plus one per queued heap
//     entry; the heap's reference is dropped by the firing callback, or by
//     Stop/Reset when timer_del removed the entry before it fired.
//   - A value is sent on c only by fire(), under mu, with armed set and
//     the deadline reached.
// Lock order: state::mu (rank 15) before the channel's lock (20) and the
// timer heap's (30); see lock_rank.hpp.
#include <atomic>
#include <climits>

#include "gofer/panic.hpp"
#include "gofer/runtime.hpp"
#include "gofer/timer.hpp"
#include "sched.hpp"

namespace gofer::time {
namespace detail_timer {

using gofer::detail::nanotime;
using gofer::detail::rt_mutex;
using gofer::detail::sched;

struct state {
  std::atomic<int> refs{1};
  rt_mutex mu;
  gofer::detail::timer t;
  sched* s = nullptr;
  std::int64_t when = 0;    // Guarded by mu.
  std::int64_t period = 0;  // Guarded by mu.
  bool armed = false;       // Guarded by mu.
  chan<Time> c;             // nil for AfterFunc
  std::function<void()> fn; // AfterFunc only

  void retain() noexcept { refs.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept {
    // acq_rel: the last owner sees every other owner's writes.
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }
};

namespace {

sched* current_sched() {
  if (gofer::detail::g* gp = gofer::detail::current_g()) return gp->s;
  return Runtime::Default().sched_for_internal_use();
}

std::int64_t deadline(Duration d) {
  const std::int64_t now = nanotime();
  if (d.count() <= 0) return now;
  return d.count() > INT64_MAX - now ? INT64_MAX : now + d.count();
}

// fire runs on a worker's scheduler context when the heap entry is due.
void fire(void* arg) {
  auto* st = static_cast<state*>(arg);
  bool keep_heap_ref = false;
  st->mu.lock();
  const std::int64_t now = nanotime();
  // A Reset (or another firing) that ran between this entry leaving the
  // heap and mu being taken here has queued st->t again: this firing is
  // stale, and the queued entry fires for the current deadline. Without
  // this check a ticker would add st->t to a heap a second time while it
  // is still queued, corrupting the heap. heap_ only becomes non-null under
  // mu (every add_timer of st->t runs with mu held), so reading it here is
  // exact for that transition. It becomes null WITHOUT mu, when another
  // worker's run() pops that requeued entry (heap lock only): acquire pairs
  // with remove_locked's release, so that worker's reads of st->t happen
  // before the add_timer below rewrites it (TSan found this with relaxed).
  const bool requeued = st->t.heap_.load(std::memory_order_acquire) != nullptr;
  if (!requeued && st->armed && now >= st->when) {
    if (st->c != nullptr && st->c.raw()->use_count() == 1) {
      st->armed = false;  // nobody can receive any more: stop for good
    } else {
      if (st->period > 0) {
        // Ticker: next deadline, skipping the missed ones (Go drops them).
        st->when += st->period * (1 + (now - st->when) / st->period);
        st->s->add_timer(&st->t, st->when);
        keep_heap_ref = true;  // the new entry inherits this reference
      } else {
        st->armed = false;
      }
      if (st->c != nullptr) {
        (void)st->c.try_send(Now());  // full: a slow reader misses this tick
      } else if (st->fn) {
        gofer::detail::spawn_callable(st->s, spawn_options{}, st->fn);
      }
    }
  }
  st->mu.unlock();
  if (!keep_heap_ref) st->release();
}

// arm_locked queues the heap entry for `when`. mu held. `have_ref` says the
// caller already owns a heap reference to reuse.
void arm_locked(state* st, std::int64_t when, bool have_ref) {
  if (!have_ref) st->retain();
  st->when = when;
  st->armed = true;
  st->s->add_timer(&st->t, when);
}

// stop_locked: disarm, drain, dequeue. mu held. Returns Go's Stop result
// and whether the caller now owns the heap entry's reference.
bool stop_locked(state* st, bool* got_heap_ref) {
  bool drained = false;
  if (st->c != nullptr) {
    Time stale;
    drained = st->c.try_recv(stale);
  }
  const bool result = st->armed || drained;
  st->armed = false;
  *got_heap_ref = gofer::detail::timer_del(&st->t);
  return result;
}

state* make_state(bool with_chan) {
  auto* st = new state;
  st->s = current_sched();
  st->t.f = &fire;
  st->t.arg = st;
  st->t.drop = [](void* arg) { static_cast<state*>(arg)->release(); };  // the heap's reference
  if (with_chan) st->c = make_chan<Time>(1);
  return st;
}

}  // namespace
}  // namespace detail_timer

using detail_timer::state;

Timer::Timer(state* st) : C(st->c), st_(st) {}
Timer::~Timer() { st_->release(); }

bool Timer::Stop() {
  bool heap_ref = false;
  st_->mu.lock();
  const bool r = detail_timer::stop_locked(st_, &heap_ref);
  st_->mu.unlock();
  if (heap_ref) st_->release();
  return r;
}

bool Timer::Reset(Duration d) {
  bool heap_ref = false;
  std::lock_guard<detail_timer::rt_mutex> lk(st_->mu);
  const bool r = detail_timer::stop_locked(st_, &heap_ref);
  st_->period = 0;
  detail_timer::arm_locked(st_, detail_timer::deadline(d), heap_ref);
  return r;
}

Ticker::Ticker(state* st) : C(st->c), st_(st) {}
Ticker::~Ticker() { st_->release(); }

void Ticker::Stop() {
  bool heap_ref = false;
  st_->mu.lock();
  (void)detail_timer::stop_locked(st_, &heap_ref);
  st_->mu.unlock();
  if (heap_ref) st_->release();
}

void Ticker::Reset(Duration d) {
  if (d.count() <= 0) gofer::detail::throw_panic("non-positive interval for Ticker.Reset");
  bool heap_ref = false;
  std::lock_guard<detail_timer::rt_mutex> lk(st_->mu);
  (void)detail_timer::stop_locked(st_, &heap_ref);
  st_->period = d.count();
  detail_timer::arm_locked(st_, detail_timer::deadline(d), heap_ref);
}

std::shared_ptr<Timer> NewTimer(Duration d) {
  state* st = detail_timer::make_state(true);
  std::shared_ptr<Timer> t(new Timer(st));
  std::lock_guard<detail_timer::rt_mutex> lk(st->mu);
  detail_timer::arm_locked(st, detail_timer::deadline(d), false);
  return t;
}

std::shared_ptr<Ticker> NewTicker(Duration d) {
  if (d.count() <= 0) gofer::detail::throw_panic("non-positive interval for NewTicker");
  state* st = detail_timer::make_state(true);
  std::shared_ptr<Ticker> t(new Ticker(st));
  std::lock_guard<detail_timer::rt_mutex> lk(st->mu);
  st->period = d.count();
  detail_timer::arm_locked(st, detail_timer::deadline(d), false);
  return t;
}

recv_chan<Time> After(Duration d) { return NewTimer(d)->C; }

recv_chan<Time> Tick(Duration d) {
  if (d.count() <= 0) return recv_chan<Time>();
  return NewTicker(d)->C;
}

std::shared_ptr<Timer> AfterFunc(Duration d, std::function<void()> f) {
  state* st = detail_timer::make_state(false);
  st->fn = std::move(f);
  std::shared_ptr<Timer> t(new Timer(st));
  std::lock_guard<detail_timer::rt_mutex> lk(st->mu);
  detail_timer::arm_locked(st, detail_timer::deadline(d), false);
  return t;
}

}  // namespace gofer::time
