// timers.cpp — 4-ary timer heaps. See timers.hpp.
#include "timers.hpp"

#include <time.h>

#include <mutex>

namespace gofer::detail {

std::int64_t nanotime() noexcept {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void timer_heap::publish_locked() {
  // release: pairs with the acquire in when0()/size(); a scheduler that
  // sees a deadline also sees the timer it belongs to after taking lock_.
  when0_.store(h_.empty() ? 0 : h_[0]->when, std::memory_order_release);
  size_.store(static_cast<std::int64_t>(h_.size()), std::memory_order_release);
}

// sift_up: port of runtime.siftupTimer (time.go).
void timer_heap::sift_up(std::size_t i) {
  timer* t = h_[i];
  const std::int64_t when = t->when;
  while (i > 0) {
    std::size_t p = (i - 1) / 4;  // parent
    if (when >= h_[p]->when) break;
    h_[i] = h_[p];
    h_[i]->idx_ = static_cast<std::int32_t>(i);
    i = p;
  }
  h_[i] = t;
  t->idx_ = static_cast<std::int32_t>(i);
}

// sift_down: port of runtime.siftdownTimer (time.go).
void timer_heap::sift_down(std::size_t i) {
  const std::size_t n = h_.size();
  timer* t = h_[i];
  const std::int64_t when = t->when;
  for (;;) {
    std::size_t c = i * 4 + 1;  // left child
    std::size_t c3 = c + 2;     // mid child
    if (c >= n) break;
    std::int64_t w = h_[c]->when;
    if (c + 1 < n && h_[c + 1]->when < w) {
      w = h_[c + 1]->when;
      c++;
    }
    if (c3 < n) {
      std::int64_t w3 = h_[c3]->when;
      if (c3 + 1 < n && h_[c3 + 1]->when < w3) {
        w3 = h_[c3 + 1]->when;
        c3++;
      }
      if (w3 < w) {
        w = w3;
        c = c3;
      }
    }
    if (w >= when) break;
    h_[i] = h_[c];
    h_[i]->idx_ = static_cast<std::int32_t>(i);
    i = c;
  }
  h_[i] = t;
  t->idx_ = static_cast<std::int32_t>(i);
}

bool timer_heap::add(timer* t, std::int64_t when) {
  std::lock_guard<rt_mutex> lk(lock_);
  t->when = when;
  h_.push_back(t);
  sift_up(h_.size() - 1);
  // relaxed: heap_ is only trusted after re-reading it under lock_.
  t->heap_.store(this, std::memory_order_relaxed);
  publish_locked();
  return t->idx_ == 0;
}

void timer_heap::remove_locked(timer* t) {
  std::size_t i = static_cast<std::size_t>(t->idx_);
  std::size_t last = h_.size() - 1;
  if (i != last) {
    h_[i] = h_[last];
    h_[i]->idx_ = static_cast<std::int32_t>(i);
  }
  h_.pop_back();
  if (i != last) {  // Go's dodeltimer: the moved timer may go either way
    sift_up(i);
    sift_down(i);
  }
  t->idx_ = -1;
  // release: pairs with the acquire load in timer_del. A thread that sees
  // null there does not take this heap's lock, and may re-add t to another
  // heap at once (Ticker.Reset racing the tick that run() is firing); the
  // release orders every read of t made under lock_ before this (run's
  // reads of when, f and arg) before that thread's writes. TSan found the
  // race when this store was relaxed.
  t->heap_.store(nullptr, std::memory_order_release);
}

bool timer_del(timer* t) {
  for (;;) {
    // acquire: pairs with the release store of null in remove_locked (see
    // there); a non-null heap is re-checked under its lock.
    timer_heap* hp = t->heap_.load(std::memory_order_acquire);
    if (hp == nullptr) return false;
    std::lock_guard<rt_mutex> lk(hp->lock_);
    if (t->heap_.load(std::memory_order_relaxed) != hp) continue;  // moved or fired
    hp->remove_locked(t);
    hp->publish_locked();
    return true;
  }
}

int timer_heap::run(std::int64_t now) {
  int fired = 0;
  std::unique_lock<rt_mutex> lk(lock_);
  while (!h_.empty() && h_[0]->when <= now) {
    timer* t = h_[0];
    void (*f)(void*) = t->f;
    void* arg = t->arg;
    if (t->period > 0) {
      // Re-arm, skipping the periods that were missed (Go's runOneTimer).
      std::int64_t delta = now - t->when;
      t->when += t->period * (1 + delta / t->period);
      if (t->when < 0) t->when = INT64_MAX;  // overflow
      sift_down(0);
    } else {
      remove_locked(t);
    }
    publish_locked();
    lk.unlock();
    f(arg);  // no lock held: f may ready fibers, add timers, ...
    fired++;
    lk.lock();
  }
  return fired;
}

std::size_t timer_heap::remove_all() {
  std::vector<timer*> dropped;
  {
    std::lock_guard<rt_mutex> lk(lock_);
    for (timer* t : h_) {
      t->idx_ = -1;
      t->heap_.store(nullptr, std::memory_order_release);  // as in remove_locked
    }
    dropped.swap(h_);
    publish_locked();
  }
  for (timer* t : dropped)
    if (t->drop) t->drop(t->arg);
  return dropped.size();
}

}  // namespace gofer::detail
