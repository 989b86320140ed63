// tests/runtime/fiber_test.cpp — what a fiber carries with it: its stack
// (isolated, sized per runtime and per spawn), its C++ exception state across
// parks and migrations, and errno semantics across migrations.
#include <alloca.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <thread>

#include "fixture.hpp"
#include "gofer/gofer.hpp"

namespace {

using namespace std::chrono_literals;
using gofer_test::thread_id;

class FiberTest : public gofer_test::RuntimeTest {};
GOFER_INSTANTIATE_WORKER_COUNTS(FiberTest);

// touch_stack uses `bytes` of stack below its caller, touching every page,
// and returns a value that depends on all of it (so nothing is elided).
[[gnu::noinline]] std::size_t touch_stack(std::size_t bytes) {
  auto* buf = static_cast<volatile char*>(alloca(bytes));
  for (std::size_t i = 0; i < bytes; i += 1024) buf[i] = static_cast<char>(i >> 10);
  buf[bytes - 1] = 1;
  std::size_t sum = 0;
  for (std::size_t i = 0; i < bytes; i += 1024) sum += static_cast<unsigned char>(buf[i]);
  return sum + static_cast<unsigned char>(buf[bytes - 1]);
}

std::size_t expected_touch(std::size_t bytes) {
  std::size_t sum = 0;
  for (std::size_t i = 0; i < bytes; i += 1024) sum += static_cast<unsigned char>(i >> 10);
  // buf[bytes - 1] = 1 overwrote the last sampled byte when it is the same.
  if ((bytes - 1) % 1024 == 0) sum -= static_cast<unsigned char>((bytes - 1) >> 10);
  return sum + 1;
}

// Churn keeps `n` helper fibers busy yielding, sleeping, and throwing and
// catching their own exceptions (parking inside their catch blocks), so that
// every worker is busy, fibers migrate, and any exception state or errno
// left on a thread by one fiber would be seen by another. It counts what the
// helpers see that they should not.
class Churn {
 public:
  explicit Churn(int n) {
    wg_.Add(n);
    for (int i = 0; i < n; ++i) gofer::go([this] { loop(); });
  }
  ~Churn() { stop(); }
  void stop() {
    if (stopped_) return;
    stopped_ = true;
    stop_.store(true);
    wg_.Wait();
  }
  int bad() const { return bad_.load(); }

 private:
  void loop() {
    for (std::uint64_t k = 0; !stop_.load(std::memory_order_relaxed); ++k) {
      if (std::current_exception() != nullptr || std::uncaught_exceptions() != 0) bad_.fetch_add(1);
      try {
        throw std::logic_error("churn");
      } catch (const std::logic_error& e) {
        if (k % 8 == 0)
          gofer::time::Sleep(20us);
        else
          gofer::runtime::Gosched();
        if (std::string(e.what()) != "churn") bad_.fetch_add(1);
      }
      gofer::runtime::Gosched();
    }
    wg_.Done();
  }

  gofer::sync::WaitGroup wg_;
  std::atomic<bool> stop_{false};
  std::atomic<int> bad_{0};
  bool stopped_ = false;
};

// move_off yields (Gosched, now and then a short Sleep) until the calling
// fiber runs on a thread other than `from`, or until `timeout`. With one
// worker it just yields `one_worker_yields` times. Returns whether it moved.
bool move_off(std::thread::id from, int workers, std::chrono::milliseconds timeout = 5s,
              int one_worker_yields = 50) {
  if (workers < 2) {
    for (int i = 0; i < one_worker_yields; ++i) gofer::runtime::Gosched();
    return thread_id() != from;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (std::uint64_t k = 0; thread_id() == from; ++k) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    if (k % 16 == 15)
      gofer::time::Sleep(100us);
    else
      gofer::runtime::Gosched();
  }
  return true;
}

// ---------------------------------------------------------------------------
// Stacks
// ---------------------------------------------------------------------------

TEST_P(FiberTest, DefaultStackHoldsAHundredKiB) {
  constexpr std::size_t kBytes = 100 << 10;
  std::size_t got = 0;
  run([&] { got = touch_stack(kBytes); });
  EXPECT_EQ(got, expected_touch(kBytes));
}

TEST_P(FiberTest, PerSpawnStackSize) {
  constexpr std::size_t kBytes = 2 << 20;  // far over the 256 KiB default
  std::size_t got = 0;
  run([&] {
    gofer::sync::WaitGroup wg;
    wg.Add(1);
    gofer::go(gofer::spawn_options{.stack_size = 4 << 20}, [&] {
      got = touch_stack(kBytes);
      wg.Done();
    });
    wg.Wait();
  });
  EXPECT_EQ(got, expected_touch(kBytes));
}

TEST_P(FiberTest, PerSpawnStackSizeWithArguments) {
  std::size_t got = 0;
  run([&] {
    gofer::sync::WaitGroup wg;
    wg.Add(1);
    gofer::go(
        gofer::spawn_options{.stack_size = 2 << 20},
        [&](std::size_t bytes, gofer::sync::WaitGroup* w) {
          got = touch_stack(bytes);
          w->Done();
        },
        std::size_t{1 << 20}, &wg);
    wg.Wait();
  });
  EXPECT_EQ(got, expected_touch(1 << 20));
}

TEST_P(FiberTest, StacksAreIsolatedAcrossSwitches) {
  constexpr int kFibers = 64;
  constexpr int kWords = 512;
  std::atomic<int> corrupt{0};
  run([&] {
    gofer::sync::WaitGroup wg;
    wg.Add(kFibers);
    for (int id = 0; id < kFibers; ++id)
      gofer::go([&, id] {
        volatile int local[kWords];
        for (int i = 0; i < kWords; ++i) local[i] = id * kWords + i;
        for (int round = 0; round < 20; ++round) {
          if (round % 5 == 4)
            gofer::time::Sleep(50us);
          else
            gofer::runtime::Gosched();
          for (int i = 0; i < kWords; ++i)
            if (local[i] != id * kWords + i) {
              corrupt.fetch_add(1);
              break;
            }
        }
        wg.Done();
      });
    wg.Wait();
  });
  EXPECT_EQ(corrupt.load(), 0);
}

TEST(FiberStack, RuntimeDefaultStackSizeOption) {
  constexpr std::size_t kBytes = 1 << 20;
  gofer::Runtime rt(gofer::Runtime::Options{.workers = 2, .stack_size = 2 << 20});
  std::size_t main_got = 0;
  std::size_t spawned_got = 0;
  rt.run([&] {
    main_got = touch_stack(kBytes);
    gofer::sync::WaitGroup wg;
    wg.Add(1);
    gofer::go([&] {
      spawned_got = touch_stack(kBytes);
      wg.Done();
    });
    wg.Wait();
  });
  EXPECT_EQ(main_got, expected_touch(kBytes));
  EXPECT_EQ(spawned_got, expected_touch(kBytes));
  EXPECT_TRUE(gofer_test::eventually([&] { return rt.NumGoroutine() == 0; }));
}

// Sizes that cannot be honoured are errors, not a silently different stack.
TEST(FiberStack, AbsurdStackSizesAreClearErrors) {
  constexpr std::size_t kHuge = ~std::size_t{0};
  try {
    gofer::Runtime rt(gofer::Runtime::Options{.workers = 1, .stack_size = kHuge});
    ADD_FAILURE() << "a Runtime with a stack_size of SIZE_MAX was made";
  } catch (const std::length_error& e) {
    EXPECT_NE(std::string(e.what()).find("gofer::Runtime: stack_size"), std::string::npos)
        << e.what();
  }
  gofer::Runtime rt(gofer::Runtime::Options{.workers = 1});
  std::string per_spawn, too_big;
  rt.run([&] {
    try {
      gofer::go(gofer::spawn_options{.stack_size = kHuge}, [] {});
    } catch (const std::length_error& e) {
      per_spawn = e.what();
    }
    // A callable that takes more than half of the stack it would run on.
    struct big {
      char bytes[64 * 1024];
    };
    try {
      gofer::go(gofer::spawn_options{.stack_size = 64 * 1024}, [b = big{}] { (void)b; });
    } catch (const std::length_error& e) {
      too_big = e.what();
    }
  });
  EXPECT_NE(per_spawn.find("gofer::go: stack_size"), std::string::npos) << per_spawn;
  EXPECT_NE(too_big.find("do not fit in half of the fiber's"), std::string::npos) << too_big;
  EXPECT_TRUE(gofer_test::eventually([&] { return rt.NumGoroutine() == 0; }));
}

// vm_bytes: this process's mapped address space (VmSize, /proc/self/statm).
std::size_t vm_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long pages = 0;
  if (std::fscanf(f, "%lu", &pages) != 1) pages = 0;
  std::fclose(f);
  return pages * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

// A worker maps stacks sixteen at a time and claims them one by one; every
// stack, claimed or not, must be unmapped when the runtime shuts down. Each
// round keeps 2001 fibers alive at once on one worker: 126 batches of
// stacks, the last with 15 never claimed (about 5 MiB of address space).
// Round 1 warms the allocator and glibc's thread-stack cache; the address
// space after the later rounds must not have grown (a leak of the unclaimed
// rest alone would add ~5 MiB a round, one of claimed stacks ~650 MiB).
TEST(FiberStack, ShutdownUnmapsEveryStackClaimedOrNot) {
  constexpr int kFibers = 2001;
  constexpr int kRounds = 4;
  std::size_t after[kRounds] = {};
  for (int round = 0; round < kRounds; ++round) {
    gofer::Runtime rt(gofer::Runtime::Options{.workers = 1});
    std::atomic<int> ran{0};
    rt.run([&] {
      gofer::sync::WaitGroup started, gate, done;
      gate.Add(1);
      started.Add(kFibers);
      done.Add(kFibers);
      for (int i = 0; i < kFibers; ++i)
        gofer::go([&] {
          started.Done();
          gate.Wait();  // all kFibers alive at once: no stack is reused
          ran.fetch_add(1);
          done.Done();
        });
      started.Wait();
      EXPECT_EQ(gofer::runtime::NumGoroutine(), kFibers + 1);
      gate.Done();
      done.Wait();
    });
    EXPECT_EQ(ran.load(), kFibers);
    rt.Shutdown();
    after[round] = vm_bytes();
  }
  ASSERT_NE(after[0], 0u) << "cannot read /proc/self/statm";
  for (int round = 1; round < kRounds; ++round)
    EXPECT_LE(after[round], after[0] + (2u << 20))
        << "round " << round + 1 << ": " << (after[round] - after[0]) / 1024
        << " KiB more mapped than after round 1";
}

// ---------------------------------------------------------------------------
// Exceptions
// ---------------------------------------------------------------------------

[[gnu::noinline]] void throw_at_depth(int depth) {
  if (depth == 0) throw std::out_of_range("deep");
  throw_at_depth(depth - 1);
  gofer::runtime::Gosched();  // not a tail call
}

TEST_P(FiberTest, ExceptionsThrownAndCaughtInsideAFiber) {
  int caught = 0;
  std::string what;
  run([&] {
    try {
      gofer::runtime::Gosched();
      throw_at_depth(50);
    } catch (const std::out_of_range& e) {
      ++caught;
      what = e.what();
    }
    try {
      gofer::time::Sleep(1ms);  // park inside the try
      throw std::runtime_error("after park");
    } catch (const std::runtime_error& e) {
      ++caught;
      what += std::string("/") + e.what();
    }
  });
  EXPECT_EQ(caught, 2);
  EXPECT_EQ(what, "deep/after park");
}

TEST_P(FiberTest, CaughtExceptionTravelsAcrossParkAndMigration) {
  const int kFibers = 4 * workers();
  std::atomic<int> rethrown{0};
  std::atomic<int> migrated{0};
  std::atomic<int> wrong{0};
  int churn_bad = 0;
  run([&] {
    Churn churn(2 * workers());
    gofer::sync::WaitGroup wg;
    wg.Add(kFibers);
    for (int i = 0; i < kFibers; ++i)
      gofer::go([&, i] {
        const std::string want = "fiber " + std::to_string(i);
        try {
          throw std::runtime_error(want);
        } catch (const std::runtime_error& e) {
          if (move_off(thread_id(), workers())) migrated.fetch_add(1);
          if (std::string(e.what()) != want) wrong.fetch_add(1);
          if (std::current_exception() == nullptr) wrong.fetch_add(1);
          try {
            throw;  // the exception being handled, on whatever thread we are now
          } catch (const std::runtime_error& again) {
            if (&again != &e || std::string(again.what()) != want) wrong.fetch_add(1);
            rethrown.fetch_add(1);
          } catch (...) {
            wrong.fetch_add(1);
          }
        }
        if (std::current_exception() != nullptr) wrong.fetch_add(1);
        wg.Done();
      });
    wg.Wait();
    churn.stop();
    churn_bad = churn.bad();
  });
  EXPECT_EQ(rethrown.load(), kFibers);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(churn_bad, 0) << "helper fibers saw another fiber's exception state";
  if (workers() >= 2) {
    EXPECT_GT(migrated.load(), 0) << "no fiber migrated inside its catch block";
  }
}

TEST_P(FiberTest, AnotherFiberDoesNotSeeTheExceptionBeingHandled) {
  // A parks inside its catch block; B then runs (on the same worker when
  // there is one) and must see no current exception.
  std::atomic<int> phase{0};
  bool b_saw_none = false;
  int b_uncaught = -1;
  std::string a_rethrown;
  run([&] {
    gofer::sync::WaitGroup wg;
    wg.Add(2);
    gofer::go([&] {
      try {
        throw std::runtime_error("A's");
      } catch (...) {
        phase.store(1);
        while (phase.load() != 2) gofer::runtime::Gosched();
        try {
          throw;
        } catch (const std::runtime_error& e) {
          a_rethrown = e.what();
        }
      }
      wg.Done();
    });
    gofer::go([&] {
      while (phase.load() != 1) gofer::runtime::Gosched();
      b_saw_none = std::current_exception() == nullptr;
      b_uncaught = std::uncaught_exceptions();
      phase.store(2);
      wg.Done();
    });
    wg.Wait();
  });
  EXPECT_TRUE(b_saw_none);
  EXPECT_EQ(b_uncaught, 0);
  EXPECT_EQ(a_rethrown, "A's");
}

TEST_P(FiberTest, UncaughtExceptionsTravelsWithTheUnwindingFiber) {
  const int kPairs = workers();
  std::atomic<int> dtor_before_bad{0};
  std::atomic<int> dtor_after_bad{0};
  std::atomic<int> others_bad{0};
  std::atomic<int> caught{0};
  std::atomic<int> migrated{0};
  run([&] {
    gofer::sync::WaitGroup wg;
    wg.Add(2 * kPairs);
    for (int p = 0; p < kPairs; ++p) {
      auto phase = std::make_shared<std::atomic<int>>(0);
      // A: a destructor that runs during unwinding parks (and migrates when
      // it can) and must still see one uncaught exception.
      gofer::go([&, phase] {
        struct during_unwind {
          std::shared_ptr<std::atomic<int>> phase;
          std::atomic<int>* before_bad;
          std::atomic<int>* after_bad;
          std::atomic<int>* migrated;
          int workers;
          ~during_unwind() {
            if (std::uncaught_exceptions() != 1) before_bad->fetch_add(1);
            phase->store(1);
            const auto from = thread_id();
            while (phase->load() != 2) gofer::runtime::Gosched();
            if (move_off(from, workers, 2s)) migrated->fetch_add(1);
            if (std::uncaught_exceptions() != 1) after_bad->fetch_add(1);
          }
        };
        try {
          during_unwind d{phase, &dtor_before_bad, &dtor_after_bad, &migrated, workers()};
          throw std::runtime_error("unwinding");
        } catch (const std::runtime_error&) {
          caught.fetch_add(1);
        }
        if (std::uncaught_exceptions() != 0) dtor_after_bad.fetch_add(1);
        wg.Done();
      });
      // B: runs while A is parked mid-unwind and must see none.
      gofer::go([&, phase] {
        while (phase->load() != 1) gofer::runtime::Gosched();
        if (std::uncaught_exceptions() != 0) others_bad.fetch_add(1);
        phase->store(2);
        for (int i = 0; i < 20; ++i) {
          gofer::runtime::Gosched();
          if (std::uncaught_exceptions() != 0) others_bad.fetch_add(1);
        }
        wg.Done();
      });
    }
    wg.Wait();
  });
  EXPECT_EQ(caught.load(), kPairs);
  EXPECT_EQ(dtor_before_bad.load(), 0);
  EXPECT_EQ(dtor_after_bad.load(), 0) << "std::uncaught_exceptions() changed across a park";
  EXPECT_EQ(others_bad.load(), 0) << "another fiber saw the unwinding fiber's exception count";
}

// ---------------------------------------------------------------------------
// errno
// ---------------------------------------------------------------------------

TEST_P(FiberTest, ErrnoAfterMigrationRefersToTheNewThread) {
  const int kFibers = 2 * workers();
  std::atomic<int> migrated{0};
  std::atomic<int> checked{0};
  std::atomic<int> wrong{0};
  run([&] {
    Churn churn(2 * workers());
    gofer::sync::WaitGroup wg;
    wg.Add(kFibers);
    for (int i = 0; i < kFibers; ++i)
      gofer::go([&] {
        const auto from = thread_id();
        gofer_test::set_errno(0);
        if (move_off(from, workers())) migrated.fetch_add(1);
        // A failing syscall on the new thread sets that thread's errno, and
        // errno read right after it must say so.
        const int rc = ::close(-1);
        const int e = errno;
        if (rc != -1 || e != EBADF) wrong.fetch_add(1);
        checked.fetch_add(1);
        wg.Done();
      });
    wg.Wait();
  });
  EXPECT_EQ(checked.load(), kFibers);
  EXPECT_EQ(wrong.load(), 0);
  if (workers() >= 2) {
    EXPECT_GT(migrated.load(), 0) << "no fiber migrated";
  }
}

TEST_P(FiberTest, ErrnoOfAFibersLastFailingCallFollowsItAcrossAMigration) {
  // errno is fiber-local: the runtime saves it when a fiber switches out and
  // installs it in the thread the fiber resumes on.
  const int kFibers = 2 * workers();
  std::atomic<int> migrated{0};
  std::atomic<int> wrong{0};
  run([&] {
    Churn churn(2 * workers());
    gofer::sync::WaitGroup wg;
    wg.Add(kFibers);
    for (int i = 0; i < kFibers; ++i)
      gofer::go([&] {
        const auto from = thread_id();
        const int rc = ::access("/nonexistent-gofer-test-path/x", F_OK);  // ENOENT
        const int e = errno;
        if (rc != -1 || e != ENOENT) wrong.fetch_add(1);
        if (move_off(from, workers())) migrated.fetch_add(1);
        if (gofer_test::errno_now() != ENOENT) wrong.fetch_add(1);
        wg.Done();
      });
    wg.Wait();
  });
  EXPECT_EQ(wrong.load(), 0) << "a fiber lost its errno across a switch";
  if (workers() >= 2) {
    EXPECT_GT(migrated.load(), 0) << "no fiber migrated";
  }
}

TEST_P(FiberTest, ErrnoStoredByOneFiberIsNotSeenByOthers) {
  // Writers leave a sentinel in errno and park or migrate; readers running
  // meanwhile on the same threads must never observe it.
  constexpr int kSentinel = 0x5EED;  // no real errno value
  constexpr int kRounds = 200;
  const int kWriters = std::max(1, workers());
  const int kReaders = std::max(1, workers());
  std::atomic<int> leaked{0};
  std::atomic<int> reads{0};
  run([&] {
    gofer::sync::WaitGroup wg;
    wg.Add(kWriters + kReaders);
    for (int w = 0; w < kWriters; ++w)
      gofer::go([&] {
        for (int r = 0; r < kRounds; ++r) {
          gofer_test::set_errno(kSentinel);
          if (r % 10 == 9)
            gofer::time::Sleep(20us);
          else
            gofer::runtime::Gosched();
        }
        wg.Done();
      });
    for (int w = 0; w < kReaders; ++w)
      gofer::go([&] {
        for (int r = 0; r < kRounds; ++r) {
          if (gofer_test::errno_now() == kSentinel) leaked.fetch_add(1);
          reads.fetch_add(1);
          gofer::runtime::Gosched();
        }
        wg.Done();
      });
    wg.Wait();
  });
  EXPECT_EQ(reads.load(), kReaders * kRounds);
  EXPECT_EQ(leaked.load(), 0) << "a fiber observed errno stored by another fiber";
}

}  // namespace
