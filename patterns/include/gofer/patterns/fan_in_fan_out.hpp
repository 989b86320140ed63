// gofer/patterns/fan_in_fan_out.hpp — the Fan-Out/Fan-In pattern of the
// seed article (shared/seeds/000_93dc988236682126.txt, 'Go并发模式：7种让代码坚
// 不可摧的策略', section 2): fanOutFanIn and merge, generic, with an
// order-preserving and an error-aware variant.
//
//   results := fanOutFanIn(input)        auto results = patterns::FanOutFanIn(input, expensiveComputation);
//   for r := range results { ... }       for (int r : results) { ... }
//   out := merge(a, b, c)                auto out = patterns::Merge(a, b, c);   // or Merge(vec)
//
// The article's structure is kept: fan-out starts `workers` fibers that read
// the one input channel, each writing its own output channel (closed when it
// is done); merge starts one forwarding fiber per channel and a closer that
// waits for them (a WaitGroup) and closes the merged channel.
//
// What changed from the article, and why (docs/patterns.md):
//   - Generic over the input T, the result R and the function T -> R (the
//     article hard-codes int and expensiveComputation).
//   - workers defaults to runtime::NumCPU() (the article hard-codes 3 while
//     listing "adjust to the CPU count" as the advantage).
//   - Every form has a ctx overload: every receive and send of every fiber
//     is a select with ctx.Done(), so a consumer that stops reading and
//     cancels ctx leaves no fiber blocked. Without a ctx (the article's
//     form) the consumer must drain the results, as in Go.
//   - FanOutFanInOrdered: results in input order with bounded memory (the
//     article's drawback "结果顺序可能与输入顺序不同").
//   - FanOutFanInErr: the function returns {R, error}; the first error
//     cancels the other workers and is returned by Flow::Wait (the drawback
//     "一个 worker 的错误可能影响整个处理流程": in the article a worker has no
//     way to report one, and one that stopped would leave the rest hanging).
//
// Invariants:
//   - Each worker closes its own output channel on every exit path; the
//     merged channel is closed after every forwarder has returned. A closed
//     result channel with ctx.Err() == nil means every input item was
//     processed and delivered.
//   - FanOutFanInOrdered: at most `window` items are between the input and
//     the output at any time (taken from the input but not yet received by
//     the consumer, +1 while a slot changes hands); see there.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <ranges>
#include <type_traits>
#include <utility>
#include <vector>

#include "gofer/chan.hpp"
#include "gofer/context.hpp"
#include "gofer/errors.hpp"
#include "gofer/go.hpp"
#include "gofer/panic.hpp"
#include "gofer/patterns/pipeline.hpp"
#include "gofer/runtime.hpp"
#include "gofer/sync/wait_group.hpp"

namespace gofer::patterns {

// FanOptions for every fan-out form.
struct FanOptions {
  // workers: worker fibers; 0 means runtime::NumCPU(). Negative panics.
  int workers = 0;
  // buffer: capacity of each worker's output channel and of the merged
  // channel (0: unbuffered, the article's).
  std::ptrdiff_t buffer = 0;
  // window (FanOutFanInOrdered only): the most items in flight; 0 means
  // 4 * workers. Negative panics.
  std::ptrdiff_t window = 0;
};

namespace detail_fan {

inline int worker_count(int workers) {
  if (workers < 0) detail::throw_panic("patterns: negative worker count");
  return workers == 0 ? runtime::NumCPU() : workers;
}

// merge is the article's merge over chans, with every fiber started by
// spawn (gofer::go, or a Flow's Go) and stopping when done closes.
template <ChanElem T, class Spawn>
recv_chan<T> merge(Spawn&& spawn, const context::Context& ctx, std::vector<recv_chan<T>> chans,
                   std::ptrdiff_t buffer) {
  chan<T> out = make_chan<T>(buffer);
  auto wg = std::make_shared<sync::WaitGroup>();
  wg->Add(static_cast<int>(chans.size()));
  const recv_chan<empty> done = ctx.Done();
  for (auto& ch : chans) {
    spawn([wg, ctx, done, c = std::move(ch), out = send_chan<T>(out)]() -> error {
      error err = detail_pipeline::run_stage(ctx, done, c, [&](T& v) -> error {
        return detail_pipeline::send_or_done(done, out, std::move(v)) ? nil : ctx.Err();
      });
      wg->Done();
      return err;  // a Flow records it; gofer::go drops it
    });
  }
  spawn([wg, out = send_chan<T>(out)] {
    wg->Wait();
    close(out);
  });
  return out;
}

inline auto plain_spawn() {
  return [](auto&& f) { gofer::go(std::forward<decltype(f)>(f)); };
}

// seq_item: an item tagged with its position in the input.
template <class T>
struct seq_item {
  std::uint64_t seq = 0;
  T value{};
};

template <class F, class T>
using fan_result_t = std::decay_t<std::invoke_result_t<F&, T&&>>;

}  // namespace detail_fan

// Merge (Go's merge(channels...)): one channel carrying every value of the
// given channels, closed once all of them are closed and drained. With a
// ctx, every forwarder also stops when ctx is done (then the merged channel
// closes early). Values of one input keep their order.
template <ChanElem T>
recv_chan<T> Merge(const context::Context& ctx, std::vector<recv_chan<T>> channels,
                   std::ptrdiff_t buffer = 0) {
  return detail_fan::merge(detail_fan::plain_spawn(), ctx, std::move(channels), buffer);
}
template <ChanElem T>
recv_chan<T> Merge(std::vector<recv_chan<T>> channels) {
  return Merge(context::Background(), std::move(channels));
}
template <RecvChannel C, RecvChannel... Cs>
  requires(std::is_same_v<elem_t<C>, elem_t<Cs>> && ...)
recv_chan<elem_t<C>> Merge(const context::Context& ctx, const C& first, const Cs&... rest) {
  using T = elem_t<C>;
  return Merge(ctx, std::vector<recv_chan<T>>{recv_chan<T>(first), recv_chan<T>(rest)...});
}
template <RecvChannel C, RecvChannel... Cs>
  requires(std::is_same_v<elem_t<C>, elem_t<Cs>> && ...)
recv_chan<elem_t<C>> Merge(const C& first, const Cs&... rest) {
  return Merge(context::Background(), first, rest...);
}

// FanOutFanIn (the article's fanOutFanIn): opts.workers fibers apply fn to
// the items of input, each sending its results on its own channel; the
// channels are merged. Results come in completion order. fn (T -> R) is
// shared by the workers and called concurrently, as a Go func value is.
// Cancelling ctx stops every fiber; the results channel then closes early.
// An exception thrown by fn ends the process, as a panic in a goroutine
// does; FanOutFanInErr hands it to Flow::Wait instead.
template <RecvChannel In, class F>
  requires std::is_invocable_v<F&, elem_t<In>&&>
recv_chan<detail_fan::fan_result_t<F, elem_t<In>>> FanOutFanIn(const context::Context& ctx,
                                                                const In& input, F fn,
                                                                FanOptions opts = {}) {
  using T = elem_t<In>;
  using R = detail_fan::fan_result_t<F, T>;
  static_assert(ChanElem<R>, "FanOutFanIn: fn's result must be default-constructible and movable");
  const int n = detail_fan::worker_count(opts.workers);
  const recv_chan<T> in(input);
  const recv_chan<empty> done = ctx.Done();
  auto f = std::make_shared<F>(std::move(fn));
  std::vector<recv_chan<R>> workers;
  workers.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; i++) {
    chan<R> worker = make_chan<R>(opts.buffer);
    workers.push_back(worker);
    gofer::go([ctx, done, in, f, output = send_chan<R>(worker)] {
      detail_pipeline::closer<R> c(output, nullptr);  // defer close(output)
      detail_pipeline::run_stage(ctx, done, in, [&](T& v) -> error {
        if (detail_pipeline::send_or_done(done, output, R((*f)(std::move(v))))) return nil;
        return ctx.Err();
      });
    });
  }
  return Merge(ctx, std::move(workers), opts.buffer);  // fan-in
}
template <RecvChannel In, class F>
  requires std::is_invocable_v<F&, elem_t<In>&&>
auto FanOutFanIn(const In& input, F fn, FanOptions opts = {}) {
  return FanOutFanIn(context::Background(), input, std::move(fn), opts);
}

// FanOutFanInOrdered: as FanOutFanIn, but the results come in input order.
//
// How: a tagger fiber numbers the items (seq 0, 1, ...) and, before
// dispatching item seq, takes one of `window` tokens (a buffered channel);
// the tagged items go through FanOutFanIn; a reorder fiber keeps arrived
// results in a ring of `window` slots (slot seq % window) and emits them as
// soon as the next one in order is there, returning one token per emitted
// result once the consumer has taken it.
//
// Bound: tokens taken = dispatched - emitted <= window, so every result in
// the ring has seq in [next, next + window): the slots never collide, the
// ring holds at most `window` results, and at most `window` items (+1 while
// a token changes hands) are anywhere between the input and the consumer.
// A slow item holds back later results (head-of-line), and once `window`
// items are outstanding the tagger waits: memory stays bounded, throughput
// drops to what the slow item allows. Choose window >= workers (the default
// is 4 * workers) so the workers are not starved by it. The ring and the
// token channel are allocated up front, `window` slots each.
template <RecvChannel In, class F>
  requires std::is_invocable_v<F&, elem_t<In>&&>
recv_chan<detail_fan::fan_result_t<F, elem_t<In>>> FanOutFanInOrdered(const context::Context& ctx,
                                                                       const In& input, F fn,
                                                                       FanOptions opts = {}) {
  using T = elem_t<In>;
  using R = detail_fan::fan_result_t<F, T>;
  static_assert(ChanElem<R>,
                "FanOutFanInOrdered: fn's result must be default-constructible and movable");
  const int n = detail_fan::worker_count(opts.workers);
  if (opts.window < 0) detail::throw_panic("patterns: negative window");
  const std::ptrdiff_t window = opts.window == 0 ? 4 * static_cast<std::ptrdiff_t>(n) : opts.window;
  using tagged_t = detail_fan::seq_item<T>;
  using result_t = detail_fan::seq_item<R>;
  const recv_chan<empty> done = ctx.Done();
  chan<empty> tokens = make_chan<empty>(window);
  chan<tagged_t> tagged = make_chan<tagged_t>();

  // Tagger: number the items, one token each.
  gofer::go([ctx, done, in = recv_chan<T>(input), tokens = send_chan<empty>(tokens),
             out = send_chan<tagged_t>(tagged)] {
    detail_pipeline::closer<tagged_t> c(out, nullptr);
    std::uint64_t seq = 0;
    detail_pipeline::run_stage(ctx, done, in, [&](T& v) -> error {
      if (!detail_pipeline::send_or_done(done, tokens, empty{})) return ctx.Err();
      if (!detail_pipeline::send_or_done(done, out, tagged_t{seq, std::move(v)})) return ctx.Err();
      seq++;
      return nil;
    });
  });

  auto f = std::make_shared<F>(std::move(fn));
  recv_chan<result_t> results = FanOutFanIn(
      ctx, tagged, [f](tagged_t&& it) { return result_t{it.seq, R((*f)(std::move(it.value)))}; },
      FanOptions{.workers = n, .buffer = opts.buffer});

  // Reorder: emit in sequence, return a token per emitted result.
  chan<R> out = make_chan<R>(opts.buffer);
  gofer::go([ctx, done, results, tokens = recv_chan<empty>(tokens), out = send_chan<R>(out),
             window] {
    detail_pipeline::closer<R> c(out, nullptr);
    const auto w = static_cast<std::size_t>(window);
    std::vector<R> ring(w);
    std::vector<unsigned char> have(w, 0);
    std::uint64_t next = 0;
    detail_pipeline::run_stage(ctx, done, results, [&](result_t& r) -> error {
      const std::size_t slot = static_cast<std::size_t>(r.seq % w);
      ring[slot] = std::move(r.value);
      have[slot] = 1;
      for (std::size_t s = next % w; have[s]; s = next % w) {
        have[s] = 0;
        if (!detail_pipeline::send_or_done(done, out, std::move(ring[s]))) return ctx.Err();
        next++;
        // The tagger sent this item's token before dispatching it, so one
        // is buffered: this receive never blocks.
        tokens.recv();
      }
      return nil;
    });
  });
  return out;
}
template <RecvChannel In, class F>
  requires std::is_invocable_v<F&, elem_t<In>&&>
auto FanOutFanInOrdered(const In& input, F fn, FanOptions opts = {}) {
  return FanOutFanInOrdered(context::Background(), input, std::move(fn), opts);
}

// FanOutFanInErr: the error-aware fan-out. fn(v) or fn(ctx, v) returns
// std::pair<R, error> (or anything patterns::Map accepts: R,
// std::optional<R> to drop an item, std::pair<std::optional<R>, error>).
// Workers and forwarders are fibers of flow; the first error (or exception)
// cancels flow, so the other workers stop at their next item or channel
// operation, every channel is closed and the results channel ends; then
// flow.Wait() returns that error. A consumer that stops early calls
// flow.Cancel() and then flow.Wait(). A producer feeding input should send
// with Send(flow.Context(), ...): once the flow is cancelled nobody reads
// input any more.
template <RecvChannel In, class F>
  requires detail_pipeline::item_fn<F, elem_t<In>&&>
recv_chan<detail_pipeline::map_out_t<F, elem_t<In>>> FanOutFanInErr(const Flow& flow,
                                                                     const In& input, F fn,
                                                                     FanOptions opts = {}) {
  using T = elem_t<In>;
  using R = detail_pipeline::map_out_t<F, T>;
  static_assert(ChanElem<R>,
                "FanOutFanInErr: the result must be default-constructible and movable");
  const int n = detail_fan::worker_count(opts.workers);
  const recv_chan<T> in(input);
  auto f = std::make_shared<F>(std::move(fn));
  std::vector<recv_chan<R>> workers;
  workers.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; i++) {
    chan<R> worker = make_chan<R>(opts.buffer);
    workers.push_back(worker);
    flow.Go([ctx = flow.Context(), done = flow.Done(), in, f, output = send_chan<R>(worker)] {
      detail_pipeline::closer<R> c(output, nullptr);
      return detail_pipeline::run_stage(
          ctx, done, in, [&](T& v) { return detail_pipeline::map_item(*f, ctx, done, output, v); });
    });
  }
  return detail_fan::merge([&flow](auto&& g) { flow.Go(std::forward<decltype(g)>(g)); },
                           flow.Context(), std::move(workers), opts.buffer);
}
// FanOutFanInErr(ctx, ...): in a new Flow under ctx, returned with the
// results: `auto [results, flow] = FanOutFanInErr(ctx, input, fn);`, range
// over results, then `flow.Wait()`.
template <RecvChannel In, class F>
  requires detail_pipeline::item_fn<F, elem_t<In>&&>
std::pair<recv_chan<detail_pipeline::map_out_t<F, elem_t<In>>>, Flow> FanOutFanInErr(
    const context::Context& ctx, const In& input, F fn, FanOptions opts = {}) {
  Flow flow(ctx);
  auto results = FanOutFanInErr(flow, input, std::move(fn), opts);
  return {std::move(results), std::move(flow)};
}

}  // namespace gofer::patterns
