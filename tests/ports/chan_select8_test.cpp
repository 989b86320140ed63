// tests/ports/chan_select8_test.cpp — port of Go's test/chan/select8.go
// (go1.19): break statements in a select (a gccgo bug), over 1-, 2- and
// 3-case selects so that both the general path and the one- and two-case
// specialisations are covered.
//
// Differences from Go:
//   - A case body is a lambda, so Go's `break` out of the select is `return`
//     from the lambda; the panic("unreachable") after it stays (as a gtest
//     failure) and is as unreachable as in Go.
//   - The package-level `var ch = make(chan int)` is made afresh at the
//     start of each run: the program runs once per worker count (1, 2, 4,
//     8), and the previous run's sender is still blocked on its ch, abandoned
//     by that run's ~Runtime as Go's exit abandons it. That is also why this
//     suite does not use gofer_test::RuntimeTest (it requires every fiber to
//     have exited).
//   - The abandoned sender's channels are never freed; LeakSanitizer is told
//     not to report them (__lsan_default_suppressions below).
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

chan<int> ch;

void go_main() {
  ch = make_chan<int>();
  gofer::go([ch = ch] {
    for (;;) {
      ch.send(5);
    }
  });

  select(recv(ch, [] {
    return;  // break
    ADD_FAILURE() << "unreachable";
  }));

  select(default_([] {
    return;  // break
    ADD_FAILURE() << "unreachable";
  }));

  select(recv(ch,
              [] {
                return;  // break
                ADD_FAILURE() << "unreachable";
              }),
         default_([] {
           return;  // break
           ADD_FAILURE() << "unreachable";
         }));

  select(recv(ch,
              [] {
                return;  // break
                ADD_FAILURE() << "unreachable";
              }),
         send(ch, 10, [] { ADD_FAILURE() << "unreachable"; }), default_([] {
           return;  // break
           ADD_FAILURE() << "unreachable";
         }));
}

class ChanSelect8 : public ::testing::TestWithParam<int> {};
INSTANTIATE_TEST_SUITE_P(Workers, ChanSelect8, ::testing::Values(1, 2, 4, 8),
                         gofer_test::WorkerCountName);

TEST_P(ChanSelect8, Main) {
  gofer::Runtime rt(gofer::Runtime::Options{.workers = GetParam()});
  rt.run([] { go_main(); });
  // ~Runtime abandons the sender, still blocked on ch, as Go's exit does.
}

}  // namespace
