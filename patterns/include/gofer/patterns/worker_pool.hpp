// gofer/patterns/worker_pool.hpp — the Worker Pool pattern: a fixed (and
// resizable) number of worker fibers taking jobs from one bounded queue.
//
// Port of the WorkerPool of the seed article (shared/seeds/
// 000_93dc988236682126.txt, "Go并发模式：7种让代码坚不可摧的策略", section 1
// and "最佳实践总结"), keeping its API and Go's names:
//
//   pool := NewWorkerPool(5, 100)        auto pool = patterns::NewWorkerPool(5, 100, handler);
//   pool.Start(ctx)                      pool->Start(ctx);
//   defer pool.Close()                   GOFER_DEFER(pool->Close());
//   err := pool.Submit(Job{ID: i})       error err = pool->Submit(patterns::Job{.ID = i});
//   err := pool.Shutdown(ctx)            error err = pool->Shutdown(ctx);
//   m := pool.GetMetrics()               patterns::Metrics m = pool->GetMetrics();
//
// What the port adds or fixes (docs/patterns.md, "Worker Pool"):
//   - A job does real work: it runs its own Fn, or the pool's Handler. Each
//     job's outcome (its error, or why it did not run) reaches the job's
//     OnResult and the pool's OnResult, and the metrics.
//   - Submit after Close returns ErrPoolClosed (the article panics: send on
//     closed channel); Close and Shutdown may be called any number of times;
//     Start twice returns ErrPoolStarted; Submit before Start queues.
//   - Cancelling the pool's ctx loses no accepted job: a job that has not
//     started when ctx is done is reported as not run (ErrJobNotRun wrapping
//     ctx.Err()) instead of being dropped with the queue (the article).
//   - Shutdown(ctx) waits until every accepted job is accounted for, or ctx
//     is done; Resize(n) changes the number of workers at run time;
//     SubmitWait(ctx, job) blocks while the queue is full (backpressure).
//   - An exception thrown by a job becomes that job's error (ErrJobPanicked,
//     JobResult::Panic holds the exception) instead of ending the process.
//
// Lifecycle: open (Submit accepted; workers run once Start is called) →
// closing (intake stopped by Close/Shutdown, by the pool's ctx being done,
// or by the last handle going away; queued jobs still drain) → done (every
// accepted job accounted for, every worker exited; Close returns).
//
// Invariants:
//   - Every accepted job (Submit/SubmitWait returned nil) is accounted for
//     exactly once: run by a worker, or reported as not run (ErrJobNotRun)
//     by a worker (the pool's ctx was done when the job came up) or by the
//     finisher (no worker was left to run it). Its callbacks run once.
//   - jobs_ is closed only with intake_ held for writing, after accepting_
//     became false; Submit/SubmitWait send only with intake_ held for
//     reading and accepting_ true. So nothing is ever sent on a closed
//     jobs_, and once jobs_ is closed no job can enter it.
//   - closing_ (under mu_) implies jobs_ is closed: stop_intake sets it and
//     closes jobs_ in one mu_ critical section.
//   - Exactly one party is the finisher: stop_intake if it found live_ == 0,
//     else the worker whose exit took live_ to 0 with closing_ set. Both
//     decide under mu_, and no worker starts once closing_ is set. The
//     finisher reports what is left in jobs_ and then closes done_.
//   - A slot is run by at most one worker at a time (running_, under mu_),
//     and its counters are written only by that worker.
//
// Lock order: mu_ before intake_ (stop_intake holds mu_ while it waits for
// intake_'s write lock), then channel and context locks. Both are gofer
// sync locks (rank 10 in runtime/src/lock_rank.hpp); nobody holds a
// std::mutex across a park. No callback (Handler, Fn, OnResult,
// OnWorkerStop) runs with mu_ or intake_ held, so callbacks may call any
// method of the pool except Close (see below).
//
// Thread safety: every method may be called from any fiber or plain thread
// concurrently. Workers are fibers of the runtime of the fiber that calls
// Start or Resize (the default runtime from a plain thread). Close, and
// Shutdown until its ctx is done, wait for the workers: calling them from a
// job of the same pool waits for that job itself (Go's wg.Wait inside a
// worker deadlocks the same way). A job that SubmitWaits into its own full
// pool can wait for ever as well, as in Go.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "gofer/chan.hpp"
#include "gofer/context.hpp"
#include "gofer/errors.hpp"
#include "gofer/fmt.hpp"
#include "gofer/go.hpp"
#include "gofer/panic.hpp"
#include "gofer/runtime.hpp"
#include "gofer/select.hpp"
#include "gofer/sync/mutex.hpp"
#include "gofer/sync/rwmutex.hpp"
#include "gofer/time.hpp"

namespace gofer::patterns {

namespace detail_pool {
// The sentinels live in function-local statics so that every translation
// unit, and a static initialiser of any of them, sees the same error value
// (the pattern of context::Canceled).
inline const error& err_queue_full() {
  static const error e = errors::New("任务队列已满");  // the article's text
  return e;
}
inline const error& err_pool_closed() {
  static const error e = errors::New("worker pool closed");
  return e;
}
inline const error& err_pool_started() {
  static const error e = errors::New("worker pool already started");
  return e;
}
inline const error& err_no_handler() {
  static const error e = errors::New("worker pool: job has no Fn and the pool has no Handler");
  return e;
}
inline const error& err_job_panicked() {
  static const error e = errors::New("job panicked");
  return e;
}
inline const error& err_job_not_run() {
  static const error e = errors::New("job not run");
  return e;
}
inline const error& err_worker_removed() {
  static const error e = errors::New("worker removed by Resize");
  return e;
}
inline const error& err_bad_worker_count() {
  static const error e = errors::New("worker pool: negative worker count");
  return e;
}
}  // namespace detail_pool

// ErrQueueFull: Submit found the queue full (the article's "任务队列已满").
inline const error ErrQueueFull = detail_pool::err_queue_full();
// ErrPoolClosed: intake has stopped (Close, Shutdown, or the pool's ctx is
// done; then the error also wraps ctx.Err()).
inline const error ErrPoolClosed = detail_pool::err_pool_closed();
// ErrPoolStarted: Start was called a second time (it does nothing).
inline const error ErrPoolStarted = detail_pool::err_pool_started();
// ErrNoHandler: a job without Fn submitted to a pool without Handler.
inline const error ErrNoHandler = detail_pool::err_no_handler();
// ErrJobPanicked: wrapped by the error of a job that threw.
inline const error ErrJobPanicked = detail_pool::err_job_panicked();
// ErrJobNotRun: wrapped (with the cause) by the error of an accepted job
// that was not run.
inline const error ErrJobNotRun = detail_pool::err_job_not_run();
// ErrWorkerRemoved: the reason given to OnWorkerStop for a worker that
// Resize removed.
inline const error ErrWorkerRemoved = detail_pool::err_worker_removed();
// ErrBadWorkerCount: Resize with a negative count.
inline const error ErrBadWorkerCount = detail_pool::err_bad_worker_count();

struct Job;

// JobResult: what became of one job.
struct JobResult {
  // Err: nil if the job ran and succeeded; the job's error if it ran and
  // failed (ErrJobPanicked wrapped with the exception's what() if it
  // threw); ErrJobNotRun wrapping the cause (ctx.Err(), or ErrPoolClosed
  // when no worker was left) if it did not run.
  error Err{};
  bool Ran = false;            // the job's Fn or the Handler was called
  int Worker = -1;             // the worker that ran or reported it; -1: none
  time::Duration Latency{0};   // how long the job ran (0 if it did not)
  std::exception_ptr Panic{};  // the exception the job threw, if it did
};

// JobFunc: a job's own work. ctx is the pool's (Start's) context.
using JobFunc = std::function<error(const context::Context& ctx)>;
// JobHandler: the pool's work for jobs without Fn (the article's worker
// body). worker is the id of the worker running it.
using JobHandler = std::function<error(const context::Context& ctx, int worker, const Job& job)>;
// ResultFunc: called once per accepted job, on the worker (or the fiber
// that finished the pool), after the metrics count it. It must not throw:
// an exception escaping it escapes a fiber, which ends the process as an
// unrecovered Go panic does.
using ResultFunc = std::function<void(const Job& job, const JobResult& result)>;
// WorkerStopFunc: called as a worker exits. reason: nil when the queue was
// closed and drained (the article's "正在关闭"), the pool's ctx.Err() when
// ctx was done by then (its "上下文已取消"), ErrWorkerRemoved for Resize.
using WorkerStopFunc = std::function<void(int worker, const error& reason)>;

// Job: the article's Job{ID, Data}, plus the work and a per-job result
// callback. A job with Fn runs Fn(ctx); one without runs the pool's
// Handler. Moving a Job allocates nothing; Fn and OnResult cost what
// std::function costs (no allocation for small captures).
//
// The members have default initialisers ({}) so that designated
// initialisers (Job{.ID = i}) do not trip GCC 12's -Wmissing-field-
// initializers.
struct Job {
  int ID = 0;
  std::string Data{};
  JobFunc Fn{};           // optional: the job's own work (takes precedence over Handler)
  ResultFunc OnResult{};  // optional: this job's result (before the pool's OnResult)
};

// Metrics: the article's Metrics (best practice 2), plus three counters.
// A snapshot: each field is read atomically, the set is not; all are exact
// once the pool is done (Close or Shutdown returned nil), and a job's
// counts are in before its OnResult callbacks run.
struct Metrics {
  std::int64_t ProcessedJobs = 0;    // jobs that ran (succeeded or failed)
  std::int64_t FailedJobs = 0;       // jobs that ran and returned an error or threw
  time::Duration AverageLatency{0};  // mean run time of the ProcessedJobs
  int ActiveWorkers = 0;             // workers running a job right now
  // Additions:
  std::int64_t CanceledJobs = 0;  // accepted jobs reported as not run
  int Workers = 0;                // worker fibers alive (removed ones until they exit)
  std::int64_t QueuedJobs = 0;    // jobs waiting in the queue
};

// WorkerPoolConfig: everything NewWorkerPool can be given.
struct WorkerPoolConfig {
  int Workers = 0;    // worker fibers Start starts (>= 0; 0: paused until Resize)
  int QueueSize = 0;  // queue capacity (>= 0; 0: Submit succeeds only if a worker is idle)
  JobHandler Handler{};
  ResultFunc OnResult{};
  WorkerStopFunc OnWorkerStop{};
};

// DefaultWorkerPoolConfig: the article's tuning advice (best practice 1):
// runtime::NumCPU() * 2 workers and a queue ten times that.
inline WorkerPoolConfig DefaultWorkerPoolConfig() {
  WorkerPoolConfig c;
  c.Workers = runtime::NumCPU() * 2;
  c.QueueSize = c.Workers * 10;
  return c;
}

class WorkerPool;
std::shared_ptr<WorkerPool> NewWorkerPool(WorkerPoolConfig cfg);

class WorkerPool {
 public:
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // ~WorkerPool runs once the last handle and the last worker are gone.
  ~WorkerPool() {
    if (watch_) watch_();
  }

  // Start starts the workers with ctx as the context of every job (the
  // article's Start). Jobs submitted before are in the queue and run now.
  // When ctx is done, intake stops (Submit returns ErrPoolClosed wrapping
  // ctx.Err()) and the jobs that have not started are reported as not run.
  // Returns ErrPoolStarted on a second call, the closing error after Close.
  // Any fiber or thread; may park briefly (mu_).
  error Start(const context::Context& ctx) {
    (void)ctx.Done();  // a nil ctx panics here, before anything changes
    std::shared_ptr<WorkerPool> self = self_.lock();
    std::lock_guard<sync::Mutex> lk(mu_);
    if (closing_) return stop_err_;
    if (started_) return ErrPoolStarted;
    started_ = true;
    ctx_ = ctx;
    grow_locked(self, target_);
    watch_ = context::AfterFunc(ctx, [w = self_] {
      if (std::shared_ptr<WorkerPool> p = w.lock()) p->stop_intake(true);
    });
    return nil;
  }

  // Submit queues job without blocking (the article's Submit): nil, or
  // ErrQueueFull when the queue is full, ErrPoolClosed (possibly wrapping
  // the pool's ctx.Err()) once intake has stopped, ErrNoHandler. On an
  // error an rvalue job is left untouched, so it can be submitted again.
  // It may park only while Close is stopping intake (intake_'s write lock).
  error Submit(Job&& job) {
    if (!job.Fn && !handler_) return ErrNoHandler;
    std::shared_lock<sync::RWMutex> rl(intake_);
    if (!accepting_) return stop_err_;
    if (!jobs_.try_send(std::move(job))) return ErrQueueFull;
    return nil;
  }
  error Submit(const Job& job) {
    Job copy(job);
    return Submit(std::move(copy));
  }

  // SubmitWait queues job, parking while the queue is full (backpressure):
  // nil once queued; ctx.Err() if ctx is done first (also when it already
  // is on entry); ErrPoolClosed (possibly wrapping the pool's ctx.Err())
  // if intake stops first. On an error an rvalue job is left untouched.
  error SubmitWait(const context::Context& ctx, Job&& job) {
    if (!job.Fn && !handler_) return ErrNoHandler;
    if (error err = ctx.Err()) return err;
    std::shared_lock<sync::RWMutex> rl(intake_);
    if (!accepting_) return stop_err_;
    if (jobs_.try_send(std::move(job))) return nil;
    // Park holding the read lock: stop_intake closes intake_closed_ before
    // it asks for the write lock, which wakes this select.
    const recv_chan<empty> ctx_done = ctx.Done();
    empty e1, e2;
    std::array<select_case, 3> cases = {select_case::send(jobs_, &job),
                                        select_case::recv(ctx_done, &e1),
                                        select_case::recv(intake_closed_, &e2)};
    switch (gofer::select(cases)) {
      case 0:
        return nil;
      case 1:
        return ctx.Err();
      default:
        return stop_err_;  // written before intake_closed_ was closed
    }
  }
  error SubmitWait(const context::Context& ctx, const Job& job) {
    Job copy(job);
    return SubmitWait(ctx, std::move(copy));
  }

  // Close stops intake and waits until every accepted job has been run (or
  // reported as not run, if the pool's ctx is done or no worker is left)
  // and every worker has exited (the article's close(jobQueue); wg.Wait()).
  // Safe to call again, and after Shutdown. Parks.
  void Close() {
    stop_intake(false);
    done_.recv();  // closed by the finisher
  }

  // Shutdown is Close bounded by ctx (best practice 3): nil once every
  // accepted job is accounted for, else ctx.Err() when ctx is done first;
  // the queued jobs keep draining in the background then, and a later
  // Close or Shutdown waits for them. Parks.
  error Shutdown(const context::Context& ctx) {
    stop_intake(false);
    empty e;
    if (done_.try_recv(e)) return nil;
    bool finished = false;
    gofer::select(recv(done_, [&] { finished = true; }), recv(ctx.Done(), [] {}));
    if (finished || done_.try_recv(e)) return nil;
    return ctx.Err();
  }

  // Resize sets the number of workers to n (what the article lists as
  // missing). Before Start it sets how many Start starts. Growing starts
  // workers at once; shrinking makes the removed workers exit after their
  // current job (it does not wait for them: Metrics::Workers counts them
  // until they are gone). Returns ErrBadWorkerCount for n < 0, the closing
  // error once intake has stopped. Any fiber or thread, also a job.
  error Resize(int n) {
    if (n < 0) return ErrBadWorkerCount;
    std::shared_ptr<WorkerPool> self = self_.lock();
    std::lock_guard<sync::Mutex> lk(mu_);
    if (closing_) return stop_err_;
    target_ = n;
    if (!started_) return nil;
    int active = 0;
    for (const auto& s : slots_) active += (s->running && !s->stopping) ? 1 : 0;
    if (n > active) grow_locked(self, n - active);
    if (n < active) shrink_locked(active - n);
    return nil;
  }

  // GetMetrics returns a snapshot of the metrics (see Metrics).
  Metrics GetMetrics() const {
    Metrics m;
    std::int64_t latency_ns = 0;
    std::lock_guard<sync::Mutex> lk(mu_);
    for (const auto& s : slots_) {
      // relaxed: each counter has a single writer; a snapshot needs no order.
      m.ProcessedJobs += s->processed.load(std::memory_order_relaxed);
      m.FailedJobs += s->failed.load(std::memory_order_relaxed);
      m.CanceledJobs += s->not_run.load(std::memory_order_relaxed);
      latency_ns += s->latency_ns.load(std::memory_order_relaxed);
      m.ActiveWorkers += s->busy.load(std::memory_order_relaxed) ? 1 : 0;
    }
    m.CanceledJobs += finisher_not_run_.load(std::memory_order_relaxed);
    if (m.ProcessedJobs > 0) m.AverageLatency = time::Duration(latency_ns / m.ProcessedJobs);
    m.Workers = live_;
    m.QueuedJobs = static_cast<std::int64_t>(len(jobs_));
    return m;
  }

  // WorkerCount: the number of workers asked for (NewWorkerPool, Resize).
  int WorkerCount() const {
    std::lock_guard<sync::Mutex> lk(mu_);
    return target_;
  }
  // QueueSize: the queue's capacity.
  int QueueSize() const { return static_cast<int>(cap(jobs_)); }

 private:
  friend std::shared_ptr<WorkerPool> NewWorkerPool(WorkerPoolConfig cfg);

  // slot: one worker position (its id is its index in slots_). Reused by a
  // new worker once its previous worker has exited; never freed before the
  // pool, so counters of exited workers stay in the totals.
  struct alignas(64) slot {
    bool running = false;   // a worker owns the slot. Guarded by mu_.
    bool stopping = false;  // Resize removed that worker. Guarded by mu_.
    chan<empty> quit;       // closed by Resize to wake the worker. Guarded by mu_.
    // stop: set (release, under mu_) by Resize, read (acquire) by the
    // worker before each job; closing quit wakes it if it is parked.
    std::atomic<bool> stop{false};
    // Written only by the slot's worker (load + store, no read-modify-
    // write); read by GetMetrics. A new owner continues them: the previous
    // owner's exit and the new one's start are ordered by mu_.
    std::atomic<std::int64_t> processed{0};
    std::atomic<std::int64_t> failed{0};
    std::atomic<std::int64_t> not_run{0};
    std::atomic<std::int64_t> latency_ns{0};
    std::atomic<bool> busy{false};
  };

  explicit WorkerPool(WorkerPoolConfig cfg)
      : handler_(std::move(cfg.Handler)),
        on_result_(std::move(cfg.OnResult)),
        on_stop_(std::move(cfg.OnWorkerStop)),
        jobs_(make_chan<Job>(cfg.QueueSize)),
        intake_closed_(make_chan<empty>(0)),
        done_(make_chan<empty>(0)),
        target_(cfg.Workers) {}

  // bump adds d to a counter that only the calling worker writes.
  static void bump(std::atomic<std::int64_t>& c, std::int64_t d = 1) {
    // relaxed: single writer; readers want a snapshot (see slot).
    c.store(c.load(std::memory_order_relaxed) + d, std::memory_order_relaxed);
  }

  // grow_locked starts n workers, each in the lowest free slot. mu_ held;
  // started_ and !closing_.
  void grow_locked(const std::shared_ptr<WorkerPool>& self, int n) {
    for (int k = 0; k < n; k++) {
      std::size_t i = 0;
      while (i < slots_.size() && slots_[i]->running) i++;
      if (i == slots_.size()) slots_.push_back(std::make_unique<slot>());
      slot* s = slots_[i].get();
      s->running = true;
      s->stopping = false;
      s->quit = make_chan<empty>(0);
      s->stop.store(false, std::memory_order_relaxed);  // relaxed: go() publishes it
      live_++;
      gofer::go([self, s, id = static_cast<int>(i), quit = s->quit, ctx = ctx_] {
        self->worker(*s, id, quit, ctx);
      });
    }
  }

  // shrink_locked tells the n highest-numbered running workers to exit.
  // mu_ held.
  void shrink_locked(int n) {
    for (std::size_t i = slots_.size(); i-- > 0 && n > 0;) {
      slot& s = *slots_[i];
      if (!s.running || s.stopping) continue;
      s.stopping = true;
      s.stop.store(true, std::memory_order_release);  // pairs with the worker's acquire
      close(s.quit);
      n--;
    }
  }

  // stop_intake is the one way intake stops: Close/Shutdown (from_ctx
  // false), the ctx watcher (true), the last handle going away. Idempotent.
  // Parks (mu_, then intake_'s write lock, which waits for the Submits in
  // progress). Called without mu_ and intake_ held.
  void stop_intake(bool from_ctx) {
    bool finisher = false;
    {
      std::lock_guard<sync::Mutex> lk(mu_);
      if (closing_) return;
      closing_ = true;
      error cause = from_ctx ? ctx_.Err() : nil;
      stop_err_ = cause ? fmt::Errorf("%w: %w", ErrPoolClosed, cause) : ErrPoolClosed;
      close(intake_closed_);  // wakes SubmitWait callers parked on a full queue
      {
        std::lock_guard<sync::RWMutex> wl(intake_);
        accepting_ = false;
        close(jobs_);  // workers drain it, then exit
      }
      finisher = live_ == 0;
    }
    if (finisher) finish();
  }

  // finish: the finisher's part (see Invariants): report the jobs no worker
  // is left to run, release the ctx registration, close done_.
  void finish() {
    error not_run;
    for (;;) {
      auto [job, ok] = jobs_.recv2();  // closed: never parks
      if (!ok) break;
      if (!not_run) not_run = fmt::Errorf("%w: %w", ErrJobNotRun, stop_err_);
      finisher_not_run_.fetch_add(1, std::memory_order_relaxed);  // relaxed: a counter
      JobResult r;
      r.Err = not_run;
      report(job, r);
    }
    std::function<bool()> watch;
    {
      std::lock_guard<sync::Mutex> lk(mu_);
      watch = std::move(watch_);
      watch_ = nullptr;
    }
    if (watch) watch();  // unregisters from ctx (and drops the stopper's ctx reference)
    close(done_);
  }

  void report(const Job& job, const JobResult& r) const {
    if (job.OnResult) job.OnResult(job, r);
    if (on_result_) on_result_(job, r);
  }

  // worker: the article's worker loop, on its own fiber. Takes jobs until
  // jobs_ is closed and drained, or Resize removes it.
  void worker(slot& s, int id, const chan<empty>& quit, const context::Context& ctx) {
    const recv_chan<empty> ctx_done = ctx.Done();
    error not_run;  // made once, on the first job this worker cannot run
    error reason;
    for (;;) {
      if (s.stop.load(std::memory_order_acquire)) {  // pairs with shrink_locked
        reason = ErrWorkerRemoved;
        break;
      }
      Job job;
      bool ok = false;
      if (!jobs_.try_recv(job, &ok)) {
        bool removed = false;
        gofer::select(recv(jobs_,
                           [&](Job&& j, bool k) {
                             job = std::move(j);
                             ok = k;
                           }),
                      recv(quit, [&] { removed = true; }));
        if (removed) {
          reason = ErrWorkerRemoved;
          break;
        }
      }
      if (!ok) {  // closed and drained
        reason = ctx.Err();
        break;
      }
      run_job(s, id, job, ctx, ctx_done, not_run);
    }  // job (its Fn and captures) is destroyed after its callbacks, each round
    if (on_stop_) on_stop_(id, reason);
    bool finisher = false;
    {
      std::lock_guard<sync::Mutex> lk(mu_);
      s.running = false;
      s.stopping = false;
      live_--;
      finisher = closing_ && live_ == 0;
    }
    if (finisher) finish();
  }

  // run_job runs one job on worker id, or reports it as not run when the
  // pool's ctx is already done, then counts it and calls its callbacks.
  void run_job(slot& s, int id, const Job& job, const context::Context& ctx,
               const recv_chan<empty>& ctx_done, error& not_run) {
    JobResult r;
    r.Worker = id;
    empty e;
    if (ctx_done.try_recv(e)) {  // nil for a ctx that is never done: false at once
      if (!not_run) not_run = fmt::Errorf("%w: %w", ErrJobNotRun, ctx.Err());
      r.Err = not_run;
      bump(s.not_run);
    } else {
      s.busy.store(true, std::memory_order_relaxed);  // relaxed: a gauge
      const auto t0 = std::chrono::steady_clock::now();
      try {
        r.Err = job.Fn ? job.Fn(ctx) : handler_(ctx, id, job);
      } catch (const std::exception& ex) {
        r.Panic = std::current_exception();
        r.Err = fmt::Errorf("%w: %s", ErrJobPanicked, ex.what());
      } catch (...) {
        r.Panic = std::current_exception();
        r.Err = fmt::Errorf("%w: unknown exception", ErrJobPanicked);
      }
      r.Latency = std::chrono::duration_cast<time::Duration>(std::chrono::steady_clock::now() - t0);
      r.Ran = true;
      s.busy.store(false, std::memory_order_relaxed);
      bump(s.processed);
      if (r.Err) bump(s.failed);
      bump(s.latency_ns, r.Latency.count());
    }
    report(job, r);
  }

  // Immutable after construction.
  const JobHandler handler_;
  const ResultFunc on_result_;
  const WorkerStopFunc on_stop_;
  const chan<Job> jobs_;             // the queue (the article's jobQueue)
  const chan<empty> intake_closed_;  // closed when intake starts to stop
  const chan<empty> done_;           // closed by the finisher
  std::weak_ptr<WorkerPool> self_;   // set by NewWorkerPool; workers hold self_.lock()

  mutable sync::Mutex mu_;
  bool started_ = false;                      // Guarded by mu_.
  bool closing_ = false;                      // Guarded by mu_.
  int target_ = 0;                            // workers asked for. Guarded by mu_.
  int live_ = 0;                              // worker fibers not yet exited. Guarded by mu_.
  context::Context ctx_;                      // Start's ctx. Guarded by mu_.
  std::function<bool()> watch_;               // stops the ctx watcher. Guarded by mu_.
  std::vector<std::unique_ptr<slot>> slots_;  // Guarded by mu_ (the vector; see slot).
  // stop_err_: what Submit returns once intake has stopped. Written once,
  // under mu_, before intake_closed_ and jobs_ are closed and accepting_
  // cleared; read under mu_, or after observing one of those.
  error stop_err_;

  sync::RWMutex intake_;   // Submit/SubmitWait read-lock it; stop_intake write-locks it
  bool accepting_ = true;  // Guarded by intake_.

  std::atomic<std::int64_t> finisher_not_run_{0};  // CanceledJobs counted by finish
};

// NewWorkerPool makes a pool from cfg (see WorkerPoolConfig). Negative
// Workers or QueueSize throw panic_error, as Go's make does for a negative
// channel size. The pool is not started.
//
// The handle is Go's *WorkerPool; copies share the pool. When the last
// handle goes away without Close, intake stops as if Close had been called
// but nothing waits: the workers still run the queued jobs and then exit.
inline std::shared_ptr<WorkerPool> NewWorkerPool(WorkerPoolConfig cfg) {
  if (cfg.Workers < 0) gofer::detail::throw_panic("patterns: NewWorkerPool: negative worker count");
  if (cfg.QueueSize < 0) gofer::detail::throw_panic("patterns: NewWorkerPool: negative queue size");
  // The core is owned by the workers (and the deleter below); the handle's
  // own count tells when the last user reference is gone.
  std::shared_ptr<WorkerPool> core(new WorkerPool(std::move(cfg)));
  core->self_ = core;
  WorkerPool* p = core.get();
  return std::shared_ptr<WorkerPool>(p, [core = std::move(core)](WorkerPool* q) mutable {
    q->stop_intake(false);
    core.reset();
  });
}

// NewWorkerPool(workerCount, queueSize): the article's constructor; jobs
// bring their work in Job::Fn.
inline std::shared_ptr<WorkerPool> NewWorkerPool(int workerCount, int queueSize) {
  WorkerPoolConfig cfg;
  cfg.Workers = workerCount;
  cfg.QueueSize = queueSize;
  return NewWorkerPool(std::move(cfg));
}

// NewWorkerPool(workerCount, queueSize, handler): jobs without Fn run
// handler (the article's worker body).
inline std::shared_ptr<WorkerPool> NewWorkerPool(int workerCount, int queueSize,
                                                 JobHandler handler) {
  WorkerPoolConfig cfg;
  cfg.Workers = workerCount;
  cfg.QueueSize = queueSize;
  cfg.Handler = std::move(handler);
  return NewWorkerPool(std::move(cfg));
}

}  // namespace gofer::patterns
