// gofer/timer.hpp — Go's time.Timer, time.Ticker, time.After, time.Tick and
// time.AfterFunc, on the runtime's timer heaps, with Go 1.23's semantics:
//
//   - timer and ticker channels are synchronous: once Stop or Reset has
//     returned, no value from before the call is ever received (a value
//     that fired but was not received yet is discarded);
//   - a Ticker drops ticks for a slow reader (its channel holds one tick);
//   - Stop does not close C;
//   - a Ticker or timer whose channel nobody holds any more stops itself
//     (Go 1.23 lets the GC collect them).
//
//   t := time.NewTimer(d)        auto t = time::NewTimer(d);
//   <-t.C                        t->C.recv();
//   t.Stop(); t.Reset(d)         t->Stop(); t->Reset(d);
//   <-time.After(d)              time::After(d).recv();
//   for range time.Tick(d)       for (auto now : time::Tick(d))
//   time.AfterFunc(d, f)         time::AfterFunc(d, f);   // f runs in its own fiber
#pragma once

#include <functional>
#include <memory>

#include "gofer/chan.hpp"
#include "gofer/time.hpp"

namespace gofer::time {

namespace detail_timer {
struct state;
}

class Timer {
 public:
  // C: the channel the time is delivered on (nil for AfterFunc timers).
  recv_chan<Time> C;

  // Stop prevents the timer from firing; true if the call stopped it (it
  // had not fired, or had fired but its value was not received).
  bool Stop();
  // Reset makes the timer fire after d; returns what Stop would have.
  bool Reset(Duration d);

  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

 private:
  friend std::shared_ptr<Timer> NewTimer(Duration);
  friend std::shared_ptr<Timer> AfterFunc(Duration, std::function<void()>);
  explicit Timer(detail_timer::state* st);
  detail_timer::state* st_;
};

class Ticker {
 public:
  recv_chan<Time> C;
  // Stop turns the ticker off; no tick from before it is received after.
  void Stop();
  // Reset stops the ticker and restarts it with period d (d > 0, else
  // panic "non-positive interval for Ticker.Reset").
  void Reset(Duration d);

  ~Ticker();
  Ticker(const Ticker&) = delete;
  Ticker& operator=(const Ticker&) = delete;

 private:
  friend std::shared_ptr<Ticker> NewTicker(Duration);
  explicit Ticker(detail_timer::state* st);
  detail_timer::state* st_;
};

// NewTimer: a Timer that sends the current time on C after d.
std::shared_ptr<Timer> NewTimer(Duration d);
// NewTicker: a Ticker sending the time every d (d > 0, else panic
// "non-positive interval for NewTicker").
std::shared_ptr<Ticker> NewTicker(Duration d);
// After: NewTimer(d)->C.
recv_chan<Time> After(Duration d);
// Tick: NewTicker(d)->C, or a nil channel for d <= 0 (as in Go).
recv_chan<Time> Tick(Duration d);
// AfterFunc: run f in its own fiber after d. Stop reports whether it
// prevented f from running.
std::shared_ptr<Timer> AfterFunc(Duration d, std::function<void()> f);

}  // namespace gofer::time
