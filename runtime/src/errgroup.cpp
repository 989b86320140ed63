// errgroup.cpp — port of golang.org/x/sync/errgroup (errgroup.go).
// See gofer/errgroup.hpp.
//
// Invariants:
//   - Every fiber started by start() was counted by wg.Add(1) before it was
//     spawned and calls wg.Done() as its last access to the group, after it
//     has returned its slot to the `sem` channel it took the slot from.
//   - A fiber holds a slot of `sem` (one buffered token) from the send in
//     Go/TryGo to the receive in its epilogue; so len(sem) is the number of
//     active fibers under the current limit.
//   - err and panic only ever go from empty to set (first one wins).
#include "gofer/errgroup.hpp"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>

#include "gofer/go.hpp"
#include "gofer/panic.hpp"
#include "gofer/sync/mutex.hpp"
#include "gofer/sync/wait_group.hpp"

namespace gofer::errgroup {

namespace {

// what_of is the message of the exception in p.
std::string what_of(const std::exception_ptr& p) {
  try {
    std::rethrow_exception(p);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "exception of a type not derived from std::exception";
  }
}

}  // namespace

struct Group::state {
  // cancel: the CancelCauseFunc of WithContext's context, or empty. Set at
  // construction, read-only after.
  std::function<void(error)> cancel;
  sync::WaitGroup wg;
  // sem: the limit (Go's `sem chan token`), nil for no limit. Written only
  // by SetLimit, which must not run concurrently with Go/TryGo; each fiber
  // keeps the channel it took its slot from, so its epilogue never reads
  // this field.
  chan<empty> sem;

  sync::Mutex mu;
  error err;                 // Guarded by mu: the first non-nil error.
  std::exception_ptr panic;  // Guarded by mu: the first exception thrown.
  bool panic_seen = false;   // Guarded by mu: a Wait rethrew `panic`.

  state() = default;
  state(const state&) = delete;
  state& operator=(const state&) = delete;

  // ~state: the last handle is gone. An exception that no Wait rethrew would
  // be lost here: end the process as an unrecovered panic does. (Nothing
  // else can touch the state now, so mu is not needed.)
  ~state() {
    if (panic && !panic_seen) {
      std::fflush(stdout);
      std::fprintf(stderr,
                   "panic: %s [thrown by a function of an errgroup.Group whose Wait was never "
                   "called]\n",
                   what_of(panic).c_str());
      std::fflush(stderr);
      std::_Exit(2);
    }
  }

  // record_error: Go's errOnce.Do(func() { g.err = err; g.cancel(err) }).
  // The cancel runs under mu so that the context's cause is the error Wait
  // returns (lock order: errgroup mu, then the context's lock; the context
  // never calls back into the group).
  void record_error(error e) {
    std::lock_guard<sync::Mutex> lk(mu);
    if (err) return;
    err = std::move(e);
    if (cancel) cancel(err);
  }

  // record_panic keeps the first exception and cancels the context (with
  // the first error so far, or nil: Canceled).
  void record_panic(std::exception_ptr p) {
    mu.Lock();
    const bool first = panic == nullptr;
    if (first) panic = std::move(p);
    error cause = err;
    mu.Unlock();
    if (first && cancel) cancel(cause);
  }

  // run is the body of one fiber of the group: f, then the epilogue (Go's
  // g.done()). f, and what it captured, is destroyed before the fiber
  // counts as done, so Wait's caller never races with those destructors.
  void run(std::function<error()> f, chan<empty> slot) {
    try {
      error e = f();
      f = nullptr;
      if (e) record_error(std::move(e));
    } catch (...) {
      f = nullptr;
      record_panic(std::current_exception());
    }
    if (slot != nil) slot.recv();  // free the slot
    wg.Done();
  }
};

Group::Group() : s_(std::make_shared<state>()) {}

std::pair<Group, context::Context> WithContext(const context::Context& ctx) {
  auto [cctx, cancel] = context::WithCancelCause(ctx);
  auto s = std::make_shared<Group::state>();
  s->cancel = std::move(cancel);
  return {Group(std::move(s)), std::move(cctx)};
}

void Group::start(chan<empty> sem, std::function<error()> f) const {
  s_->wg.Add(1);
  try {
    gofer::go([s = s_, f = std::move(f), sem]() mutable { s->run(std::move(f), std::move(sem)); });
  } catch (...) {
    // The fiber was not spawned: undo its count and its slot.
    if (sem != nil) sem.recv();
    s_->wg.Done();
    throw;
  }
}

void Group::Go(std::function<error()> f) const {
  chan<empty> sem = s_->sem;
  if (sem != nil) sem.send(empty{});  // take a slot; parks while none is free
  start(std::move(sem), std::move(f));
}

bool Group::TryGo(std::function<error()> f) const {
  chan<empty> sem = s_->sem;
  if (sem != nil && !sem.try_send(empty{})) return false;
  start(std::move(sem), std::move(f));
  return true;
}

error Group::Wait() const {
  s_->wg.Wait();
  s_->mu.Lock();
  error err = s_->err;
  std::exception_ptr panic = s_->panic;
  if (panic) s_->panic_seen = true;
  s_->mu.Unlock();
  if (s_->cancel) s_->cancel(err);
  if (panic) std::rethrow_exception(panic);
  return err;
}

void Group::SetLimit(int n) const {
  if (n < 0) {
    s_->sem = nil;
    return;
  }
  if (const std::size_t active = len(s_->sem); active != 0) {
    const std::string msg = "errgroup: modify limit while " + std::to_string(active) +
                            " goroutines in the group are still active";
    detail::throw_panic(msg.c_str());
  }
  s_->sem = make_chan<empty>(n);
}

}  // namespace gofer::errgroup
