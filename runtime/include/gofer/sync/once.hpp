// gofer/sync/once.hpp — Go's sync.Once.
//
// Port of sync.Once (sync/once.go, go1.19): a done flag read with acquire on
// the fast path, and a Mutex so that callers that race with the first Do
// wait until f has returned. If f throws, Do considers it to have returned:
// later calls do not run f again (Go's rule for a panicking f).
#pragma once

#include <atomic>
#include <cstdint>
#include <utility>

#include "gofer/sync/mutex.hpp"

namespace gofer::sync {

class Once {
 public:
  template <class F>
  void Do(F&& f) {
    // acquire: pairs with the release store below; f's effects are visible.
    if (done_.load(std::memory_order_acquire) == 0) do_slow(std::forward<F>(f));
  }

 private:
  template <class F>
  void do_slow(F&& f) {
    m_.Lock();
    struct unlock {
      Once* o;
      ~unlock() {
        // release: publishes f's effects to the fast path's acquire load,
        // also when f threw.
        o->done_.store(1, std::memory_order_release);
        o->m_.Unlock();
      }
    };
    if (done_.load(std::memory_order_relaxed) == 0) {  // relaxed: m_ orders it
      unlock u{this};
      std::forward<F>(f)();
    } else {
      m_.Unlock();
    }
  }

  std::atomic<std::uint32_t> done_{0};
  Mutex m_;
};

}  // namespace gofer::sync
