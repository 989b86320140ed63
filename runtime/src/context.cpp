// context.cpp — Go's package context (see gofer/context.hpp). Port of
// cancelCtx, timerCtx, valueCtx and propagateCancel/removeChild of
// src/context/context.go (go1.19), with go1.21's causes, WithoutCancel and
// AfterFunc (afterFuncCtx).
//
// Differences from Go:
//   - Cancelling walks the subtree iteratively (depth first, an explicit
//     path through the nodes' own fields, no allocation) instead of Go's
//     recursion, so a 10,000-deep chain cannot overflow a fiber stack. It
//     holds the locks of the path from the root of the cancel to the node
//     being cancelled, as Go's recursion does, so a cancel returns only when
//     its whole subtree is cancelled even if another fiber is cancelling
//     part of it at the same time.
//   - A parent holds its cancellable children weakly (an intrusive list of
//     raw pointers; a child that dies unlinks itself), because a reference
//     count cannot collect the parent <-> child cycle that Go's GC does. A
//     cancel takes a reference to each child it steals from the list with
//     try_retain; a child whose count already reached zero is dying, can be
//     observed by nobody and is skipped. AfterFunc registrations are held
//     strongly by the list (Go's parent map keeps them alive too).
//   - Deadlines use the runtime's timer heap directly (timers.hpp, as
//     timer.cpp does) rather than time::AfterFunc: the timer is embedded in
//     the node, the queued entry holds one reference that the firing, a
//     successful timer_del or the runtime's shutdown (drop) gives back, so
//     an unfired deadline never forms a node -> timer -> closure -> node
//     cycle, and firing cancels on the scheduler without spawning a fiber.
//   - Err() and Done() read an atomic state/flag without the lock once set.
//
// Invariants (cancel_node c):
//   - c.state goes live -> cancelling -> done exactly once, under c.mu:
//     cancelling is published before c.done is closed and done after, so a
//     reader that sees done knows Done() is closed, and one woken by the
//     close sees at least cancelling (it then takes c.mu to wait for done).
//   - err, cause and done (once has_done is set) are immutable after being
//     published; they are written under c.mu.
//   - A link l is in the children list of l.owner, and l.owner is l's
//     registered parent, or l.owner is null; l.owner, l.prev, l.next and the
//     list are guarded by the registered parent's mu.
//   - A queued deadline timer owns one reference to its timer_node.
//
// Lock order: cancel_node::mu has rank 12 (the lock_rank.hpp table: above
// user mutexes, below every other runtime lock): parent before child, as
// Go's cancel holds the parent's lock while cancelling the children. Held
// while taking a channel lock (closing Done, as Go's cancel closes it under
// c.mu) and a timer heap lock (arming and stopping the deadline). Nothing
// takes it while holding another runtime lock. Closing Done under it
// readies the waiters while it is held (Go does the same); a readied fiber
// that wants it waits at most for the cancel's critical section.
#include "gofer/context.hpp"

#include <cxxabi.h>

#include <climits>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <mutex>

#include "gofer/detail/rt_mutex.hpp"
#include "gofer/go.hpp"
#include "gofer/panic.hpp"
#include "sched.hpp"

namespace gofer::context {
namespace detail_context {

using gofer::detail::rt_mutex;
using gofer::detail::sched;

constinit node background_node{kind::background, nullptr, nullptr, nullptr, true};
constinit node todo_node{kind::todo, nullptr, nullptr, nullptr, true};

namespace {

enum : std::uint8_t { kLive = 0, kCancelling = 1, kDone = 2 };
enum class err_code : std::uint8_t { none, canceled, deadline };

const error& err_value(err_code e) {
  return e == err_code::deadline ? deadline_exceeded_error() : canceled_error();
}

struct cancel_node;

// link: membership in a cancel_node's children list (see invariants). Also
// reused, once a link has been stolen from the list by a cancel, to chain
// it on that cancel's pending and finished lists.
struct link {
  link* prev = nullptr;
  link* next = nullptr;
  cancel_node* owner = nullptr;
  const bool is_after_func;
  explicit link(bool af) noexcept : is_after_func(af) {}
};

// after_func: Go's afterFuncCtx. refs: one for the children list while
// linked (or for the cancel that stole it), one per stop function copy.
struct after_func final : link {
  std::atomic<std::int64_t> refs{1};
  std::atomic<bool> once{false};  // Go's a.once: set by the first of run / stop
  std::function<void()> f;
  explicit after_func(std::function<void()> fn) : link(true), f(std::move(fn)) {}
};

void af_retain(after_func* a) noexcept { a->refs.fetch_add(1, std::memory_order_relaxed); }
void af_release(after_func* a) noexcept {
  // acq_rel: as node release.
  if (a->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete a;
}

// cancel_node: Go's cancelCtx.
struct cancel_node : node, link {
  rt_mutex mu;
  cancel_node* const p;  // registered parent: parent->canc (kept alive by the parent chain)
  std::atomic<std::uint8_t> state{kLive};
  std::atomic<bool> has_done{false};  // release: publishes done
  err_code err = err_code::none;      // Guarded by mu; immutable once state != kLive.
  error cause;                        // Same.
  // done: what Done() returns by reference, so it is kept as the receive
  // view; the cancel closes it through its hchan (the same channel).
  recv_chan<empty> done;              // Guarded by mu; immutable once has_done.
  link* children = nullptr;           // Guarded by mu; set to null by the cancel.
  std::int64_t nchildren = 0;         // Guarded by mu.
  link* pending = nullptr;            // Guarded by mu: stolen children a cancel has yet to visit.

  cancel_node(kind k, node* parent) noexcept
      : node(k, parent, true, k == kind::timer),
        link(false),
        p(static_cast<cancel_node*>(parent->canc)) {}
};

// timer_node: Go's timerCtx.
struct timer_node final : cancel_node {
  time::Time deadline;
  error deadline_cause;  // Go 1.21's WithDeadlineCause; nil: DeadlineExceeded
  gofer::detail::timer t;
  sched* s = nullptr;  // the runtime whose heap holds t; f spawns there on fire
  bool armed = false;  // Guarded by mu: t is (or is about to be) queued.

  timer_node(node* parent, time::Time d, error c) noexcept
      : cancel_node(kind::timer, parent), deadline(d), deadline_cause(std::move(c)) {}
};

cancel_node* as_cancel(node* n) noexcept { return static_cast<cancel_node*>(n); }

// try_retain takes a reference to c unless its count already reached zero
// (it is dying). Caller holds c->p->mu, which keeps a dying c's memory
// alive (destroy unlinks it under that lock before freeing it).
bool try_retain(cancel_node* c) noexcept {
  std::int64_t r = c->refs.load(std::memory_order_relaxed);
  while (r > 0) {
    // relaxed: as retain(); the lock orders the rest.
    if (c->refs.compare_exchange_weak(r, r + 1, std::memory_order_relaxed)) return true;
  }
  return false;
}

// link_locked / unlink_locked: p->mu held.
void link_locked(cancel_node* p, link* l) noexcept {
  l->owner = p;
  l->prev = nullptr;
  l->next = p->children;
  if (p->children) p->children->prev = l;
  p->children = l;
  p->nchildren++;
}
void unlink_locked(cancel_node* p, link* l) noexcept {
  if (l->prev)
    l->prev->next = l->next;
  else
    p->children = l->next;
  if (l->next) l->next->prev = l->prev;
  l->prev = l->next = nullptr;
  l->owner = nullptr;
  p->nchildren--;
}

// remove_child: Go's removeChild. Unlinks l from p if it is still linked;
// returns whether it was. No lock held on entry.
bool remove_child(cancel_node* p, link* l) noexcept {
  std::lock_guard<rt_mutex> lk(p->mu);
  if (l->owner != p) return false;
  unlink_locked(p, l);
  return true;
}

// kDoneCap: Done channels have capacity 1 (Go's have 0). Nothing is ever
// sent on them (a recv_chan cannot send), so they behave exactly as Go's
// except for cap(ctx.Done()); but a non-blocking receive — the
// `select { case <-ctx.Done(): ...; default: }` poll, try_recv — then takes
// hchan's lock-free fast path for buffered channels instead of the channel
// lock: 11 ns instead of 15 ns a poll (bench/context_bench.cpp,
// DoneSelect/recv:0 with select's one-case fast path; Go: 14 ns).
constexpr std::ptrdiff_t kDoneCap = 1;

const chan<empty>& closed_chan() {
  // Go's closedchan: Done() of a context cancelled before anyone asked.
  // Leaked on purpose (reachable, so not a leak to LSan): it must outlive
  // every context, including those destroyed by static destructors.
  static const chan<empty>* c = [] {
    auto* ch = new chan<empty>(make_chan<empty>(kDoneCap));
    close(*ch);
    return ch;
  }();
  return *c;
}

// mark_locked: the first half of Go's cancelCtx.cancel for one node: c->mu
// held and c live. Sets err and cause, closes Done, moves the children list
// to c->pending (taking a reference to each cancel child; an after_func's
// list reference moves with it) and disarms the timer. The caller holds a
// reference to c.
void mark_locked(cancel_node* c, err_code err, const error& cause) {
  c->err = err;
  c->cause = cause ? cause : err_value(err);
  // release: publishes err and cause; pairs with the acquire in Err/Cause.
  c->state.store(kCancelling, std::memory_order_release);
  if (c->has_done.load(std::memory_order_relaxed)) {
    c->done.raw()->close();  // close(chan) without a send-side handle
  } else {
    c->done = closed_chan();
    c->has_done.store(true, std::memory_order_release);  // pairs with Done()'s acquire
  }
  c->state.store(kDone, std::memory_order_release);
  link* keep = nullptr;
  for (link* l = c->children; l != nullptr;) {
    link* next = l->next;
    l->owner = nullptr;
    l->prev = nullptr;
    if (l->is_after_func || try_retain(static_cast<cancel_node*>(l))) {
      l->next = keep;
      keep = l;
    } else {
      l->next = nullptr;  // dying: its destroy finds owner == null
    }
    l = next;
  }
  c->children = nullptr;
  c->nchildren = 0;
  c->pending = keep;
  if (c->k == kind::timer) {
    auto* tn = static_cast<timer_node*>(c);
    if (tn->armed) {
      tn->armed = false;
      // timer_del fails when the timer is firing: the firing then finds c
      // cancelled and gives the reference back itself. Otherwise the queued
      // entry's reference is ours to give back; the caller's keeps it from
      // being the last (acq_rel: as release()).
      if (gofer::detail::timer_del(&tn->t)) tn->refs.fetch_sub(1, std::memory_order_acq_rel);
    }
  }
}

// start_after_func: Go's afterFuncCtx.cancel: f runs once, in its own fiber.
void start_after_func(after_func* a, sched* s) {
  if (a->once.exchange(true, std::memory_order_acq_rel)) return;  // stopped or started
  if (s != nullptr)
    gofer::detail::spawn_callable(s, spawn_options{}, std::move(a->f));
  else
    gofer::go(std::move(a->f));
}

// cancel: Go's cancelCtx.cancel(removeFromParent, err, cause) over root and
// its subtree. The caller holds a reference to root. s: the runtime to start
// AfterFunc fibers on (null: the calling fiber's, or the default runtime).
// Depth first with the path's locks held: a node on the path is locked, its
// unvisited children in its `pending`, and the path back up is the chain of
// registered parents. Visited nodes and after_funcs are chained on
// `finished` and released (after_funcs started) once every lock is dropped,
// since releasing the last reference to a node takes its parent's lock.
void cancel(cancel_node* root, bool remove_from_parent, err_code err, const error& cause,
            sched* s) noexcept {
  root->mu.lock();
  if (root->state.load(std::memory_order_relaxed) != kLive) {
    root->mu.unlock();
    return;
  }
  mark_locked(root, err, cause);
  link* finished = nullptr;
  cancel_node* cur = root;
  for (;;) {
    link* l = cur->pending;
    if (l != nullptr) {
      cur->pending = l->next;
      if (l->is_after_func) {
        l->next = finished;
        finished = l;
        continue;
      }
      auto* child = static_cast<cancel_node*>(l);
      child->mu.lock();  // parent before child
      if (child->state.load(std::memory_order_relaxed) != kLive) {
        child->mu.unlock();  // cancelled by itself meanwhile (its subtree too)
        child->next = finished;
        finished = child;
        continue;
      }
      mark_locked(child, err, cause);
      cur = child;
      continue;
    }
    // cur's subtree is done.
    cancel_node* up = cur->p;
    cur->mu.unlock();
    if (cur == root) break;
    cur->next = finished;
    finished = cur;
    cur = up;
  }
  if (remove_from_parent && root->p != nullptr) remove_child(root->p, root);
  while (finished != nullptr) {
    link* l = finished;
    finished = l->next;
    l->next = nullptr;
    if (l->is_after_func) {
      auto* a = static_cast<after_func*>(l);
      start_after_func(a, s);
      af_release(a);
    } else {
      release(static_cast<cancel_node*>(l));
    }
  }
}

// fire: a deadline timer is due (scheduler context, no lock held). Go's
// `c.timer = time.AfterFunc(dur, func() { c.cancel(true, DeadlineExceeded, cause) })`.
void fire(void* arg) {
  auto* tn = static_cast<timer_node*>(arg);
  cancel(tn, true, err_code::deadline, tn->deadline_cause, tn->s);
  release(tn);  // the heap's reference
}

sched* current_sched() {
  if (gofer::detail::g* gp = gofer::detail::current_g()) return gp->s;
  return Runtime::Default().sched_for_internal_use();
}

// propagate: Go's propagateCancel for a new child c (not yet visible to
// anyone). Links c into its registered parent, or cancels it at once if
// that parent is already cancelled.
void propagate(cancel_node* c) {
  cancel_node* p = c->p;
  if (p == nullptr) return;  // parent is never cancelled
  p->mu.lock();
  if (p->state.load(std::memory_order_relaxed) == kLive) {
    link_locked(p, c);
    p->mu.unlock();
    return;
  }
  const err_code err = p->err;
  const error cause = p->cause;
  p->mu.unlock();
  cancel(c, false, err, cause, nullptr);
}

node* checked_parent(const Context& parent) {
  node* p = parent.raw();
  if (p == nullptr) throw_nil_parent();
  return p;
}

// new_cancel: WithCancel's node (a reference for the Context and one for the
// cancel function).
cancel_node* new_cancel(const Context& parent) {
  node* p = checked_parent(parent);
  retain(p);
  auto* c = new cancel_node(kind::cancel, p);
  c->refs.store(2, std::memory_order_relaxed);
  propagate(c);
  return c;
}

std::string format_frac(std::uint64_t v, int prec) {
  // v / 10^prec with the fraction's trailing zeros dropped (Go's fmtFrac).
  std::uint64_t pow = 1;
  for (int i = 0; i < prec; i++) pow *= 10;
  std::string s = std::to_string(v / pow);
  std::uint64_t frac = v % pow;
  if (frac != 0) {
    std::string digits = std::to_string(frac);
    digits.insert(0, static_cast<std::size_t>(prec) - digits.size(), '0');
    while (!digits.empty() && digits.back() == '0') digits.pop_back();
    s += "." + digits;
  }
  return s;
}

// duration_string: Go's Duration.String ("1h2m0.5s", "1.5ms", "0s").
std::string duration_string(time::Duration d) {
  const std::int64_t n = d.count();
  if (n == 0) return "0s";
  const bool neg = n < 0;
  const std::uint64_t u = neg ? 0 - static_cast<std::uint64_t>(n) : static_cast<std::uint64_t>(n);
  std::string s;
  if (u < 1000) {
    s = std::to_string(u) + "ns";
  } else if (u < 1000000) {
    s = format_frac(u, 3) + "\xC2\xB5s";  // µs
  } else if (u < 1000000000) {
    s = format_frac(u, 6) + "ms";
  } else {
    const std::uint64_t sec_ns = u % 60000000000ULL;
    const std::uint64_t mins = u / 60000000000ULL;
    s = format_frac(sec_ns, 9) + "s";
    if (mins > 0) {
      s = std::to_string(mins % 60) + "m" + s;
      if (mins >= 60) s = std::to_string(mins / 60) + "h" + s;
    }
  }
  return neg ? "-" + s : s;
}

// time_string: the wall time as Go prints it, in UTC
// ("2009-11-10 23:00:00.5 +0000 UTC").
std::string time_string(const time::Time& t) {
  const std::int64_t ns = t.UnixNano();
  std::time_t secs = static_cast<std::time_t>(ns / 1000000000);
  std::int64_t frac = ns % 1000000000;
  if (frac < 0) {
    frac += 1000000000;
    secs -= 1;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  std::string s = buf;
  if (frac != 0) {
    std::string digits = format_frac(static_cast<std::uint64_t>(frac), 9);  // "0.xxx"
    s += digits.substr(1);
  }
  return s + " +0000 UTC";
}

}  // namespace

const error& canceled_error() noexcept {
  // Leaked on purpose: usable from static destructors of any order.
  static const error* e = new error(errors::New("context canceled"));
  return *e;
}

const error& deadline_exceeded_error() noexcept {
  static const error* e = new error(make_error<deadline_exceeded>());
  return *e;
}

void throw_nil_parent() { gofer::detail::throw_panic("cannot create context from nil parent"); }
void throw_nil_deref() {
  gofer::detail::throw_panic("runtime error: invalid memory address or nil pointer dereference");
}

std::string type_name(const std::type_info& t) {
  if (t == typeid(std::string)) return "string";
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> d(abi::__cxa_demangle(t.name(), nullptr, nullptr, &status),
                                           std::free);
  return status == 0 && d ? std::string(d.get()) : std::string(t.name());
}

void destroy(node* n) noexcept {
  while (n != nullptr) {
    node* up = n->parent;
    switch (n->k) {
      case kind::value:
        delete static_cast<value_node*>(n);
        break;
      case kind::without_cancel:
        delete n;
        break;
      case kind::cancel:
      case kind::timer: {
        auto* c = as_cancel(n);
        if (c->p != nullptr) remove_child(c->p, c);
        // Nobody else can reach c any more. Its cancel children hold it, so
        // only AfterFunc registrations can still be linked: f never runs.
        for (link* l = c->children; l != nullptr;) {
          link* next = l->next;
          l->owner = nullptr;
          af_release(static_cast<after_func*>(l));
          l = next;
        }
        if (c->k == kind::timer)
          delete static_cast<timer_node*>(c);
        else
          delete c;
        break;
      }
      case kind::background:
      case kind::todo:
        return;  // immortal; never counted
    }
    // acq_rel: as release().
    n = (up != nullptr && !up->immortal && up->refs.fetch_sub(1, std::memory_order_acq_rel) == 1)
            ? up
            : nullptr;
  }
}

Context make_value(const Context& parent, std::any key, std::any val,
                   std::string (*describe)(const value_node&)) {
  node* p = checked_parent(parent);
  retain(p);
  return Context(node_ref(new value_node(p, std::move(key), std::move(val), describe)));
}

std::int64_t num_children(const Context& ctx) {
  node* n = ctx.raw();
  if (n == nullptr) throw_nil_deref();
  if (n->canc == nullptr) return 0;
  cancel_node* c = as_cancel(n->canc);
  std::lock_guard<rt_mutex> lk(c->mu);
  return c->nchildren;
}

}  // namespace detail_context

using detail_context::as_cancel;
using detail_context::cancel_node;
using detail_context::err_code;
using detail_context::kCancelling;
using detail_context::kDone;
using detail_context::kLive;
using detail_context::node;
using detail_context::node_ref;
using detail_context::timer_node;

const recv_chan<empty>& Context::Done() const {
  static const recv_chan<empty> kNilDone;  // never ready; immutable, shared
  node* n = get();
  if (n->canc == nullptr) return kNilDone;
  cancel_node* c = as_cancel(n->canc);
  // acquire: pairs with the release store of has_done; done is immutable after.
  if (c->has_done.load(std::memory_order_acquire)) return c->done;
  std::lock_guard<detail_context::rt_mutex> lk(c->mu);
  if (!c->has_done.load(std::memory_order_relaxed)) {
    c->done = make_chan<empty>(detail_context::kDoneCap);  // live: a cancel sets has_done otherwise
    c->has_done.store(true, std::memory_order_release);
  }
  return c->done;
}

namespace {
// settled_state returns c's final state: a reader that saw kCancelling
// takes the lock, which the cancel holds until Done is closed.
std::uint8_t settled_state(cancel_node* c) {
  // acquire: pairs with mark_locked's release stores; err/cause are then visible.
  std::uint8_t st = c->state.load(std::memory_order_acquire);
  if (st == kCancelling) {
    c->mu.lock();
    c->mu.unlock();
    st = c->state.load(std::memory_order_acquire);
  }
  return st;
}
}  // namespace

error Context::Err() const {
  node* n = get();
  if (n->canc == nullptr) return nil;
  cancel_node* c = as_cancel(n->canc);
  if (settled_state(c) == kLive) return nil;
  return detail_context::err_value(c->err);
}

std::pair<time::Time, bool> Context::Deadline() const {
  node* n = get();
  if (n->dl == nullptr) return {time::Time{}, false};
  return {static_cast<timer_node*>(n->dl)->deadline, true};
}

std::string Context::String() const {
  std::vector<const node*> path;
  for (const node* n = get(); n != nullptr; n = n->parent) path.push_back(n);
  std::string s;
  for (auto it = path.rbegin(); it != path.rend(); ++it) {
    const node* n = *it;
    switch (n->k) {
      case detail_context::kind::background:
        s += "context.Background";
        break;
      case detail_context::kind::todo:
        s += "context.TODO";
        break;
      case detail_context::kind::cancel:
        s += ".WithCancel";
        break;
      case detail_context::kind::timer: {
        const auto* t = static_cast<const timer_node*>(n);
        s += ".WithDeadline(" + detail_context::time_string(t->deadline) + " [" +
             detail_context::duration_string(time::Until(t->deadline)) + "])";
        break;
      }
      case detail_context::kind::value: {
        const auto* v = static_cast<const detail_context::value_node*>(n);
        s += ".WithValue(" + v->describe(*v) + ")";
        break;
      }
      case detail_context::kind::without_cancel:
        s += ".WithoutCancel";
        break;
    }
  }
  return s;
}

void CancelFunc::operator()() const {
  if (n_.get() == nullptr) detail_context::throw_nil_deref();
  detail_context::cancel(as_cancel(n_.get()), true, err_code::canceled, nil, nullptr);
}

void CancelCauseFunc::operator()(const error& cause) const {
  if (n_.get() == nullptr) detail_context::throw_nil_deref();
  detail_context::cancel(as_cancel(n_.get()), true, err_code::canceled, cause, nullptr);
}

std::pair<Context, CancelFunc> WithCancel(const Context& parent) {
  cancel_node* c = detail_context::new_cancel(parent);
  return {Context(node_ref(c)), CancelFunc(node_ref(c))};
}

std::pair<Context, CancelCauseFunc> WithCancelCause(const Context& parent) {
  cancel_node* c = detail_context::new_cancel(parent);
  return {Context(node_ref(c)), CancelCauseFunc(node_ref(c))};
}

error Cause(const Context& c) {
  node* n = c.raw();
  if (n == nullptr) detail_context::throw_nil_deref();
  if (n->canc == nullptr) return c.Err();  // nil: never cancelled
  cancel_node* cn = as_cancel(n->canc);
  if (settled_state(cn) == kLive) return nil;
  return cn->cause;
}

std::pair<Context, CancelFunc> WithDeadlineCause(const Context& parent, time::Time d, error cause) {
  node* p = detail_context::checked_parent(parent);
  if (auto [cur, ok] = parent.Deadline(); ok && cur.Before(d)) {
    return WithCancel(parent);  // the current deadline is already sooner
  }
  retain(p);
  auto* c = new timer_node(p, d, std::move(cause));
  c->refs.store(2, std::memory_order_relaxed);  // the Context and the cancel function
  detail_context::propagate(c);
  const time::Duration dur = time::Until(d);
  if (dur.count() <= 0) {
    // The deadline has already passed.
    detail_context::cancel(c, true, err_code::deadline, c->deadline_cause, nullptr);
    return {Context(node_ref(c)), CancelFunc(node_ref(c))};
  }
  c->s = detail_context::current_sched();
  c->t.f = &detail_context::fire;
  c->t.arg = c;
  c->t.drop = [](void* arg) { release(static_cast<timer_node*>(arg)); };  // shutdown
  std::lock_guard<detail_context::rt_mutex> lk(c->mu);
  if (c->state.load(std::memory_order_relaxed) == kLive) {
    const std::int64_t now = gofer::detail::nanotime();
    const std::int64_t when = dur.count() > INT64_MAX - now ? INT64_MAX : now + dur.count();
    c->refs.fetch_add(1, std::memory_order_relaxed);  // the queued timer's
    c->armed = true;
    c->s->add_timer(&c->t, when);
  }
  return {Context(node_ref(c)), CancelFunc(node_ref(c))};
}

std::pair<Context, CancelFunc> WithDeadline(const Context& parent, time::Time d) {
  return WithDeadlineCause(parent, d, nil);
}

std::pair<Context, CancelFunc> WithTimeout(const Context& parent, time::Duration timeout) {
  return WithDeadlineCause(parent, time::Now().Add(timeout), nil);
}

std::pair<Context, CancelFunc> WithTimeoutCause(const Context& parent, time::Duration timeout,
                                                error cause) {
  return WithDeadlineCause(parent, time::Now().Add(timeout), std::move(cause));
}

Context WithoutCancel(const Context& parent) {
  node* p = detail_context::checked_parent(parent);
  retain(p);
  return Context(node_ref(new node(detail_context::kind::without_cancel, p, nullptr, nullptr)));
}

namespace {

// af_ref: an owning pointer to an after_func (the stop function's).
class af_ref {
 public:
  explicit af_ref(detail_context::after_func* a) noexcept : a_(a) {}
  af_ref(const af_ref& o) noexcept : a_(o.a_) { detail_context::af_retain(a_); }
  af_ref& operator=(const af_ref&) = delete;
  ~af_ref() { detail_context::af_release(a_); }
  detail_context::after_func* get() const noexcept { return a_; }

 private:
  detail_context::after_func* a_;
};

// stopper: AfterFunc's stop. ctx keeps the registered parent alive.
struct stopper {
  af_ref a;
  Context ctx;
  bool operator()() const {
    detail_context::after_func* af = a.get();
    // acq_rel: the first of stop and start wins (Go's a.once).
    if (af->once.exchange(true, std::memory_order_acq_rel)) return false;
    node* n = ctx.raw();
    if (n->canc != nullptr && detail_context::remove_child(as_cancel(n->canc), af))
      detail_context::af_release(af);  // the list's reference
    return true;
  }
};

}  // namespace

std::function<bool()> AfterFunc(const Context& ctx, std::function<void()> f) {
  node* n = ctx.raw();
  if (n == nullptr) detail_context::throw_nil_deref();     // Go: parent.Done() on nil
  auto* a = new detail_context::after_func(std::move(f));  // refs 1: the stop function's
  af_ref ref(a);
  if (n->canc != nullptr) {
    cancel_node* p = as_cancel(n->canc);
    p->mu.lock();
    if (p->state.load(std::memory_order_relaxed) == kLive) {
      detail_context::af_retain(a);  // the list's
      detail_context::link_locked(p, a);
      p->mu.unlock();
    } else {
      p->mu.unlock();
      detail_context::start_after_func(a, nullptr);  // already done: at once
    }
  }
  return stopper{std::move(ref), ctx};
}

}  // namespace gofer::context
