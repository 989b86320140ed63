// runq.hpp — a worker's local run queue: a bounded lock-free ring plus the
// runnext slot.
//
// Port of runqput / runqget / runqgrab / runqsteal (runtime/proc.go,
// go1.19). Differences: the overflow half goes to the moodycamel global
// queue through a callback (runqputslow), and ring slots are std::atomic
// (relaxed) so that the sanitizers see the accesses Go annotates by hand.
//
// Invariants:
//   - Only the owner worker writes tail_ and pushes; any worker may pop from
//     head_ (owner: runqget; thieves: runqgrab) by CAS on head_.
//   - tail_ - head_ <= kSize at every instant as seen by the owner.
//   - runnext_ holds at most one fiber, which is not also in the ring; the
//     owner sets it, anyone may take it by CAS.
//
// Memory ordering (as in Go):
//   - push: slot store (relaxed), then tail_ store-release, which publishes
//     the slot; pairs with the load-acquire of tail_ in runqgrab/get.
//   - pop/steal: head_ load-acquire (synchronises with other consumers'
//     CAS-release), slot loads (relaxed), then CAS-release on head_, which
//     commits the consumption and lets the producer reuse the slots (the
//     producer's load-acquire of head_ pairs with it).
#pragma once

#include <atomic>
#include <cstdint>

namespace gofer::detail {

struct g;

class runq {
 public:
  static constexpr std::uint32_t kSize = 256;  // Go's len(p.runq)

  // empty: a racy snapshot (Go's runqempty), exact when it says non-empty
  // from the owner. Any worker.
  bool empty() const noexcept {
    // Go's runqempty loop: re-read so that a runnext->ring move is not
    // seen as empty.
    for (;;) {
      std::uint32_t h = head_.load(std::memory_order_acquire);
      std::uint32_t t = tail_.load(std::memory_order_acquire);
      g* next = runnext_.load(std::memory_order_acquire);
      if (tail_.load(std::memory_order_acquire) == t) return h == t && next == nullptr;
    }
  }

  std::uint32_t size() const noexcept {
    std::uint32_t h = head_.load(std::memory_order_acquire);
    std::uint32_t t = tail_.load(std::memory_order_acquire);
    return t - h + (runnext_.load(std::memory_order_relaxed) ? 1 : 0);
  }

  // put enqueues gp: into runnext when `next` (kicking the old runnext to
  // the tail), else at the tail. On overflow it moves half the ring plus gp
  // to `overflow(batch, n, ctx)` (Go's runqputslow). Owner only.
  template <class Overflow>
  void put(g* gp, bool next, Overflow&& overflow) noexcept {
    if (next) {
      // acq_rel: the release publishes gp to a thief's CAS on runnext_; the
      // acquire lets us own the kicked-out fiber.
      g* old = runnext_.exchange(gp, std::memory_order_acq_rel);
      if (old == nullptr) return;
      gp = old;  // kick the old runnext to the regular queue
    }
    for (;;) {
      std::uint32_t h = head_.load(std::memory_order_acquire);  // pairs with consumers' CAS
      std::uint32_t t = tail_.load(std::memory_order_relaxed);  // relaxed: owner's own field
      if (t - h < kSize) {
        buf_[t % kSize].store(gp, std::memory_order_relaxed);
        tail_.store(t + 1, std::memory_order_release);  // publishes the slot
        return;
      }
      if (put_slow(gp, h, t, overflow)) return;
      // the queue is not full any more: retry
    }
  }

  // get dequeues the next fiber: runnext first. Owner only.
  // *inherit is set when it came from runnext (Go's inheritTime).
  g* get(bool* inherit = nullptr) noexcept {
    g* next = runnext_.load(std::memory_order_relaxed);
    // Only the owner sets runnext non-null, so a CAS failure means a thief
    // took it and runnext is now null: no need to retry.
    if (next && runnext_.compare_exchange_strong(next, nullptr, std::memory_order_acquire,
                                                 std::memory_order_relaxed)) {
      if (inherit) *inherit = true;
      return next;
    }
    if (inherit) *inherit = false;
    return get_ring();
  }

  // get_ring dequeues the head of the ring, leaving runnext alone: how the
  // scheduler ends a time slice that runnext hand-offs keep inheriting
  // (Go ends it by sysmon preemption). Owner only.
  g* get_ring() noexcept {
    for (;;) {
      std::uint32_t h = head_.load(std::memory_order_acquire);  // pairs with other consumers
      std::uint32_t t = tail_.load(std::memory_order_relaxed);  // relaxed: owner's own field
      if (t == h) return nullptr;
      g* gp = buf_[h % kSize].load(std::memory_order_relaxed);
      if (head_.compare_exchange_weak(h, h + 1, std::memory_order_release,
                                      std::memory_order_relaxed))
        return gp;
    }
  }

  // steal_into moves about half of victim's fibers into this queue and
  // returns one of them (Go's runqsteal). Owner of *this only; any victim.
  // `steal_runnext` also allows taking the victim's runnext (last resort);
  // `victim_running` says the victim is running a fiber (then back off
  // briefly before taking its runnext, as Go does).
  g* steal_into_from(runq& victim, bool steal_runnext, bool victim_running) noexcept;

 private:
  template <class Overflow>
  bool put_slow(g* gp, std::uint32_t h, std::uint32_t t, Overflow&& overflow) noexcept {
    g* batch[kSize / 2 + 1];
    std::uint32_t n = (t - h) / 2;
    for (std::uint32_t i = 0; i < n; i++)
      batch[i] = buf_[(h + i) % kSize].load(std::memory_order_relaxed);
    // release: commits the consumption (the slots may be overwritten now).
    if (!head_.compare_exchange_strong(h, h + n, std::memory_order_release,
                                       std::memory_order_relaxed))
      return false;
    batch[n] = gp;
    overflow(batch, n + 1);
    return true;
  }

  // grab copies up to half of this queue into `batch` (a ring of kSize
  // indexed from batch_head) and returns the count. Any worker.
  std::uint32_t grab(std::atomic<g*>* batch, std::uint32_t batch_head, bool steal_runnext,
                     bool running) noexcept;

  alignas(64) std::atomic<std::uint32_t> head_{0};
  alignas(64) std::atomic<std::uint32_t> tail_{0};
  std::atomic<g*> runnext_{nullptr};
  std::atomic<g*> buf_[kSize] = {};
};

}  // namespace gofer::detail
