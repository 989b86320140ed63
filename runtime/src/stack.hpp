// stack.hpp — fiber stacks: mmap'd, lazily committed, guarded; and the
// stack-overflow handler.
//
// A stack is one anonymous private mapping with MAP_NORESERVE: only the pages
// a fiber touches become resident, so a parked fiber that used little stack
// costs about one page. Below the usable range lies a guard region:
//   - MADV_GUARD_INSTALL (Linux >= 6.13): the guard is a property of the page
//     table entries, not a separate VMA, so a million guarded stacks fit
//     under vm.max_map_count;
//   - else mprotect(PROT_NONE), which splits the mapping into two VMAs: used
//     while the number of such stacks stays under a budget of half of
//     vm.max_map_count, after which stacks get no guard (a one-time warning
//     says so). docs/architecture.md, "Stacks".
// Touching the guard raises SIGSEGV, which the handler (on a per-worker
// sigaltstack) reports as "fatal error: fiber stack overflow".
//
// Pooling lives with the scheduler (sched.cpp), which reuses a stack together
// with the fiber control block at its top (Go's gfput/gfget).
#pragma once

#include <cstddef>
#include <cstdint>

namespace gofer::detail {

struct stack_mem {
  char* map_base = nullptr;  // start of the mapping (the guard region)
  std::size_t map_size = 0;
  char* lo = nullptr;      // lowest usable byte
  std::size_t size = 0;    // usable bytes: [lo, lo + size)
  bool vma_guard = false;  // guarded with mprotect (counts against budget)
};

// kGuardBytes: guard region below every stack. 64 KiB catches frames of up
// to that size jumping over the guard; with MADV_GUARD_INSTALL it costs no
// memory and no VMA, only address space.
inline constexpr std::size_t kGuardBytes = 64 * 1024;

std::size_t page_size() noexcept;

// stack_alloc maps a stack of at least `size` usable bytes (rounded up to
// pages). Throws std::bad_alloc when the kernel refuses.
stack_mem stack_alloc(std::size_t size);
void stack_free(const stack_mem& s) noexcept;

// Stacks in bulk: stack_reserve maps room for n stacks of `size` usable
// bytes in one mapping (one mmap, so one mmap_lock write section instead
// of n) and installs no guard; stack_claim(base, size) then makes the stack
// whose mapping starts at `base` (base = reserved + i * stack_span(size))
// usable, guard installed, exactly as stack_alloc would have. Each claimed
// stack is freed on its own with stack_free; stack_unreserve unmaps a part
// never claimed. Throws std::bad_alloc when the kernel refuses.
std::size_t stack_span(std::size_t size) noexcept;
char* stack_reserve(std::size_t size, std::size_t n);
stack_mem stack_claim(char* base, std::size_t size) noexcept;
void stack_unreserve(char* base, std::size_t bytes) noexcept;

// overflow_query is asked, in the SIGSEGV handler, whether `addr` hits the
// guard of the fiber running on this thread; if so it fills the fiber's id
// and stack size. Set once by the scheduler.
using overflow_query = bool (*)(const void* addr, std::uint64_t* goid, std::size_t* size);

// install_overflow_handler installs the process-wide SIGSEGV/SIGBUS handler
// (once; it chains to the previous handler for other faults).
void install_overflow_handler(overflow_query q);

// Per worker thread: an alternate signal stack for the handler.
void signal_stack_init();
void signal_stack_fini();

}  // namespace gofer::detail
