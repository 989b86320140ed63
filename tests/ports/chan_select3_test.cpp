// tests/ports/chan_select3_test.cpp — port of Go's test/chan/select3.go
// (go1.19): the semantics of the select statement and of plain channel
// operations in the basic empty / non-empty / nil / closed cases, checking
// empirically which of them block and which panic.
//
// Differences from Go:
//   - testPanic's defer/recover is a try/catch of gofer::panic_error.
//   - unreachable() records a gtest failure and then panics, as Go's does.
//     In testBlock the goroutine running f catches that panic and reports it
//     (Go would crash the program), then reports "never" as Go would not.
//   - testBlock's timer goroutine calls time::Sleep and then sends on the
//     result channel (time channels are not available yet; Go also uses
//     time.Sleep here). The bounds are Go's: an f expected not to block
//     has 10 s to finish (a generous bound, reached only on failure), an f
//     expected to block is declared blocked after kAlwaysWait, 10 ms as in
//     Go; a longer wait would only make the check stricter.
//   - A select case body is a lambda: `case x := (<-closedch):` is
//     recv(closedch, [](int x) {...}), `case <-c:` is recv(c, [] {...}).
//   - main runs as a fiber of a Runtime with 1, 2, 4 and 8 workers. As in
//     Go, the fibers that block forever (on nil channels, on channels no one
//     else holds, in `select {}`) and the 10 s timer fibers are still alive
//     when main returns; ~Runtime abandons them, as Go's exit does, which is
//     why this suite does not use gofer_test::RuntimeTest. Their channels
//     are never freed; LeakSanitizer is told not to report them
//     (__lsan_default_suppressions below).
#include <string>

#include "fixture.hpp"
#include "gofer/gofer.hpp"

// LeakSanitizer (ASan builds): the channels that only abandoned fibers still
// hold are never freed (Go's GC collects them along with the goroutines), so
// this executable does not report hchan allocations as leaks. Channel leaks
// are still caught by the other ports, where every fiber exits.
extern "C" const char* __lsan_default_suppressions() { return "leak:gofer::detail::make_hchan\n"; }

namespace {

using gofer::chan;
using gofer::default_;
using gofer::make_chan;
using gofer::recv;
using gofer::select;
using gofer::send;

const std::string always = "function did not";
const std::string never = "function did";

constexpr gofer::time::Duration kNeverWait = 10 * gofer::time::Second;
constexpr gofer::time::Duration kAlwaysWait = 10 * gofer::time::Millisecond;

void unreachable() {
  ADD_FAILURE() << "control flow shouldn't reach here";
  throw gofer::panic_error("control flow shouldn't reach here");
}

// Calls f and verifies that f always/never panics depending on signal.
template <class F>
void testPanic(const std::string& signal, F f) {
  std::string s = never;
  try {
    f();
  } catch (const gofer::panic_error&) {
    s = always;  // f panicked
  }
  if (s != signal) {
    ADD_FAILURE() << signal << " panic";
  }
}

// Calls f and empirically verifies that f always/never blocks depending on
// signal.
template <class F>
void testBlock(const std::string& signal, F f) {
  auto c = make_chan<std::string>();
  gofer::go([c, f] {
    try {
      f();
    } catch (const gofer::panic_error& e) {
      ADD_FAILURE() << "f panicked: " << e.what();
    }
    c.send(never);  // f didn't block
  });
  gofer::go([c, wait = signal == never ? kNeverWait : kAlwaysWait] {
    // never: wait a long time to make sure that we don't miss our window by
    // accident on a slow machine. always: wait as short a time as we can
    // without false negatives.
    gofer::time::Sleep(wait);
    c.send(always);  // f blocked always
  });
  if (c.recv() != signal) {
    ADD_FAILURE() << signal << " block";
  }
}

void go_main() {
  constexpr int async = 1;  // asynchronous channels
  chan<int> nilch;
  auto closedch = make_chan<int>();
  close(closedch);

  // sending/receiving from a nil channel blocks
  testBlock(always, [=] { nilch.send(7); });
  testBlock(always, [=] { nilch.recv(); });

  // sending/receiving from a nil channel inside a select is never selected
  testPanic(never, [=] { select(send(nilch, 7, [] { unreachable(); }), default_([] {})); });
  testPanic(never, [=] { select(recv(nilch, [] { unreachable(); }), default_([] {})); });

  // sending to an async channel with free buffer space never blocks
  testBlock(never, [] {
    auto ch = make_chan<int>(async);
    ch.send(7);
  });

  // receiving from a closed channel never blocks
  testBlock(never, [=] {
    for (int i = 0; i < 10; i++) {
      if (closedch.recv() != 0) {
        ADD_FAILURE() << "expected zero value when reading from closed channel";
        return;
      }
      if (auto [x, ok] = closedch.recv2(); x != 0 || ok) {
        ADD_FAILURE() << "closedch: " << x << " " << ok
                      << ": expected 0, false from closed channel";
        return;
      }
    }
  });

  // sending to a closed channel panics.
  testPanic(always, [=] { closedch.send(7); });

  // receiving from a non-ready channel always blocks
  testBlock(always, [] {
    auto ch = make_chan<int>();
    ch.recv();
  });

  // empty selects always block
  testBlock(always, [] { select(); });

  // selects with only nil channels always block
  testBlock(always, [=] { select(recv(nilch, [] { unreachable(); })); });
  testBlock(always, [=] { select(send(nilch, 7, [] { unreachable(); })); });
  testBlock(always, [=] {
    select(recv(nilch, [] { unreachable(); }), send(nilch, 7, [] { unreachable(); }));
  });

  // selects with non-ready non-nil channels always block
  testBlock(always, [] {
    auto ch = make_chan<int>();
    select(recv(ch, [] { unreachable(); }));
  });

  // selects with default cases don't block
  testBlock(never, [] { select(default_([] {})); });
  testBlock(never, [=] { select(recv(nilch, [] { unreachable(); }), default_([] {})); });
  testBlock(never, [=] { select(send(nilch, 7, [] { unreachable(); }), default_([] {})); });

  // selects with ready channels don't block
  testBlock(never, [] {
    auto ch = make_chan<int>(async);
    select(send(ch, 7, [] {}), default_([] { unreachable(); }));
  });
  testBlock(never, [] {
    auto ch = make_chan<int>(async);
    ch.send(7);
    select(recv(ch, [] {}), default_([] { unreachable(); }));
  });

  // selects with closed channels behave like ordinary operations
  testBlock(never, [=] { select(recv(closedch, [] {})); });
  testBlock(never, [=] { select(recv(closedch, [](int x) { (void)x; })); });
  testBlock(never, [=] { select(recv(closedch, [](int x, bool ok) { (void)x, (void)ok; })); });
  testPanic(always, [=] { select(send(closedch, 7, [] {})); });

  // select should not get confused if it sees itself
  testBlock(always, [] {
    auto c = make_chan<int>();
    select(send(c, 1, [] {}), recv(c, [] {}));
  });
}

class ChanSelect3 : public ::testing::TestWithParam<int> {};
INSTANTIATE_TEST_SUITE_P(Workers, ChanSelect3, ::testing::Values(1, 2, 4, 8),
                         gofer_test::WorkerCountName);

TEST_P(ChanSelect3, Main) {
  gofer::Runtime rt(gofer::Runtime::Options{.workers = GetParam()});
  rt.run([] { go_main(); });
  // ~Runtime abandons the fibers that block forever, as Go's exit does.
}

}  // namespace
