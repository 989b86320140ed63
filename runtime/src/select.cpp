// select.cpp — port of runtime.selectgo (select.go, go1.19), and the
// run-time-list form of select (reflect.Select).
//
// Differences from Go:
//   - The poll order is a uniform random permutation (Go's cheaprandn
//     shuffle); the lock order is the cases' channels sorted by address
//     with an insertion sort (selects are small; Go uses a heap sort).
//   - Go lets the waker pass the winning sudog through gp.param; here the
//     waker stores it in select_state::winner before waking the select.
//   - All sudogs of one select share one waiter, so a plain thread can
//     block in a select too.
//   - Up to kInline cases keep their order arrays and sudogs on the stack;
//     larger run-time selects allocate them.
#include <memory>

#include "chan_impl.hpp"
#include "gofer/detail/hchan.hpp"
#include "gofer/panic.hpp"
#include "gofer/select.hpp"
#include "sched.hpp"

namespace gofer::detail {

namespace {

constexpr int kInline = 8;

// fastrandn: uniform in [0, n), from a per-thread xorshift generator (a
// fiber migrating between threads does not hurt a random source).
std::uint32_t fastrandn(std::uint32_t n) {
  thread_local std::uint64_t state = 0;
  if (state == 0)
    state = reinterpret_cast<std::uintptr_t>(&state) ^ static_cast<std::uint64_t>(nanotime()) ^
            0x9E3779B97F4A7C15ULL;
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  auto r = static_cast<std::uint32_t>((state * 0x2545F4914F6CDD1DULL) >> 32);
  return static_cast<std::uint32_t>((static_cast<std::uint64_t>(r) * n) >> 32);
}

}  // namespace

struct select_impl {
  scase* cases;
  std::uint16_t* lockorder;
  int norder;

  // sellock / selunlock: Go's. Each distinct channel once, in address
  // order; unlocked in reverse (any order is fine for unlocking).
  void lock() const {
    hchan* prev = nullptr;
    for (int i = 0; i < norder; i++) {
      hchan* c = cases[lockorder[i]].c;
      if (c != prev) c->lock_.lock();
      prev = c;
    }
  }
  void unlock() const {
    for (int i = norder - 1; i >= 0; i--) {
      hchan* c = cases[lockorder[i]].c;
      if (i > 0 && c == cases[lockorder[i - 1]].c) continue;  // unlocked with its last duplicate
      c->lock_.unlock();
    }
  }

  static select_result go(scase* cases, int n, bool block);
};

select_result select_impl::go(scase* cases, int n, bool block) {
  if (n > 0xFFFF) throw_panic("select: too many cases");
  std::uint16_t inline_orders[2 * kInline];
  sudog inline_sudogs[kInline];
  std::unique_ptr<std::uint16_t[]> heap_orders;
  std::unique_ptr<sudog[]> heap_sudogs;
  std::uint16_t* pollorder = inline_orders;
  if (n > kInline) {
    heap_orders.reset(new std::uint16_t[2 * static_cast<std::size_t>(n)]);
    pollorder = heap_orders.get();
  }
  std::uint16_t* lockorder = pollorder + (n > kInline ? n : kInline);

  // Generate the permuted order, omitting cases on nil channels (Go).
  int norder = 0;
  for (int i = 0; i < n; i++) {
    if (cases[i].c == nullptr) continue;
    auto j = static_cast<int>(fastrandn(static_cast<std::uint32_t>(norder + 1)));
    pollorder[norder] = pollorder[j];
    pollorder[j] = static_cast<std::uint16_t>(i);
    norder++;
  }
  if (norder == 0) {
    if (!block) return {-1, false};
    block_forever();  // select {} or only nil channels: block forever
  }

  // Sort the cases by channel address to get the locking order.
  for (int i = 0; i < norder; i++) {
    std::uint16_t v = pollorder[i];
    int j = i;
    while (j > 0 && cases[lockorder[j - 1]].c > cases[v].c) {
      lockorder[j] = lockorder[j - 1];
      j--;
    }
    lockorder[j] = v;
  }

  select_impl sel{cases, lockorder, norder};
  sel.lock();

  // Pass 1: look for something already waiting (in the random order).
  for (int k = 0; k < norder; k++) {
    const int i = pollorder[k];
    scase& cas = cases[i];
    hchan* c = cas.c;
    if (cas.is_send) {
      if (c->closed_.load(std::memory_order_relaxed)) {
        sel.unlock();  // sclose
        throw_panic("send on closed channel");
      }
      if (sudog* sg = c->recvq_.dequeue()) {  // send to a waiting receiver
        c->send_locked(sg, cas.elem);
        sel.unlock();
        wake(*sg->w);
        return {i, false};
      }
      if (c->qcount_.load(std::memory_order_relaxed) < c->dataqsiz_) {  // bufsend
        c->buf_put_locked(cas.elem);
        sel.unlock();
        return {i, false};
      }
    } else {
      if (sudog* sg = c->sendq_.dequeue()) {  // receive from a waiting sender
        c->recv_locked(sg, cas.elem);
        sel.unlock();
        wake(*sg->w);
        return {i, true};
      }
      if (c->qcount_.load(std::memory_order_relaxed) > 0) {  // bufrecv
        c->buf_take_locked(cas.elem);
        sel.unlock();
        return {i, true};
      }
      if (c->closed_.load(std::memory_order_relaxed)) {  // rclose
        sel.unlock();
        if (cas.elem) c->ops_->assign_zero(cas.elem);
        return {i, false};
      }
    }
  }

  if (!block) {
    sel.unlock();
    return {-1, false};
  }

  // Pass 2: enqueue on every channel, then park. The channels are unlocked
  // by park's callback, once we are off our stack (Go's selparkcommit).
  sudog* sgs = inline_sudogs;
  if (n > kInline) {
    heap_sudogs.reset(new sudog[static_cast<std::size_t>(n)]);
    sgs = heap_sudogs.get();
  }
  select_state st;
  waiter w;
  w.init();
  for (int k = 0; k < norder; k++) {
    const int i = lockorder[k];
    sudog* sg = &sgs[i];
    sg->w = &w;
    sg->elem = cases[i].elem;
    sg->c = cases[i].c;
    sg->sel = &st;
    sg->case_index = i;
    if (cases[i].is_send) cases[i].c->sendq_.enqueue(sg);
    else cases[i].c->recvq_.enqueue(sg);
  }
  gofer::detail::block(
      w, [](void* p) { static_cast<const select_impl*>(p)->unlock(); }, &sel);

  // Woken by the winner's waker. Pass 3: dequeue from the other channels.
  sel.lock();
  sudog* winner = st.winner;
  for (int k = 0; k < norder; k++) {
    const int i = lockorder[k];
    sudog* sg = &sgs[i];
    if (sg == winner) continue;
    if (cases[i].is_send) cases[i].c->sendq_.remove(sg);
    else cases[i].c->recvq_.remove(sg);
  }
  sel.unlock();
  if (winner == nullptr) fatal("gofer: select woken without a winning case");
  const int casi = winner->case_index;
  if (cases[casi].is_send) {
    if (!winner->success) throw_panic("send on closed channel");
    return {casi, false};
  }
  return {casi, winner->success};
}

select_result selectgo(scase* cases, int n, bool block) {
  return select_impl::go(cases, n, block);
}

}  // namespace gofer::detail

namespace gofer {

int select(std::span<select_case> cases, bool with_default) {
  constexpr std::size_t kInline = 8;
  detail::scase inline_cases[kInline];
  std::unique_ptr<detail::scase[]> heap;
  detail::scase* sc = inline_cases;
  if (cases.size() > kInline) {
    heap.reset(new detail::scase[cases.size()]);
    sc = heap.get();
  }
  for (std::size_t i = 0; i < cases.size(); i++) sc[i] = cases[i].s_;
  detail::select_result r =
      detail::selectgo(sc, static_cast<int>(cases.size()), /*block=*/!with_default);
  if (r.index >= 0) {
    if (bool* ok = cases[static_cast<std::size_t>(r.index)].ok_) *ok = r.recv_ok;
  }
  return r.index;
}

}  // namespace gofer
