// tests/ports/chan_fifo_test.cpp — port of Go's test/chan/fifo.go (go1.19):
// unbuffered channels act as pure FIFOs; a buffered channel hands its values
// back in order, and a daisy chain of fibers on one unbuffered channel
// receives the values in the order they were sent.
//
// Differences from Go:
//   - main runs as a fiber of a Runtime with 1, 2, 4 and 8 workers
//     (gofer_test::RuntimeTest, which also checks that no fiber is left).
//   - print + os.Exit(1) and panic(val) become gtest failures; the failing
//     fiber carries on so that the chain still unwinds.
#include "fixture.hpp"
#include "gofer/gofer.hpp"

namespace {

using gofer::chan;
using gofer::make_chan;
using gofer::recv_chan;
using gofer::send_chan;

constexpr int N = 10;

void AsynchFifo() {
  auto ch = make_chan<int>(N);
  for (int i = 0; i < N; i++) {
    ch.send(i);
  }
  for (int i = 0; i < N; i++) {
    if (ch.recv() != i) {
      ADD_FAILURE() << "bad receive";
      return;
    }
  }
}

void Chain(recv_chan<int> ch, int val, recv_chan<int> in, send_chan<int> out) {
  in.recv();
  if (int v = ch.recv(); v != val) {
    ADD_FAILURE() << "panic: " << val << " (received " << v << ")";
  }
  out.send(1);
}

// thread together a daisy chain to read the elements in sequence
void SynchFifo() {
  auto ch = make_chan<int>();
  auto in = make_chan<int>();
  auto start = in;
  for (int i = 0; i < N; i++) {
    auto out = make_chan<int>();
    gofer::go(Chain, ch, i, in, out);
    in = out;
  }
  start.send(0);
  for (int i = 0; i < N; i++) {
    ch.send(i);
  }
  in.recv();
}

class ChanFifo : public gofer_test::RuntimeTest {};
GOFER_INSTANTIATE_WORKER_COUNTS(ChanFifo);

TEST_P(ChanFifo, Main) {
  run([] {
    AsynchFifo();
    SynchFifo();
  });
}

}  // namespace
