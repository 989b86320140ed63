// sema.cpp — port of runtime.semacquire1 / semrelease1 and the semaRoot
// table (sema.go, go1.19). See gofer/detail/sema.hpp.
//
// Differences from Go: a root keeps its addresses in a singly linked list of
// per-address FIFO queues instead of a treap (a root holds the waiters of
// the few sync objects that hash to it and are contended at once; the list
// is as short as the treap is shallow), and there is no acquire-time
// profiling.
//
// Invariants (per root, guarded by root.lock except nwait):
//   - root.addrs links the first waiter of every address that has waiters,
//     through addr_next; each address appears once.
//   - Each such first waiter's q_tail is the last waiter of its address;
//     the address's waiters are linked through next/prev, oldest first
//     (except lifo entries, which go in front).
//   - root.nwait >= the number of queued waiters of all its addresses: it is
//     incremented before the waiter re-checks *addr, so a releaser that sees
//     nwait == 0 after its increment of *addr knows nobody can miss it.
#include "gofer/detail/sema.hpp"

#include <cstddef>

#include "gofer/detail/park.hpp"
#include "gofer/detail/rt_mutex.hpp"
#include "sched.hpp"

namespace gofer::detail {

// sema_waiter: Go's sudog as the semaphore uses it. On the waiter's stack;
// every link field is guarded by its root's lock.
struct sema_waiter {
  waiter w;
  const void* addr = nullptr;
  sema_waiter* next = nullptr;       // next waiter of the same address
  sema_waiter* prev = nullptr;       // previous waiter of the same address
  sema_waiter* addr_next = nullptr;  // first waiter only: next address's queue
  sema_waiter* q_tail = nullptr;     // first waiter only: last of this address
  // ticket: 1 when semrelease handed the count straight to us. Written by
  // the releaser before wake(), read by us after (wake/ready orders it).
  std::uint32_t ticket = 0;
};

namespace {

// semaRoot: Go's semaRoot. alignas(64): Go pads the table entries to cache
// lines so that unrelated roots do not share one.
struct alignas(64) sema_root {
  rt_mutex lock;
  std::atomic<std::uint32_t> nwait{0};
  sema_waiter* addrs = nullptr;  // Guarded by lock.
};

// kSemTabSize: Go's semTabSize (a prime).
constexpr std::size_t kSemTabSize = 251;
sema_root semtable[kSemTabSize];

sema_root* root_of(const void* addr) {
  return &semtable[(reinterpret_cast<std::uintptr_t>(addr) >> 3) % kSemTabSize];
}

// cansemacquire: Go's cansemacquire. acq_rel: the CAS acquires what the
// releaser published before its increment.
bool cansemacquire(std::atomic<std::uint32_t>* addr) {
  for (;;) {
    std::uint32_t v = addr->load(std::memory_order_acquire);
    if (v == 0) return false;
    if (addr->compare_exchange_weak(v, v - 1, std::memory_order_acq_rel, std::memory_order_relaxed))
      return true;
  }
}

// find_link returns the link that points at addr's first waiter, or the
// null link at the end of the list if addr has none. Root lock held.
sema_waiter** find_link(sema_root* root, const void* addr) {
  sema_waiter** pp = &root->addrs;
  while (*pp != nullptr && (*pp)->addr != addr) pp = &(*pp)->addr_next;
  return pp;
}

// queue: Go's semaRoot.queue. Root lock held.
void queue(sema_root* root, const void* addr, sema_waiter* s, bool lifo) {
  s->addr = addr;
  s->next = s->prev = s->addr_next = nullptr;
  s->q_tail = s;
  sema_waiter** pp = find_link(root, addr);
  sema_waiter* first = *pp;
  if (first == nullptr) {  // addr's first waiter: append its queue
    *pp = s;
    return;
  }
  if (lifo) {  // s takes first's place in the address list
    s->next = first;
    first->prev = s;
    s->q_tail = first->q_tail;
    s->addr_next = first->addr_next;
    first->addr_next = nullptr;
    first->q_tail = nullptr;
    *pp = s;
    return;
  }
  sema_waiter* tail = first->q_tail;
  tail->next = s;
  s->prev = tail;
  first->q_tail = s;
}

// dequeue: Go's semaRoot.dequeue — the first waiter of addr, or nullptr.
// Root lock held.
sema_waiter* dequeue(sema_root* root, const void* addr) {
  sema_waiter** pp = find_link(root, addr);
  sema_waiter* s = *pp;
  if (s == nullptr) return nullptr;
  if (sema_waiter* nx = s->next) {  // nx becomes the address's first waiter
    nx->prev = nullptr;
    nx->q_tail = s->q_tail;
    nx->addr_next = s->addr_next;
    *pp = nx;
  } else {
    *pp = s->addr_next;
  }
  s->next = s->prev = s->addr_next = s->q_tail = nullptr;
  return s;
}

}  // namespace

void semacquire(std::atomic<std::uint32_t>* addr, bool lifo) {
  // Easy case.
  if (cansemacquire(addr)) return;
  // Harder case: increment nwait, re-check, enqueue, park; on wake-up take
  // the handed-off ticket or try again (Go's loop).
  sema_root* root = root_of(addr);
  sema_waiter s;
  s.w.init();
  for (;;) {
    root->lock.lock();
    // Add ourselves to nwait to disable the "easy case" in semrelease.
    // acq_rel: pairs with semrelease's RMW read after its increment of *addr.
    root->nwait.fetch_add(1, std::memory_order_acq_rel);
    if (cansemacquire(addr)) {
      root->nwait.fetch_sub(1, std::memory_order_acq_rel);
      root->lock.unlock();
      break;
    }
    s.ticket = 0;
    s.w.woken.store(0, std::memory_order_relaxed);  // relaxed: not yet published
    queue(root, addr, &s, lifo);
    block(
        s.w, [](void* m) { static_cast<rt_mutex*>(m)->unlock(); }, &root->lock);
    if (s.ticket != 0 || cansemacquire(addr)) break;
  }
}

void semrelease(std::atomic<std::uint32_t>* addr, bool handoff) {
  sema_root* root = root_of(addr);
  // acq_rel: publishes the releaser's critical section to the acquirer.
  // From here on the object holding *addr may be gone (its waiter may take
  // the count and return): only root and dequeued waiters are touched.
  addr->fetch_add(1, std::memory_order_acq_rel);
  // Easy case: no waiters? This check must happen after the increment, to
  // avoid a missed wake-up (Go's comment; the RMW orders it).
  if (root->nwait.fetch_add(0, std::memory_order_acq_rel) == 0) return;
  root->lock.lock();
  if (root->nwait.load(std::memory_order_relaxed) == 0) {  // relaxed: under lock
    root->lock.unlock();
    return;
  }
  sema_waiter* s = dequeue(root, addr);
  if (s) root->nwait.fetch_sub(1, std::memory_order_acq_rel);
  root->lock.unlock();
  if (s == nullptr) return;
  // s is blocked until wake(), so *addr is still alive here: its holder
  // cannot have returned from Wait/Lock without s.
  bool handed = false;
  if (handoff && cansemacquire(addr)) {
    s->ticket = 1;
    handed = true;
  }
  wake(s->w);  // s may be gone after this
  // Direct hand-off: let the waiter run now (it is in our runnext), as Go's
  // semrelease1 does with goyield.
  if (handed) go_yield();
}

}  // namespace gofer::detail
