// gofer/time.hpp — Go's time package: Duration, its constants, Time, Now,
// Since, Until and Sleep.
//
// Duration is std::chrono::nanoseconds, so Go's `100 * time.Millisecond`
// ports as `100 * time::Millisecond` and C++'s `100ms` works too. Time carries
// both a wall-clock and a monotonic reading, as Go's does since 1.9:
// Sub/Since/Until use the monotonic one, so they never go backwards.
//
// Sleep parks the calling fiber on the runtime's timers (it never blocks a
// worker thread); called from a plain thread it blocks that thread.
#pragma once

#include <chrono>
#include <cstdint>

namespace gofer::time {

using Duration = std::chrono::nanoseconds;

inline constexpr Duration Nanosecond{1};
inline constexpr Duration Microsecond{1000};
inline constexpr Duration Millisecond{1000 * 1000};
inline constexpr Duration Second{1000LL * 1000 * 1000};
inline constexpr Duration Minute{60LL * 1000 * 1000 * 1000};
inline constexpr Duration Hour{3600LL * 1000 * 1000 * 1000};

// Seconds, Milliseconds, ... are Go's Duration methods as free functions.
inline double Seconds(Duration d) { return static_cast<double>(d.count()) / 1e9; }
inline double Minutes(Duration d) { return static_cast<double>(d.count()) / 60e9; }
inline double Hours(Duration d) { return static_cast<double>(d.count()) / 3600e9; }
inline std::int64_t Milliseconds(Duration d) { return d.count() / 1000000; }
inline std::int64_t Microseconds(Duration d) { return d.count() / 1000; }
inline std::int64_t Nanoseconds(Duration d) { return d.count(); }

// Time is an instant: a wall-clock reading (Unix nanoseconds) and, for times
// made by Now, a monotonic reading used by Sub, Before, After and Equal.
class Time {
 public:
  constexpr Time() = default;  // the zero Time (IsZero)

  Duration Sub(const Time& u) const {
    if (has_mono_ && u.has_mono_) return Duration{mono_ - u.mono_};
    return Duration{wall_ - u.wall_};
  }
  Time Add(Duration d) const {
    Time t = *this;
    t.wall_ += d.count();
    t.mono_ += d.count();
    return t;
  }
  bool Before(const Time& u) const { return Sub(u).count() < 0; }
  bool After(const Time& u) const { return Sub(u).count() > 0; }
  bool Equal(const Time& u) const { return Sub(u).count() == 0; }
  bool IsZero() const { return wall_ == 0 && !has_mono_; }
  std::int64_t UnixNano() const { return wall_; }
  std::int64_t UnixMilli() const { return wall_ / 1000000; }
  std::int64_t Unix() const { return wall_ / 1000000000; }

  friend Duration operator-(const Time& a, const Time& b) { return a.Sub(b); }
  friend Time operator+(const Time& a, Duration d) { return a.Add(d); }
  friend bool operator==(const Time& a, const Time& b) { return a.Equal(b); }
  friend bool operator<(const Time& a, const Time& b) { return a.Before(b); }

  // mono_nanos is the monotonic reading (CLOCK_MONOTONIC), for the runtime's
  // timers; 0 for a Time not made by Now.
  std::int64_t mono_nanos() const { return mono_; }

 private:
  friend Time Now();
  std::int64_t wall_ = 0;  // Unix nanoseconds
  std::int64_t mono_ = 0;  // CLOCK_MONOTONIC nanoseconds
  bool has_mono_ = false;
};

// Now returns the current time (wall clock plus monotonic reading).
Time Now();

// Since returns the time elapsed since t: Now().Sub(t).
inline Duration Since(const Time& t) { return Now().Sub(t); }

// Until returns the duration until t: t.Sub(Now()).
inline Duration Until(const Time& t) { return t.Sub(Now()); }

// Sleep pauses the current fiber for at least d. A zero or negative d
// returns immediately, as in Go. It parks the fiber on a runtime timer and
// never blocks a worker; from a plain thread it sleeps that thread.
void Sleep(Duration d);

}  // namespace gofer::time
