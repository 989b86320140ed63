// tests/runtime/context_test.cpp — gofer::context beyond Go's own tests
// (those are in tests/ports/context_context_test.cpp): use from plain
// threads, many waiters on one Done, concurrent and idempotent cancels,
// stable Err/Cause, 10,000-deep chains (iterative cancel and teardown),
// the weak parent -> child links (no leak, children unlink themselves),
// timers released at shutdown, AfterFunc races, keys and values, panics.
#include <atomic>
#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "fixture.hpp"
#include "gofer/gofer.hpp"

namespace {

using gofer_test::panic_text;
using namespace std::chrono_literals;
namespace context = gofer::context;
namespace time = gofer::time;
namespace sync = gofer::sync;
namespace errors = gofer::errors;
using context::CancelFunc;
using context::Context;
using context::detail_context::num_children;
using gofer::empty;
using gofer::recv;
using gofer::select;
using gofer_test::scaled;

class ContextTest : public gofer_test::RuntimeTest {};
GOFER_INSTANTIATE_WORKER_COUNTS(ContextTest);

bool is_done(const Context& c) {
  return select(recv(c.Done(), [] {}), gofer::default_([] {})) == 0;
}

const time::Duration kLong = 1000 * time::Hour;

// WaitGroup note: the WaitGroups that fibers Done() are held by shared_ptr,
// not on the waiter's stack: sync::WaitGroup's last Done may still touch
// the WaitGroup (its embedded semaphore queue) after Wait has returned.
time::Duration bound() { return gofer_test::kSanitized ? 120 * time::Second : 30 * time::Second; }

// A plain thread cancels while fibers select on Done() and on a channel
// that never becomes ready.
TEST_P(ContextTest, CancelFromThreadWhileFibersSelect) {
  run([] {
    auto [ctx, cancel] = context::WithCancel(context::Background());
    const int n = 64;
    auto never = gofer::make_chan<int>(0);
    auto woke = std::make_shared<std::atomic<int>>(0);
    auto wg = std::make_shared<sync::WaitGroup>();  // see the WaitGroup note above
    wg->Add(n);
    for (int i = 0; i < n; i++) {
      gofer::go([ctx = ctx, never, woke, wg] {
        select(recv(ctx.Done(), [&] { woke->fetch_add(1); }), recv(never, [](int) {}));
        EXPECT_EQ(ctx.Err(), context::Canceled);
        wg->Done();
      });
    }
    std::thread t([cancel = cancel] {
      std::this_thread::sleep_for(5ms);
      cancel();
    });
    wg->Wait();
    t.join();
    EXPECT_EQ(woke->load(), n);
  });
}

TEST_P(ContextTest, ManyFibersWaitOnOneDone) {
  run([] {
    auto [ctx, cancel] = context::WithCancel(context::Background());
    const int n = static_cast<int>(gofer_test::live_capped(scaled(10000, 1000)));
    auto started = std::make_shared<sync::WaitGroup>();
    auto finished = std::make_shared<sync::WaitGroup>();
    started->Add(n);
    finished->Add(n);
    for (int i = 0; i < n; i++) {
      gofer::go([ctx = ctx, started, finished] {
        auto d = ctx.Done();
        started->Done();
        d.recv();
        finished->Done();
      });
    }
    started->Wait();
    EXPECT_FALSE(is_done(ctx));
    cancel();
    finished->Wait();
  });
}

// Cancel is idempotent and safe from 8 fibers and 8 threads at once; Done is
// closed exactly once (a second close would panic) and Err/Cause never change
// once set.
TEST_P(ContextTest, ConcurrentCancelFromFibersAndThreads) {
  run([] {
    const int rounds = static_cast<int>(scaled(200, 20));
    for (int r = 0; r < rounds; r++) {
      auto [parent, pcancel] = context::WithCancel(context::Background());
      auto [ctx, cancel] = context::WithCancelCause(parent);
      auto [child, ccancel] = context::WithTimeout(ctx, kLong);
      (void)ctx.Done();  // make the channel, so cancels race on closing it
      auto gate = gofer::make_chan<empty>(0);
      auto wg = std::make_shared<sync::WaitGroup>();
      wg->Add(8);
      std::atomic<int> bad{0};
      const gofer::error mine = errors::New("mine");
      for (int i = 0; i < 8; i++) {
        gofer::go([=, &bad] {
          gate.recv();
          if (i % 2)
            cancel(mine);
          else
            pcancel();
          if (ctx.Err() == nullptr || child.Err() == nullptr) bad++;
          wg->Done();
        });
      }
      std::vector<std::thread> threads;
      for (int i = 0; i < 8; i++) {
        threads.emplace_back([=, &bad] {
          gate.recv();
          if (i % 2)
            cancel(nullptr);
          else
            ccancel();
          // A cancel returns only once its subtree is cancelled, whoever
          // cancelled which part first; the child's Err is then final.
          if (ctx.Err() == nullptr && i % 2) bad++;
        });
      }
      close(gate);
      wg->Wait();
      for (auto& t : threads) t.join();
      EXPECT_EQ(bad.load(), 0);
      EXPECT_EQ(ctx.Err(), context::Canceled);
      const gofer::error c1 = context::Cause(ctx);
      EXPECT_TRUE(c1 == mine || c1 == context::Canceled) << c1;
      for (int i = 0; i < 10; i++) {
        EXPECT_EQ(context::Cause(ctx), c1);
        EXPECT_EQ(ctx.Err(), context::Canceled);
      }
      EXPECT_TRUE(is_done(child));
      EXPECT_EQ(child.Err(), context::Canceled);
      EXPECT_EQ(num_children(parent), 0);
    }
  });
}

// Err is nil while Done is open and non-nil (and final) once it is closed,
// for readers racing with the cancel.
TEST_P(ContextTest, ErrConsistentWithDone) {
  run([] {
    const int rounds = static_cast<int>(scaled(500, 50));
    for (int r = 0; r < rounds; r++) {
      auto [ctx, cancel] = context::WithCancel(context::Background());
      auto wg = std::make_shared<sync::WaitGroup>();
      std::atomic<int> bad{0};
      wg->Add(4);
      for (int i = 0; i < 4; i++) {
        gofer::go([ctx = ctx, wg, &bad] {
          for (int k = 0; k < 100; k++) {
            const bool done = is_done(ctx);
            gofer::error e = ctx.Err();
            if (done && e == nullptr) bad++;  // Done closed => Err non-nil
            if (e != nullptr && e != context::Canceled) bad++;
            if (e != nullptr && !is_done(ctx)) bad++;  // Err non-nil => Done closed
            if (e != nullptr) break;
            gofer::runtime::Gosched();
          }
          wg->Done();
        });
      }
      cancel();
      wg->Wait();
      EXPECT_EQ(bad.load(), 0);
    }
  });
}

// A 10,000-deep chain is cancelled and freed without recursion (a recursive
// cancel or destructor would overflow the fiber's default 256 KiB stack).
TEST_P(ContextTest, DeepChainCancel) {
  run([] {
    const int depth = 10000;
    auto [root, cancel] = context::WithCancel(context::Background());
    Context ctx = root;
    std::vector<CancelFunc> cancels;
    for (int i = 0; i < depth; i++) {
      switch (i % 3) {
        case 0: {
          auto [c, f] = context::WithCancel(ctx);
          ctx = c;
          cancels.push_back(f);
          break;
        }
        case 1: {
          auto [c, f] = context::WithTimeout(ctx, kLong);
          ctx = c;
          cancels.push_back(f);
          break;
        }
        case 2:
          ctx = context::WithValue(ctx, i, i);
          break;
      }
    }
    const int* v = ctx.ValueAs<int>(2);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(*v, 2);
    EXPECT_TRUE(ctx.Deadline().second);
    EXPECT_FALSE(is_done(ctx));
    cancel();
    EXPECT_TRUE(is_done(ctx));
    EXPECT_EQ(ctx.Err(), context::Canceled);
    for (auto& f : cancels) f();  // all no-ops now
    cancels.clear();
    ctx = nullptr;  // frees the chain, leaf to root, iteratively
  });
}

TEST_P(ContextTest, DeepChainDroppedWithoutCancel) {
  run([] {
    Context ctx = context::Background();
    auto [root, cancel] = context::WithCancel(ctx);
    ctx = root;
    for (int i = 0; i < 10000; i++) ctx = context::WithCancel(ctx).first;
    EXPECT_EQ(num_children(root), 1);
    ctx = nullptr;  // nothing holds the chain any more
    EXPECT_EQ(num_children(root), 0);
    cancel();
  });
}

TEST(ContextThreads, DeepChainOnPlainThread) {
  // The same from a plain thread (its stack is big, but the point is that
  // cancel and teardown work off the runtime too).
  std::thread t([] {
    auto [root, cancel] = context::WithCancel(context::Background());
    Context ctx = root;
    for (int i = 0; i < 10000; i++) ctx = context::WithCancel(ctx).first;
    cancel();
    EXPECT_EQ(ctx.Err(), context::Canceled);
  });
  t.join();
}

// Children dropped without cancel unlink themselves (the parent holds them
// weakly); children cancelled through the parent are released (ASan's leak
// check fails the test otherwise).
TEST_P(ContextTest, ChildrenDoNotLeak) {
  run([] {
    auto [parent, cancel] = context::WithCancel(context::Background());
    {
      std::vector<std::pair<Context, CancelFunc>> kids;
      for (int i = 0; i < 1000; i++) kids.push_back(context::WithCancel(parent));
      for (int i = 0; i < 100; i++) kids.push_back(context::WithTimeout(parent, kLong));
      EXPECT_EQ(num_children(parent), 1100);
    }
    // The WithCancel children are gone; the timer children live on until
    // their timers are stopped (as Go's timers keep their contexts).
    EXPECT_EQ(num_children(parent), 100);
    std::vector<Context> kept;
    for (int i = 0; i < 1000; i++) kept.push_back(context::WithCancel(parent).first);
    cancel();
    EXPECT_EQ(num_children(parent), 0);
    for (auto& k : kept) EXPECT_EQ(k.Err(), context::Canceled);
  });
}

// Children are made and dropped (their last reference freeing them, which
// unlinks them from the parent) by several fibers while another cancels the
// parent: the cancel must skip children whose count already reached zero
// and cancel every child that is still alive. ASan/TSan check the lifetimes.
TEST_P(ContextTest, ChildrenDyingWhileParentCancels) {
  run([] {
    const int rounds = static_cast<int>(scaled(300, 30));
    for (int r = 0; r < rounds; r++) {
      auto [parent, cancel] = context::WithCancel(context::Background());
      auto wg = std::make_shared<sync::WaitGroup>();
      auto survivors = std::make_shared<std::vector<Context>>();
      auto mu = std::make_shared<sync::Mutex>();
      const int makers = 4;
      wg->Add(makers);
      for (int m = 0; m < makers; m++) {
        gofer::go([parent = parent, wg, survivors, mu, m] {
          for (int i = 0; i < 50; i++) {
            auto [c, f] = (i % 3 == 0) ? context::WithTimeout(parent, kLong)
                                       : context::WithCancel(parent);
            if (i % 7 == m) {
              std::lock_guard<sync::Mutex> lk(*mu);
              survivors->push_back(c);  // kept: must end up cancelled
            }
            if (i % 5 == 0) f();  // some cancel themselves (remove_child)
            if (i % 3 == 0) f();  // timer children must be cancelled to be freed
            if (i % 4 == 0) gofer::runtime::Gosched();
          }  // the others die here, racing with the parent's cancel
          wg->Done();
        });
      }
      gofer::runtime::Gosched();
      cancel();
      wg->Wait();
      EXPECT_EQ(num_children(parent), 0);
      for (const Context& c : *survivors) EXPECT_EQ(c.Err(), context::Canceled);
    }
  });
}

TEST_P(ContextTest, DoneSelectWithTimeAfter) {
  run([] {
    auto [ctx, cancel] = context::WithCancel(context::Background());
    int which = -1;
    select(recv(ctx.Done(), [&] { which = 0; }),
           recv(time::After(20 * time::Millisecond), [&](time::Time) { which = 1; }));
    EXPECT_EQ(which, 1);
    gofer::go([cancel = cancel] {
      time::Sleep(5 * time::Millisecond);
      cancel();
    });
    select(recv(ctx.Done(), [&] { which = 0; }), recv(time::After(bound()), [&] { which = 1; }));
    EXPECT_EQ(which, 0);
    EXPECT_EQ(ctx.Err(), context::Canceled);
  });
}

TEST_P(ContextTest, TimeoutDoneSelect) {
  run([] {
    const time::Time start = time::Now();
    auto [ctx, cancel] = context::WithTimeout(context::Background(), 10 * time::Millisecond);
    int which = -1;
    select(recv(ctx.Done(), [&] { which = 0; }), recv(time::After(bound()), [&] { which = 1; }));
    EXPECT_EQ(which, 0);
    EXPECT_GE(time::Since(start), 10 * time::Millisecond);
    EXPECT_FALSE(time::Now().Before(ctx.Deadline().first)) << "done before its deadline";
    EXPECT_EQ(ctx.Err(), context::DeadlineExceeded);
    EXPECT_TRUE(errors::Is(ctx.Err(), context::DeadlineExceeded));
    EXPECT_EQ(ctx.Err().Error(), "context deadline exceeded");
    cancel();
    EXPECT_EQ(ctx.Err(), context::DeadlineExceeded) << "a later cancel does not change Err";
  });
}

// Done() is made once and is the same channel every time.
TEST_P(ContextTest, DoneIsStable) {
  run([] {
    auto [ctx, cancel] = context::WithCancel(context::Background());
    Context v = context::WithValue(ctx, "k", 1);
    EXPECT_EQ(ctx.Done().raw(), ctx.Done().raw());
    EXPECT_EQ(v.Done().raw(), ctx.Done().raw());
    EXPECT_EQ(len(ctx.Done()), 0u);
    EXPECT_EQ(cap(ctx.Done()), 1u) << "documented difference from Go (0): a lock-free poll";
    gofer::empty e;
    EXPECT_FALSE(ctx.Done().try_recv(e));
    cancel();
    EXPECT_TRUE(is_done(v));
    // Cancelled before anyone asked: Go's shared closed channel.
    auto [c2, cancel2] = context::WithCancel(context::Background());
    cancel2();
    EXPECT_TRUE(is_done(c2));
    EXPECT_TRUE(context::Background().Done() == nullptr);
    EXPECT_TRUE(context::WithValue(context::TODO(), 1, 2).Done() == nullptr);
  });
}

// Plain threads (no runtime fiber at all): a thread blocks on Done, another
// cancels; deadlines from a plain thread run on the default runtime.
TEST(ContextThreads, DoneFromThreads) {
  auto [ctx, cancel] = context::WithCancel(context::Background());
  std::atomic<bool> got{false};
  std::thread waiter([&, ctx = ctx] {
    ctx.Done().recv();
    got = true;
  });
  std::this_thread::sleep_for(5ms);
  EXPECT_FALSE(got.load());
  std::thread canceller([cancel = cancel] { cancel(); });
  canceller.join();
  waiter.join();
  EXPECT_TRUE(got.load());
  EXPECT_EQ(ctx.Err(), context::Canceled);
}

TEST(ContextThreads, TimeoutFromThread) {
  auto [ctx, cancel] = context::WithTimeout(context::Background(), 10 * time::Millisecond);
  auto d = ctx.Deadline();
  EXPECT_TRUE(d.second);
  ctx.Done().recv();
  EXPECT_EQ(ctx.Err(), context::DeadlineExceeded);
  cancel();
}

// AfterFunc's f runs on a fiber even when the cancel comes from a thread,
// and exactly one of {f runs, stop() returns true} happens under races.
TEST_P(ContextTest, AfterFuncRaces) {
  run([] {
    const int n = static_cast<int>(scaled(2000, 200));
    auto [ctx, cancel] = context::WithCancel(context::Background());
    auto ran = std::make_shared<std::atomic<int>>(0);
    auto on_fiber = std::make_shared<std::atomic<int>>(0);
    std::vector<std::function<bool()>> stops;
    for (int i = 0; i < n; i++) {
      stops.push_back(context::AfterFunc(ctx, [ran, on_fiber] {
        if (gofer_test::in_fiber()) on_fiber->fetch_add(1);
        ran->fetch_add(1);
      }));
    }
    EXPECT_EQ(num_children(ctx), n);
    std::atomic<int> stopped{0};
    std::thread t([cancel = cancel] { cancel(); });
    for (int i = 0; i < n; i += 2)
      if (stops[static_cast<std::size_t>(i)]()) stopped++;
    t.join();
    for (int i = 1; i < n; i += 2)
      EXPECT_FALSE(stops[static_cast<std::size_t>(i)]());  // after cancel: f started
    ASSERT_TRUE(gofer_test::eventually([&] { return ran->load() + stopped.load() == n; }))
        << "ran " << ran->load() << " stopped " << stopped.load();
    EXPECT_EQ(on_fiber->load(), ran->load());
    EXPECT_EQ(num_children(ctx), 0);
    stops.clear();
    // Let the AfterFunc fibers exit before the fixture counts them.
    gofer_test::eventually([] { return gofer::runtime::NumGoroutine() <= 1; });
  });
}

// A context nobody holds any more frees its AfterFunc registrations (f
// never runs: the context can never be done).
TEST_P(ContextTest, AfterFuncOnDroppedContext) {
  run([] {
    auto flag = std::make_shared<std::atomic<bool>>(false);
    {
      auto [ctx, cancel] = context::WithCancel(context::Background());
      (void)context::AfterFunc(ctx, [flag] { flag->store(true); });
      EXPECT_EQ(num_children(ctx), 1);
    }
    EXPECT_FALSE(flag->load());
    EXPECT_EQ(flag.use_count(), 1) << "the registration (and f) was freed";
  });
}

// A deadline context dropped without cancel lives until its timer is
// dropped at runtime shutdown; then it is freed (no leak under ASan).
TEST(ContextShutdown, UnfiredTimersReleased) {
  auto parent = std::make_unique<std::pair<Context, CancelFunc>>();
  {
    gofer::Runtime rt(gofer::Runtime::Options{.workers = 2});
    rt.run([&] {
      *parent = context::WithCancel(context::Background());
      for (int i = 0; i < 10; i++) (void)context::WithTimeout(parent->first, kLong);
      EXPECT_EQ(num_children(parent->first), 10);
    });
  }
  EXPECT_EQ(num_children(parent->first), 0) << "shutdown dropped the timers, freeing the children";
  parent->second();
}

TEST_P(ContextTest, DeadlineRules) {
  run([] {
    const time::Time soon = time::Now().Add(time::Hour);
    auto [p, pc] = context::WithDeadline(context::Background(), soon);
    auto [d, ok] = p.Deadline();
    EXPECT_TRUE(ok);
    EXPECT_TRUE(d.Equal(soon));
    // A later deadline under an earlier one is WithCancel: same deadline.
    auto [c, cc] = context::WithDeadline(p, soon.Add(time::Hour));
    EXPECT_TRUE(c.Deadline().first.Equal(soon));
    const std::string cs = c.String();  // (the "[time left]" part changes between calls)
    EXPECT_EQ(cs.substr(cs.size() - 11), ".WithCancel") << cs;
    // An earlier one wins.
    auto [e, ec] = context::WithTimeout(p, time::Minute);
    EXPECT_TRUE(e.Deadline().first.Before(soon));
    // Already passed: cancelled at once with DeadlineExceeded.
    auto [x, xc] = context::WithDeadline(p, time::Now().Add(-time::Second));
    EXPECT_TRUE(is_done(x));
    EXPECT_EQ(x.Err(), context::DeadlineExceeded);
    EXPECT_FALSE(context::Background().Deadline().second);
    ec();
    cc();
    pc();
    xc();
  });
}

struct user {
  std::string name;
  std::string String() const { return "user " + name; }
};
struct user_key {
  int id;
  friend bool operator==(const user_key&, const user_key&) = default;
};

TEST_P(ContextTest, KeysAndValues) {
  run([] {
    Context ctx = context::WithValue(context::Background(), user_key{1}, user{"ann"});
    ctx = context::WithValue(ctx, "k", "v");
    ctx = context::WithValue(ctx, std::string("n"), 42);
    const user* u = ctx.ValueAs<user>(user_key{1});
    ASSERT_NE(u, nullptr);
    EXPECT_EQ(u->name, "ann");
    EXPECT_EQ(ctx.ValueAs<user>(user_key{2}), nullptr);
    EXPECT_EQ(ctx.ValueAs<int>(user_key{1}), nullptr) << "wrong value type: not found";
    const std::string* s = ctx.ValueAs<std::string>("k");  // char strings are Go strings
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(*s, "v");
    std::string key = "k";
    EXPECT_NE(ctx.ValueAs<std::string>(key.c_str()), nullptr) << "compared by contents";
    EXPECT_EQ(std::any_cast<int>(ctx.Value("n")), 42);
    EXPECT_FALSE(ctx.Value(1).has_value()) << "int 1 is not user_key{1}";
    EXPECT_NE(ctx.String().find("WithValue(type string, val v)"), std::string::npos)
        << ctx.String();
    EXPECT_NE(ctx.String().find("val user ann)"), std::string::npos) << ctx.String();
    EXPECT_NE(ctx.String().find("val <not Stringer>)"), std::string::npos) << ctx.String();
  });
}

TEST_P(ContextTest, NilPanics) {
  run([] {
    const std::string deref = "runtime error: invalid memory address or nil pointer dereference";
    Context nil_ctx;
    EXPECT_EQ(panic_text([&] { (void)nil_ctx.Done(); }), deref);
    EXPECT_EQ(panic_text([&] { (void)nil_ctx.Err(); }), deref);
    EXPECT_EQ(panic_text([&] { (void)nil_ctx.Value(1); }), deref);
    EXPECT_EQ(panic_text([&] { (void)nil_ctx.Deadline(); }), deref);
    EXPECT_EQ(panic_text([&] { (void)context::Cause(nil_ctx); }), deref);
    EXPECT_EQ(panic_text([&] { (void)context::AfterFunc(nil_ctx, [] {}); }), deref);
    EXPECT_EQ(panic_text([] {
                CancelFunc f;
                f();
              }),
              deref);
    const std::string nilp = "cannot create context from nil parent";
    EXPECT_EQ(panic_text([&] { (void)context::WithCancelCause(nil_ctx); }), nilp);
    EXPECT_EQ(panic_text([&] { (void)context::WithTimeout(nil_ctx, time::Second); }), nilp);
    EXPECT_EQ(panic_text([&] { (void)context::WithoutCancel(nil_ctx); }), nilp);
    std::ostringstream os;
    os << nil_ctx;
    EXPECT_EQ(os.str(), "<nil>");
  });
}

// Canceled and DeadlineExceeded are single values shared by every
// translation unit, usable with errors::Is and wrapping.
TEST(ContextErrors, Values) {
  EXPECT_EQ(context::Canceled.Error(), "context canceled");
  EXPECT_EQ(context::DeadlineExceeded.Error(), "context deadline exceeded");
  EXPECT_EQ(context::Canceled, context::detail_context::canceled_error());
  EXPECT_TRUE(errors::Is(errors::Join(errors::New("x"), context::Canceled), context::Canceled));
  EXPECT_FALSE(errors::Is(context::Canceled, context::DeadlineExceeded));
}

}  // namespace
