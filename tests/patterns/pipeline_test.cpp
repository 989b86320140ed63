// tests/patterns/pipeline_test.cpp — patterns::Pipeline, Flow, Map, Filter,
// Send and Recv (gofer/patterns/pipeline.hpp): the article's three stages,
// many items in order and exactly once, compile-time stage typing, a slow
// stage (backpressure, bounded run-ahead), per-stage buffers and workers,
// an item error stopping the pipeline, a consumer stopping early, a parent
// deadline, an exception in a stage, and hand-written stages.
#include "gofer/patterns/pipeline.hpp"

#include <atomic>
#include <charconv>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "fixture.hpp"
#include "gofer/fmt.hpp"
#include "gofer/gofer.hpp"

namespace {

using namespace std::chrono_literals;
using gofer::error;
using gofer::nil;
namespace context = gofer::context;
namespace errors = gofer::errors;
namespace fmt = gofer::fmt;
namespace patterns = gofer::patterns;
namespace runtime = gofer::runtime;
namespace time = gofer::time;

class PipelineTest : public gofer_test::RuntimeTest {};
GOFER_INSTANTIATE_WORKER_COUNTS(PipelineTest);

// produce sends 0..n-1 (stopping when ctx is done), counting each send in
// *sent if given, then closes the channel.
gofer::recv_chan<int> produce(const context::Context& ctx, int n,
                              std::atomic<std::int64_t>* sent = nullptr) {
  auto ch = gofer::make_chan<int>();
  gofer::go([ctx, ch, n, sent] {
    for (int i = 0; i < n; i++) {
      if (!patterns::Send(ctx, ch, i)) break;
      if (sent) sent->fetch_add(1);
    }
    close(ch);
  });
  return ch;
}

bool only_main_left() {
  return gofer_test::eventually([] { return runtime::NumGoroutine() == 1; });
}

// Compile-time typing of stages: StageOf says which element types a stage
// takes; Pipeline static_asserts the same for each adjacent pair.
auto kToString = patterns::Map([](int v) { return std::to_string(v); });
auto kLength = patterns::Map([](const std::string& s) { return s.size(); });
static_assert(patterns::StageOf<decltype(kToString), int>);
static_assert(!patterns::StageOf<decltype(kToString), std::string>);
static_assert(patterns::StageOf<decltype(kLength), std::string>);
static_assert(!patterns::StageOf<decltype(kLength), int>);
static_assert(std::is_same_v<patterns::stage_out_t<decltype(kToString), int>, std::string>);
static_assert(std::is_same_v<patterns::stage_out_t<decltype(kLength), std::string>, std::size_t>);
static_assert(patterns::StageOf<patterns::Stage<int, std::string>, int>);
static_assert(!patterns::StageOf<patterns::Stage<int, std::string>, std::string>);
// Filter keeps the type; Map with optional / pair<_, error> unwraps it.
static_assert(
    std::is_same_v<
        patterns::stage_out_t<decltype(patterns::Filter([](const int& v) { return v > 0; })), int>,
        int>);
static_assert(std::is_same_v<
              patterns::stage_out_t<
                  decltype(patterns::Map([](int v) { return std::optional<double>(v); })), int>,
              double>);
static_assert(std::is_same_v<patterns::stage_out_t<decltype(patterns::Map([](int v) {
                                                     return std::pair<long, error>(v, nil);
                                                   })),
                                                   int>,
                             long>);
// A filter predicate must return bool or pair<bool, error>.
static_assert(!patterns::StageOf<decltype(patterns::Filter([](const int& v) { return v; })), int>);

// The article's processDataPipeline: parse, validate, enrich.
TEST_P(PipelineTest, ArticleStages) {
  run([] {
    auto parseStage =
        patterns::Map([](std::string data) { return fmt::Sprintf("parsed:%v", data); });
    auto validateStage = patterns::Map([](std::string data) -> std::optional<std::string> {
      if (data.find("parsed:") != std::string::npos) return fmt::Sprintf("valid:%v", data);
      return std::nullopt;
    });
    auto enrichStage = patterns::Map([](std::string data) {
      return fmt::Sprintf("enriched:%v:timestamp:%d", data, time::Now().Unix());
    });
    const std::int64_t t0 = time::Now().Unix();
    patterns::Flow flow;
    auto input = gofer::make_chan<std::string>();
    auto output = patterns::Pipeline(flow, input, parseStage, validateStage, enrichStage);
    static_assert(std::is_same_v<decltype(output), gofer::recv_chan<std::string>>);
    gofer::go([input] {
      for (int i = 0; i < 10; i++) input.send(fmt::Sprintf("data-%d", i));
      close(input);
    });
    int i = 0;
    for (const std::string& result : output) {
      const std::string prefix = fmt::Sprintf("enriched:valid:parsed:data-%d:timestamp:", i);
      ASSERT_EQ(result.substr(0, prefix.size()), prefix);
      // (std::from_chars, not std::stoll: see parse_int in fan_in_fan_out_test.cpp)
      std::int64_t ts = -1;
      std::from_chars(result.data() + prefix.size(), result.data() + result.size(), ts);
      EXPECT_GE(ts, t0);
      EXPECT_LE(ts, time::Now().Unix());
      i++;
    }
    EXPECT_EQ(i, 10);
    EXPECT_EQ(flow.Wait(), nil);
  });
}

TEST_P(PipelineTest, ManyItemsInOrderExactlyOnce) {
  run([] {
    const int n = static_cast<int>(gofer_test::scaled(50000, 5000));
    patterns::Flow flow;
    auto out = patterns::Pipeline(
        flow, produce(flow.Context(), n), patterns::Map([](int v) { return std::int64_t{v} + 1; }),
        patterns::Filter([](const std::int64_t& v) { return v % 2 == 0; }),
        patterns::Map([](const context::Context&, std::int64_t v) { return v * 10; }));
    std::int64_t want = 2;
    for (std::int64_t v : out) {
      ASSERT_EQ(v, want * 10);
      want += 2;
    }
    EXPECT_EQ(want, 2 + 2 * (n / 2));
    EXPECT_EQ(flow.Wait(), nil);
  });
}

TEST_P(PipelineTest, NoStagesAndTypeErasedStages) {
  run([] {
    patterns::Flow flow;
    auto in = produce(flow.Context(), 5);
    auto same = patterns::Pipeline(flow, in);
    int count = 0;
    for (int v : same) EXPECT_EQ(v, count++);
    EXPECT_EQ(count, 5);

    // Stages chosen at run time, held as Stage<In, Out>.
    std::vector<patterns::Stage<int, int>> stages;
    stages.push_back(patterns::Map([](int v) { return v * 2; }));
    stages.push_back(patterns::Filter([](const int& v) { return v % 3 != 0; }));
    gofer::recv_chan<int> cur = produce(flow.Context(), 30);
    for (const auto& s : stages) cur = patterns::Pipeline(flow, cur, s);
    std::vector<int> got;
    for (int v : cur) got.push_back(v);
    std::vector<int> want;
    for (int i = 0; i < 30; i++)
      if ((i * 2) % 3 != 0) want.push_back(i * 2);
    EXPECT_EQ(got, want);
    EXPECT_EQ(flow.Wait(), nil);
  });
}

// A slow middle stage slows the pipeline to its pace and nothing breaks:
// every item arrives in order, and the producer runs ahead of the consumer
// by no more than what the channels and stages can hold.
TEST_P(PipelineTest, SlowStageOnlySlowsThePipeline) {
  run([] {
    const int n = 60;
    std::atomic<std::int64_t> sent{0};
    std::atomic<std::int64_t> max_ahead{0};
    patterns::Flow flow;
    auto out = patterns::Pipeline(flow, produce(flow.Context(), n, &sent),
                                  patterns::Map([](int v) { return v; }), patterns::Map([](int v) {
                                    time::Sleep(time::Millisecond);  // the slow stage
                                    return v;
                                  }),
                                  patterns::Map([](int v) { return v; }));
    const auto start = time::Now();
    std::int64_t received = 0;
    for (int v : out) {
      ASSERT_EQ(v, received);
      received++;
      const std::int64_t ahead = sent.load() - received;
      if (ahead > max_ahead.load()) max_ahead.store(ahead);
    }
    EXPECT_EQ(received, n);
    EXPECT_GE(time::Since(start), n * time::Millisecond);
    // Unbuffered: one item in each of the three stages, one in the producer's
    // hand, one being counted: the producer cannot run further ahead.
    EXPECT_LE(max_ahead.load(), 5);
    EXPECT_EQ(flow.Wait(), nil);
  });
}

// StageOptions::buffer lets the stages before a slow one run ahead by the
// buffer's capacity, and no further.
TEST_P(PipelineTest, StageBufferBoundsRunAhead) {
  run([] {
    constexpr int kBuffer = 16;
    std::atomic<std::int64_t> sent{0};
    patterns::Flow flow;
    auto gate = gofer::make_chan<gofer::empty>();
    auto out = patterns::Pipeline(flow, produce(flow.Context(), 1000, &sent),
                                  patterns::Map([](int v) { return v; }, {.buffer = kBuffer}),
                                  patterns::Map([gate](int v) {
                                    if (v == 0) gate.recv();  // hold the first item
                                    return v;
                                  }));
    // While the slow stage holds item 0, the producer fills the buffer and
    // then blocks: 1 (held) + kBuffer (buffered) + 1 (in the first stage's
    // hand) + 1 (in the producer's hand, not yet counted) at most.
    EXPECT_TRUE(gofer_test::eventually([&] { return sent.load() >= kBuffer + 1; }));
    time::Sleep(20 * time::Millisecond);
    EXPECT_LE(sent.load(), kBuffer + 3);
    gate.send(gofer::empty{});
    int count = 0;
    for (int v : out) EXPECT_EQ(v, count++);
    EXPECT_EQ(count, 1000);
    EXPECT_EQ(flow.Wait(), nil);
  });
}

// StageOptions::workers runs a slow stage on several fibers: every item
// once (order not kept), faster than one worker could.
TEST_P(PipelineTest, StageWorkersParallelizeASlowStage) {
  run([] {
    const int n = 80;
    patterns::Flow flow;
    std::atomic<int> active{0}, max_active{0};
    auto out =
        patterns::Pipeline(flow, produce(flow.Context(), n),
                           patterns::Map(
                               [&](int v) {
                                 int a = active.fetch_add(1) + 1;
                                 int m = max_active.load();
                                 while (a > m && !max_active.compare_exchange_weak(m, a)) {
                                 }
                                 time::Sleep(2 * time::Millisecond);
                                 active.fetch_sub(1);
                                 return v;
                               },
                               {.workers = 8}),
                           patterns::Filter([](const int&) { return true; }, {.workers = 3}));
    std::vector<int> seen(n, 0);
    for (int v : out) seen[static_cast<std::size_t>(v)]++;
    for (int i = 0; i < n; i++) ASSERT_EQ(seen[static_cast<std::size_t>(i)], 1) << i;
    EXPECT_GT(max_active.load(), 1);
    EXPECT_LE(max_active.load(), 8);
    EXPECT_EQ(flow.Wait(), nil);
  });
}

// An item-level error stops the whole pipeline: every stage ends, the
// output closes, Wait returns the error (and errors::Is sees its cause).
TEST_P(PipelineTest, ItemErrorStopsThePipeline) {
  run([] {
    const error errInvalid = errors::New("invalid item");
    std::atomic<int> after_error{0};
    patterns::Flow flow;
    auto out = patterns::Pipeline(
        flow, produce(flow.Context(), 1 << 30), patterns::Map([](int v) { return v; }),
        patterns::Map([&](int v) -> std::pair<int, error> {
          if (v == 500) return {0, fmt::Errorf("stage 2, item %d: %w", v, errInvalid)};
          return {v, nil};
        }),
        patterns::Map([&](int v) {
          if (v > 500) after_error.fetch_add(1);
          return v;
        }));
    int count = 0;
    for (int v : out) {
      EXPECT_EQ(v, count);
      count++;
    }
    // Items 0..498 were handed to the consumer before stage 2 saw item 500;
    // 499 may be cut off by the cancellation in the last stage.
    EXPECT_GE(count, 499);
    EXPECT_LE(count, 500);
    const error err = flow.Wait();
    EXPECT_TRUE(errors::Is(err, errInvalid));
    EXPECT_EQ(err.Error(), "stage 2, item 500: invalid item");
    EXPECT_EQ(after_error.load(), 0) << "an item after the failing one went on";
    EXPECT_TRUE(only_main_left());
  });
}

TEST_P(PipelineTest, FilterErrorStopsThePipeline) {
  run([] {
    patterns::Flow flow;
    auto out = patterns::Pipeline(flow, produce(flow.Context(), 1 << 30),
                                  patterns::Filter([](const int& v) -> std::pair<bool, error> {
                                    if (v == 42) return {false, errors::New("filter failed")};
                                    return {v % 2 == 0, nil};
                                  }));
    int count = 0;
    for (int v : out) {
      EXPECT_EQ(v % 2, 0);
      count++;
    }
    EXPECT_EQ(count, 21);
    EXPECT_EQ(flow.Wait().Error(), "filter failed");
  });
}

// The consumer stops early and cancels: every stage and the producer end.
TEST_P(PipelineTest, ConsumerStopsEarly) {
  run([] {
    patterns::Flow flow;
    auto out = patterns::Pipeline(flow, produce(flow.Context(), 1 << 30),
                                  patterns::Map([](int v) { return v + 1; }, {.buffer = 4}),
                                  patterns::Filter([](const int&) { return true; }, {.workers = 2}),
                                  patterns::Map([](int v) { return std::to_string(v); }));
    for (int i = 0; i < 10; i++) {
      auto [v, ok] = out.recv2();
      ASSERT_TRUE(ok);
    }
    flow.Cancel();
    EXPECT_TRUE(errors::Is(flow.Wait(), context::Canceled));
    EXPECT_TRUE(only_main_left());
  });
}

TEST_P(PipelineTest, ParentDeadlineStopsThePipeline) {
  run([] {
    auto [ctx, cancel] = context::WithTimeout(context::Background(), 20 * time::Millisecond);
    patterns::Flow flow(ctx);
    auto out = patterns::Pipeline(flow, produce(flow.Context(), 1 << 30), patterns::Map([](int v) {
                                    time::Sleep(100 * time::Microsecond);
                                    return v;
                                  }));
    const auto start = time::Now();
    int count = 0;
    for (int v : out) EXPECT_EQ(v, count++);
    EXPECT_LT(time::Since(start), gofer_test::slack(2000ms));
    EXPECT_TRUE(errors::Is(flow.Wait(), context::DeadlineExceeded));
    cancel();
  });
}

// A stage that throws: its output still closes, the flow is cancelled, and
// Wait rethrows the exception.
TEST_P(PipelineTest, ExceptionInAStage) {
  run([] {
    patterns::Flow flow;
    auto out = patterns::Pipeline(flow, produce(flow.Context(), 1 << 30), patterns::Map([](int v) {
                                    if (v == 7) throw std::runtime_error("stage exploded");
                                    return v;
                                  }),
                                  patterns::Map([](int v) { return v; }));
    int count = 0;
    for (int v : out) EXPECT_EQ(v, count++);
    EXPECT_LE(count, 7);
    EXPECT_THROW(flow.Wait(), std::runtime_error);
    EXPECT_TRUE(only_main_left());
  });
}

// A hand-written stage (the article's shape): its fiber runs in the flow,
// uses Recv/Send, and reports an error through its return value.
gofer::recv_chan<std::string> sumStage(const patterns::Flow& flow, gofer::recv_chan<int> in) {
  auto out = gofer::make_chan<std::string>();
  flow.Go([ctx = flow.Context(), in, out]() -> error {
    gofer::defer closer([out] { close(out); });
    int v = 0;
    std::int64_t sum = 0;
    while (patterns::Recv(ctx, in, &v)) {
      sum += v;
      if (sum > 1000000) return errors::New("sum overflow");
      if (!patterns::Send(ctx, out, fmt::Sprintf("sum=%d", sum))) return ctx.Err();
    }
    return ctx.Err();  // nil when the input ended normally
  });
  return out;
}

TEST_P(PipelineTest, HandWrittenStage) {
  run([] {
    patterns::Flow flow;
    auto out = patterns::Pipeline(flow, produce(flow.Context(), 5), sumStage);
    std::vector<std::string> got;
    for (const auto& s : out) got.push_back(s);
    EXPECT_EQ(got, (std::vector<std::string>{"sum=0", "sum=1", "sum=3", "sum=6", "sum=10"}));
    EXPECT_EQ(flow.Wait(), nil);

    patterns::Flow flow2;
    auto out2 = patterns::Pipeline(flow2, produce(flow2.Context(), 1 << 30), sumStage);
    for (const auto& s : out2) (void)s;
    EXPECT_EQ(flow2.Wait().Error(), "sum overflow");
    EXPECT_TRUE(only_main_left());
  });
}

// Send and Recv: false once ctx is done or (Recv) the channel is closed.
TEST_P(PipelineTest, SendRecvHelpers) {
  run([] {
    auto [ctx, cancel] = context::WithCancel(context::Background());
    auto ch = gofer::make_chan<int>(1);
    EXPECT_TRUE(patterns::Send(ctx, ch, 1));
    int v = 0;
    EXPECT_TRUE(patterns::Recv(ctx, ch, &v));
    EXPECT_EQ(v, 1);
    gofer::go([cancel = cancel] {
      time::Sleep(5 * time::Millisecond);
      cancel();
    });
    EXPECT_FALSE(patterns::Recv(ctx, ch, &v));  // blocks until the cancel
    // A send that can complete at once still does after the cancel (Go's
    // select could pick either case; Send prefers the send).
    EXPECT_TRUE(patterns::Send(ctx, ch, 2));
    auto full = gofer::make_chan<int>();
    EXPECT_FALSE(patterns::Send(ctx, full, 3));  // nobody receives: done wins
    EXPECT_EQ(ctx.Err(), context::Canceled);

    auto closed = gofer::make_chan<int>();
    close(closed);
    EXPECT_FALSE(patterns::Recv(context::Background(), closed, &v));
    EXPECT_FALSE(patterns::Recv(ctx, closed, &v));  // closed or done: false either way
  });
}

TEST_P(PipelineTest, BadOptionsPanic) {
  run([] {
    patterns::Flow flow;
    auto in = gofer::make_chan<int>();
    EXPECT_THROW(
        patterns::Pipeline(flow, in, patterns::Map([](int v) { return v; }, {.workers = 0})),
        gofer::panic_error);
    EXPECT_THROW(
        patterns::Pipeline(flow, in, patterns::Map([](int v) { return v; }, {.buffer = -1})),
        gofer::panic_error);
    EXPECT_EQ(flow.Wait(), nil);
  });
}

}  // namespace
