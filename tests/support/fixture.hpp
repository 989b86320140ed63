// tests/support/fixture.hpp — shared fixtures and helpers for the runtime
// tests.
//
// RuntimeTest is the model for every runtime test: it makes a Runtime with
// GetParam() workers, runs the test body as a fiber, and tears down asserting
// that no fiber is left alive (model: google/marl src/marl_test.h,
// WithBoundScheduler). Instantiate a suite over 1, 2, 4 and 8 workers with
// GOFER_INSTANTIATE_WORKER_COUNTS(Suite).
//
// short_mode() is Go's testing.Short(): GOFER_TEST_SHORT=1 (set by the
// sanitizer presets) scales stress loops down.
//
// Watchdog turns a hang (a lost wake-up, a stuck fiber) into a test failure:
// it samples a progress counter and fails the test, then ends the process,
// when the counter stops moving.
#pragma once

#include <gtest/gtest.h>
#include <time.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "gofer/detail/park.hpp"
#include "gofer/gofer.hpp"

namespace gofer_test {

// short_mode reports whether GOFER_TEST_SHORT is set to something other than
// "" or "0" (Go's testing.Short()).
inline bool short_mode() {
  static const bool v = [] {
    const char* e = std::getenv("GOFER_TEST_SHORT");
    return e != nullptr && *e != '\0' && std::string_view(e) != "0";
  }();
  return v;
}

// scaled returns full normally and short_value in short mode.
inline std::int64_t scaled(std::int64_t full, std::int64_t short_value) {
  return short_mode() ? short_value : full;
}

// kSanitized is true in ASan/TSan builds, whose timing is several times
// slower; only wall-clock bounds are widened with it, never op counts.
// kTsan is true in TSan builds.
#if defined(__SANITIZE_THREAD__)
inline constexpr bool kTsan = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
inline constexpr bool kTsan = true;
#else
inline constexpr bool kTsan = false;
#endif
#else
inline constexpr bool kTsan = false;
#endif

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = kTsan;
#endif
#else
inline constexpr bool kSanitized = kTsan;
#endif

// kMaxLiveFibers caps how many fibers a test keeps alive at once. TSan gives
// every fiber a context (__tsan_create_fiber) that counts against its thread
// limit ("ThreadSanitizer: Thread limit (8128 threads) exceeded. Dying."), so
// TSan builds keep fewer than that alive; elsewhere there is no cap.
inline constexpr std::int64_t kMaxLiveFibers = kTsan ? 4000 : INT64_MAX;

// live_capped returns n, or kMaxLiveFibers if that is smaller.
inline std::int64_t live_capped(std::int64_t n) { return n < kMaxLiveFibers ? n : kMaxLiveFibers; }

// slack scales a wall-clock bound for sanitizer builds.
inline std::chrono::milliseconds slack(std::chrono::milliseconds d) {
  return kSanitized ? 4 * d : d;
}

// thread_id returns the id of the OS thread running the caller right now.
// pthread_self (under std::this_thread::get_id) is declared
// __attribute__((const)), so a compiler may reuse one call's result across a
// switch of the calling fiber to another thread; this out-of-line wrapper
// with a compiler barrier is re-evaluated on every call.
[[gnu::noinline]] inline std::thread::id thread_id() {
  asm volatile("" ::: "memory");
  return std::this_thread::get_id();
}

// errno_now / set_errno read and write errno of the thread running the
// caller right now (same reason as thread_id: __errno_location is const).
[[gnu::noinline]] inline int errno_now() {
  asm volatile("" ::: "memory");
  return errno;
}
[[gnu::noinline]] inline void set_errno(int v) {
  asm volatile("" ::: "memory");
  errno = v;
}

// process_cpu_time returns the CPU time consumed by every thread of the
// process so far.
inline std::chrono::nanoseconds process_cpu_time() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

// thread_count returns the number of threads of this process.
inline int thread_count() {
  int n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

// in_fiber reports whether the caller runs on a fiber (not a plain thread).
inline bool in_fiber() { return gofer::detail::current_g() != nullptr; }

// expect_panic checks that f throws gofer::panic_error whose what() is msg.
template <class F>
void expect_panic(F&& f, const std::string& msg) {
  try {
    f();
    ADD_FAILURE() << "expected panic_error \"" << msg << "\", nothing was thrown";
  } catch (const gofer::panic_error& e) {
    EXPECT_EQ(std::string(e.what()), msg);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected panic_error \"" << msg << "\", got another exception: " << e.what();
  }
}

// panic_text runs f and returns the what() of the panic_error it threw, or
// "" if it returned normally ("<other>" for another exception). For use in
// fibers, where an escaping exception would end the process.
template <class F>
std::string panic_text(F&& f) {
  try {
    f();
    return "";
  } catch (const gofer::panic_error& e) {
    return e.what();
  } catch (...) {
    return "<other>";
  }
}

// eventually polls pred until it holds or timeout passes and returns its last
// value. Callable from fibers (it parks with time::Sleep between polls) and
// from plain threads (std::this_thread::sleep_for, which touches no runtime).
template <class Pred>
bool eventually(Pred&& pred, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    if (in_fiber())
      gofer::time::Sleep(gofer::time::Millisecond);
    else
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// Watchdog fails the running test and ends the process when progress() has
// not changed for `stall`: a lost wake-up then fails fast with a message
// instead of hanging until the CTest timeout. It runs on its own thread,
// which is a plain thread outside gofer: while it lives, deadlock detection
// cannot fire (it could still wake a fiber, as far as the runtime knows).
class Watchdog {
 public:
  Watchdog(std::string what, std::function<std::uint64_t()> progress,
           std::chrono::seconds stall = std::chrono::seconds(30))
      : what_(std::move(what)), progress_(std::move(progress)), stall_(stall) {
    thread_ = std::thread([this] { loop(); });
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  ~Watchdog() { stop(); }

  void stop() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void loop() {
    std::unique_lock<std::mutex> lk(mu_);
    std::uint64_t last = progress_();
    auto last_change = std::chrono::steady_clock::now();
    while (!stop_) {
      cv_.wait_for(lk, std::chrono::milliseconds(200));
      if (stop_) break;
      const std::uint64_t now_progress = progress_();
      const auto now = std::chrono::steady_clock::now();
      if (now_progress != last) {
        last = now_progress;
        last_change = now;
      } else if (now - last_change > stall_) {
        ADD_FAILURE() << "watchdog: " << what_ << " made no progress for " << stall_.count()
                      << " s (progress counter stuck at " << now_progress
                      << "): a lost wake-up or a hang; ending the process";
        std::fflush(stdout);
        std::fflush(stderr);
        std::_Exit(1);
      }
    }
  }

  std::string what_;
  std::function<std::uint64_t()> progress_;
  std::chrono::seconds stall_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // Guarded by mu_.
  std::thread thread_;
};

// RuntimeTest: a Runtime with GetParam() workers per test; the body runs as a
// fiber with run(); TearDown asserts that no fiber is left alive.
class RuntimeTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    rt_ = std::make_unique<gofer::Runtime>(gofer::Runtime::Options{.workers = GetParam()});
  }

  void TearDown() override {
    // A fiber that finished its work may still be on its way out (its last
    // wg.Done() woke the main fiber before it returned): give it time.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (rt_->NumGoroutine() != 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    EXPECT_EQ(rt_->NumGoroutine(), 0) << "no fiber left alive";
    rt_->Shutdown();
    rt_.reset();
  }

  // run runs f as a fiber of the test's runtime and returns when f returns.
  template <class F>
  void run(F&& f) {
    rt_->run(f);
  }

  int workers() const { return GetParam(); }
  gofer::Runtime& rt() { return *rt_; }

 private:
  std::unique_ptr<gofer::Runtime> rt_;
};

// WorkerCountName names the instances "w1", "w2", "w4", "w8".
inline std::string WorkerCountName(const ::testing::TestParamInfo<int>& info) {
  // (Not "w" + std::to_string(...): GCC 12 -O2 gives a false -Wrestrict.)
  std::string name = std::to_string(info.param);
  name.insert(0, 1, 'w');
  return name;
}

}  // namespace gofer_test

// GOFER_INSTANTIATE_WORKER_COUNTS(Suite) runs every TEST_P of Suite (a
// subclass of gofer_test::RuntimeTest) with 1, 2, 4 and 8 workers.
#define GOFER_INSTANTIATE_WORKER_COUNTS(Suite)                            \
  INSTANTIATE_TEST_SUITE_P(Workers, Suite, ::testing::Values(1, 2, 4, 8), \
                           ::gofer_test::WorkerCountName)
