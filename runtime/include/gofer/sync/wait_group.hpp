// gofer/sync/wait_group.hpp — Go's sync.WaitGroup.
//
// Port of sync.WaitGroup (sync/waitgroup.go, go1.19): one 64-bit state word,
// the counter in the high 32 bits and the number of waiters in the low 32,
// plus a runtime semaphore the waiters park on. Done on the last count
// releases every waiter; Wait from a fiber parks it, from a plain thread
// blocks the thread.
//
// Misuse throws panic_error with Go's text: "sync: negative WaitGroup
// counter", "sync: WaitGroup misuse: Add called concurrently with Wait",
// "sync: WaitGroup is reused before previous Wait has returned".
//
// Memory ordering: Add/Done are acq_rel on state_, so everything before a
// Done happens-before the return of the Wait it releases.
#pragma once

#include <atomic>
#include <cstdint>

#include "gofer/detail/sema.hpp"

namespace gofer::sync {

class WaitGroup {
 public:
  WaitGroup() = default;
  WaitGroup(const WaitGroup&) = delete;
  WaitGroup& operator=(const WaitGroup&) = delete;

  void Add(int delta);
  void Done() { Add(-1); }
  void Wait();

 private:
  std::atomic<std::uint64_t> state_{0};  // counter << 32 | waiters
  std::atomic<std::uint32_t> sema_{0};
};

}  // namespace gofer::sync
