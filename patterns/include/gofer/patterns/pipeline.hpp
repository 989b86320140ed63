// gofer/patterns/pipeline.hpp — the Pipeline pattern of the seed article
// (shared/seeds/000_93dc988236682126.txt, 'Go并发模式：7种让代码坚不可摧的策略',
// section 4), with typed stages, cancellation and error propagation.
//
// The article's Go:
//
//   type PipelineStage func(<-chan interface{}) <-chan interface{}
//   func Pipeline(input <-chan interface{}, stages ...PipelineStage) <-chan interface{}
//
// The port:
//
//   patterns::Flow flow(ctx);                       // g, ctx := errgroup.WithContext(ctx)
//   auto out = patterns::Pipeline(flow, input, parse, validate, enrich);
//   for (auto v : out) { ... }                      // for v := range out
//   if (error err = flow.Wait()) { ... }            // if err := g.Wait(); err != nil
//
// A stage is any callable `(const Flow&, recv_chan<In>) -> recv_chan<Out>`
// (or `-> chan<Out>`); Stage<In, Out> is its type-erased form. Pipeline checks
// at compile time that each stage accepts the element type the previous one
// produces (a static_assert names the mismatch). Map and Filter build stages
// from per-item functions; a hand-written stage uses Flow::Go for its fibers
// and Send/Recv for its channel operations.
//
// What changed from the article, and why (docs/patterns.md):
//   - Types: interface{} and the data.(string) assertion become a template
//     parameter per stage; a wrong chain does not compile.
//   - Cancellation: every stage fiber stops when the Flow's context is done:
//     each receive and each send is a select with ctx.Done(), so a consumer
//     that stops early (Flow::Cancel) or a parent deadline leaks no fiber.
//     In the article a consumer that stops reading blocks every stage forever.
//   - Errors: a stage fiber returns an error; the Flow (an errgroup with
//     WithContext) records the first one, cancels the rest of the pipeline,
//     and Wait returns it. An item-level error (Map's function returning
//     {Out, error} with a non-nil error) therefore STOPS the pipeline:
//     fail fast, as errgroup does. To go on past bad items instead, make the
//     element type carry the error (Out = std::pair<T, error>) or collect
//     errors in an ErrorAggregator and drop the item (Map returning
//     std::optional). The article has no error path at all.
//   - Backpressure: channels are unbuffered by default (the article's), so a
//     slow stage slows the stages before it to its pace and never breaks
//     the pipeline; StageOptions::buffer decouples bursts, and
//     StageOptions::workers runs a slow stage on several fibers (the remedy
//     for the article's drawback "慢阶段可能阻塞整个管道"; output order is
//     then not kept).
//
// Invariants:
//   - Every stage fiber closes its output channel when it returns, whatever
//     the reason (input closed, context done, error, exception); with
//     several workers the last one to return closes it. So a consumer's
//     range-for always ends.
//   - A stage fiber blocks only in a select that includes ctx.Done()
//     (or, with a never-cancelled context, on its own channels).
//
// Per-item cost of a Map/Filter stage: one lock-free poll of ctx.Done(), one
// receive, the user function, one send (a select with ctx.Done() only when
// the send cannot complete at once). No heap allocation per item beyond what
// the element itself allocates.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "gofer/chan.hpp"
#include "gofer/context.hpp"
#include "gofer/errgroup.hpp"
#include "gofer/errors.hpp"
#include "gofer/panic.hpp"
#include "gofer/select.hpp"

namespace gofer::patterns {

// Flow is the context and errgroup a pipeline's fibers run in: the parent
// context, a cancel layer (Cancel) and errgroup::WithContext over it. A Flow
// is a handle: copies share one flow, as an errgroup.Group pointer does.
// Single-use: after Wait returns, its context is cancelled.
//
// Thread safety: every method may be called from any fiber or plain thread;
// Go must happen before Wait (errgroup's rule).
class Flow {
 public:
  // Flow: a flow under Background.
  Flow() : Flow(context::Background()) {}
  // Flow(parent): cancelled when parent is, on Cancel, on the first error a
  // fiber of the flow returns, and when Wait returns.
  explicit Flow(const context::Context& parent) : Flow(make(parent)) {}

  // Context: the flow's context (Go's ctx of errgroup.WithContext).
  const context::Context& Context() const noexcept { return ctx_; }
  // Done: Context().Done(), fetched once.
  const recv_chan<empty>& Done() const noexcept { return done_; }
  // Err: Context().Err().
  error Err() const { return ctx_.Err(); }

  // Go runs f (returning error, or void for nil) in a new fiber of the
  // flow; a non-nil error or an exception cancels the flow (errgroup.Go).
  template <class F>
  void Go(F&& f) const {
    using R = std::invoke_result_t<std::decay_t<F>&>;
    if constexpr (std::is_void_v<R>) {
      g_.Go([f = std::forward<F>(f)]() mutable -> error {
        f();
        return nil;
      });
    } else {
      static_assert(std::is_convertible_v<R, error>, "Flow::Go: f must return error or void");
      g_.Go(std::function<error()>(std::forward<F>(f)));
    }
  }

  // Wait blocks until every fiber of the flow has returned, cancels the
  // flow's context, and returns the first error (rethrows the first
  // exception). A stage stopped by cancellation returns the context's error,
  // so after Cancel (or a parent deadline) Wait returns Canceled (or
  // DeadlineExceeded) unless a stage failed first.
  error Wait() const {
    error err = g_.Wait();
    cancel_();
    return err;
  }

  // Cancel stops the flow: every stage fiber returns at its next channel
  // operation. For a consumer that stops reading early. Idempotent.
  void Cancel() const { cancel_(); }

 private:
  struct parts {
    context::CancelFunc cancel;
    errgroup::Group g;
    context::Context ctx;
  };
  static parts make(const context::Context& parent) {
    auto [cctx, cancel] = context::WithCancel(parent);
    auto [g, gctx] = errgroup::WithContext(cctx);
    return parts{std::move(cancel), std::move(g), std::move(gctx)};
  }
  explicit Flow(parts p)
      : cancel_(std::move(p.cancel)),
        g_(std::move(p.g)),
        ctx_(std::move(p.ctx)),
        done_(ctx_.Done()) {}

  context::CancelFunc cancel_;  // cancels the layer between the parent and the group
  errgroup::Group g_;
  context::Context ctx_;  // the group's context
  recv_chan<empty> done_;
};

// RecvChannel: chan<T> or recv_chan<T> (something a stage can read).
template <class C>
struct chan_traits {};
template <class T>
struct chan_traits<chan<T>> {
  using elem = T;
};
template <class T>
struct chan_traits<recv_chan<T>> {
  using elem = T;
};
template <class C>
concept RecvChannel = requires { typename chan_traits<std::remove_cvref_t<C>>::elem; };
// elem_t<C>: the element type of a RecvChannel.
template <RecvChannel C>
using elem_t = typename chan_traits<std::remove_cvref_t<C>>::elem;

namespace detail_pipeline {

enum class recv_status : unsigned char { ok, closed, done };

// recv_or_done: `select { case v, ok = <-in: ...; case <-done: }` into v.
// done is polled first (lock-free: Done() is buffered), so a stage whose
// input is always ready still stops at the next item once done closes.
// May park. A nil done never fires (a context that is never cancelled).
template <ChanElem T>
recv_status recv_or_done(const recv_chan<empty>& done, const recv_chan<T>& in, T& v) {
  if (done == nullptr) {
    auto r = in.recv2();
    if (!r.ok) return recv_status::closed;
    v = std::move(r.value);
    return recv_status::ok;
  }
  empty e;
  if (done.try_recv(e)) return recv_status::done;
  bool ok = false;
  if (in.try_recv(v, &ok)) return ok ? recv_status::ok : recv_status::closed;
  recv_status st = recv_status::done;
  gofer::select(gofer::recv(in,
                            [&](T&& x, bool got) {
                              if (got) {
                                v = std::move(x);
                                st = recv_status::ok;
                              } else {
                                st = recv_status::closed;
                              }
                            }),
                gofer::recv(done, [] {}));
  return st;
}

// send_or_done: `select { case out <- v: return true; case <-done: return
// false }`. The non-blocking attempt first keeps the common case (a
// receiver waiting, or buffer space) off selectgo. May park.
template <ChanElem T>
bool send_or_done(const recv_chan<empty>& done, const send_chan<T>& out, T&& v) {
  if (done == nullptr) {
    out.send(std::move(v));
    return true;
  }
  if (out.try_send(std::move(v))) return true;  // untouched on failure
  bool sent = false;
  gofer::select(gofer::send(out, std::move(v), [&] { sent = true; }), gofer::recv(done, [] {}));
  return sent;
}

// closer closes out when the last of the fibers writing it returns: its
// destructor runs on every exit path, including unwinding. left is null for
// a sole writer, else the writers' shared count.
template <ChanElem T>
struct closer {
  send_chan<T> out;
  std::shared_ptr<std::atomic<int>> left;
  closer(send_chan<T> o, std::shared_ptr<std::atomic<int>> l)
      : out(std::move(o)), left(std::move(l)) {}
  closer(const closer&) = delete;
  closer& operator=(const closer&) = delete;
  ~closer() {
    // acq_rel: the last writer to count down sees the others' sends
    // completed before it closes (the channel lock orders them too).
    if (!left || left->fetch_sub(1, std::memory_order_acq_rel) == 1) close(out);
  }
};

// run_stage is a stage fiber's loop: receive (or stop on done / closed
// input) and hand each item to body, which returns nil to go on or the
// error to end the fiber with. Returns ctx's error when ctx is done — also
// when the input turns out closed while ctx is done, since the input may
// then have been cut short by the cancellation — else nil once the input is
// closed and drained.
template <ChanElem In, class Body>
error run_stage(const context::Context& ctx, const recv_chan<empty>& done, const recv_chan<In>& in,
                Body&& body) {
  In v{};
  for (;;) {
    switch (recv_or_done(done, in, v)) {
      case recv_status::closed: {
        empty e;
        if (done != nullptr && done.try_recv(e)) return ctx.Err();
        return nil;
      }
      case recv_status::done:
        return ctx.Err();
      case recv_status::ok:
        break;
    }
    if (error err = body(v)) return err;
  }
}

// Item functions may take the context first: f(ctx, v) or f(v).
template <class F, class A>
concept item_fn = std::is_invocable_v<F&, const context::Context&, A> || std::is_invocable_v<F&, A>;

template <class F, class A>
  requires item_fn<F, A>
decltype(auto) invoke_item(F& f, const context::Context& ctx, A&& v) {
  if constexpr (std::is_invocable_v<F&, const context::Context&, A>)
    return std::invoke(f, ctx, std::forward<A>(v));
  else
    return std::invoke(f, std::forward<A>(v));
}

template <class F, class A>
using item_result_t =
    std::decay_t<decltype(invoke_item(std::declval<F&>(), std::declval<const context::Context&>(),
                                      std::declval<A>()))>;

// map_result: what a Map function's result means. X emits X;
// std::optional<X> emits X or drops the item; std::pair<X, error> and
// std::pair<std::optional<X>, error> stop the stage on a non-nil error.
template <class R>
struct map_result {
  using out = R;
  static constexpr bool optional = false, fallible = false;
};
template <class X>
struct map_result<std::optional<X>> {
  using out = X;
  static constexpr bool optional = true, fallible = false;
};
template <class X>
struct map_result<std::pair<X, error>> {
  using out = X;
  static constexpr bool optional = false, fallible = true;
};
template <class X>
struct map_result<std::pair<std::optional<X>, error>> {
  using out = X;
  static constexpr bool optional = true, fallible = true;
};

template <class F, class In>
using map_out_t = typename map_result<item_result_t<F, In&&>>::out;

// map_item applies f to v and sends what it yields (see map_result).
template <class F, ChanElem In, ChanElem Out>
error map_item(F& f, const context::Context& ctx, const recv_chan<empty>& done,
               const send_chan<Out>& out, In& v) {
  using M = map_result<item_result_t<F, In&&>>;
  auto emit = [&](auto&& x) -> error {
    if (send_or_done(done, out, Out(std::forward<decltype(x)>(x)))) return nil;
    return ctx.Err();
  };
  auto r = invoke_item(f, ctx, std::move(v));
  if constexpr (M::fallible) {
    if (r.second) return std::move(r.second);
    if constexpr (M::optional) {
      if (!r.first) return nil;
      return emit(std::move(*r.first));
    } else {
      return emit(std::move(r.first));
    }
  } else if constexpr (M::optional) {
    if (!r) return nil;
    return emit(std::move(*r));
  } else {
    return emit(std::move(r));
  }
}

// filter_result: a Filter predicate returns bool or std::pair<bool, error>.
template <class R>
inline constexpr bool is_filter_result_v =
    std::is_same_v<R, bool> || std::is_same_v<R, std::pair<bool, error>>;

template <class C>
struct stage_output {
  static constexpr bool ok = false;
};
template <class T>
struct stage_output<recv_chan<T>> {
  static constexpr bool ok = true;
  using type = recv_chan<T>;
};
template <class T>
struct stage_output<chan<T>> {
  static constexpr bool ok = true;
  using type = recv_chan<T>;
};

inline int checked_workers(int workers) {
  if (workers < 1) detail::throw_panic("patterns: a stage needs at least one worker");
  return workers;
}

}  // namespace detail_pipeline

// StageOf<S, In>: S is a stage that accepts recv_chan<In> (and returns a
// chan<U> or recv_chan<U>).
template <class S, class In>
concept StageOf =
    std::is_invocable_v<S&, const Flow&, recv_chan<In>> &&
    detail_pipeline::stage_output<
        std::remove_cvref_t<std::invoke_result_t<S&, const Flow&, recv_chan<In>>>>::ok;

// stage_out_t<S, In>: the element type a stage S yields from In.
template <class S, class In>
  requires StageOf<S, In>
using stage_out_t =
    elem_t<std::remove_cvref_t<std::invoke_result_t<S&, const Flow&, recv_chan<In>>>>;

// Stage<In, Out>: a type-erased stage, for stages chosen at run time.
template <class In, class Out>
using Stage = std::function<recv_chan<Out>(const Flow&, recv_chan<In>)>;

// StageOptions for Map and Filter.
struct StageOptions {
  // buffer: capacity of the stage's output channel (0: unbuffered, the
  // article's; every send is a hand-off).
  std::ptrdiff_t buffer = 0;
  // workers: fibers running the stage's function, sharing its input and
  // output. 1 keeps the order of items; more do not.
  int workers = 1;
};

namespace detail_pipeline {

// map_stage / filter_stage: what Map and Filter return. Calling one starts
// its fibers in the flow and returns its output channel. The function is
// shared by the stage's workers (one heap copy per started stage).
template <class F>
class map_stage {
 public:
  map_stage(F f, StageOptions o) : f_(std::move(f)), opts_(o) {}

  template <ChanElem In>
    requires item_fn<F, In&&> && ChanElem<map_out_t<F, In>>
  recv_chan<map_out_t<F, In>> operator()(const Flow& flow, recv_chan<In> in) const {
    using Out = map_out_t<F, In>;
    const int n = checked_workers(opts_.workers);
    chan<Out> out = make_chan<Out>(opts_.buffer);
    auto f = std::make_shared<F>(f_);
    auto left = n > 1 ? std::make_shared<std::atomic<int>>(n) : nullptr;
    for (int i = 0; i < n; i++) {
      flow.Go([f, left, in, out = send_chan<Out>(out), ctx = flow.Context(), done = flow.Done()] {
        closer<Out> c(out, left);
        return run_stage(ctx, done, in, [&](In& v) { return map_item(*f, ctx, done, out, v); });
      });
    }
    return out;
  }

 private:
  F f_;
  StageOptions opts_;
};

template <class F>
class filter_stage {
 public:
  filter_stage(F f, StageOptions o) : f_(std::move(f)), opts_(o) {}

  template <ChanElem In>
    requires item_fn<F, const In&> && is_filter_result_v<item_result_t<F, const In&>>
  recv_chan<In> operator()(const Flow& flow, recv_chan<In> in) const {
    const int n = checked_workers(opts_.workers);
    chan<In> out = make_chan<In>(opts_.buffer);
    auto f = std::make_shared<F>(f_);
    auto left = n > 1 ? std::make_shared<std::atomic<int>>(n) : nullptr;
    for (int i = 0; i < n; i++) {
      flow.Go([f, left, in, out = send_chan<In>(out), ctx = flow.Context(), done = flow.Done()] {
        closer<In> c(out, left);
        return run_stage(ctx, done, in, [&](In& v) -> error {
          bool keep;
          if constexpr (std::is_same_v<item_result_t<F, const In&>, bool>) {
            keep = invoke_item(*f, ctx, static_cast<const In&>(v));
          } else {
            auto [k, err] = invoke_item(*f, ctx, static_cast<const In&>(v));
            if (err) return err;
            keep = k;
          }
          if (!keep) return nil;
          if (send_or_done(done, out, std::move(v))) return nil;
          return ctx.Err();
        });
      });
    }
    return out;
  }

 private:
  F f_;
  StageOptions opts_;
};

}  // namespace detail_pipeline

// Map: a stage applying fn to every item: fn(v) or fn(ctx, v), returning
//   Out                              — sent on;
//   std::optional<Out>               — sent on, or the item is dropped (nullopt);
//   std::pair<Out, error>            — a non-nil error stops the pipeline
//   std::pair<std::optional<Out>, error>   (Flow::Wait returns it).
// fn is copied once per started stage and shared by its workers, which call
// it concurrently when opts.workers > 1.
template <class F>
detail_pipeline::map_stage<std::decay_t<F>> Map(F&& fn, StageOptions opts = {}) {
  return {std::forward<F>(fn), opts};
}

// Filter: a stage passing on the items for which pred(v) (or pred(ctx, v))
// is true; pred gets a const reference and returns bool, or
// std::pair<bool, error> whose non-nil error stops the pipeline.
template <class F>
detail_pipeline::filter_stage<std::decay_t<F>> Filter(F&& pred, StageOptions opts = {}) {
  return {std::forward<F>(pred), opts};
}

// Pipeline: the article's Pipeline(input, stages...): out = stage(out) for
// each stage in order, all in flow. Returns the last stage's output (the
// input itself with no stages). Each stage must accept what the previous
// yields: checked at compile time.
template <RecvChannel In>
recv_chan<elem_t<In>> Pipeline(const Flow& /*flow*/, const In& input) {
  return recv_chan<elem_t<In>>(input);
}
template <RecvChannel In, class S, class... Rest>
auto Pipeline(const Flow& flow, const In& input, S&& stage, Rest&&... rest) {
  using T = elem_t<In>;
  static_assert(std::is_invocable_v<S&, const Flow&, recv_chan<T>>,
                "patterns::Pipeline: a stage cannot take the element type the previous stage "
                "yields (it must be callable as stage(const Flow&, recv_chan<T>))");
  if constexpr (std::is_invocable_v<S&, const Flow&, recv_chan<T>>) {
    using R = std::remove_cvref_t<std::invoke_result_t<S&, const Flow&, recv_chan<T>>>;
    static_assert(detail_pipeline::stage_output<R>::ok,
                  "patterns::Pipeline: a stage must return a recv_chan<U> or chan<U>");
    typename detail_pipeline::stage_output<R>::type next = stage(flow, recv_chan<T>(input));
    return Pipeline(flow, next, std::forward<Rest>(rest)...);
  }
}

// Send: `select { case out <- v: return true; case <-ctx.Done(): return
// false }`, for hand-written stages and producers. May park.
template <ChanElem T, class V>
bool Send(const context::Context& ctx, const send_chan<T>& out, V&& v) {
  return detail_pipeline::send_or_done(ctx.Done(), out, T(std::forward<V>(v)));
}
template <ChanElem T, class V>
bool Send(const context::Context& ctx, const chan<T>& out, V&& v) {
  return Send(ctx, send_chan<T>(out), std::forward<V>(v));
}

// Recv: `select { case v, ok := <-in: ...; case <-ctx.Done(): }`. Returns
// true with *v set when a value arrived; false when in is closed and
// drained or ctx is done (ctx.Err() tells which); *v is then unspecified.
// May park.
template <ChanElem T>
bool Recv(const context::Context& ctx, const recv_chan<T>& in, T* v) {
  return detail_pipeline::recv_or_done(ctx.Done(), in, *v) == detail_pipeline::recv_status::ok;
}
template <ChanElem T>
bool Recv(const context::Context& ctx, const chan<T>& in, T* v) {
  return Recv(ctx, recv_chan<T>(in), v);
}

}  // namespace gofer::patterns
