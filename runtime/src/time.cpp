// time.cpp — time::Now and time::Sleep (Go's time.Now, time.Sleep /
// runtime.timeSleep). See gofer/time.hpp.
#include "gofer/time.hpp"

#include <time.h>

#include <climits>
#include <thread>

#include "sched.hpp"

namespace gofer::time {

Time Now() {
  struct timespec wall, mono;
  clock_gettime(CLOCK_REALTIME, &wall);
  clock_gettime(CLOCK_MONOTONIC, &mono);
  Time t;
  t.wall_ = static_cast<std::int64_t>(wall.tv_sec) * 1000000000 + wall.tv_nsec;
  t.mono_ = static_cast<std::int64_t>(mono.tv_sec) * 1000000000 + mono.tv_nsec;
  t.has_mono_ = true;
  return t;
}

// Sleep: port of runtime.timeSleep (time.go). The timer lives on the
// sleeping fiber's stack and is queued by park's unlock callback, i.e. only
// once the fiber is off its stack, so the timer cannot ready it early
// (Go's resetForSleep runs as gopark's unlockf for the same reason).
void Sleep(Duration d) {
  if (d.count() <= 0) return;
  detail::g* gp = detail::current_g();
  if (gp == nullptr) {
    std::this_thread::sleep_for(d);
    return;
  }
  detail::timer t;
  t.f = [](void* arg) { detail::ready(static_cast<detail::g*>(arg)); };
  t.arg = gp;
  const std::int64_t now = detail::nanotime();
  const std::int64_t when = d.count() > INT64_MAX - now ? INT64_MAX : now + d.count();
  struct sleep_args {
    detail::timer* t;
    std::int64_t when;
  } a{&t, when};
  detail::park(
      [](detail::g* g, void* arg) {
        auto* sa = static_cast<sleep_args*>(arg);
        g->s->add_timer(sa->t, sa->when);
        return true;
      },
      &a);
}

}  // namespace gofer::time
