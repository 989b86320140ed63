// tests/runtime/semaphore_test.cpp — gofer::semaphore (golang.org/x/sync/
// semaphore). The x/sync tests re-written for gofer under their names
// (TestWeighted, TestWeightedPanic, TestWeightedTryAcquire,
// TestWeightedAcquire, TestWeightedDoesntBlockIfTooBig,
// TestLargeAcquireDoesntStarve, TestAllocCancelDoesntStarve,
// TestWeightedAcquireCanceled), with a concurrency bound checked in
// TestWeighted, plus FIFO order, timeouts, and use from plain threads.
//
// GOMAXPROCS in the Go tests is the fixture's worker count (1, 2, 4, 8).
#include "gofer/semaphore.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "fixture.hpp"
#include "gofer/context.hpp"
#include "gofer/errgroup.hpp"
#include "gofer/gofer.hpp"

namespace {

using gofer::error;
using gofer::nil;
namespace context = gofer::context;
namespace errgroup = gofer::errgroup;
namespace semaphore = gofer::semaphore;
namespace sync = gofer::sync;
namespace time = gofer::time;
namespace runtime = gofer::runtime;

class SemaphoreTest : public gofer_test::RuntimeTest {};
GOFER_INSTANTIATE_WORKER_COUNTS(SemaphoreTest);

// Go uses 1 ms; a quarter keeps the 1-worker run near a second.
constexpr time::Duration maxSleep = 250 * time::Microsecond;

// HammerWeighted acquires n tokens, sleeps, releases, loops times; *held
// tracks the tokens held by all hammers and must never exceed size.
void HammerWeighted(semaphore::Weighted* sem, std::int64_t n, int loops,
                    std::atomic<std::int64_t>* held, std::int64_t size, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::int64_t> d(0, maxSleep.count() - 1);
  for (int i = 0; i < loops; i++) {
    ASSERT_EQ(sem->Acquire(context::Background(), n), nil);
    const std::int64_t now = held->fetch_add(n) + n;
    EXPECT_LE(now, size) << "tokens held exceed the semaphore's size";
    time::Sleep(time::Duration(d(rng)));
    held->fetch_sub(n);
    sem->Release(n);
  }
}

TEST_P(SemaphoreTest, TestWeighted) {
  run([this] {
    const int n = workers();
    const int loops = static_cast<int>(gofer_test::scaled(10000, 1000)) / n;
    auto sem = semaphore::NewWeighted(n);
    std::atomic<std::int64_t> held{0};
    sync::WaitGroup wg;
    wg.Add(n);
    for (int i = 0; i < n; i++) {
      gofer::go([&, i] {
        HammerWeighted(sem.get(), i, loops, &held, n, static_cast<std::uint32_t>(i + 1));
        wg.Done();
      });
    }
    wg.Wait();
    EXPECT_TRUE(sem->TryAcquire(n)) << "tokens leaked";
  });
}

// With weight 1 each and more hammers than tokens, the bound is reached.
TEST_P(SemaphoreTest, TestWeightedBoundsConcurrency) {
  run([] {
    const std::int64_t size = 3;
    const int hammers = 12;
    auto sem = semaphore::NewWeighted(size);
    std::atomic<std::int64_t> held{0}, max_held{0};
    errgroup::Group g;
    for (int i = 0; i < hammers; i++) {
      g.Go([&]() -> error {
        for (int k = 0; k < 50; k++) {
          if (error err = sem->Acquire(context::Background(), 1)) return err;
          const std::int64_t now = held.fetch_add(1) + 1;
          std::int64_t m = max_held.load();
          while (m < now && !max_held.compare_exchange_weak(m, now)) {
          }
          time::Sleep(20 * time::Microsecond);
          held.fetch_sub(1);
          sem->Release(1);
        }
        return nil;
      });
    }
    ASSERT_EQ(g.Wait(), nil);
    EXPECT_LE(max_held.load(), size);
    EXPECT_GE(max_held.load(), 1);
  });
}

TEST(Semaphore, TestWeightedPanic) {
  semaphore::Weighted w(1);
  try {
    w.Release(1);
    ADD_FAILURE() << "Release of an unacquired weighted semaphore did not panic";
  } catch (const gofer::panic_error& e) {
    EXPECT_STREQ(e.what(), "semaphore: released more than held");
  }
  // The count is left as it was: the token is still free.
  EXPECT_TRUE(w.TryAcquire(1));
  EXPECT_FALSE(w.TryAcquire(1));
  w.Release(1);
}

TEST(Semaphore, TestWeightedTryAcquire) {
  const auto ctx = context::Background();
  auto sem = semaphore::NewWeighted(2);
  std::vector<bool> tries;
  ASSERT_EQ(sem->Acquire(ctx, 1), nil);
  tries.push_back(sem->TryAcquire(1));
  tries.push_back(sem->TryAcquire(1));

  sem->Release(2);

  tries.push_back(sem->TryAcquire(1));
  ASSERT_EQ(sem->Acquire(ctx, 1), nil);
  tries.push_back(sem->TryAcquire(1));

  const std::vector<bool> want = {true, false, true, false};
  EXPECT_EQ(tries, want);
}

TEST_P(SemaphoreTest, TestWeightedAcquire) {
  run([] {
    const auto ctx = context::Background();
    auto sem = semaphore::NewWeighted(2);
    auto tryAcquire = [&](std::int64_t n) {
      auto [tctx, cancel] = context::WithTimeout(ctx, 10 * time::Millisecond);
      const bool ok = sem->Acquire(tctx, n) == nil;
      cancel();
      return ok;
    };

    std::vector<bool> tries;
    ASSERT_EQ(sem->Acquire(ctx, 1), nil);
    tries.push_back(tryAcquire(1));
    tries.push_back(tryAcquire(1));

    sem->Release(2);

    tries.push_back(tryAcquire(1));
    ASSERT_EQ(sem->Acquire(ctx, 1), nil);
    tries.push_back(tryAcquire(1));

    const std::vector<bool> want = {true, false, true, false};
    EXPECT_EQ(tries, want);
  });
}

// A timed-out waiter returns DeadlineExceeded and leaves the semaphore as it
// was; an already-cancelled ctx fails even when the tokens are free.
TEST_P(SemaphoreTest, TestWeightedAcquireErrors) {
  run([] {
    auto sem = semaphore::NewWeighted(1);
    ASSERT_EQ(sem->Acquire(context::Background(), 1), nil);
    {
      auto [ctx, cancel] = context::WithTimeout(context::Background(), 5 * time::Millisecond);
      EXPECT_EQ(sem->Acquire(ctx, 1), context::DeadlineExceeded);
      cancel();
    }
    sem->Release(1);
    EXPECT_TRUE(sem->TryAcquire(1)) << "a timed-out waiter kept or lost a token";
    sem->Release(1);
    auto [ctx, cancel] = context::WithCancel(context::Background());
    cancel();
    EXPECT_EQ(sem->Acquire(ctx, 1), context::Canceled);
    EXPECT_TRUE(sem->TryAcquire(1));
    sem->Release(1);
  });
}

// TestWeightedDoesntBlockIfTooBig ensures that a request for more than the
// size does not block others: it waits for its ctx only.
TEST_P(SemaphoreTest, TestWeightedDoesntBlockIfTooBig) {
  run([] {
    const std::int64_t n = 2;
    auto sem = semaphore::NewWeighted(n);
    auto [bigctx, cancel] = context::WithCancel(context::Background());
    auto big_done = gofer::make_chan<error>(1);
    gofer::go([sem, bigctx = bigctx, big_done] { big_done.send(sem->Acquire(bigctx, n + 1)); });

    auto [g, ctx] = errgroup::WithContext(context::Background());
    for (std::int64_t i = n * 3; i > 0; i--) {
      g.Go([sem, ctx = ctx]() -> error {
        error err = sem->Acquire(ctx, 1);
        if (err == nil) {
          time::Sleep(time::Millisecond);
          sem->Release(1);
        }
        return err;
      });
    }
    if (error err = g.Wait(); err != nil) {
      ADD_FAILURE() << "semaphore::NewWeighted(" << n
                    << ") failed to Acquire(_, 1) with Acquire(_, " << n + 1 << ") pending";
    }
    cancel();  // Go: the deferred cancel
    EXPECT_EQ(big_done.recv(), context::Canceled);
  });
}

// TestLargeAcquireDoesntStarve times out if a large call to Acquire starves.
// Merely returning from the test function indicates success.
TEST_P(SemaphoreTest, TestLargeAcquireDoesntStarve) {
  run([this] {
    const auto ctx = context::Background();
    const std::int64_t n = workers();
    auto sem = semaphore::NewWeighted(n);
    auto running = std::make_shared<std::atomic<bool>>(true);

    sync::WaitGroup wg;
    wg.Add(static_cast<int>(n));
    for (std::int64_t i = n; i > 0; i--) {
      ASSERT_EQ(sem->Acquire(ctx, 1), nil);
      gofer::go([&, running] {
        while (running->load()) {
          time::Sleep(time::Millisecond);
          sem->Release(1);
          EXPECT_EQ(sem->Acquire(ctx, 1), nil);
        }
        sem->Release(1);
        wg.Done();
      });
    }

    ASSERT_EQ(sem->Acquire(ctx, n), nil);
    running->store(false);
    sem->Release(n);
    wg.Wait();
  });
}

// TestAllocCancelDoesntStarve: a cancelled large waiter at the head of the
// queue must pass its place on (regression test for x/sync issue 23586).
TEST_P(SemaphoreTest, TestAllocCancelDoesntStarve) {
  run([] {
    auto sem = semaphore::NewWeighted(10);

    // Block off a portion of the semaphore so that Acquire(_, 10) can
    // eventually succeed.
    ASSERT_EQ(sem->Acquire(context::Background(), 1), nil);

    // In the background, Acquire(_, 10).
    auto [ctx, cancel] = context::WithCancel(context::Background());
    auto big_done = gofer::make_chan<error>(1);
    gofer::go([sem, ctx = ctx, big_done] { big_done.send(sem->Acquire(ctx, 10)); });

    // Wait until the Acquire(_, 10) call blocks.
    while (sem->TryAcquire(1)) {
      sem->Release(1);
      runtime::Gosched();
    }

    // Now try to grab a read lock, and simultaneously unblock the
    // Acquire(_, 10) call. Both Acquire calls should unblock and return, in
    // either order.
    gofer::go([cancel = cancel] { cancel(); });

    if (error err = sem->Acquire(context::Background(), 1); err != nil) {
      FAIL() << "Acquire(_, 1) failed unexpectedly: " << err;
    }
    sem->Release(1);
    EXPECT_EQ(big_done.recv(), context::Canceled);
  });
}

// TestWeightedAcquireCanceled: a ctx cancelled before enough tokens become
// available makes Acquire fail, and the tokens handed to it meanwhile are
// not leaked (x/sync issue 63615).
TEST_P(SemaphoreTest, TestWeightedAcquireCanceled) {
  run([] {
    auto sem = semaphore::NewWeighted(2);
    auto [ctx, cancel] = context::WithCancel(context::Background());
    ASSERT_EQ(sem->Acquire(context::Background(), 2), nil);
    auto ch = gofer::make_chan<gofer::empty>();
    gofer::go([sem, cancel = cancel, ch] {
      // Synchronize with the Acquire(2) below.
      while (sem->TryAcquire(1)) sem->Release(1);
      // Now cancel ctx, and then release the token.
      cancel();
      sem->Release(2);
      close(ch);
    });

    // Since the context closing happens before enough tokens become
    // available, this Acquire must fail.
    if (error err = sem->Acquire(ctx, 1); err != context::Canceled) {
      ADD_FAILURE() << "Acquire with canceled context returned wrong error: want "
                       "context.Canceled, got "
                    << err;
    }

    // There must always be two tokens in the semaphore after the other
    // fiber releases the ones we held at the start.
    ch.recv();
    if (!sem->TryAcquire(2)) FAIL() << "TryAcquire after canceled Acquire failed";

    // Additionally verify that we don't acquire with a done context even
    // when we wouldn't need to block to do so.
    sem->Release(2);
    if (error err = sem->Acquire(ctx, 1); err != context::Canceled) {
      ADD_FAILURE() << "Acquire with canceled context returned wrong error: want "
                       "context.Canceled, got "
                    << err;
    }
  });
}

// FIFO: a large waiter at the head holds back a later small one even though
// a token is free for it.
TEST_P(SemaphoreTest, TestWeightedFIFO) {
  run([] {
    auto sem = semaphore::NewWeighted(2);
    ASSERT_EQ(sem->Acquire(context::Background(), 1), nil);
    auto order = gofer::make_chan<int>(2);
    auto big_queued = gofer::make_chan<gofer::empty>(1);
    gofer::go([sem, order] {
      EXPECT_EQ(sem->Acquire(context::Background(), 2), nil);
      order.send(2);
      sem->Release(2);
    });
    // Wait until the Acquire(_, 2) call is queued (TryAcquire fails while
    // anyone waits, though a token is free).
    while (sem->TryAcquire(1)) {
      sem->Release(1);
      runtime::Gosched();
    }
    auto small_done = gofer::make_chan<gofer::empty>();
    gofer::go([sem, order, small_done] {
      EXPECT_EQ(sem->Acquire(context::Background(), 1), nil);
      order.send(1);
      sem->Release(1);
      close(small_done);
    });
    // A negative check: a correct semaphore can never make it fail.
    time::Sleep(10 * time::Millisecond);
    EXPECT_EQ(len(order), 0u) << "a small waiter jumped ahead of a large one";
    sem->Release(1);
    EXPECT_EQ(order.recv(), 2);
    EXPECT_EQ(order.recv(), 1);
    small_done.recv();
    EXPECT_TRUE(sem->TryAcquire(2));
  });
}

// Plain threads and fibers share one semaphore: threads block, fibers park.
TEST_P(SemaphoreTest, TestWeightedThreadsAndFibers) {
  run([] {
    const std::int64_t size = 2;
    auto sem = semaphore::NewWeighted(size);
    std::atomic<std::int64_t> held{0};
    std::atomic<int> bad{0};
    auto body = [&](int loops) {
      for (int k = 0; k < loops; k++) {
        if (sem->Acquire(context::Background(), 1) != nil) bad.fetch_add(1);
        if (held.fetch_add(1) + 1 > size) bad.fetch_add(1);
        held.fetch_sub(1);
        sem->Release(1);
      }
    };
    const int loops = static_cast<int>(gofer_test::scaled(2000, 300));
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; t++) threads.emplace_back(body, loops);
    sync::WaitGroup wg;
    wg.Add(4);
    for (int f = 0; f < 4; f++)
      gofer::go([&] {
        body(loops);
        wg.Done();
      });
    wg.Wait();
    for (auto& t : threads) t.join();
    EXPECT_EQ(bad.load(), 0);
    EXPECT_TRUE(sem->TryAcquire(size));
  });
}

}  // namespace
