// tests/ports/chan_select_test.cpp — port of Go's test/chan/select.go
// (go1.19): a simple select with two send cases and a default. A case whose
// channel has become nil never fires, every send value is evaluated on each
// entry to the select (counter), and default runs once nothing is ready.
//
// Differences from Go:
//   - Go evaluates the send values left to right; C++ evaluates the
//     arguments of gofer::select in an unspecified order. Each entry calls
//     GetValue() twice with the same shift, so the values and the final
//     counter are the same either way.
//   - `break LOOP` from the default case is the loop testing for select's
//     default result (-1).
//   - counter and shift are reset at the start of each run, since the
//     program runs once per worker count (1, 2, 4, 8, gofer_test::RuntimeTest).
//   - println + panic("fail") become gtest failures.
#include "fixture.hpp"
#include "gofer/gofer.hpp"

namespace {

using gofer::chan;
using gofer::default_;
using gofer::make_chan;
using gofer::select;
using gofer::send;

unsigned counter;
unsigned shift;

unsigned GetValue() {
  counter++;
  return 1u << shift;
}

int Send(chan<unsigned> a, chan<unsigned> b) {
  int i = 0;

  for (;;) {  // LOOP
    int chosen = select(send(a, GetValue(),
                             [&] {
                               i++;
                               a = {};  // a = nil
                             }),
                        send(b, GetValue(),
                             [&] {
                               i++;
                               b = {};  // b = nil
                             }),
                        default_([] {}));
    if (chosen == -1) break;  // default: break LOOP
    shift++;
  }
  return i;
}

void go_main() {
  counter = 0;
  shift = 0;
  auto a = make_chan<unsigned>(1);
  auto b = make_chan<unsigned>(1);
  if (int v = Send(a, b); v != 2) {
    FAIL() << "Send returned " << v << " != 2";
  }
  if (unsigned av = a.recv(), bv = b.recv(); (av | bv) != 3) {
    FAIL() << "bad values " << av << " " << bv;
  }
  if (int v = Send(a, chan<unsigned>{}); v != 1) {
    FAIL() << "Send returned " << v << " != 1";
  }
  if (counter != 10) {
    FAIL() << "counter is " << counter << " != 10";
  }
}

class ChanSelect : public gofer_test::RuntimeTest {};
GOFER_INSTANTIATE_WORKER_COUNTS(ChanSelect);

TEST_P(ChanSelect, Main) {
  run([] { go_main(); });
}

}  // namespace
