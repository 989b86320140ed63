// runtime.cpp — the Runtime object, the default runtime, gofer::run and
// Go's runtime package functions. See gofer/runtime.hpp.
#include "gofer/runtime.hpp"

#include <sched.h>

#include <atomic>
#include <mutex>

#include "gofer/panic.hpp"
#include "sched.hpp"

namespace gofer {
namespace {

// The default runtime: made on first use, destroyed by gofer::run when its
// main returns, made again on the next use. g_default is read lock-free on
// the go() path; g_default_mu serialises creation and destruction.
std::mutex g_default_mu;
std::atomic<Runtime*> g_default{nullptr};
std::atomic<int> g_default_workers{0};  // GOMAXPROCS(n) before start

}  // namespace

Runtime::Runtime() : Runtime(Options{}) {}

Runtime::Runtime(Options opts) : s_(new detail::sched(opts)) {}

Runtime::~Runtime() {
  Shutdown();
  delete s_;
}

void Runtime::Shutdown() { s_->shutdown(); }

int Runtime::NumWorkers() const noexcept { return s_->nworkers(); }

std::int64_t Runtime::NumGoroutine() const noexcept { return s_->num_goroutine(); }

void Runtime::run_main(void (*fn)(void*), void* arg) { s_->run_main(fn, arg); }

Runtime& Runtime::Default() {
  // acquire: pairs with the release store below; the runtime is built.
  if (Runtime* rt = g_default.load(std::memory_order_acquire)) return *rt;
  std::lock_guard<std::mutex> lk(g_default_mu);
  if (Runtime* rt = g_default.load(std::memory_order_relaxed)) return *rt;
  Options o;
  o.workers = g_default_workers.load(std::memory_order_relaxed);
  auto* rt = new Runtime(o);
  g_default.store(rt, std::memory_order_release);
  return *rt;
}

namespace detail {

void spawn(sched* s, const spawn_options& opts, std::size_t size, std::size_t align,
           void (*construct)(void*, void*), void* ctx, void (*run)(void*)) {
  if (s == nullptr) {
    worker* w = this_worker();
    s = w ? w->s : Runtime::Default().sched_for_internal_use();
  }
  s->spawn(opts, size, align, construct, ctx, run);
}

void run_default(void (*fn)(void*), void* arg) {
  Runtime& rt = Runtime::Default();
  rt.run_main_for_default(fn, arg);
}

}  // namespace detail

void Runtime::run_main_for_default(void (*fn)(void*), void* arg) {
  s_->run_main(fn, arg);
  // Go's main returned: the program's other fibers are abandoned. Shut the
  // default runtime down so a later use starts afresh.
  std::lock_guard<std::mutex> lk(g_default_mu);
  if (g_default.load(std::memory_order_relaxed) == this) {
    g_default.store(nullptr, std::memory_order_release);
    delete this;
  }
}

namespace runtime {

void Gosched() { detail::go_yield(); }

int GOMAXPROCS(int n) {
  detail::worker* w = detail::this_worker();
  if (w) return w->s->nworkers();
  std::lock_guard<std::mutex> lk(g_default_mu);
  if (Runtime* rt = g_default.load(std::memory_order_relaxed)) return rt->NumWorkers();
  int prev = g_default_workers.load(std::memory_order_relaxed);
  if (prev <= 0) prev = detail::default_worker_count();
  if (n > 0) g_default_workers.store(n, std::memory_order_relaxed);
  return prev;
}

int NumGoroutine() {
  detail::worker* w = detail::this_worker();
  if (w) return static_cast<int>(w->s->num_goroutine());
  Runtime* rt = g_default.load(std::memory_order_acquire);
  return rt ? static_cast<int>(rt->NumGoroutine()) : 0;
}

int NumCPU() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  return 1;
}

}  // namespace runtime
}  // namespace gofer
