// tests/patterns/fan_in_fan_out_test.cpp — patterns::FanOutFanIn, Merge,
// FanOutFanInOrdered and FanOutFanInErr (gofer/patterns/fan_in_fan_out.hpp):
// every item accounted for exactly once, the default worker count, merge's
// forms, input order and the window bound of the ordered variant, early
// cancellation with no fiber left, and an error (or exception) in one worker
// stopping the others.
#include "gofer/patterns/fan_in_fan_out.hpp"

#include <algorithm>
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
namespace patterns = gofer::patterns;
namespace runtime = gofer::runtime;
namespace time = gofer::time;

class FanInFanOutTest : public gofer_test::RuntimeTest {};
GOFER_INSTANTIATE_WORKER_COUNTS(FanInFanOutTest);

// produce sends 0..n-1 on a new unbuffered channel, stopping early when ctx
// is done, then closes it.
gofer::recv_chan<int> produce(const context::Context& ctx, int n) {
  auto ch = gofer::make_chan<int>();
  gofer::go([ctx, ch, n] {
    for (int i = 0; i < n; i++)
      if (!patterns::Send(ctx, ch, i)) break;
    close(ch);
  });
  return ch;
}

// parse_int parses a decimal int. std::from_chars, not std::stoi: stoi
// saves and restores errno, and GCC may keep errno's address
// (__errno_location is a const function) across a blocking channel receive
// in the caller's loop, after which the fiber can run on another thread:
// it would then write the first thread's errno (docs/porting.md,
// thread_local).
int parse_int(const std::string& s) {
  int v = -1;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

// atomic_max raises *m to at least v.
void atomic_max(std::atomic<std::int64_t>* m, std::int64_t v) {
  std::int64_t cur = m->load();
  while (cur < v && !m->compare_exchange_weak(cur, v)) {
  }
}

// only_main_left waits until the calling fiber is the runtime's only one.
bool only_main_left() {
  return gofer_test::eventually([] { return runtime::NumGoroutine() == 1; });
}

// The article's processLargeDataset: 100 items, n*n each, default workers.
TEST_P(FanInFanOutTest, ArticleSquaresEveryItemOnce) {
  run([] {
    auto input = gofer::make_chan<int>();
    auto results = patterns::FanOutFanIn(input, [](int n) {
      time::Sleep(time::Millisecond);  // the article's simulated work, scaled down
      return n * n;
    });
    gofer::go([input] {
      for (int i = 0; i < 100; i++) input.send(i);
      close(input);
    });
    std::vector<int> got;
    for (int r : results) got.push_back(r);
    std::sort(got.begin(), got.end());
    ASSERT_EQ(got.size(), 100u);
    for (int i = 0; i < 100; i++) EXPECT_EQ(got[static_cast<std::size_t>(i)], i * i);
  });
}

TEST_P(FanInFanOutTest, ManyItemsExactlyOnceForAnyWorkerCount) {
  run([] {
    const int n = static_cast<int>(gofer_test::scaled(20000, 2000));
    for (int workers : {1, 3, 8}) {
      std::vector<int> seen(static_cast<std::size_t>(n), 0);
      auto results = patterns::FanOutFanIn(
          produce(context::Background(), n),
          [](int v) {
            if (v % 64 == 0) runtime::Gosched();
            return std::to_string(v);  // a result type with its own heap storage
          },
          patterns::FanOptions{.workers = workers});
      for (const std::string& s : results) seen[static_cast<std::size_t>(parse_int(s))]++;
      for (int i = 0; i < n; i++) ASSERT_EQ(seen[static_cast<std::size_t>(i)], 1) << "item " << i;
    }
  });
}

TEST_P(FanInFanOutTest, BufferedChannelsKeepEveryItem) {
  run([] {
    const int n = 3000;
    std::int64_t sum = 0;
    int count = 0;
    for (int r : patterns::FanOutFanIn(
             produce(context::Background(), n), [](int v) { return v + 1; },
             patterns::FanOptions{.workers = 4, .buffer = 16})) {
      sum += r;
      count++;
    }
    EXPECT_EQ(count, n);
    EXPECT_EQ(sum, static_cast<std::int64_t>(n) * (n + 1) / 2);
  });
}

// Without opts.workers the fan-out runs runtime::NumCPU() workers.
TEST_P(FanInFanOutTest, DefaultWorkerCountIsNumCPU) {
  run([] {
    const int cpus = runtime::NumCPU();
    std::atomic<std::int64_t> active{0}, max_active{0};
    auto results = patterns::FanOutFanIn(produce(context::Background(), 6 * cpus), [&](int v) {
      atomic_max(&max_active, active.fetch_add(1) + 1);
      time::Sleep(5 * time::Millisecond);
      active.fetch_sub(1);
      return v;
    });
    int count = 0;
    for (int r : results) {
      (void)r;
      count++;
    }
    EXPECT_EQ(count, 6 * cpus);
    EXPECT_EQ(max_active.load(), cpus);
  });
}

TEST_P(FanInFanOutTest, MergeVariadicVectorAndEmpty) {
  run([] {
    auto a = gofer::make_chan<int>();
    auto b = gofer::make_chan<int>(4);
    gofer::recv_chan<int> c = produce(context::Background(), 100);  // 0..99
    for (auto [ch, base] : {std::pair{a, 1000}, std::pair{b, 2000}}) {
      gofer::go([ch = ch, base = base] {
        for (int i = 0; i < 100; i++) ch.send(base + i);
        close(ch);
      });
    }
    // Values of one input keep their order through the merge.
    int next[3] = {0, 1000, 2000};
    int count = 0;
    for (int v : patterns::Merge(a, b, c)) {
      const int k = v / 1000;
      ASSERT_EQ(v, next[k]) << "input " << k << " out of order";
      next[k]++;
      count++;
    }
    EXPECT_EQ(count, 300);

    std::vector<gofer::recv_chan<int>> chans;
    for (int i = 0; i < 5; i++) chans.push_back(produce(context::Background(), 10));
    int total = 0;
    for (int v : patterns::Merge(chans)) total += v;
    EXPECT_EQ(total, 5 * 45);

    auto empty = patterns::Merge(std::vector<gofer::recv_chan<int>>{});
    auto [v, ok] = empty.recv2();
    EXPECT_FALSE(ok) << "merging no channels gives a closed channel";
  });
}

TEST_P(FanInFanOutTest, MergeStopsOnCancel) {
  run([] {
    auto [ctx, cancel] = context::WithCancel(context::Background());
    auto forever = gofer::make_chan<int>();  // never closed, never sent on
    auto merged = patterns::Merge(ctx, produce(ctx, 1 << 30), gofer::recv_chan<int>(forever));
    for (int i = 0; i < 10; i++) merged.recv();
    cancel();  // the consumer stops; the forwarders and the producer must all end
    EXPECT_TRUE(only_main_left());
    // The merged channel is closed once the forwarders are gone.
    int drained = 0;
    for (int v : merged) {
      (void)v;
      drained++;
    }
    EXPECT_EQ(drained, 0);
  });
}

TEST_P(FanInFanOutTest, OrderedKeepsInputOrder) {
  run([] {
    const int n = static_cast<int>(gofer_test::scaled(5000, 1000));
    auto results = patterns::FanOutFanInOrdered(
        context::Background(), produce(context::Background(), n),
        [](int v) {
          // Uneven work so that completion order differs from input order.
          if (v % 7 == 0)
            time::Sleep(50 * time::Microsecond);
          else if (v % 3 == 0)
            runtime::Gosched();
          return static_cast<std::int64_t>(v) * 3;
        },
        patterns::FanOptions{.workers = 4});
    std::int64_t want = 0;
    for (std::int64_t r : results) {
      ASSERT_EQ(r, want * 3);
      want++;
    }
    EXPECT_EQ(want, n);
  });
}

// At most `window` items (+1 while a token changes hands) are between the
// input and the consumer, even when the first item is slow and all the
// others have finished.
TEST_P(FanInFanOutTest, OrderedWindowBoundsItemsInFlight) {
  run([] {
    constexpr int kWindow = 8;
    const int n = 400;
    std::atomic<std::int64_t> started{0}, received{0}, max_in_flight{0};
    auto results = patterns::FanOutFanInOrdered(
        context::Background(), produce(context::Background(), n),
        [&](int v) {
          atomic_max(&max_in_flight, started.fetch_add(1) + 1 - received.load());
          if (v % 50 == 0) time::Sleep(20 * time::Millisecond);  // a slow head of line
          return v;
        },
        patterns::FanOptions{.workers = 4, .window = kWindow});
    int want = 0;
    for (int r : results) {
      ASSERT_EQ(r, want);
      want++;
      received.fetch_add(1);
    }
    EXPECT_EQ(want, n);
    EXPECT_LE(max_in_flight.load(), kWindow + 1);
    EXPECT_GE(max_in_flight.load(), 4) << "the workers should run in parallel";
  });
}

TEST_P(FanInFanOutTest, OrderedWindowOfOne) {
  run([] {
    int want = 0;
    for (int r : patterns::FanOutFanInOrdered(
             produce(context::Background(), 200), [](int v) { return v; },
             patterns::FanOptions{.workers = 3, .window = 1})) {
      ASSERT_EQ(r, want);
      want++;
    }
    EXPECT_EQ(want, 200);
  });
}

// The consumer stops early and cancels: every fiber (producer, workers,
// forwarders, merge closer; tagger and reorderer) ends.
TEST_P(FanInFanOutTest, EarlyCancelLeavesNoFiber) {
  run([] {
    for (int variant = 0; variant < 3; variant++) {
      auto [ctx, cancel] = context::WithCancel(context::Background());
      auto input = produce(ctx, 1 << 30);
      auto slow = [](int v) {
        runtime::Gosched();
        return v;
      };
      gofer::recv_chan<int> results;
      patterns::Flow flow(ctx);
      if (variant == 0) results = patterns::FanOutFanIn(ctx, input, slow, {.workers = 4});
      if (variant == 1) results = patterns::FanOutFanInOrdered(ctx, input, slow, {.workers = 4});
      if (variant == 2) results = patterns::FanOutFanInErr(flow, input, slow, {.workers = 4});
      for (int i = 0; i < 20; i++) {
        auto [v, ok] = results.recv2();
        ASSERT_TRUE(ok);
        if (variant == 1) {
          EXPECT_EQ(v, i);
        }
      }
      cancel();  // and stop reading
      if (variant == 2) {
        EXPECT_TRUE(errors::Is(flow.Wait(), context::Canceled));
      }
      EXPECT_TRUE(only_main_left()) << "variant " << variant;
    }
  });
}

// The ordered variant's consumer stops while the reorder fiber holds
// results in its ring and the tagger waits for a token.
TEST_P(FanInFanOutTest, OrderedCancelWhileHeadIsSlow) {
  run([] {
    auto [ctx, cancel] = context::WithCancel(context::Background());
    auto results = patterns::FanOutFanInOrdered(
        ctx, produce(ctx, 1 << 30),
        [](int v) {
          if (v == 3) time::Sleep(30 * time::Millisecond);
          return v;
        },
        patterns::FanOptions{.workers = 2, .window = 4});
    for (int i = 0; i < 3; i++) EXPECT_EQ(results.recv(), i);
    cancel();
    EXPECT_TRUE(only_main_left());
  });
}

TEST_P(FanInFanOutTest, ErrAllSucceed) {
  run([] {
    const int n = 2000;
    auto [results, flow] = patterns::FanOutFanInErr(
        context::Background(), produce(context::Background(), n),
        [](const context::Context&, int v) -> std::pair<int, error> {
          return {v * 2, nil};
        },
        patterns::FanOptions{.workers = 4});
    std::vector<int> seen(n, 0);
    for (int r : results) seen[static_cast<std::size_t>(r / 2)]++;
    EXPECT_EQ(flow.Wait(), nil);
    for (int i = 0; i < n; i++) ASSERT_EQ(seen[static_cast<std::size_t>(i)], 1);
  });
}

// An error in one worker cancels the others, ends the results, and is what
// Wait returns; nothing hangs, no fiber is left.
TEST_P(FanInFanOutTest, ErrInOneWorkerStopsTheRest) {
  run([] {
    const error errBoom = errors::New("boom");
    std::atomic<std::int64_t> calls{0};
    patterns::Flow flow(context::Background());
    // The producer would go on for ever: it stops with the flow.
    auto results = patterns::FanOutFanInErr(
        flow, produce(flow.Context(), 1 << 30),
        [&](int v) -> std::pair<int, error> {
          calls.fetch_add(1);
          if (v == 37) return {0, gofer::fmt::Errorf("item %d: %w", v, errBoom)};
          runtime::Gosched();
          return {v, nil};
        },
        patterns::FanOptions{.workers = 4});
    int count = 0;
    for (int r : results) {
      (void)r;
      count++;
    }
    const error err = flow.Wait();
    ASSERT_NE(err, nil);
    EXPECT_TRUE(errors::Is(err, errBoom));
    EXPECT_EQ(err.Error(), "item 37: boom");
    EXPECT_LT(count, 100000);
    EXPECT_TRUE(only_main_left());
  });
}

TEST_P(FanInFanOutTest, ErrExceptionIsRethrownByWait) {
  run([] {
    patterns::Flow flow;
    auto results = patterns::FanOutFanInErr(
        flow, produce(flow.Context(), 1000),
        [](int v) -> std::pair<int, error> {
          if (v == 5) throw std::runtime_error("worker exploded");
          return {v, nil};
        },
        patterns::FanOptions{.workers = 3});
    for (int r : results) (void)r;
    EXPECT_THROW(
        {
          try {
            flow.Wait();
          } catch (const std::runtime_error& e) {
            EXPECT_STREQ(e.what(), "worker exploded");
            throw;
          }
        },
        std::runtime_error);
  });
}

TEST_P(FanInFanOutTest, ErrParentDeadlineEndsTheFanOut) {
  run([] {
    auto [ctx, cancel] = context::WithTimeout(context::Background(), 20 * time::Millisecond);
    auto [results, flow] = patterns::FanOutFanInErr(
        ctx, produce(ctx, 1 << 30),
        [](const context::Context& c, int v) -> std::pair<int, error> {
          time::Sleep(time::Millisecond);
          return {v, c.Err()};  // a well-behaved fn reports its context's end
        },
        patterns::FanOptions{.workers = 2});
    for (int r : results) (void)r;
    EXPECT_TRUE(errors::Is(flow.Wait(), context::DeadlineExceeded));
    cancel();
  });
}

TEST_P(FanInFanOutTest, ErrOptionalDropsItems) {
  run([] {
    auto [results, flow] =
        patterns::FanOutFanInErr(context::Background(), produce(context::Background(), 100),
                                 [](int v) -> std::optional<int> {
                                   if (v % 2) return std::nullopt;
                                   return v;
                                 });
    int count = 0;
    for (int r : results) {
      EXPECT_EQ(r % 2, 0);
      count++;
    }
    EXPECT_EQ(flow.Wait(), nil);
    EXPECT_EQ(count, 50);
  });
}

TEST_P(FanInFanOutTest, BadOptionsPanic) {
  run([] {
    auto in = gofer::make_chan<int>();
    auto id = [](int v) { return v; };
    EXPECT_THROW(patterns::FanOutFanIn(in, id, {.workers = -1}), gofer::panic_error);
    EXPECT_THROW(patterns::FanOutFanInOrdered(in, id, {.window = -1}), gofer::panic_error);
    EXPECT_THROW(patterns::FanOutFanIn(in, id, {.buffer = -1}), gofer::panic_error);
    close(in);
  });
}

}  // namespace
