// tests/ports/context_context_test.cpp — port of Go's
// src/context/context_test.go (go1.19: TestBackground ... TestInvalidDerivedFail,
// TestDeadlineExceededSupportsTimeout, TestCustomContextGoroutines) and of the
// go1.21 tests of the cause and AfterFunc additions (TestCause, TestCauseRace,
// TestWithoutCancel, TestAfterFunc*), written from their documented semantics.
// (File name: Go's package dir + file, as runtime_chan_test.cpp; a
// tests/runtime/context_test.cpp holds the C++-specific tests.)
//
// Differences from Go:
//   - Each test runs as a fiber of a Runtime with 1, 2, 4 and 8 workers
//     (gofer_test::RuntimeTest); t.Parallel is dropped.
//   - otherContext (a user type embedding a Context) does not exist: gofer's
//     Context is not user-derivable. The sub-cases that wrap a context in it
//     use the wrapped context directly; TestCustomContextGoroutines checks
//     instead that no fiber is ever started to watch a parent.
//   - Go's white-box checks of pc.children use the test hook
//     detail_context::num_children; parentCancelCtx has no counterpart.
//   - TestAllocs counts operator new calls (a replacement in this binary) as
//     testing.AllocsPerRun counts mallocs; Go's limits are kept. Skipped
//     under sanitizers, whose allocators are replaced.
//   - TestWithValueChecksKey: a nil or non-comparable key does not compile
//     (static_assert); the run-time panic left is deriving from a nil parent.
//   - quiescent(t) is a fixed generous bound (20 s, x4 under sanitizers).
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "fixture.hpp"
#include "gofer/gofer.hpp"

// ---- allocation counting for TestAllocs ------------------------------------
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define GOFER_CTX_COUNT_ALLOCS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define GOFER_CTX_COUNT_ALLOCS 0
#else
#define GOFER_CTX_COUNT_ALLOCS 1
#endif
#else
#define GOFER_CTX_COUNT_ALLOCS 1
#endif

namespace {
std::atomic<bool> g_counting{false};
std::atomic<std::int64_t> g_allocs{0};
}  // namespace

#if GOFER_CTX_COUNT_ALLOCS
void* operator new(std::size_t n) {
  // relaxed: a statistic read after the measured code returned.
  if (g_counting.load(std::memory_order_relaxed)) g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
#endif

namespace {

namespace context = gofer::context;
namespace time = gofer::time;
namespace sync = gofer::sync;
namespace errors = gofer::errors;
using context::CancelFunc;
using context::Context;
using gofer::empty;
using gofer::recv;
using gofer::select;

class GoContext : public gofer_test::RuntimeTest {};
GOFER_INSTANTIATE_WORKER_COUNTS(GoContext);

constexpr time::Duration shortDuration = 1 * time::Millisecond;
constexpr time::Duration veryLongDuration = 1000 * time::Hour;

time::Duration quiescent() {
  return gofer_test::kSanitized ? 80 * time::Second : 20 * time::Second;
}

// is_done: `select { case <-c.Done(): true; default: false }`.
bool is_done(const Context& c) {
  return select(recv(c.Done(), [] {}), gofer::default_([] {})) == 0;
}

TEST_P(GoContext, TestBackground) {
  run([] {
    Context c = context::Background();
    ASSERT_TRUE(c != nullptr) << "Background returned nil";
    EXPECT_FALSE(is_done(c)) << "<-c.Done() should block";
    EXPECT_EQ(c.String(), "context.Background");
  });
}

TEST_P(GoContext, TestTODO) {
  run([] {
    Context c = context::TODO();
    ASSERT_TRUE(c != nullptr) << "TODO returned nil";
    EXPECT_FALSE(is_done(c)) << "<-c.Done() should block";
    EXPECT_EQ(c.String(), "context.TODO");
  });
}

TEST_P(GoContext, TestWithCancel) {
  run([] {
    auto [c1, cancel] = context::WithCancel(context::Background());
    EXPECT_EQ(c1.String(), "context.Background.WithCancel");
    Context c2 = context::WithCancel(c1).first;  // Go: WithCancel(otherContext{c1})
    std::vector<Context> contexts{c1, c2};
    for (std::size_t i = 0; i < contexts.size(); i++) {
      const Context& c = contexts[i];
      EXPECT_FALSE(c.Done() == nullptr) << "c[" << i << "].Done() == nil want non-nil";
      EXPECT_EQ(c.Err(), nullptr) << "c[" << i << "].Err()";
      EXPECT_FALSE(is_done(c)) << "<-c[" << i << "].Done() should block";
    }
    cancel();  // Should propagate synchronously.
    for (std::size_t i = 0; i < contexts.size(); i++) {
      const Context& c = contexts[i];
      EXPECT_TRUE(is_done(c)) << "<-c[" << i << "].Done() blocked, but shouldn't have";
      EXPECT_EQ(c.Err(), context::Canceled) << "c[" << i << "].Err()";
    }
  });
}

TEST_P(GoContext, TestParentFinishesChild) {
  run([] {
    // Context tree:
    // parent -> cancelChild
    // parent -> valueChild -> timerChild
    auto [parent, cancel] = context::WithCancel(context::Background());
    auto [cancelChild, stop1] = context::WithCancel(parent);
    Context valueChild = context::WithValue(parent, "key", "value");
    auto [timerChild, stop2] = context::WithTimeout(valueChild, veryLongDuration);

    EXPECT_FALSE(is_done(parent));
    EXPECT_FALSE(is_done(cancelChild));
    EXPECT_FALSE(is_done(timerChild));
    EXPECT_FALSE(is_done(valueChild));

    // The parent's children should contain the two cancelable children.
    EXPECT_EQ(context::detail_context::num_children(parent), 2) << "bad linkage";
    // valueChild has no children set of its own: it reports its parent's.
    EXPECT_EQ(context::detail_context::num_children(valueChild), 2);

    cancel();

    EXPECT_EQ(context::detail_context::num_children(parent), 0)
        << "pc.cancel didn't clear pc.children";

    // parent and children should all be finished.
    auto check = [](const Context& ctx, const char* name) {
      EXPECT_TRUE(is_done(ctx)) << "<-" << name << ".Done() blocked, but shouldn't have";
      EXPECT_EQ(ctx.Err(), context::Canceled) << name << ".Err()";
    };
    check(parent, "parent");
    check(cancelChild, "cancelChild");
    check(valueChild, "valueChild");
    check(timerChild, "timerChild");

    // WithCancel should return a canceled context on a canceled parent.
    Context precanceledChild = context::WithValue(parent, "key", "value");
    EXPECT_TRUE(is_done(precanceledChild));
    EXPECT_EQ(precanceledChild.Err(), context::Canceled);
    stop2();
    stop1();
  });
}

TEST_P(GoContext, TestChildFinishesFirst) {
  run([] {
    auto [cancelable, stop] = context::WithCancel(context::Background());
    for (const Context& parent : {context::Background(), cancelable}) {
      auto [child, cancel] = context::WithCancel(parent);
      EXPECT_FALSE(is_done(parent));
      EXPECT_FALSE(is_done(child));
      const bool pcok = parent == cancelable;  // false when parent == Background()
      if (pcok) {
        EXPECT_EQ(context::detail_context::num_children(parent), 1) << "bad linkage";
      }

      cancel();

      if (pcok) {
        EXPECT_EQ(context::detail_context::num_children(parent), 0)
            << "child's cancel didn't remove self from pc.children";
      }
      // child should be finished.
      EXPECT_TRUE(is_done(child));
      EXPECT_EQ(child.Err(), context::Canceled);
      // parent should not be finished.
      EXPECT_FALSE(is_done(parent));
      EXPECT_EQ(parent.Err(), nullptr);
    }
    stop();
  });
}

void testDeadline(const Context& c, const std::string& name) {
  const time::Duration d = quiescent();
  auto timer = time::NewTimer(d);
  bool timed_out = false;
  select(recv(timer->C, [&] { timed_out = true; }), recv(c.Done(), [] {}));
  timer->Stop();
  ASSERT_FALSE(timed_out) << name << ": context not timed out after " << time::Seconds(d) << "s";
  EXPECT_EQ(c.Err(), context::DeadlineExceeded) << name << ": c.Err()";
}

TEST_P(GoContext, TestDeadline) {
  run([] {
    auto [c, cancel] = context::WithDeadline(context::Background(), time::Now().Add(shortDuration));
    EXPECT_EQ(c.String().rfind("context.Background.WithDeadline(", 0), 0u) << c.String();
    testDeadline(c, "WithDeadline");

    // Go: WithDeadline(otherContext{c}, ...); the wrapper is dropped.
    auto [c1, cancel1] =
        context::WithDeadline(context::Background(), time::Now().Add(shortDuration));
    auto [c2, cancel2] = context::WithDeadline(c1, time::Now().Add(veryLongDuration));
    testDeadline(c2, "WithDeadline+otherContext+WithDeadline");

    auto [c3, cancel3] =
        context::WithDeadline(context::Background(), time::Now().Add(-shortDuration));
    testDeadline(c3, "WithDeadline+inthepast");

    auto [c4, cancel4] = context::WithDeadline(context::Background(), time::Now());
    testDeadline(c4, "WithDeadline+now");
  });
}

TEST_P(GoContext, TestTimeout) {
  run([] {
    auto [c, cancel] = context::WithTimeout(context::Background(), shortDuration);
    EXPECT_EQ(c.String().rfind("context.Background.WithDeadline(", 0), 0u) << c.String();
    testDeadline(c, "WithTimeout");

    auto [c1, cancel1] = context::WithTimeout(context::Background(), shortDuration);
    auto [c2, cancel2] = context::WithTimeout(c1, veryLongDuration);
    testDeadline(c2, "WithTimeout+otherContext+WithTimeout");
  });
}

TEST_P(GoContext, TestCanceledTimeout) {
  run([] {
    // Go leaves the first context's 1 s timer running; so does this port
    // (the runtime drops it at shutdown if the test ends first).
    Context c = context::WithTimeout(context::Background(), time::Second).first;
    auto [c2, cancel] = context::WithTimeout(c, veryLongDuration);
    cancel();  // Should propagate synchronously.
    EXPECT_TRUE(is_done(c2)) << "<-c.Done() blocked, but shouldn't have";
    EXPECT_EQ(c2.Err(), context::Canceled);
  });
}

enum class key1 : int {};
enum class key2 : int {};
const key1 k1 = key1(1);
const key2 k2 = key2(1);  // same int as k1, different type
const key2 k3 = key2(3);  // same type as k2, different int

TEST_P(GoContext, TestValues) {
  run([] {
    auto check = [](const Context& c, const char* nm, const std::string& v1, const std::string& v2,
                    const std::string& v3) {
      auto one = [&](const std::any& got, const std::string& want, const char* key) {
        const std::string* s = std::any_cast<std::string>(&got);
        const bool ok = s != nullptr;
        EXPECT_TRUE(ok != want.empty() && (ok ? *s : std::string()) == want)
            << nm << ".Value(" << key << ") = " << (ok ? *s : "<none>") << " want " << want;
      };
      one(c.Value(k1), v1, "k1");
      one(c.Value(k2), v2, "k2");
      one(c.Value(k3), v3, "k3");
    };

    Context c0 = context::Background();
    check(c0, "c0", "", "", "");

    Context c1 = context::WithValue(context::Background(), k1, "c1k1");
    check(c1, "c1", "c1k1", "", "");
    EXPECT_EQ(c1.String(), "context.Background.WithValue(type " +
                               context::detail_context::type_name(typeid(key1)) + ", val c1k1)");
    EXPECT_NE(context::detail_context::type_name(typeid(key1)).find("key1"), std::string::npos);

    Context c2 = context::WithValue(c1, k2, "c2k2");
    check(c2, "c2", "c1k1", "c2k2", "");

    Context c3 = context::WithValue(c2, k3, "c3k3");
    check(c3, "c2", "c1k1", "c2k2", "c3k3");

    Context c4 = context::WithValue(c3, k1, nullptr);
    check(c4, "c4", "", "c2k2", "c3k3");

    // Go's o0..o4 wrap contexts in otherContext; without the wrapper:
    Context o1 = context::WithValue(context::Background(), k1, "c1k1");
    check(o1, "o1", "c1k1", "", "");
    Context o2 = context::WithValue(o1, k2, "o2k2");
    check(o2, "o2", "c1k1", "o2k2", "");
    Context o4 = context::WithValue(c4, k3, nullptr);
    check(o4, "o4", "", "c2k2", "");
  });
}

// allocs_per_run: Go's testing.AllocsPerRun: one warm-up call, then the
// average number of allocations of runs calls.
template <class F>
double allocs_per_run(int runs, F&& f) {
  f();
  g_allocs.store(0);
  g_counting.store(true);
  for (int i = 0; i < runs; i++) f();
  g_counting.store(false);
  return static_cast<double>(g_allocs.load() / runs);  // integer division, as Go's
}

TEST_P(GoContext, TestAllocs) {
  if (!GOFER_CTX_COUNT_ALLOCS) GTEST_SKIP() << "operator new is not counted under sanitizers";
  run([] {
    Context bg = context::Background();
    struct test {
      const char* desc;
      std::function<void()> f;
      double limit;
    };
    std::vector<test> tests;
    tests.push_back({"Background()", [] { (void)context::Background(); }, 0});
    tests.push_back({"WithValue(bg, k1, nil)",
                     [bg] {
                       Context c = context::WithValue(bg, k1, nullptr);
                       (void)c.Value(k1);
                     },
                     3});
    tests.push_back({"WithTimeout(bg, 1*time.Nanosecond)",
                     [bg] {
                       auto [c, cancel] = context::WithTimeout(bg, 1 * time::Nanosecond);
                       c.Done().recv();
                     },
                     12});
    tests.push_back({"WithCancel(bg)",
                     [bg] {
                       auto [c, cancel] = context::WithCancel(bg);
                       cancel();
                       c.Done().recv();
                     },
                     5});
    tests.push_back({"WithTimeout(bg, 5*time.Millisecond)",
                     [bg] {
                       auto [c, cancel] = context::WithTimeout(bg, 5 * time::Millisecond);
                       cancel();
                       c.Done().recv();
                     },
                     8});
    const int numRuns = gofer_test::short_mode() ? 10 : 100;
    for (auto& t : tests) {
      const double n = allocs_per_run(numRuns, t.f);
      EXPECT_LE(n, t.limit) << t.desc << " allocs = " << n << " want " << t.limit;
    }
  });
}

TEST_P(GoContext, TestSimultaneousCancels) {
  run([] {
    auto [root, cancel] = context::WithCancel(context::Background());
    std::vector<std::pair<Context, CancelFunc>> m{{root, cancel}};
    std::vector<Context> q{root};
    // Create a tree of contexts.
    while (!q.empty() && m.size() < 100) {
      Context parent = q.front();
      q.erase(q.begin());
      for (int i = 0; i < 4; i++) {
        auto [ctx, c] = context::WithCancel(parent);
        m.emplace_back(ctx, c);
        q.push_back(ctx);
      }
    }
    // Start all the cancels in a random order (Go's map order).
    std::mt19937 rng(std::random_device{}());
    std::shuffle(m.begin(), m.end(), rng);
    auto wg = std::make_shared<sync::WaitGroup>();
    wg->Add(static_cast<int>(m.size()));
    for (auto& [ctx, c] : m) {
      gofer::go([c = c, wg] {
        c();
        wg->Done();
      });
    }

    const time::Duration d = quiescent();
    auto stuck = gofer::make_chan<empty>(0);
    auto timer = time::AfterFunc(d, [stuck] { close(stuck); });

    // Wait on all the contexts in a random order.
    std::shuffle(m.begin(), m.end(), rng);
    bool timed_out = false;
    for (auto& [ctx, c] : m) {
      select(recv(ctx.Done(), [] {}), recv(stuck, [&] { timed_out = true; }));
      if (timed_out) break;
    }
    ASSERT_FALSE(timed_out) << "timed out waiting for <-ctx.Done()";
    // Wait for all the cancel functions to return.
    auto done = gofer::make_chan<empty>(0);
    gofer::go([wg, done] {
      wg->Wait();
      close(done);
    });
    select(recv(done, [] {}), recv(stuck, [&] { timed_out = true; }));
    timer->Stop();
    ASSERT_FALSE(timed_out) << "timed out waiting for cancel functions";
  });
}

TEST_P(GoContext, TestInterlockedCancels) {
  run([] {
    auto [parent, cancelParent] = context::WithCancel(context::Background());
    auto [child, cancelChild] = context::WithCancel(parent);
    gofer::go([parent = parent, cancelChild = cancelChild] {
      parent.Done().recv();
      cancelChild();
    });
    cancelParent();
    auto timer = time::NewTimer(quiescent());
    bool timed_out = false;
    select(recv(child.Done(), [] {}), recv(timer->C, [&] { timed_out = true; }));
    timer->Stop();
    EXPECT_FALSE(timed_out) << "timed out waiting for child.Done()";
  });
}

void testLayers(std::uint64_t seed, bool testTimeout) {
  std::mt19937_64 r(seed);
  auto intn = [&](std::size_t n) { return static_cast<std::size_t>(r() % n); };
  constexpr int minLayers = 30;
  struct value {
    int v = 0;
  };
  std::vector<std::unique_ptr<value>> vals;
  std::vector<CancelFunc> cancels;
  int numTimers = 0;
  Context ctx = context::Background();
  for (int i = 0; i < minLayers || numTimers == 0 || cancels.empty() || vals.empty(); i++) {
    switch (intn(3)) {
      case 0: {
        vals.push_back(std::make_unique<value>());
        value* v = vals.back().get();
        ctx = context::WithValue(ctx, v, v);
        break;
      }
      case 1: {
        auto [c, cancel] = context::WithCancel(ctx);
        ctx = c;
        cancels.push_back(cancel);
        break;
      }
      case 2: {
        const time::Duration d = testTimeout ? shortDuration : veryLongDuration;
        auto [c, cancel] = context::WithTimeout(ctx, d);
        ctx = c;
        cancels.push_back(cancel);
        numTimers++;
        break;
      }
    }
  }
  auto checkValues = [&](const char* when) {
    for (auto& key : vals) {
      value* const* val = ctx.ValueAs<value*>(key.get());
      EXPECT_TRUE(val != nullptr && *val == key.get())
          << "seed=" << seed << ": " << when << ": ctx.Value(" << key.get() << ")";
    }
  };
  if (!testTimeout) {
    EXPECT_FALSE(is_done(ctx)) << "seed=" << seed << ": ctx should not be canceled yet";
  }
  EXPECT_EQ(ctx.String().rfind("context.Background.", 0), 0u) << ctx.String();
  checkValues("before cancel");
  if (testTimeout) {
    auto timer = time::NewTimer(quiescent());
    bool timed_out = false;
    select(recv(ctx.Done(), [] {}), recv(timer->C, [&] { timed_out = true; }));
    timer->Stop();
    EXPECT_FALSE(timed_out) << "seed=" << seed << ": ctx should have timed out";
    checkValues("after timeout");
  } else {
    CancelFunc cancel = cancels[intn(cancels.size())];
    cancel();
    EXPECT_TRUE(is_done(ctx)) << "seed=" << seed << ": ctx should be canceled";
    checkValues("after cancel");
  }
  for (auto& c : cancels) c();  // release the long timers (Go leaves them to the GC)
}

TEST_P(GoContext, TestLayersCancel) {
  run([] { testLayers(static_cast<std::uint64_t>(time::Now().UnixNano()), false); });
}

TEST_P(GoContext, TestLayersTimeout) {
  run([] { testLayers(static_cast<std::uint64_t>(time::Now().UnixNano()), true); });
}

TEST_P(GoContext, TestCancelRemoves) {
  run([] {
    auto checkChildren = [](const char* when, const Context& ctx, std::int64_t want) {
      EXPECT_EQ(context::detail_context::num_children(ctx), want) << when;
    };

    auto [ctx, cancel0] = context::WithCancel(context::Background());
    checkChildren("after creation", ctx, 0);
    CancelFunc cancel = context::WithCancel(ctx).second;
    checkChildren("with WithCancel child ", ctx, 1);
    cancel();
    checkChildren("after canceling WithCancel child", ctx, 0);

    Context ctx2 = context::WithCancel(context::Background()).first;
    checkChildren("after creation", ctx2, 0);
    cancel = context::WithTimeout(ctx2, 60 * time::Minute).second;
    checkChildren("with WithTimeout child ", ctx2, 1);
    cancel();
    checkChildren("after canceling WithTimeout child", ctx2, 0);
    cancel0();
  });
}

TEST_P(GoContext, TestWithCancelCanceledParent) {
  run([] {
    auto [parent, pcancel] = context::WithCancel(context::Background());
    pcancel();
    Context c = context::WithCancel(parent).first;
    EXPECT_TRUE(is_done(c)) << "child not done immediately upon construction";
    EXPECT_EQ(c.Err(), context::Canceled) << "child not canceled";
  });
}

TEST_P(GoContext, TestWithValueChecksKey) {
  run([] {
    // WithValue(Background(), []byte("foo"), "bar") and WithValue(bg, nil,
    // "bar") do not compile here (static_assert "key is not comparable" /
    // "nil key"). What is left to check at run time is the nil parent.
    EXPECT_EQ(gofer_test::panic_text([] { (void)context::WithValue(Context(), 1, "bar"); }),
              "cannot create context from nil parent");
  });
}

TEST_P(GoContext, TestInvalidDerivedFail) {
  run([] {
    const std::string want = "cannot create context from nil parent";
    EXPECT_EQ(gofer_test::panic_text([] { (void)context::WithCancel(nullptr); }), want);
    EXPECT_EQ(gofer_test::panic_text(
                  [] { (void)context::WithDeadline(nullptr, time::Now().Add(shortDuration)); }),
              want);
    EXPECT_EQ(gofer_test::panic_text([] { (void)context::WithValue(nullptr, "foo", "bar"); }), want);
  });
}

TEST_P(GoContext, TestDeadlineExceededSupportsTimeout) {
  run([] {
    const context::detail_context::deadline_exceeded* i = nullptr;
    ASSERT_TRUE(errors::As(context::DeadlineExceeded, &i))
        << "DeadlineExceeded does not support Timeout interface";
    EXPECT_TRUE(i->Timeout()) << "wrong value for timeout";
  });
}

TEST_P(GoContext, TestCustomContextGoroutines) {
  // Go counts the goroutines propagateCancel starts for foreign parents;
  // gofer has none, so no chain of ours may start a fiber.
  run([] {
    const int g = gofer::runtime::NumGoroutine();
    auto [ctx1, cancel1] = context::WithCancel(context::Background());
    auto [ctx3, cancel3] = context::WithCancel(ctx1);
    auto [ctx4, cancel4] = context::WithTimeout(ctx3, veryLongDuration);
    auto [ctx5, cancel5] = context::WithCancel(ctx4);
    cancel5();
    auto [ctx6, cancel6] = context::WithTimeout(ctx5, veryLongDuration);
    cancel6();
    cancel1();
    auto [ctx7, cancel7] = context::WithCancel(ctx5);
    EXPECT_EQ(gofer::runtime::NumGoroutine(), g);
    cancel7();
    cancel4();
    cancel3();
  });
}

// ---- go1.21: causes -------------------------------------------------------

TEST_P(GoContext, TestCause) {
  run([] {
    const gofer::error forever = errors::New("forever");
    const gofer::error parentCause = errors::New("parentCause");
    const gofer::error childCause = errors::New("childCause");
    const gofer::error tooSlow = errors::New("tooSlow");
    struct tc {
      const char* name;
      std::function<Context()> ctx;
      gofer::error err;
      gofer::error cause;
    };
    std::vector<tc> tests = {
        {"Background", [] { return context::Background(); }, nullptr, nullptr},
        {"TODO", [] { return context::TODO(); }, nullptr, nullptr},
        {"WithCancel",
         [] {
           auto [ctx, cancel] = context::WithCancel(context::Background());
           cancel();
           return ctx;
         },
         context::Canceled, context::Canceled},
        {"WithCancelCause",
         [=] {
           auto [ctx, cancel] = context::WithCancelCause(context::Background());
           cancel(parentCause);
           return ctx;
         },
         context::Canceled, parentCause},
        {"WithCancelCause nil",
         [] {
           auto [ctx, cancel] = context::WithCancelCause(context::Background());
           cancel(nullptr);
           return ctx;
         },
         context::Canceled, context::Canceled},
        {"WithCancelCause not yet canceled",
         [] { return context::WithCancelCause(context::Background()).first; }, nullptr, nullptr},
        {"WithCancelCause parent canceled",
         [=] {
           auto [ctx, cancelParent] = context::WithCancelCause(context::Background());
           auto [child, cancelChild] = context::WithCancelCause(ctx);
           cancelParent(parentCause);
           cancelChild(childCause);
           return child;
         },
         context::Canceled, parentCause},
        {"WithCancelCause child canceled first",
         [=] {
           auto [ctx, cancelParent] = context::WithCancelCause(context::Background());
           auto [child, cancelChild] = context::WithCancelCause(ctx);
           cancelChild(childCause);
           cancelParent(parentCause);
           return child;
         },
         context::Canceled, childCause},
        {"WithTimeout",
         [] {
           auto [ctx, cancel] = context::WithTimeout(context::Background(), 0 * time::Second);
           return ctx;
         },
         context::DeadlineExceeded, context::DeadlineExceeded},
        {"WithTimeout canceled",
         [] {
           auto [ctx, cancel] = context::WithTimeout(context::Background(), veryLongDuration);
           cancel();
           return ctx;
         },
         context::Canceled, context::Canceled},
        {"WithTimeoutCause",
         [=] {
           return context::WithTimeoutCause(context::Background(), 0 * time::Second, tooSlow).first;
         },
         context::DeadlineExceeded, tooSlow},
        {"WithTimeoutCause canceled",
         [=] {
           auto [ctx, cancel] =
               context::WithTimeoutCause(context::Background(), veryLongDuration, tooSlow);
           cancel();
           return ctx;
         },
         context::Canceled, context::Canceled},
        {"WithTimeoutCause under WithCancelCause",
         [=] {
           auto [parent, cancelParent] = context::WithCancelCause(context::Background());
           auto [ctx, cancel] = context::WithTimeoutCause(parent, veryLongDuration, tooSlow);
           cancelParent(parentCause);
           cancel();
           return ctx;
         },
         context::Canceled, parentCause},
        {"WithValue over WithCancelCause",
         [=] {
           auto [ctx, cancel] = context::WithCancelCause(context::Background());
           cancel(parentCause);
           return context::WithValue(ctx, 1, 2);
         },
         context::Canceled, parentCause},
        {"WithoutCancel",
         [=] {
           auto [ctx, cancel] = context::WithCancelCause(context::Background());
           cancel(parentCause);
           return context::WithoutCancel(ctx);
         },
         nullptr, nullptr},
    };
    (void)forever;
    for (auto& test : tests) {
      Context ctx = test.ctx();
      EXPECT_EQ(ctx.Err(), test.err) << test.name << ": ctx.Err() = " << ctx.Err();
      EXPECT_EQ(context::Cause(ctx), test.cause)
          << test.name << ": Cause(ctx) = " << context::Cause(ctx);
    }
  });
}

TEST_P(GoContext, TestCauseRace) {
  run([] {
    const gofer::error cause = errors::New("TestCauseRace");
    auto [ctx, cancel] = context::WithCancelCause(context::Background());
    gofer::go([cancel = cancel, cause] { cancel(cause); });
    for (;;) {
      // Poll Cause, rather than waiting for Done, to test that access to
      // the underlying cause is synchronized properly.
      if (gofer::error err = context::Cause(ctx)) {
        EXPECT_EQ(err, cause) << "Cause returned " << err << ", want " << cause;
        EXPECT_EQ(ctx.Err(), context::Canceled);
        break;
      }
      gofer::runtime::Gosched();
    }
  });
}

TEST_P(GoContext, TestWithoutCancel) {
  run([] {
    enum class key : int {};
    auto [parent, cancel] = context::WithCancelCause(context::Background());
    Context withValue = context::WithValue(parent, key(1), std::string("v"));
    Context ctx = context::WithoutCancel(withValue);
    EXPECT_TRUE(ctx.Done() == nullptr) << "ctx.Done() should be nil";
    EXPECT_EQ(ctx.Err(), nullptr);
    EXPECT_FALSE(ctx.Deadline().second);
    cancel(errors::New("parent"));
    EXPECT_EQ(ctx.Err(), nullptr) << "ctx.Err() after parent cancel";
    EXPECT_EQ(context::Cause(ctx), nullptr);
    const std::string* v = ctx.ValueAs<std::string>(key(1));
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(*v, "v");
    EXPECT_EQ(ctx.String().rfind(".WithoutCancel"), ctx.String().size() - 14);
  });
}

// ---- go1.21: AfterFunc ----------------------------------------------------

// called: whether donec is closed within d (receiving, as Go's tests do).
bool called(const gofer::chan<empty>& donec, time::Duration d) {
  bool got = false;
  select(recv(donec, [&] { got = true; }), recv(time::After(d), [] {}));
  return got;
}

TEST_P(GoContext, TestAfterFuncCalledAfterCancel) {
  run([] {
    auto [ctx, cancel] = context::WithCancel(context::Background());
    auto donec = gofer::make_chan<empty>(0);
    auto stop = context::AfterFunc(ctx, [donec] { close(donec); });
    EXPECT_FALSE(called(donec, shortDuration)) << "AfterFunc called before context is done";
    cancel();
    EXPECT_TRUE(called(donec, quiescent())) << "AfterFunc not called after context is canceled";
    EXPECT_FALSE(stop()) << "stop() = true, want false";
  });
}

TEST_P(GoContext, TestAfterFuncCalledAfterTimeout) {
  run([] {
    auto [ctx, cancel] = context::WithTimeout(context::Background(), shortDuration);
    auto donec = gofer::make_chan<empty>(0);
    context::AfterFunc(ctx, [donec] { close(donec); });
    EXPECT_TRUE(called(donec, quiescent())) << "AfterFunc not called after context times out";
    cancel();
  });
}

TEST_P(GoContext, TestAfterFuncCalledImmediately) {
  run([] {
    auto [ctx, cancel] = context::WithCancel(context::Background());
    cancel();
    auto donec = gofer::make_chan<empty>(0);
    context::AfterFunc(ctx, [donec] { close(donec); });
    EXPECT_TRUE(called(donec, quiescent())) << "AfterFunc not called for already-canceled context";
  });
}

TEST_P(GoContext, TestAfterFuncNotCalledAfterStop) {
  run([] {
    auto [ctx, cancel] = context::WithCancel(context::Background());
    auto donec = gofer::make_chan<empty>(0);
    auto stop = context::AfterFunc(ctx, [donec] { close(donec); });
    EXPECT_TRUE(stop()) << "stop() = false, want true";
    EXPECT_EQ(context::detail_context::num_children(ctx), 0) << "stop did not unregister";
    cancel();
    EXPECT_FALSE(called(donec, shortDuration)) << "AfterFunc called for stopped context";
    EXPECT_FALSE(stop()) << "stop() = true, want false";
  });
}

// This test verifies that AfterFunc does not call f synchronously: f blocks
// until the test has returned from cancel.
TEST_P(GoContext, TestAfterFuncCalledAsynchronously) {
  run([] {
    auto [ctx, cancel] = context::WithCancel(context::Background());
    auto donec = gofer::make_chan<empty>(0);
    auto stop = context::AfterFunc(ctx, [donec] { donec.send(empty{}); });
    cancel();
    bool got = false;
    select(recv(donec, [&] { got = true; }), recv(time::After(quiescent()), [] {}));
    EXPECT_TRUE(got) << "AfterFunc not called after context is canceled";
    stop();
  });
}

TEST_P(GoContext, TestAfterFuncNeverDone) {
  // A context that is never done never calls f; stop still reports true once.
  run([] {
    auto donec = gofer::make_chan<empty>(0);
    auto stop = context::AfterFunc(context::Background(), [donec] { close(donec); });
    EXPECT_FALSE(called(donec, shortDuration));
    EXPECT_TRUE(stop());
    EXPECT_FALSE(stop());
  });
}

}  // namespace
