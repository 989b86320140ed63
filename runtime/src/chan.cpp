// chan.cpp — port of runtime.makechan, chansend, chanrecv, closechan and
// the wait queues (chan.go, go1.19). See gofer/detail/hchan.hpp for the
// invariants; select lives in select.cpp.
//
// Differences from Go:
//   - Elements are C++ objects: the ring buffer holds constructed values in
//     the occupied slots only, and values are moved (never copied) between
//     senders, the buffer and receivers. A receive's destination is a
//     constructed T that is move-assigned to (T{} for a closed channel).
//   - The lock-free fast paths of chansend/chanrecv are kept only for
//     buffered channels (qcount_ is atomic); Go's unbuffered fast path reads
//     the wait queues racily, which a C++ data race would make undefined.
//   - Plain threads block through the same waiter as fibers (park.hpp).
#include <new>
#include <utility>

#include "chan_impl.hpp"
#include "gofer/detail/hchan.hpp"
#include "gofer/panic.hpp"
#include "sched.hpp"

namespace gofer::detail {

void waitq::enqueue(sudog* s) noexcept {
  s->next = nullptr;
  s->prev = last;
  if (last) last->next = s;
  else first = s;
  last = s;
}

// dequeue: Go's waitq.dequeue. A select's sudog is taken only if this
// call wins its select (the CAS on done): a select woken by another case
// may still sit on this queue until it re-locks and removes itself.
sudog* waitq::dequeue() noexcept {
  for (;;) {
    sudog* s = first;
    if (s == nullptr) return nullptr;
    sudog* y = s->next;
    if (y == nullptr) {
      first = last = nullptr;
    } else {
      y->prev = nullptr;
      first = y;
      s->next = nullptr;  // mark as removed (see remove)
    }
    s->prev = nullptr;
    if (s->sel != nullptr) {
      std::uint32_t expect = 0;
      // acq_rel: the winner's writes (winner, success, the value) are
      // published by wake(); the CAS only decides who wins.
      if (!s->sel->done.compare_exchange_strong(expect, 1, std::memory_order_acq_rel,
                                                std::memory_order_relaxed))
        continue;
    }
    return s;
  }
}

// remove: Go's dequeueSudoG. s may already have been dequeued by a waker.
void waitq::remove(sudog* s) noexcept {
  sudog* x = s->prev;
  sudog* y = s->next;
  if (x != nullptr) {
    if (y != nullptr) {  // middle of queue
      x->next = y;
      y->prev = x;
      s->next = s->prev = nullptr;
      return;
    }
    x->next = nullptr;  // end of queue
    last = x;
    s->prev = nullptr;
    return;
  }
  if (y != nullptr) {  // start of queue
    y->prev = nullptr;
    first = y;
    s->next = nullptr;
    return;
  }
  // x == y == nullptr: s is the only element, or already removed.
  if (first == s) first = last = nullptr;
}

hchan* make_hchan(const elem_ops* ops, std::ptrdiff_t cap) {
  // Go's makechan: a negative size or one whose buffer overflows panics.
  constexpr std::size_t kMaxAlloc = std::size_t{1} << 40;
  if (cap < 0 || static_cast<std::size_t>(cap) > kMaxAlloc / (ops->size ? ops->size : 1))
    throw_panic("makechan: size out of range");
  return new hchan(ops, static_cast<std::size_t>(cap));
}

hchan::hchan(const elem_ops* ops, std::size_t cap) : ops_(ops), dataqsiz_(cap) {
  if (cap > 0)
    buf_ = static_cast<char*>(::operator new(cap * ops->size, std::align_val_t(ops->align)));
}

hchan::~hchan() {
  // Destroy the values still buffered (nobody can receive them now).
  std::size_t n = qcount_.load(std::memory_order_relaxed);
  for (std::size_t i = 0, x = recvx_; i < n; i++, x = (x + 1) % dataqsiz_) ops_->destroy(slot(x));
  if (buf_) ::operator delete(buf_, std::align_val_t(ops_->align));
}

void hchan::release() noexcept {
  // acq_rel: the last release sees every other handle's uses of the channel.
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
}

void hchan::buf_put_locked(void* elem) {
  ops_->construct_from(slot(sendx_), elem);
  if (++sendx_ == dataqsiz_) sendx_ = 0;
  qcount_.store(qcount_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

void hchan::buf_take_locked(void* elem) {
  void* q = slot(recvx_);
  if (elem) ops_->assign_from(elem, q);
  ops_->destroy(q);
  if (++recvx_ == dataqsiz_) recvx_ = 0;
  qcount_.store(qcount_.load(std::memory_order_relaxed) - 1, std::memory_order_release);
}

// send_locked: Go's send. The receiver sg is off every queue.
void hchan::send_locked(sudog* sg, void* elem) {
  if (sg->elem) ops_->assign_from(sg->elem, elem);
  sg->success = true;
  if (sg->sel) sg->sel->winner = sg;
}

// recv_locked: Go's recv. The sender sg is off every queue. On a buffered
// channel (necessarily full, since a sender waits) take the head and put
// the sender's value at the tail, which is the same slot.
void hchan::recv_locked(sudog* sg, void* elem) {
  if (dataqsiz_ == 0) {
    if (elem) ops_->assign_from(elem, sg->elem);
  } else {
    void* q = slot(recvx_);
    if (elem) ops_->assign_from(elem, q);
    ops_->assign_from(q, sg->elem);
    if (++recvx_ == dataqsiz_) recvx_ = 0;
    sendx_ = recvx_;
  }
  sg->success = true;
  if (sg->sel) sg->sel->winner = sg;
}

namespace {
void unlock_rt_mutex(void* m) { static_cast<rt_mutex*>(m)->unlock(); }
}  // namespace

// send: Go's chansend.
bool hchan::send(void* elem, bool block) {
  // Fast path (buffered only): a non-blocking send on a full, open channel
  // fails without the lock. Go's argument holds: closed_ is read after
  // observing full, and a channel cannot go from closed to open.
  if (!block && dataqsiz_ > 0 && !closed_.load(std::memory_order_acquire) &&
      qcount_.load(std::memory_order_acquire) == dataqsiz_)
    return false;

  lock_.lock();
  if (closed_.load(std::memory_order_relaxed)) {
    lock_.unlock();
    throw_panic("send on closed channel");
  }
  if (sudog* sg = recvq_.dequeue()) {
    // A receiver waits: hand the value over directly, bypassing the buffer.
    send_locked(sg, elem);
    lock_.unlock();
    wake(*sg->w);
    return true;
  }
  if (qcount_.load(std::memory_order_relaxed) < dataqsiz_) {
    buf_put_locked(elem);
    lock_.unlock();
    return true;
  }
  if (!block) {
    lock_.unlock();
    return false;
  }
  // Block: queue ourselves and park; the lock is released once we are off
  // our stack (park's unlock callback).
  waiter w;
  w.init();
  sudog mysg;
  mysg.w = &w;
  mysg.elem = elem;
  mysg.c = this;
  sendq_.enqueue(&mysg);
  gofer::detail::block(w, &unlock_rt_mutex, &lock_);
  // Woken by a receiver (success) or by close (not).
  if (!mysg.success) throw_panic("send on closed channel");
  return true;
}

// recv: Go's chanrecv.
hchan::recv_result hchan::recv(void* elem, bool block) {
  // Fast path (buffered only): a non-blocking receive on an empty channel.
  if (!block && dataqsiz_ > 0 && qcount_.load(std::memory_order_acquire) == 0) {
    if (!closed_.load(std::memory_order_acquire)) return {false, false};
    // Closed: re-check emptiness after observing closed (Go's order).
    if (qcount_.load(std::memory_order_acquire) == 0) {
      if (elem) ops_->assign_zero(elem);
      return {true, false};
    }
  }

  lock_.lock();
  if (closed_.load(std::memory_order_relaxed) && qcount_.load(std::memory_order_relaxed) == 0) {
    lock_.unlock();
    if (elem) ops_->assign_zero(elem);
    return {true, false};
  }
  if (sudog* sg = sendq_.dequeue()) {
    // A sender waits: unbuffered, take its value; buffered (full), take the
    // head and move the sender's value to the tail.
    recv_locked(sg, elem);
    lock_.unlock();
    wake(*sg->w);
    return {true, true};
  }
  if (qcount_.load(std::memory_order_relaxed) > 0) {
    buf_take_locked(elem);
    lock_.unlock();
    return {true, true};
  }
  if (!block) {
    lock_.unlock();
    return {false, false};
  }
  waiter w;
  w.init();
  sudog mysg;
  mysg.w = &w;
  mysg.elem = elem;
  mysg.c = this;
  recvq_.enqueue(&mysg);
  gofer::detail::block(w, &unlock_rt_mutex, &lock_);
  return {true, mysg.success};
}

// close: Go's closechan. Every waiter is collected under the lock and
// woken after it is released (never ready a fiber under a channel lock).
void hchan::close() {
  lock_.lock();
  if (closed_.load(std::memory_order_relaxed)) {
    lock_.unlock();
    throw_panic("close of closed channel");
  }
  closed_.store(true, std::memory_order_release);
  sudog* wake_list = nullptr;  // linked through next (free once dequeued)
  // Release all readers: they get the zero value and ok == false.
  while (sudog* sg = recvq_.dequeue()) {
    if (sg->elem) ops_->assign_zero(sg->elem);
    sg->success = false;
    if (sg->sel) sg->sel->winner = sg;
    sg->next = wake_list;
    wake_list = sg;
  }
  // Release all writers: they will panic.
  while (sudog* sg = sendq_.dequeue()) {
    sg->success = false;
    if (sg->sel) sg->sel->winner = sg;
    sg->next = wake_list;
    wake_list = sg;
  }
  lock_.unlock();
  while (wake_list) {
    sudog* sg = wake_list;
    wake_list = sg->next;  // read before waking: sg dies once its owner runs
    sg->next = nullptr;
    wake(*sg->w);
  }
}

void block_forever() {
  waiter w;
  w.init();
  // Nothing will ever wake w: a fiber stays parked (deadlock detection
  // counts it as asleep), a thread stays blocked.
  gofer::detail::block(w, nullptr, nullptr);
  fatal("gofer: a fiber blocked forever was woken");
}

}  // namespace gofer::detail
