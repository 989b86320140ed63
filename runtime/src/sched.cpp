// sched.cpp — workers, find_runnable, spawning, parking and deadlock
// detection. See sched.hpp for the model, invariants and lock order.
#include "sched.hpp"

// GCC 12 reports a false -Wstringop-overflow ("writing 8 bytes into a region
// of size 0") on an atomic load in moodycamel's enqueue_bulk once inlined
// into global_put_batch: GCC 12's known false positives on atomic builtins.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#endif

#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>

#include "gofer/panic.hpp"

namespace gofer::detail {
namespace {

// initial-exec: a direct %fs-relative access, not a __tls_get_addr call
// (the library is PIC); callgrind showed 22 instructions a spawn in it.
__attribute__((tls_model("initial-exec"))) thread_local worker* t_worker = nullptr;
std::atomic<int> g_live_runtimes{0};
std::atomic<int> g_blocked_threads{0};

// kLocalFreeMax / kFreeBatch: Go's gfput keeps up to 64 free gs per P and
// moves them to the global list 32 at a time.
constexpr int kLocalFreeMax = 64;
constexpr int kFreeBatch = 32;
// The global pool keeps every stack while the runtime is busy, so a burst
// of spawns reuses stacks instead of paying mmap+madvise+munmap (measured:
// those three syscalls were 45% of spawn+join time with a capped pool).
// Like Go's GC freeing the stacks of dead goroutines, an idle worker trims
// the pool back to kGlobalFreeKeep after kTrimDelayNs of idleness.
constexpr int kGlobalFreeKeep = 1024;
constexpr std::int64_t kTrimDelayNs = 500 * 1000 * 1000;
// kStackChunk: a worker whose pools are empty maps this many stacks with
// one mmap (stack_reserve) and claims them one at a time (stack_claim: the
// guard's madvise). Mapping each stack on its own, two workers growing the
// pool at once contended for mmap_lock, which mmap takes for writing: in a
// whole skynet process the sleeps and wake-ups on it were ~20% of the
// samples, and its first run took ~950 ms, against ~480 ms with chunks.
// The unclaimed rest of a chunk is untouched address space (MAP_NORESERVE),
// unmapped at shutdown.
constexpr std::size_t kStackChunk = 16;
// kFairnessTicks: poll the global queue every 61 schedules (Go: "61 is a
// prime not too small and not too large").
constexpr std::uint32_t kFairnessTicks = 61;
// A fiber taken from runnext inherits the time slice of the fiber that
// readied it (Go's inheritTime), so a pair handing a worker back and forth
// through runnext could keep the ring waiting forever. Go ends such a slice
// by sysmon preemption after forcePreemptNS (10 ms); fibers are not
// preempted, so local_get ends it instead: every kSliceCheckEvery runnext
// hand-offs in a row it reads the clock, and once kSliceNs has passed since
// the first such reading it takes the head of the ring before runnext.
// Streaks shorter than kSliceCheckEvery never read the clock.
constexpr std::uint32_t kSliceCheckEvery = 64;
constexpr std::int64_t kSliceNs = 10 * 1000 * 1000;
// kStealRounds: Go's stealWork tries 4 rounds over all Ps.
constexpr int kStealRounds = 4;
// kDeadPollNs: how often an idle worker re-checks for a deadlock while a
// thread outside the runtime is all that could still wake a fiber.
constexpr std::int64_t kDeadPollNs = 100 * 1000 * 1000;

int count_process_threads() {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  int n = -1;
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, "Threads:", 8) == 0) {
      n = std::atoi(line + 8);
      break;
    }
  }
  std::fclose(f);
  return n;
}

// Threads that existed before main() (a sanitizer's background thread):
// they never touch gofer, so deadlock detection does not wait for them.
// ThreadSanitizer starts its background thread lazily, at the first
// pthread_create, i.e. with our first worker: counted here in TSan builds.
const int g_inert_threads = [] {
  int n = count_process_threads();
  n = n > 1 ? n - 1 : 0;
#if GOFER_TSAN
  if (n < 1) n = 1;
#endif
  return n;
}();

std::uint32_t fastrand(worker* w) {
  // xorshift64*: cheap, per-worker, good enough for victim choice.
  std::uint64_t x = w->rng;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  w->rng = x;
  return static_cast<std::uint32_t>((x * 0x2545F4914F6CDD1DULL) >> 32);
}

int env_int(const char* name, int dflt) {
  const char* v = std::getenv(name);
  if (!v || !*v) return dflt;
  char* end = nullptr;
  long n = std::strtol(v, &end, 10);
  if (*end != '\0' || n <= 0 || n > 1 << 16) return dflt;
  return static_cast<int>(n);
}

std::size_t env_size(const char* name, std::size_t dflt) {
  const char* v = std::getenv(name);
  if (!v || !*v) return dflt;
  char* end = nullptr;
  unsigned long long n = std::strtoull(v, &end, 10);
  if (*end == 'k' || *end == 'K') {
    n <<= 10;
    ++end;
  } else if (*end == 'm' || *end == 'M') {
    n <<= 20;
    ++end;
  }
  if (*end != '\0' || n < 16 * 1024) return dflt;
  return static_cast<std::size_t>(n);
}

static_assert(offsetof(g, ctx) == 0, "fiber_main relies on g::ctx being first");

[[noreturn]] void panic_exit(g* gp, const char* what) {
  std::fflush(stdout);
  std::fprintf(stderr, "panic: %s\n\ngoroutine %llu [running]\n", what,
               static_cast<unsigned long long>(gp->id));
  std::fflush(stderr);
  std::_Exit(2);
}

// fiber_main is the body of every fiber: run the closure, then exit.
void fiber_main(fiber_ctx* f) {
  // ctx is g's first member: the fiber_ctx* is the g*.
  g* gp = reinterpret_cast<g*>(f);
  try {
    gp->run(gp->closure);
  } catch (const std::exception& e) {
    panic_exit(gp, e.what());
  } catch (...) {
    panic_exit(gp, "exception of a type not derived from std::exception");
  }
  // Re-read the worker: the fiber may have migrated since it started.
  worker* w = this_worker();
  w->s->leave(w, gp, gaction::exit);
  __builtin_unreachable();
}

bool overflow_query_fn(const void* addr, std::uint64_t* id, std::size_t* size) {
  worker* w = t_worker;
  if (!w || !w->cur) return false;
  g* gp = w->cur;
  auto a = reinterpret_cast<std::uintptr_t>(addr);
  auto base = reinterpret_cast<std::uintptr_t>(gp->stack.map_base);
  auto lo = reinterpret_cast<std::uintptr_t>(gp->stack.lo);
  // The guard, or just below the mapping (a frame that jumped the guard).
  if (a >= lo || a + 16 * 1024 * 1024 < base) return false;
  *id = gp->id;
  *size = gp->stack.size;
  return true;
}

}  // namespace

GOFER_NOINLINE worker* this_worker() noexcept {
  worker* w = t_worker;
  asm volatile("" ::: "memory");
  return w;
}

int default_worker_count() noexcept {
  return env_int("GOMAXPROCS", std::max(1, gofer::runtime::NumCPU()));
}

// checked_stack_size: a stack size above 1 TiB is a mistake, and one near
// SIZE_MAX would wrap the rounding up to pages into a tiny stack.
std::size_t checked_stack_size(std::size_t n, const char* who) {
  constexpr std::size_t kMaxStackSize = std::size_t{1} << 40;
  if (n > kMaxStackSize)
    throw std::length_error(std::string(who) + ": stack_size " + std::to_string(n) +
                            " is above the maximum of 1 TiB");
  return n;
}

int live_runtimes() noexcept { return g_live_runtimes.load(std::memory_order_acquire); }
std::atomic<int>& blocked_threads() noexcept { return g_blocked_threads; }

sched::sched(const Runtime::Options& opts)
    : nworkers_(opts.workers > 0 ? opts.workers : default_worker_count()),
      stack_size_(checked_stack_size(
          opts.stack_size > 0 ? opts.stack_size : env_size("GOFER_STACK_SIZE", 256 * 1024),
          "gofer::Runtime")),
      workers_(new worker[static_cast<std::size_t>(nworkers_)]) {
  install_overflow_handler(&overflow_query_fn);
  g_live_runtimes.fetch_add(1, std::memory_order_acq_rel);
  for (int i = 0; i < nworkers_; i++) {
    worker* w = &workers_[i];
    w->s = this;
    w->id = i;
    w->rng = 0x9E3779B97F4A7C15ULL * static_cast<std::uint64_t>(i + 1) ^
             reinterpret_cast<std::uintptr_t>(this);
    w->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (w->evfd < 0 || w->epfd < 0) fatal("gofer: cannot create the worker's eventfd/epoll");
    struct epoll_event ev;
    std::memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.u64 = 0;
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->evfd, &ev) != 0)
      fatal("gofer: cannot register the worker's eventfd");
    w->ptok = new moodycamel::ProducerToken(globq_);
    w->ctok = new moodycamel::ConsumerToken(globq_);
  }
  for (int i = 0; i < nworkers_; i++) {
    worker* w = &workers_[i];
    w->thread = std::thread([this, w] { worker_main(w); });
  }
}

sched::~sched() { shutdown(); }

void sched::worker_main(worker* w) {
  t_worker = w;
  signal_stack_init();
  w->sctx.init_for_current_thread();
  schedule(w);
  signal_stack_fini();
  t_worker = nullptr;
}

// schedule: one round of the scheduler loop per fiber run (Go's schedule).
void sched::schedule(worker* w) {
  for (;;) {
    g* gp = find_runnable(w);
    if (gp == nullptr) return;  // stopping
    execute(w, gp);
  }
}

// execute runs gp until a fiber switches back to the scheduler (gp, or a
// fiber it handed the worker to), then carries out what that fiber asked
// for (Go's execute + the mcall'd park_m / gosched_m / goexit0).
void sched::execute(worker* w, g* gp) {
  for (;;) {
    w->schedtick++;
    gp->w = w;
    gp->status.store(gstatus::running, std::memory_order_relaxed);  // relaxed: owner
    w->cur = gp;
    w->running.store(true, std::memory_order_relaxed);  // relaxed: a backoff hint
    g* back = reinterpret_cast<g*>(switch_in(w->sctx, gp->ctx));
    // `back` is off its stack now.
    w->cur = nullptr;
    w->running.store(false, std::memory_order_relaxed);
    if (after_switch(w, back, /*direct=*/false)) return;
    gp = back;  // park's unlock said nothing will ready it: resume at once
  }
}

// after_switch does what fiber gp asked for when it switched out: on the
// scheduler stack (direct == false) or on the stack of the fiber it handed
// the worker to (direct == true). Returns false when gp must be resumed at
// once (scheduler path only; on the direct path it is queued in runnext).
bool sched::after_switch(worker* w, g* gp, bool direct) {
  switch (gp->action) {
    case gaction::park:
      gp->action = gaction::none;
      // release: a waker's CAS in ready() must see waiting; the unlock
      // callback publishes gp (e.g. releases the wait queue's lock).
      gp->status.store(gstatus::waiting, std::memory_order_release);
      if (gp->unlock(gp, gp->unlock_arg)) return true;
      if (!direct) return false;
      gp->status.store(gstatus::runnable, std::memory_order_relaxed);
      runq_put(w, gp, /*next=*/true);
      return true;
    case gaction::yield:
      gp->action = gaction::none;
      gp->status.store(gstatus::runnable, std::memory_order_relaxed);
      runq_put(w, gp, /*next=*/false);
      // A yield that switched left work in this queue (spawn's rule): let
      // an idle worker steal it, so two yielders on one worker do not keep
      // another idle (Go's Gosched reaches other Ps through the global
      // queue). Racy reads suffice: the worker runs gp itself otherwise.
      if (npidle_.load(std::memory_order_relaxed) != 0 &&
          nmspinning_.load(std::memory_order_relaxed) == 0)
        wakep();
      return true;
    case gaction::exit:
      gp->status.store(gstatus::dead, std::memory_order_relaxed);
      // Owner-only writer: a plain load+store, no locked RMW.
      w->ngoroutines.store(w->ngoroutines.load(std::memory_order_relaxed) - 1,
                           std::memory_order_relaxed);
      free_g(w, gp);
      return true;
    case gaction::none:
      break;
  }
  fatal("gofer: fiber switched out without an action");
}

// leave: the running fiber cur gives up worker w (park, yield or exit).
// Runs on cur's stack. If w has a fiber ready locally, and no due timer or
// fairness tick needs the scheduler loop, hand the worker straight to it
// (one context switch); else return to the scheduler.
void sched::leave(worker* w, g* cur, gaction act) {
  cur->action = act;
  const bool exiting = act == gaction::exit;
  g* nx = nullptr;
  if (!stopping_.load(std::memory_order_relaxed) && (w->schedtick + 1) % kFairnessTicks != 0) {
    std::int64_t t = w->timers.when0();
    if (t == 0 || t > nanotime()) nx = local_get(w);
  }
  if (nx == nullptr) {
    switch_out(cur->ctx, w->sctx, exiting);
    return;
  }
  w->schedtick++;
  nx->w = w;
  nx->status.store(gstatus::running, std::memory_order_relaxed);  // relaxed: owner
  w->cur = nx;
  switch_direct(
      cur->ctx, nx->ctx, w->sctx, exiting,
      [](fiber_ctx* from, void* arg) {
        auto* wk = static_cast<worker*>(arg);
        wk->s->after_switch(wk, reinterpret_cast<g*>(from), /*direct=*/true);
      },
      w);
}

// local_get: Go's runqget plus the end of an inherited time slice (see
// kSliceCheckEvery). Owner only.
g* sched::local_get(worker* w) {
  if (w->inherit_streak != 0 && w->inherit_streak % kSliceCheckEvery == 0) {
    const std::int64_t now = nanotime();
    if (w->slice_start == 0) {
      w->slice_start = now;
    } else if (now - w->slice_start >= kSliceNs) {
      if (g* gp = w->q.get_ring()) {
        w->inherit_streak = 0;
        w->slice_start = 0;
        return gp;
      }
    }
  }
  bool inherit = false;
  g* gp = w->q.get(&inherit);
  if (inherit) {
    w->inherit_streak++;
  } else {
    w->inherit_streak = 0;
    w->slice_start = 0;
  }
  return gp;
}

bool sched::yield_finds_nothing(const worker* w) const noexcept {
  // relaxed: a snapshot; see the declaration for why a stale read is safe.
  return w->q.empty() && globq_size_.load(std::memory_order_relaxed) <= 0 &&
         w->timers.when0() == 0 && !stopping_.load(std::memory_order_relaxed);
}

void sched::runq_put(worker* w, g* gp, bool next) {
  w->q.put(gp, next, [this, w](g** batch, std::uint32_t n) { global_put_batch(batch, n, w); });
}

void sched::global_put_batch(g** batch, std::uint32_t n, worker* w) {
  if (w) {
    globq_.enqueue_bulk(*w->ptok, batch, n);
  } else {
    globq_.enqueue_bulk(batch, n);
  }
  // acq_rel RMW: the idle path's re-check reads this after its own RMW on
  // npidle_; see wakep().
  globq_size_.fetch_add(n, std::memory_order_acq_rel);
}

// global_get: Go's globrunqget. With `batch` it also moves a fair share of
// the global queue into the local runq.
g* sched::global_get(worker* w, bool batch) {
  if (globq_size_.load(std::memory_order_acquire) <= 0) return nullptr;
  g* buf[runq::kSize / 2];
  std::size_t want = 1;
  if (batch) {
    std::int64_t sz = globq_size_.load(std::memory_order_relaxed);
    want = static_cast<std::size_t>(std::min<std::int64_t>(sz / nworkers_ + 1, runq::kSize / 2));
  }
  std::size_t n = globq_.try_dequeue_bulk(*w->ctok, buf, want);
  if (n == 0) return nullptr;
  globq_size_.fetch_sub(static_cast<std::int64_t>(n), std::memory_order_acq_rel);
  for (std::size_t i = 1; i < n; i++) runq_put(w, buf[i], false);
  return buf[0];
}

int sched::run_timers(worker* w, std::int64_t now) { return w->timers.run(now); }

std::int64_t sched::next_timer_deadline() const noexcept {
  std::int64_t next = 0;
  for (int i = 0; i < nworkers_; i++) {
    std::int64_t t = workers_[i].timers.when0();
    if (t != 0 && (next == 0 || t < next)) next = t;
  }
  return next;
}

bool sched::all_queues_empty() const noexcept {
  if (globq_size_.load(std::memory_order_acquire) > 0) return false;
  for (int i = 0; i < nworkers_; i++)
    if (!workers_[i].q.empty()) return false;
  return true;
}

// steal_work: Go's stealWork. Rounds over all workers in random order,
// taking half a victim's queue; the last round may also take a victim's
// runnext and runs its expired timers.
g* sched::steal_work(worker* w, bool* timers_ran) {
  for (int round = 0; round < kStealRounds; round++) {
    const bool last = round == kStealRounds - 1;
    std::uint32_t start = fastrand(w);
    for (int k = 0; k < nworkers_; k++) {
      if (stopping_.load(std::memory_order_relaxed)) return nullptr;
      worker* v = &workers_[(start + static_cast<std::uint32_t>(k)) % nworkers_];
      if (v == w) continue;
      if (last) {
        std::int64_t t = v->timers.when0();
        if (t != 0 && t <= nanotime()) {
          if (v->timers.run(nanotime()) > 0) {
            *timers_ran = true;
            if (g* gp = local_get(w)) return gp;
          }
        }
      }
      if (g* gp = w->q.steal_into_from(v->q, last, v->running.load(std::memory_order_relaxed)))
        return gp;
    }
  }
  return nullptr;
}

// reset_spinning: a spinning worker found work. If it was the last spinner,
// wake another so that new work keeps being picked up in parallel (Go's
// resetspinning).
void sched::reset_spinning(worker* w) {
  w->spinning = false;
  int nm = nmspinning_.fetch_sub(1, std::memory_order_acq_rel) - 1;
  if (nm == 0 && npidle_.load(std::memory_order_relaxed) > 0) wakep();
}

// wakep: wake an idle worker, if there is one and nobody is spinning
// (Go's wakep + startm). Any thread.
//
// Lost-wake-up argument (Go's "Worker thread parking/unparking"): the
// caller published work before calling. Both checks below are RMWs, so they
// are ordered in the modification orders of npidle_ and nmspinning_ with the
// RMWs an idling worker does before it re-checks the queues:
//  - npidle_: if our RMW reads 0, every idler's increment comes later in
//    npidle_'s order, so our publication happens-before its re-check;
//  - nmspinning_: if a spinner is counted, its later decrement (after which
//    it re-checks) comes after our RMW, so it will see the work.
void sched::wakep() {
  if (npidle_.fetch_add(0, std::memory_order_acq_rel) == 0) return;
  if (nmspinning_.fetch_add(1, std::memory_order_acq_rel) != 0) {
    nmspinning_.fetch_sub(1, std::memory_order_acq_rel);
    return;
  }
  worker* v = nullptr;
  {
    std::lock_guard<rt_mutex> lk(lock_);
    v = idle_;
    if (v) {
      idle_ = v->idle_next;
      v->idle_next = nullptr;
      v->idle_listed.store(false, std::memory_order_relaxed);  // under lock_
      npidle_.fetch_sub(1, std::memory_order_acq_rel);
    }
  }
  if (v == nullptr) {
    nmspinning_.fetch_sub(1, std::memory_order_acq_rel);
    return;
  }
  signal_worker(v);  // v now owns our nmspinning_ increment (handoff)
}

void sched::signal_worker(worker* w) {
  std::uint64_t one = 1;
  ssize_t r = ::write(w->evfd, &one, sizeof one);
  (void)r;  // EAGAIN: the counter is already non-zero, the worker wakes anyway
}

void sched::drain_eventfd(worker* w) {
  std::uint64_t v;
  ssize_t r = ::read(w->evfd, &v, sizeof v);
  (void)r;
}

g* sched::find_runnable(worker* w) {
  for (;;) {
    if (stopping_.load(std::memory_order_acquire)) return nullptr;

    // Timers of this worker (Go's checkTimers): nanotime only if any.
    if (w->timers.when0() != 0) {
      std::int64_t now = nanotime();
      if (w->timers.when0() <= now) run_timers(w, now);
    }

    g* gp = nullptr;
    // Fairness: now and then take from the global queue first.
    if (w->schedtick % kFairnessTicks == 0) gp = global_get(w, false);
    if (!gp) gp = local_get(w);
    if (!gp) gp = global_get(w, true);
    if (gp) {
      if (w->spinning) reset_spinning(w);
      return gp;
    }

    // Spin: steal, while fewer than half of the busy workers spin.
    if (w->spinning || 2 * nmspinning_.load(std::memory_order_relaxed) <
                           nworkers_ - npidle_.load(std::memory_order_relaxed)) {
      if (!w->spinning) {
        w->spinning = true;
        nmspinning_.fetch_add(1, std::memory_order_acq_rel);
      }
      bool timers_ran = false;
      gp = steal_work(w, &timers_ran);
      if (gp) {
        reset_spinning(w);
        return gp;
      }
      if (timers_ran) continue;
    }

    idle_sleep(w);
  }
}

// idle_sleep: Go's "drop P, re-check everything, stopm". Returns when the
// worker should look for work again.
void sched::idle_sleep(worker* w) {
  {
    std::lock_guard<rt_mutex> lk(lock_);
    if (stopping_.load(std::memory_order_acquire)) return;
    if (globq_size_.load(std::memory_order_acquire) > 0) return;
    w->idle_next = idle_;
    idle_ = w;
    w->idle_listed.store(true, std::memory_order_relaxed);  // under lock_
    // acq_rel RMW: the rendezvous with wakep()'s RMW (see there).
    npidle_.fetch_add(1, std::memory_order_acq_rel);
  }
  if (w->spinning) {
    w->spinning = false;
    // acq_rel RMW: the rendezvous with wakep()'s RMW on nmspinning_.
    nmspinning_.fetch_sub(1, std::memory_order_acq_rel);
  }

  auto unlist = [this, w] {
    // Leave the idle list; if a waker already took us off it, it handed us
    // its nmspinning_ increment: we are spinning now.
    std::lock_guard<rt_mutex> lk(lock_);
    if (w->idle_listed.load(std::memory_order_relaxed)) {
      worker** pp = &idle_;
      while (*pp != w) pp = &(*pp)->idle_next;
      *pp = w->idle_next;
      w->idle_next = nullptr;
      w->idle_listed.store(false, std::memory_order_relaxed);
      npidle_.fetch_sub(1, std::memory_order_acq_rel);
    } else {
      w->spinning = true;
    }
  };

  // Re-check every queue now that we are visible as idle.
  if (!all_queues_empty() || stopping_.load(std::memory_order_acquire)) {
    unlist();
    return;
  }

  std::int64_t deadline = next_timer_deadline();
  std::int64_t now = deadline ? nanotime() : 0;
  if (deadline != 0 && deadline <= now) {
    unlist();
    // Fire every due timer (this worker's or a busy worker's).
    for (int i = 0; i < nworkers_; i++) {
      worker* v = &workers_[i];
      std::int64_t t = v->timers.when0();
      if (t != 0 && t <= now) v->timers.run(now);
    }
    return;
  }
  // No timer: maybe a deadlock. If only a thread outside the runtime keeps
  // it from being one, poll: that thread may block in gofer or exit
  // without any event reaching the workers.
  bool poll_dead = deadline == 0 && check_dead();
  if (poll_dead) {
    now = nanotime();
    deadline = now + kDeadPollNs;
  }

  // Excess pooled stacks: sleep at most kTrimDelayNs, then trim them.
  bool trim = false;
  if (ngfree_hint() > kGlobalFreeKeep) {
    if (now == 0) now = nanotime();
    if (deadline == 0 || deadline > now + kTrimDelayNs) {
      deadline = now + kTrimDelayNs;
      trim = true;
    }
  }

  struct epoll_event ev;
  int nev;
  if (deadline == 0) {
    nev = epoll_pwait2(w->epfd, &ev, 1, nullptr, nullptr);
  } else {
    std::int64_t d = std::max<std::int64_t>(deadline - now, 0);
    struct timespec ts {
      static_cast<time_t>(d / 1000000000), static_cast<long>(d % 1000000000)
    };
    nev = epoll_pwait2(w->epfd, &ev, 1, &ts, nullptr);
    if (nev < 0 && errno == ENOSYS)
      nev = epoll_wait(w->epfd, &ev, 1, static_cast<int>((d + 999999) / 1000000));
  }
  drain_eventfd(w);
  unlist();
  if (trim && nev == 0) trim_pool();  // timed out with nothing to do
}

// check_dead: Go's checkdead. Called by a worker about to sleep with no
// timer pending. Fatal if no fiber can ever run again; see
// docs/semantics.md "Deadlock detection" for the rule. Returns true when
// only a thread outside the runtime prevents the verdict (poll again).
bool sched::check_dead() {
  if (deadlock_detect_.load(std::memory_order_acquire) == 0) return false;
  if (live_runtimes() != 1) return false;  // another runtime's fibers could wake ours
  {
    std::lock_guard<rt_mutex> lk(lock_);
    if (npidle_.load(std::memory_order_acquire) != nworkers_) return false;
  }
  if (!all_queues_empty()) return false;
  if (next_timer_deadline() != 0) return false;
  if (num_goroutine() <= 0) return false;
  // Every other thread must be blocked inside gofer (or be a sanitizer's).
  int threads = count_process_threads();
  if (threads < 0) return false;
  int others =
      threads - nworkers_ - g_inert_threads - g_blocked_threads.load(std::memory_order_acquire);
  if (others > 0) return true;
  // Re-check after reading /proc (a slow read): still all idle, no work.
  {
    std::lock_guard<rt_mutex> lk(lock_);
    if (npidle_.load(std::memory_order_acquire) != nworkers_) return false;
  }
  if (!all_queues_empty() || next_timer_deadline() != 0) return false;
  std::fflush(stdout);
  std::fprintf(stderr,
               "fatal error: all goroutines are asleep - deadlock!\n\n"
               "%lld goroutine(s) parked, none runnable, no timer pending\n",
               static_cast<long long>(num_goroutine()));
  std::fflush(stderr);
  std::_Exit(2);
}

std::int64_t sched::num_goroutine() const noexcept {
  std::int64_t n = ext_goroutines_.load(std::memory_order_relaxed);
  for (int i = 0; i < nworkers_; i++) n += workers_[i].ngoroutines.load(std::memory_order_relaxed);
  return n;
}

std::uint64_t sched::next_goid(worker* w) {
  // Go's goidcache: take ids 16 at a time to keep the counter uncontended.
  constexpr std::uint64_t kBatch = 16;
  if (w == nullptr) return goid_gen_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (w->goid_next == w->goid_end) {
    w->goid_next = goid_gen_.fetch_add(kBatch, std::memory_order_relaxed) + 1;
    w->goid_end = w->goid_next + kBatch;
  }
  return w->goid_next++;
}

// alloc_g: a fiber with a stack of at least `stack` usable bytes (Go's
// gfget, else malg). Any thread; w is the calling worker or null.
g* sched::alloc_g(worker* w, std::size_t stack) {
  const bool pooled = stack == stack_size_;
  if (pooled) {
    if (w) {
      if (w->free_.head == nullptr) {
        // Refill with one batch from the global pool (Go's gfget).
        std::lock_guard<rt_mutex> lk(free_lock_);
        w->free_ = gfree_.pop_newest();
        ngfree_.store(gfree_.n, std::memory_order_relaxed);  // relaxed: a hint
      }
      if (g* gp = w->free_.pop()) return gp;
    } else {
      gqueue b;
      {
        std::lock_guard<rt_mutex> lk(free_lock_);
        b = gfree_.pop_newest();
      }
      if (g* gp = b.pop()) {
        std::lock_guard<rt_mutex> lk(free_lock_);
        gfree_.push(b);
        ngfree_.store(gfree_.n, std::memory_order_relaxed);
        return gp;
      }
    }
  }
  // Map a new stack; the g sits at its top, above the usable range.
  stack_mem mem;
  if (pooled && w) {
    if (w->chunk_left == 0) {
      w->chunk_next = stack_reserve(stack + page_size(), kStackChunk);
      w->chunk_left = kStackChunk;
    }
    mem = stack_claim(w->chunk_next, stack + page_size());
    w->chunk_next += mem.map_size;
    w->chunk_left--;
  } else {
    mem = stack_alloc(stack + page_size());
  }
  auto top = reinterpret_cast<std::uintptr_t>(mem.lo + mem.size);
  auto* gp = ::new (reinterpret_cast<void*>((top - sizeof(g)) & ~std::uintptr_t{63})) g;
  gp->s = this;
  gp->stack = mem;
  gp->pooled_size = pooled;
  {
    std::lock_guard<rt_mutex> lk(all_lock_);
    gp->all_next = all_;
    if (all_) all_->all_prev = gp;
    all_ = gp;
  }
  return gp;
}

// free_g: return a dead fiber's g and stack to the pools (Go's gfput), or
// unmap it. Any worker (or a plain thread when spawn failed).
void sched::free_g(worker* w, g* gp) {
  fiber_destroy(gp->ctx);
  gp->status.store(gstatus::idle, std::memory_order_relaxed);
  gp->run = nullptr;
  gp->closure = nullptr;
  if (gp->pooled_size) {
    gqueue batch;
    if (w) {
      w->free_.push(gp);
      if (w->free_.n < kLocalFreeMax) return;
      // Hand the oldest batch to the global pool (Go's gfput); the walk
      // happens here, outside the lock.
      batch = w->free_.split_front(kFreeBatch);
    } else {
      batch.push(gp);
    }
    std::lock_guard<rt_mutex> lk(free_lock_);
    gfree_.push(batch);
    ngfree_.store(gfree_.n, std::memory_order_relaxed);  // relaxed: a hint
    return;
  }
  gp->link = nullptr;
  unmap_list(gp);
}

// trim_pool: unmap pooled stacks beyond kGlobalFreeKeep (idle workers).
void sched::trim_pool() {
  gqueue drop;
  {
    std::lock_guard<rt_mutex> lk(free_lock_);
    while (gfree_.n > kGlobalFreeKeep) {
      gqueue b = gfree_.pop_oldest();
      if (drop.tail)
        drop.tail->link = b.head;
      else
        drop.head = b.head;
      drop.tail = b.tail;
      drop.n += b.n;
    }
    ngfree_.store(gfree_.n, std::memory_order_relaxed);
  }
  unmap_list(drop.head);
}

// unmap_list: unmap every g of a free list linked through g::link.
void sched::unmap_list(g* gp) {
  while (gp) {
    g* next = gp->link;
    {
      std::lock_guard<rt_mutex> lk(all_lock_);
      if (gp->all_prev)
        gp->all_prev->all_next = gp->all_next;
      else
        all_ = gp->all_next;
      if (gp->all_next) gp->all_next->all_prev = gp->all_prev;
    }
    fiber_release(gp->ctx);
    stack_mem mem = gp->stack;
    gp->~g();
    stack_free(mem);
    gp = next;
  }
}

void sched::spawn(const spawn_options& opts, std::size_t size, std::size_t align,
                  void (*construct)(void*, void*), void* ctx, void (*run)(void*)) {
  worker* w = this_worker();
  if (w && w->s != this) w = nullptr;
  if (stopping_.load(std::memory_order_acquire)) {
    // A fiber of this runtime still running while it shuts down (after
    // gofer::run's main returned): as when Go's main returns, the new
    // goroutine would never run. Drop it quietly; the callable is not
    // even constructed. From outside, spawning on a dead runtime is a bug.
    if (w) return;
    throw_panic("gofer: go() on a runtime that is shut down");
  }
  std::size_t stack = stack_size_;
  if (opts.stack_size != 0) {
    const std::size_t ps = page_size();
    stack = (checked_stack_size(opts.stack_size, "gofer::go") + ps - 1) & ~(ps - 1);
    if (stack < 4 * ps) stack = 4 * ps;
  }
  g* gp = alloc_g(w, stack);

  // The closure goes right below the g; the fiber's frames below it.
  auto top = reinterpret_cast<std::uintptr_t>(gp);
  auto lo = reinterpret_cast<std::uintptr_t>(gp->stack.lo);
  std::uintptr_t c = (top - size) & ~(static_cast<std::uintptr_t>(align) - 1);
  if (size >= top - lo || c - lo < (top - lo) / 2) {
    free_g(w, gp);
    throw std::length_error("gofer::go: the callable and its arguments (" + std::to_string(size) +
                            " bytes) do not fit in half of the fiber's " +
                            std::to_string(top - lo) + "-byte stack; capture less by value");
  }
  try {
    construct(reinterpret_cast<void*>(c), ctx);
  } catch (...) {
    free_g(w, gp);
    throw;
  }
  gp->closure = reinterpret_cast<void*>(c);
  gp->run = run;
  gp->id = next_goid(w);
  gp->action = gaction::none;
  fiber_init(gp->ctx, gp->stack.lo, reinterpret_cast<void*>(c), &fiber_main);
  gp->status.store(gstatus::runnable, std::memory_order_relaxed);  // published by the queue
  if (w) {
    // Owner-only writer (readers sum all workers): no locked RMW needed.
    w->ngoroutines.store(w->ngoroutines.load(std::memory_order_relaxed) + 1,
                         std::memory_order_relaxed);
    runq_put(w, gp, /*next=*/true);
    if (npidle_.load(std::memory_order_relaxed) != 0 &&
        nmspinning_.load(std::memory_order_relaxed) == 0)
      wakep();
  } else {
    ext_goroutines_.fetch_add(1, std::memory_order_relaxed);
    global_put_batch(&gp, 1, nullptr);
    wakep();
  }
}

void sched::ready(g* gp) noexcept {
  gstatus expect = gstatus::waiting;
  // acq_rel: acquire pairs with execute()'s release store of waiting; the
  // release orders the waker's writes before the fiber runs (the queues
  // also publish it).
  if (!gp->status.compare_exchange_strong(expect, gstatus::runnable, std::memory_order_acq_rel,
                                          std::memory_order_relaxed)) {
    char msg[96];
    std::snprintf(msg, sizeof msg, "gofer: ready of goroutine %llu, which is not parked",
                  static_cast<unsigned long long>(gp->id));
    fatal(msg);
  }
  worker* w = this_worker();
  if (w && w->s == this) {
    runq_put(w, gp, /*next=*/true);
    // The readying worker will run gp itself if nobody steals it, so a
    // cheap racy check suffices here (Go's ready: wakep on the same terms).
    if (npidle_.load(std::memory_order_relaxed) != 0 &&
        nmspinning_.load(std::memory_order_relaxed) == 0)
      wakep();
  } else {
    global_put_batch(&gp, 1, nullptr);
    wakep();  // a plain thread: the full lost-wake-up protocol
  }
}

void sched::add_timer(timer* t, std::int64_t when) {
  worker* w = this_worker();
  const bool local = w && w->s == this;
  if (!local) w = &workers_[timer_rr_.fetch_add(1, std::memory_order_relaxed) % nworkers_];
  bool head = w->timers.add(t, when);
  // A new earliest timer: a sleeping worker may have armed a later timeout
  // (Go's wakeNetPoller). wakep makes one re-arm.
  if (head) {
    if (!local || npidle_.load(std::memory_order_relaxed) != 0) wakep();
  }
}

void sched::run_main(void (*fn)(void*), void* arg) {
  if (this_worker() != nullptr)
    throw_panic("gofer: Runtime::run called from a fiber; call it from a plain thread");
  struct main_state {
    void (*fn)(void*);
    void* arg;
    waiter done;
  } st{fn, arg, {}};
  st.done.init();
  deadlock_detect_.fetch_add(1, std::memory_order_acq_rel);
  try {
    spawn_callable(this, spawn_options{}, [&st] {
      st.fn(st.arg);
      wake(st.done);
    });
  } catch (...) {
    deadlock_detect_.fetch_sub(1, std::memory_order_acq_rel);
    throw;
  }
  block(st.done, nullptr, nullptr);
  deadlock_detect_.fetch_sub(1, std::memory_order_acq_rel);
}

void sched::shutdown() {
  if (worker* w = this_worker(); w && w->s == this)
    throw_panic("gofer: Runtime::Shutdown called from one of its own fibers");
  if (shut_) return;
  shut_ = true;
  stopping_.store(true, std::memory_order_seq_cst);
  for (int i = 0; i < nworkers_; i++) signal_worker(&workers_[i]);
  for (int i = 0; i < nworkers_; i++)
    if (workers_[i].thread.joinable()) workers_[i].thread.join();
  // Everything is quiet: drop timers, unmap every stack (pooled or
  // abandoned), close the workers' descriptors.
  for (int i = 0; i < nworkers_; i++) {
    worker* w = &workers_[i];
    w->timers.remove_all();
    delete w->ptok;
    delete w->ctok;
    w->ptok = nullptr;
    w->ctok = nullptr;
    ::close(w->epfd);
    ::close(w->evfd);
    w->free_ = gqueue{};
    stack_unreserve(w->chunk_next, w->chunk_left * stack_span(stack_size_ + page_size()));
    w->chunk_next = nullptr;
    w->chunk_left = 0;
  }
  g* dummy;
  while (globq_.try_dequeue(dummy)) {
  }
  gfree_ = gbatches{};
  ngfree_.store(0, std::memory_order_relaxed);
  g* gp = all_;
  all_ = nullptr;
  while (gp) {
    g* next = gp->all_next;
    if (gp->status.load(std::memory_order_relaxed) != gstatus::idle) fiber_destroy(gp->ctx);
    fiber_release(gp->ctx);
    stack_mem mem = gp->stack;
    gp->~g();
    stack_free(mem);
    gp = next;
  }
  g_live_runtimes.fetch_sub(1, std::memory_order_acq_rel);
}

}  // namespace gofer::detail
