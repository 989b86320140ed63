// tests/ports/chan_nonblock_test.cpp — port of Go's test/chan/nonblock.go
// (go1.19): channel operations that test for blocking, with unbuffered and
// buffered (cap 1) channels of several element types (int32, int64, bool,
// string).
//
// Differences from Go:
//   - Go's one-case-plus-default selects (`select { case c <- v: ...
//     default: ... }`) are written as c.try_send(v) / c.try_recv(v), which is
//     what Go's compiler lowers them to (selectnbsend / selectnbrecv, i.e.
//     chansend/chanrecv with block == false). The labelled `for { select }`
//     loops become `for (;;)` loops that break when the try succeeds.
//   - sleep() waited for two ticks of a 10 µs time.Tick; time channels are
//     not available yet, so it calls time::Sleep(10 µs) twice instead (then
//     runtime::Gosched() three times, as Go does).
//   - println + panic("fail") and panic("...") become gtest failures; a
//     failing receiver still strobes, so main does not hang.
//   - main runs as a fiber of a Runtime with 1, 2, 4 and 8 workers
//     (gofer_test::RuntimeTest).
#include <cstdint>
#include <string>

#include "fixture.hpp"
#include "gofer/gofer.hpp"

namespace {

using gofer::chan;
using gofer::make_chan;

void i32receiver(chan<std::int32_t> c, chan<bool> strobe) {
  if (c.recv() != 123) {
    ADD_FAILURE() << "i32 value";
  }
  strobe.send(true);
}

void i32sender(chan<std::int32_t> c, chan<bool> strobe) {
  c.send(234);
  strobe.send(true);
}

void i64receiver(chan<std::int64_t> c, chan<bool> strobe) {
  if (c.recv() != 123456) {
    ADD_FAILURE() << "i64 value";
  }
  strobe.send(true);
}

void i64sender(chan<std::int64_t> c, chan<bool> strobe) {
  c.send(234567);
  strobe.send(true);
}

void breceiver(chan<bool> c, chan<bool> strobe) {
  if (!c.recv()) {
    ADD_FAILURE() << "b value";
  }
  strobe.send(true);
}

void bsender(chan<bool> c, chan<bool> strobe) {
  c.send(true);
  strobe.send(true);
}

void sreceiver(chan<std::string> c, chan<bool> strobe) {
  if (c.recv() != "hello") {
    ADD_FAILURE() << "s value";
  }
  strobe.send(true);
}

void ssender(chan<std::string> c, chan<bool> strobe) {
  c.send("hello again");
  strobe.send(true);
}

// Go: var ticker = time.Tick(10 * 1000) // 10 us
void sleep() {
  gofer::time::Sleep(10 * gofer::time::Microsecond);  // <-ticker
  gofer::time::Sleep(10 * gofer::time::Microsecond);  // <-ticker
  gofer::runtime::Gosched();
  gofer::runtime::Gosched();
  gofer::runtime::Gosched();
}

constexpr int maxTries = 10000;  // Up to 100ms per test.

void go_main() {
  std::int32_t i32 = 0;
  std::int64_t i64 = 0;
  bool b = false;
  std::string s;

  auto sync = make_chan<bool>();

  for (int buffer = 0; buffer < 2; buffer++) {
    auto c32 = make_chan<std::int32_t>(buffer);
    auto c64 = make_chan<std::int64_t>(buffer);
    auto cb = make_chan<bool>(buffer);
    auto cs = make_chan<std::string>(buffer);

    if (c32.try_recv(i32)) {
      FAIL() << "blocked i32sender";
    }
    if (c64.try_recv(i64)) {
      FAIL() << "blocked i64sender";
    }
    if (cb.try_recv(b)) {
      FAIL() << "blocked bsender";
    }
    if (cs.try_recv(s)) {
      FAIL() << "blocked ssender";
    }

    gofer::go(i32receiver, c32, sync);
    int try_ = 0;
    for (;;) {  // Send32
      if (c32.try_send(123)) break;
      try_++;
      if (try_ > maxTries) {
        FAIL() << "i32receiver buffer=" << buffer << ": fail";
      }
      sleep();
    }
    sync.recv();

    gofer::go(i32sender, c32, sync);
    if (buffer > 0) {
      sync.recv();
    }
    try_ = 0;
    for (;;) {  // Recv32
      if (c32.try_recv(i32)) break;
      try_++;
      if (try_ > maxTries) {
        FAIL() << "i32sender buffer=" << buffer << ": fail";
      }
      sleep();
    }
    if (i32 != 234) {
      FAIL() << "i32sender value";
    }
    if (buffer == 0) {
      sync.recv();
    }

    gofer::go(i64receiver, c64, sync);
    try_ = 0;
    for (;;) {  // Send64
      if (c64.try_send(123456)) break;
      try_++;
      if (try_ > maxTries) {
        FAIL() << "i64receiver";
      }
      sleep();
    }
    sync.recv();

    gofer::go(i64sender, c64, sync);
    if (buffer > 0) {
      sync.recv();
    }
    try_ = 0;
    for (;;) {  // Recv64
      if (c64.try_recv(i64)) break;
      try_++;
      if (try_ > maxTries) {
        FAIL() << "i64sender";
      }
      sleep();
    }
    if (i64 != 234567) {
      FAIL() << "i64sender value";
    }
    if (buffer == 0) {
      sync.recv();
    }

    gofer::go(breceiver, cb, sync);
    try_ = 0;
    for (;;) {  // SendBool
      if (cb.try_send(true)) break;
      try_++;
      if (try_ > maxTries) {
        FAIL() << "breceiver";
      }
      sleep();
    }
    sync.recv();

    gofer::go(bsender, cb, sync);
    if (buffer > 0) {
      sync.recv();
    }
    try_ = 0;
    for (;;) {  // RecvBool
      if (cb.try_recv(b)) break;
      try_++;
      if (try_ > maxTries) {
        FAIL() << "bsender";
      }
      sleep();
    }
    if (!b) {
      FAIL() << "bsender value";
    }
    if (buffer == 0) {
      sync.recv();
    }

    gofer::go(sreceiver, cs, sync);
    try_ = 0;
    for (;;) {  // SendString
      if (cs.try_send(std::string("hello"))) break;
      try_++;
      if (try_ > maxTries) {
        FAIL() << "sreceiver";
      }
      sleep();
    }
    sync.recv();

    gofer::go(ssender, cs, sync);
    if (buffer > 0) {
      sync.recv();
    }
    try_ = 0;
    for (;;) {  // RecvString
      if (cs.try_recv(s)) break;
      try_++;
      if (try_ > maxTries) {
        FAIL() << "ssender";
      }
      sleep();
    }
    if (s != "hello again") {
      FAIL() << "ssender value";
    }
    if (buffer == 0) {
      sync.recv();
    }
  }
}

class ChanNonblock : public gofer_test::RuntimeTest {};
GOFER_INSTANTIATE_WORKER_COUNTS(ChanNonblock);

TEST_P(ChanNonblock, Main) {
  run([] { go_main(); });
}

}  // namespace
