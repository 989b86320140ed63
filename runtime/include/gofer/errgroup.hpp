// gofer/errgroup.hpp — golang.org/x/sync/errgroup: a group of fibers working
// on subtasks of one task, with error propagation, context cancellation and
// an optional limit on the number of active fibers.
//
// Port of x/sync/errgroup (errgroup.go): a WaitGroup for the fibers, a
// buffered channel of tokens as the limit (Go's `sem chan token`), the first
// non-nil error recorded once, the context of WithContext cancelled with
// that error as its cause.
//
//   auto [g, ctx] = errgroup::WithContext(parent);  // g, ctx := errgroup.WithContext(parent)
//   for (auto url : urls)
//     g.Go([=]() -> gofer::error { return fetch(ctx, url); });
//   if (auto err = g.Wait()) ...                     // if err := g.Wait(); err != nil
//
//   errgroup::Group g;                               // var g errgroup.Group (zero Group)
//   g.SetLimit(10);
//
// Differences from Go:
//   - A Group is a handle, like a chan: it points at shared state, copies
//     share the same group (Go's *Group), and a fiber started by Go keeps
//     that state alive. So `auto [g, ctx] = WithContext(...)` reads like Go,
//     and lambdas may capture g by value. A default-made Group is an empty,
//     usable group (Go's zero Group) with no context and no limit.
//   - An exception thrown by a function passed to Go/TryGo does not end the
//     process (as an exception escaping a plain go() fiber does): the first
//     one is kept, the group's context is cancelled as for an error (with
//     the first error so far as cause, or Canceled), and every Wait rethrows
//     it, the original object, once all fibers are done. Later exceptions
//     are dropped (x/sync kept only the first panic too while it propagated
//     them; it has since reverted to crashing, which C++ callers of a task
//     group do not expect). An exception is never lost silently: if the last
//     handle to a group goes away while an exception that no Wait rethrew is
//     stored, the process ends as for an unrecovered panic ("panic: <what>",
//     exit code 2).
//   - SetLimit(0) makes Go block forever and TryGo fail, as in Go.
//
// Thread safety: Go, TryGo and Wait may be called from any fiber or plain
// thread. Go and TryGo on a group whose WaitGroup counter is zero must
// happen before Wait (WaitGroup's rule). SetLimit must not run concurrently
// with Go or TryGo (as in Go). Go blocks while the limit is reached: a fiber
// parks (the worker runs other fibers), a plain thread blocks.
//
// Memory ordering: everything a function passed to Go did happens-before
// the return of the Wait that waited for it (WaitGroup's guarantee).
#pragma once

#include <functional>
#include <memory>
#include <utility>

#include "gofer/chan.hpp"
#include "gofer/context.hpp"
#include "gofer/errors.hpp"

namespace gofer::errgroup {

class Group {
 public:
  // Group: a new, empty group with no context and no limit (Go's zero Group).
  Group();
  // Copies share the group. There is no separate move: a moved-from Group
  // still refers to the same group, so it never becomes unusable. The
  // methods are const, as a chan's are: they act on the shared group, not
  // on the handle, so a lambda may capture a Group by value and call Go.
  Group(const Group&) = default;
  Group& operator=(const Group&) = default;

  // Go calls f in a new fiber (gofer::go). The first call to return a
  // non-nil error cancels the group's context, if it was made by
  // WithContext; its error will be returned by Wait. While the limit is
  // reached, Go blocks until a fiber of the group returns.
  void Go(std::function<error()> f) const;

  // TryGo calls f in a new fiber only if the number of active fibers in the
  // group is below the limit; it reports whether it started one.
  bool TryGo(std::function<error()> f) const;

  // Wait blocks until every fiber started by Go or TryGo has returned, then
  // cancels the group's context (WithContext), then rethrows the first
  // exception a function threw, if any, else returns the first non-nil
  // error (or nil).
  error Wait() const;

  // SetLimit limits the number of active fibers in the group to at most n;
  // a negative n means no limit. Any later Go blocks, and TryGo fails,
  // while the limit is reached. The limit must not be changed while fibers
  // of the group hold a slot of the current limit: that panics with
  // "errgroup: modify limit while <k> goroutines in the group are still
  // active", Go's text.
  void SetLimit(int n) const;

  struct state;  // internal

 private:
  friend std::pair<Group, context::Context> WithContext(const context::Context& ctx);
  explicit Group(std::shared_ptr<state> s) : s_(std::move(s)) {}
  void start(chan<empty> sem, std::function<error()> f) const;

  std::shared_ptr<state> s_;  // never null
};

// WithContext returns a new Group and a Context derived from ctx
// (context::WithCancelCause). The context is cancelled the first time a
// function passed to Go returns a non-nil error (with that error as its
// cause, see context::Cause) or throws, or the first time Wait returns,
// whichever occurs first.
std::pair<Group, context::Context> WithContext(const context::Context& ctx);

}  // namespace gofer::errgroup
