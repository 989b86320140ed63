// sched.hpp — fibers (g), workers and the scheduler: the M:N core.
//
// Mirrors Go's runtime/proc.go (go1.19) with one simplification: a worker is
// a P and an M at once (gofer has no system calls to hand a P off around),
// so "worker" below means Go's P+M. Read proc.go's header comment
// ("Worker thread parking/unparking") first; this file follows it:
//
//   - Each worker owns a runq (runq.hpp: 256-slot ring + runnext). ready()
//     puts the readied fiber in the current worker's runnext, so a fiber
//     that wakes another and then blocks hands the worker straight to it.
//   - The global queue is a moodycamel ConcurrentQueue. Plain threads and
//     runq overflow feed it; workers poll it every 61 schedule ticks
//     (Go's fairness constant) and whenever their runq is empty.
//   - An out-of-work worker spins (steals from random victims, half of a
//     victim's ring at a time) while fewer than half the busy workers spin;
//     then it goes idle: it sleeps in epoll_wait on its eventfd, with the
//     next timer of any worker as its timeout.
//   - wakep() wakes one idle worker when work is submitted and nobody is
//     spinning; a spinning worker that finds work wakes another
//     (resetspinning), so parallelism ramps up without thundering herds.
//
// No lost wake-ups (Go's argument, unchanged): a submitter publishes work,
// then checks nmspinning/npidle; a worker going idle first publishes
// npidle++ (and nmspinning--), then re-checks every queue. Both sides use
// seq_cst read-modify-writes on npidle_/nmspinning_ (full barriers), so at
// least one of them sees the other.
//
// Invariants:
//   - A fiber is in at most one of: running on a worker, a runq, the global
//     queue, a wait queue (parked), a free pool.
//   - g::status goes idle -> runnable -> running -> (waiting -> runnable ->
//     running)* -> dead; ready() CASes waiting -> runnable and fails loudly
//     on anything else (a double ready is a runtime bug, not a user error).
//   - npidle_ == number of workers on the idle list; guarded by lock_ for
//     writes, read lock-free.
//
// Lock order (lock_rank.hpp): sched::lock_ is a leaf; it is taken by
// wakep() from any context with no other runtime lock held.
#pragma once

#include <concurrentqueue.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "fiber.hpp"
#include "gofer/detail/park.hpp"
#include "gofer/detail/rt_mutex.hpp"
#include "gofer/detail/spawn.hpp"
#include "gofer/runtime.hpp"
#include "runq.hpp"
#include "stack.hpp"
#include "timers.hpp"

namespace gofer::detail {

class sched;
struct worker;

enum class gstatus : std::uint32_t { idle, runnable, running, waiting, dead };

// What a fiber asks its scheduler to do once it is off its stack.
enum class gaction : std::uint8_t { none, park, yield, exit };

// g: a fiber's control block. It lives at the top of the fiber's own stack
// mapping and is reused with it (free pools), like Go's g and its stack.
struct alignas(64) g {
  // Hot: touched by every spawn, switch and park (first cache lines).
  fiber_ctx ctx;        // switch state (fiber.hpp)
  worker* w = nullptr;  // worker running it; valid while running
  std::atomic<gstatus> status{gstatus::idle};
  gaction action = gaction::none;  // written by the fiber before switch_out
  bool pooled_size = false;        // stack.size is the runtime default
  unlock_fn unlock = nullptr;      // park's callback, for the scheduler
  void* unlock_arg = nullptr;
  void (*run)(void*) = nullptr;  // the closure's entry point
  void* closure = nullptr;       // on this stack, just below the g
  sched* s = nullptr;            // owning runtime (fixed)
  std::uint64_t id = 0;          // Go-style goroutine id
  g* link = nullptr;             // free-pool / batch link
  // Cold: touched when the stack is mapped, unmapped or overflows, or when
  // this g heads a batch of the global free pool (gbatches).
  g* batch_next = nullptr;  // the next newer batch's head
  g* batch_prev = nullptr;  // the next older batch's head
  g* batch_tail = nullptr;
  int batch_n = 0;
  stack_mem stack;        // the mapping this g lives in
  g* all_prev = nullptr;  // registry of every mapped g (s->all_lock_)
  g* all_next = nullptr;
};

// gqueue: a FIFO of free gs linked through g::link. FIFO, not Go's LIFO:
// stacks are then reused in the order they were last used, which keeps a
// burst of spawns walking memory in the same (mostly ascending) order each
// time; with LIFO the order scrambled a little more on every burst and
// spawn+join of 10,000 fibers slowed down 3x over 30 bursts (measured).
struct gqueue {
  g* head = nullptr;
  g* tail = nullptr;
  int n = 0;
  void push(g* gp) noexcept {
    gp->link = nullptr;
    if (tail)
      tail->link = gp;
    else
      head = gp;
    tail = gp;
    n++;
  }
  g* pop() noexcept {
    g* gp = head;
    if (!gp) return nullptr;
    head = gp->link;
    if (!head) tail = nullptr;
    gp->link = nullptr;
    n--;
    return gp;
  }
  // split_front detaches the first k gs (k < n) as a queue of their own.
  gqueue split_front(int k) noexcept {
    gqueue front;
    front.head = head;
    g* last = head;
    for (int i = 1; i < k; i++) last = last->link;
    head = last->link;
    last->link = nullptr;
    front.tail = last;
    front.n = k;
    n -= k;
    return front;
  }
};

// gbatches: the global free pool, a list of whole gqueues, newest last.
// Moving a batch in or out is O(1), so free_lock_ is never held while
// walking cold gs (the walk used to run under the lock and made it
// contended: strace showed ~125 futex sleeps per 100,000-fiber burst).
// Allocation takes the newest batch (pop_newest: LIFO across batches, like
// Go's sched.gFree), trimming drops the oldest (pop_oldest). Inside a batch
// the order stays FIFO (see gqueue). Taking the oldest batch instead handed
// out the coldest stacks there were: in skynet, whose ~60,000 live fibers
// come and go on both workers, nearly every allocation refilled from the
// global pool, and the first touch of each g was ~27% of the run (perf:
// the load of g::link in alloc_g); newest-first took the timed run from
// ~400 to ~230 ms. Bursts of spawn+join (the reason for FIFO, above) kept
// their speed over 60 bursts of 10,000 and of 100,000.
struct gbatches {
  g* first = nullptr;  // head g of the oldest batch
  g* last = nullptr;   // head g of the newest batch
  int n = 0;           // gs in all batches
  void push(gqueue b) noexcept {
    if (b.n == 0) return;
    b.head->batch_next = nullptr;
    b.head->batch_prev = last;
    b.head->batch_tail = b.tail;
    b.head->batch_n = b.n;
    if (last)
      last->batch_next = b.head;
    else
      first = b.head;
    last = b.head;
    n += b.n;
  }
  gqueue take(g* h) noexcept {
    gqueue b;
    b.head = h;
    b.tail = h->batch_tail;
    b.n = h->batch_n;
    h->batch_next = h->batch_prev = h->batch_tail = nullptr;
    n -= b.n;
    return b;
  }
  gqueue pop_oldest() noexcept {
    g* h = first;
    if (!h) return gqueue{};
    first = h->batch_next;
    if (first)
      first->batch_prev = nullptr;
    else
      last = nullptr;
    return take(h);
  }
  gqueue pop_newest() noexcept {
    g* h = last;
    if (!h) return gqueue{};
    last = h->batch_prev;
    if (last)
      last->batch_next = nullptr;
    else
      first = nullptr;
    return take(h);
  }
};

// worker: Go's P and M in one. Fields without a note are owner-only.
struct alignas(64) worker {
  sched* s = nullptr;
  int id = 0;
  runq q;
  timer_heap timers;                 // any thread (own lock)
  sched_ctx sctx;                    // this thread's scheduler context
  g* cur = nullptr;                  // running fiber (owner; read by thieves' heuristics)
  std::atomic<bool> running{false};  // running a fiber (thieves' runnext backoff)
  std::uint32_t schedtick = 0;
  // Time slice of runnext hand-offs (see sched::local_get): how many fibers
  // in a row came from runnext, and when the check after kSliceCheckEvery
  // of them started the slice's clock (0: not yet).
  std::uint32_t inherit_streak = 0;
  std::int64_t slice_start = 0;
  std::uint64_t rng = 0;  // fastrand state
  bool spinning = false;
  std::atomic<bool> idle_listed{false};       // on s->idle_ (guarded by s->lock_ for writes)
  worker* idle_next = nullptr;                // guarded by s->lock_
  std::atomic<std::int64_t> ngoroutines{0};   // spawned here minus exited here
  gqueue free_;                               // local free pool (Go's p.gFree)
  char* chunk_next = nullptr;  // next unclaimed stack of the last stack_reserve
  std::size_t chunk_left = 0;  // unclaimed stacks left there (kStackChunk)
  std::uint64_t goid_next = 0, goid_end = 0;  // Go's goidcache
  int epfd = -1, evfd = -1;
  moodycamel::ProducerToken* ptok = nullptr;
  moodycamel::ConsumerToken* ctok = nullptr;
  std::thread thread;
};

class sched {
 public:
  explicit sched(const Runtime::Options& opts);
  ~sched();

  // spawn a fiber (see detail::spawn). Any thread.
  void spawn(const spawn_options& opts, std::size_t size, std::size_t align,
             void (*construct)(void*, void*), void* ctx, void (*run)(void*));

  // ready: make gp runnable (Go's goready): runnext of the current worker if
  // the caller is one of ours, else the global queue. Any thread.
  void ready(g* gp) noexcept;

  // add_timer: queue t on the current worker's heap (any worker's from a
  // plain thread) and wake a sleeper if it must re-arm its timeout.
  void add_timer(timer* t, std::int64_t when);

  void shutdown();  // Runtime::Shutdown
  int nworkers() const noexcept { return nworkers_; }
  std::int64_t num_goroutine() const noexcept;
  std::size_t default_stack() const noexcept { return stack_size_; }
  // others_running: some other worker is running a fiber (Go's canSpin
  // test gomaxprocs > npidle + nmspinning + 1).
  bool others_running() const noexcept {
    return nworkers_ > npidle_.load(std::memory_order_relaxed) +
                           nmspinning_.load(std::memory_order_relaxed) + 1;
  }

  // yield_finds_nothing: a Gosched on worker w now would run the caller
  // again at once, so it may return without switching. True when w's own
  // queue (runnext and ring) is empty, the global queue is empty, and w has
  // no timer. Go's Gosched puts the goroutine on the global queue and its P
  // takes it straight back in that case (findRunnable looks at the local
  // queue, then the global one, before stealing); this skips the two
  // switches. Owner only. The loads are relaxed or acquire snapshots: a
  // fiber made runnable concurrently (by another worker, into the global
  // queue) is seen at this fiber's next yield, park or exit, as it would be
  // if it had arrived a moment later.
  bool yield_finds_nothing(const worker* w) const noexcept;

  // run_main: Runtime::run.
  void run_main(void (*fn)(void*), void* arg);

  // leave: the running fiber cur gives up worker w (park, yield, exit).
  // Fiber side; see sched.cpp.
  void leave(worker* w, g* cur, gaction act);
  bool after_switch(worker* w, g* gp, bool direct);

  // Worker entry and loop.
  void worker_main(worker* w);

 private:
  g* alloc_g(worker* w, std::size_t stack);
  void free_g(worker* w, g* gp);
  void trim_pool();
  void unmap_list(g* gp);
  int ngfree_hint() const noexcept {
    return ngfree_.load(std::memory_order_relaxed);  // relaxed: a heuristic
  }
  void schedule(worker* w);
  g* find_runnable(worker* w);
  g* steal_work(worker* w, bool* timers_ran);
  g* global_get(worker* w, bool batch);
  g* local_get(worker* w);
  void global_put_batch(g** batch, std::uint32_t n, worker* w);
  void runq_put(worker* w, g* gp, bool next);
  void execute(worker* w, g* gp);
  void wakep();
  void reset_spinning(worker* w);
  void idle_sleep(worker* w);
  void signal_worker(worker* w);
  void drain_eventfd(worker* w);
  int run_timers(worker* w, std::int64_t now);
  std::int64_t next_timer_deadline() const noexcept;
  bool all_queues_empty() const noexcept;
  bool check_dead();
  std::uint64_t next_goid(worker* w);

  const int nworkers_;
  const std::size_t stack_size_;
  std::unique_ptr<worker[]> workers_;

  moodycamel::ConcurrentQueue<g*> globq_;
  std::atomic<std::int64_t> globq_size_{0};  // approximate, for cheap checks

  rt_mutex lock_;               // the idle list (Go's sched.lock)
  worker* idle_ = nullptr;      // Guarded by lock_.
  std::atomic<int> npidle_{0};  // written under lock_
  std::atomic<int> nmspinning_{0};

  std::atomic<bool> stopping_{false};
  std::atomic<int> deadlock_detect_{0};          // > 0 while a run() is active
  std::atomic<std::int64_t> ext_goroutines_{0};  // spawned from plain threads
  std::atomic<std::uint64_t> goid_gen_{0};
  std::atomic<std::uint32_t> timer_rr_{0};  // round robin for plain-thread timers

  // Free fibers shared by all workers (Go's sched.gFree). Guarded by
  // free_lock_.
  rt_mutex free_lock_;
  gbatches gfree_;
  std::atomic<int> ngfree_{0};  // gfree_.n, readable without the lock

  // Every g whose stack is mapped, for Shutdown (Go's allgs). Guarded by
  // all_lock_; touched only when a stack is mapped or unmapped.
  rt_mutex all_lock_;
  g* all_ = nullptr;

  bool shut_ = false;
};

// this_worker: the worker the calling thread is, or nullptr. Never inlined:
// a fiber must re-read it after every switch (it may have migrated).
GOFER_NOINLINE worker* this_worker() noexcept;

// can_spin: Go's sync_runtime_canSpin: spinning on a sync primitive is
// worth it (multicore, other workers busy, our runq empty) at iteration iter.
bool can_spin(int iter) noexcept;
// do_spin: Go's procyield(30).
void do_spin() noexcept;
// go_yield: put the running fiber at the tail of its worker's runq and
// switch (Go's goyield / Gosched). On a plain thread: sched_yield.
void go_yield() noexcept;

// default_worker_count: GOMAXPROCS from the environment, else NumCPU.
int default_worker_count() noexcept;

// live_runtimes: how many sched objects exist (deadlock detection).
int live_runtimes() noexcept;

// blocked_threads: plain threads blocked in a gofer primitive right now.
std::atomic<int>& blocked_threads() noexcept;

}  // namespace gofer::detail
