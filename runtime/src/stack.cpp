// stack.cpp — fiber stack mapping, guard pages and the overflow handler.
// See stack.hpp.
#include "stack.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <new>

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102  // linux/mman.h, Linux 6.13
#endif

namespace gofer::detail {
namespace {

// 0 unknown, 1 MADV_GUARD_INSTALL works, 2 it does not (use mprotect).
std::atomic<int> g_guard_mode{0};
// Stacks guarded by mprotect now alive, and the budget for them.
std::atomic<long> g_vma_guards{0};
std::atomic<long> g_vma_budget{-1};
std::atomic<bool> g_warned{false};

long vma_budget() {
  long b = g_vma_budget.load(std::memory_order_relaxed);
  if (b >= 0) return b;
  long max_map = 65530;  // the kernel default
  if (FILE* f = std::fopen("/proc/sys/vm/max_map_count", "r")) {
    if (std::fscanf(f, "%ld", &max_map) != 1) max_map = 65530;
    std::fclose(f);
  }
  b = max_map / 2;  // leave the other half to the program and its allocator
  g_vma_budget.store(b, std::memory_order_relaxed);
  return b;
}

overflow_query g_query = nullptr;
struct sigaction g_prev_segv;
struct sigaction g_prev_bus;

void write_str(const char* s) {
  std::size_t n = std::strlen(s);
  while (n > 0) {
    ssize_t w = ::write(2, s, n);
    if (w <= 0) return;
    s += w;
    n -= static_cast<std::size_t>(w);
  }
}

void write_u64(std::uint64_t v) {
  char buf[24];
  int i = sizeof buf;
  buf[--i] = '\0';
  do {
    buf[--i] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0 && i > 0);
  write_str(buf + i);
}

void chain(int sig, siginfo_t* info, void* uctx, const struct sigaction& prev) {
  if (prev.sa_flags & SA_SIGINFO) {
    if (prev.sa_sigaction) {
      prev.sa_sigaction(sig, info, uctx);
      return;
    }
  } else if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN) {
    prev.sa_handler(sig);
    return;
  }
  // Default action: restore it and return; the fault re-executes and kills.
  signal(sig, SIG_DFL);
}

// on_fault runs on the worker's sigaltstack. Only async-signal-safe calls.
void on_fault(int sig, siginfo_t* info, void* uctx) {
  std::uint64_t id = 0;
  std::size_t size = 0;
  if (g_query && g_query(info->si_addr, &id, &size)) {
    write_str("fatal error: fiber stack overflow (goroutine ");
    write_u64(id);
    write_str(", stack of ");
    write_u64(size);
    write_str(" bytes; raise it with spawn_options::stack_size or Options::stack_size)\n");
    _exit(2);
  }
  chain(sig, info, uctx, sig == SIGBUS ? g_prev_bus : g_prev_segv);
}

__attribute__((tls_model("initial-exec"))) thread_local void* t_altstack = nullptr;
constexpr std::size_t kAltStackBytes = 64 * 1024;

}  // namespace

std::size_t page_size() noexcept {
  static const std::size_t ps = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return ps;
}

std::size_t stack_span(std::size_t size) noexcept {
  const std::size_t ps = page_size();
  return ((size + ps - 1) & ~(ps - 1)) + kGuardBytes;
}

char* stack_reserve(std::size_t size, std::size_t n) {
  void* p = mmap(nullptr, stack_span(size) * n, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  return static_cast<char*>(p);
}

void stack_unreserve(char* base, std::size_t bytes) noexcept {
  if (bytes != 0) munmap(base, bytes);
}

stack_mem stack_claim(char* base, std::size_t size) noexcept {
  const std::size_t ps = page_size();
  const std::size_t guard = kGuardBytes;
  stack_mem s;
  s.map_base = base;
  s.size = (size + ps - 1) & ~(ps - 1);
  s.map_size = s.size + guard;
  s.lo = s.map_base + guard;

  int mode = g_guard_mode.load(std::memory_order_relaxed);
  if (mode != 2) {
    if (madvise(base, guard, MADV_GUARD_INSTALL) == 0) {
      if (mode == 0) g_guard_mode.store(1, std::memory_order_relaxed);
      return s;
    }
    // EINVAL: this kernel has no guard regions; remember, fall back.
    g_guard_mode.store(2, std::memory_order_relaxed);
  }
  if (g_vma_guards.load(std::memory_order_relaxed) < vma_budget() &&
      mprotect(base, guard, PROT_NONE) == 0) {
    g_vma_guards.fetch_add(1, std::memory_order_relaxed);
    s.vma_guard = true;
  } else if (!g_warned.exchange(true, std::memory_order_relaxed)) {
    std::fprintf(stderr,
                 "gofer: this kernel lacks MADV_GUARD_INSTALL and the VMA budget for mprotect "
                 "guards is spent; further fiber stacks have no guard page\n");
  }
  return s;
}

stack_mem stack_alloc(std::size_t size) { return stack_claim(stack_reserve(size, 1), size); }

void stack_free(const stack_mem& s) noexcept {
  if (!s.map_base) return;
  munmap(s.map_base, s.map_size);
  if (s.vma_guard) g_vma_guards.fetch_sub(1, std::memory_order_relaxed);
}

void install_overflow_handler(overflow_query q) {
  static std::once_flag once;
  std::call_once(once, [q] {
    g_query = q;
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = &on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &g_prev_segv);
    sigaction(SIGBUS, &sa, &g_prev_bus);
  });
}

void signal_stack_init() {
  if (t_altstack) return;
  stack_t old;
  if (sigaltstack(nullptr, &old) == 0 && !(old.ss_flags & SS_DISABLE) && old.ss_size >= 16 * 1024)
    return;  // the thread has one already (ASan gives its threads one)
  void* p =
      mmap(nullptr, kAltStackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return;  // no altstack: an overflow then dies by SIGSEGV
  stack_t ss;
  std::memset(&ss, 0, sizeof ss);
  ss.ss_sp = p;
  ss.ss_size = kAltStackBytes;
  if (sigaltstack(&ss, nullptr) != 0) {
    munmap(p, kAltStackBytes);
    return;
  }
  t_altstack = p;
}

void signal_stack_fini() {
  if (!t_altstack) return;
  stack_t ss;
  std::memset(&ss, 0, sizeof ss);
  ss.ss_flags = SS_DISABLE;
  sigaltstack(&ss, nullptr);
  munmap(t_altstack, kAltStackBytes);
  t_altstack = nullptr;
}

}  // namespace gofer::detail
