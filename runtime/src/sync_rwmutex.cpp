// sync_rwmutex.cpp — port of sync.RWMutex (sync/rwmutex.go, go1.19).
// See gofer/sync/rwmutex.hpp.
#include "gofer/panic.hpp"
#include "gofer/sync/rwmutex.hpp"

namespace gofer::sync {

void RWMutex::RLock() {
  // acq_rel: a reader's arrival orders against Lock's subtraction.
  if (reader_count_.fetch_add(1, std::memory_order_acq_rel) + 1 < 0) {
    // A writer is pending: wait for it.
    detail::semacquire(&reader_sem_, false);
  }
}

bool RWMutex::TryRLock() {
  for (;;) {
    std::int32_t c = reader_count_.load(std::memory_order_acquire);
    if (c < 0) return false;
    if (reader_count_.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel,
                                            std::memory_order_relaxed))
      return true;
  }
}

void RWMutex::RUnlock() {
  std::int32_t r = reader_count_.fetch_sub(1, std::memory_order_acq_rel) - 1;
  if (r < 0) runlock_slow(r);
}

void RWMutex::runlock_slow(std::int32_t r) {
  if (r + 1 == 0 || r + 1 == -kMaxReaders) {
    reader_count_.fetch_add(1, std::memory_order_relaxed);  // undo, then panic
    detail::throw_panic("sync: RUnlock of unlocked RWMutex");
  }
  // A writer is pending: the last departing reader wakes it.
  if (reader_wait_.fetch_sub(1, std::memory_order_acq_rel) - 1 == 0)
    detail::semrelease(&writer_sem_, false);
}

void RWMutex::Lock() {
  // First, resolve competition with other writers.
  w_.Lock();
  // Announce to readers there is a pending writer.
  // r: the readers active before the announcement (Go: new + MaxReaders).
  std::int32_t r = reader_count_.fetch_sub(kMaxReaders, std::memory_order_acq_rel);
  // Wait for active readers.
  if (r != 0 && reader_wait_.fetch_add(r, std::memory_order_acq_rel) + r != 0)
    detail::semacquire(&writer_sem_, false);
}

bool RWMutex::TryLock() {
  if (!w_.TryLock()) return false;
  std::int32_t zero = 0;
  if (!reader_count_.compare_exchange_strong(zero, -kMaxReaders, std::memory_order_acq_rel,
                                             std::memory_order_relaxed)) {
    w_.Unlock();
    return false;
  }
  return true;
}

void RWMutex::Unlock() {
  // Announce to readers there is no active writer.
  std::int32_t r = reader_count_.fetch_add(kMaxReaders, std::memory_order_acq_rel) + kMaxReaders;
  if (r >= kMaxReaders) {
    reader_count_.fetch_sub(kMaxReaders, std::memory_order_relaxed);  // undo, then panic
    detail::throw_panic("sync: Unlock of unlocked RWMutex");
  }
  // Unblock the readers that queued behind this writer.
  for (std::int32_t i = 0; i < r; i++) detail::semrelease(&reader_sem_, false);
  // Allow other writers to proceed.
  w_.Unlock();
}

}  // namespace gofer::sync
