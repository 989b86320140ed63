// gofer/sync/rwmutex.hpp — Go's sync.RWMutex.
//
// Port of sync.RWMutex (sync/rwmutex.go, go1.19): writers exclude each
// other through an inner Mutex; readerCount goes negative while a writer is
// pending so that new readers queue behind it (no writer starvation);
// readerWait counts the readers the writer still waits for.
//
// Misuse throws panic_error with Go's text: "sync: RUnlock of unlocked
// RWMutex", "sync: Unlock of unlocked RWMutex".
// Also Lockable (lock/unlock) and SharedLockable (lock_shared/
// unlock_shared), so std::unique_lock and std::shared_lock work.
#pragma once

#include <atomic>
#include <cstdint>

#include "gofer/sync/mutex.hpp"

namespace gofer::sync {

class RWMutex {
 public:
  RWMutex() = default;
  RWMutex(const RWMutex&) = delete;
  RWMutex& operator=(const RWMutex&) = delete;

  void RLock();
  bool TryRLock();
  void RUnlock();
  void Lock();
  bool TryLock();
  void Unlock();

  void lock() { Lock(); }
  bool try_lock() { return TryLock(); }
  void unlock() { Unlock(); }
  void lock_shared() { RLock(); }
  bool try_lock_shared() { return TryRLock(); }
  void unlock_shared() { RUnlock(); }

  // RLocker returns a Lockable whose lock/unlock are RLock/RUnlock (Go's
  // rw.RLocker()), e.g. for a Cond over the read lock.
  class rlocker {
   public:
    explicit rlocker(RWMutex* rw) : rw_(rw) {}
    void Lock() { rw_->RLock(); }
    void Unlock() { rw_->RUnlock(); }
    void lock() { rw_->RLock(); }
    void unlock() { rw_->RUnlock(); }

   private:
    RWMutex* rw_;
  };
  rlocker RLocker() { return rlocker(this); }

 private:
  static constexpr std::int32_t kMaxReaders = 1 << 30;
  void runlock_slow(std::int32_t r);

  Mutex w_;                                   // held by pending writers
  std::atomic<std::uint32_t> writer_sem_{0};  // writers wait for readers
  std::atomic<std::uint32_t> reader_sem_{0};  // readers wait for writers
  std::atomic<std::int32_t> reader_count_{0};  // pending readers (< 0: writer pending)
  std::atomic<std::int32_t> reader_wait_{0};   // departing readers a writer awaits
};

}  // namespace gofer::sync
