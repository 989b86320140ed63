// tests/ports/chan_goroutines_test.cpp — port of Go's test/chan/goroutines.go
// (go1.19): a torture test for goroutines. It makes a lot of fibers, threaded
// together by unbuffered channels, each passing one value from its right
// neighbour to its left, and tears them down cleanly.
//
// Differences from Go:
//   - n (10000, or os.Args[1]) has no command line; it is 10000, capped at
//     gofer_test::kMaxLiveFibers under TSan (its thread limit counts fibers).
//   - main runs as a fiber of a Runtime with 1, 2, 4 and 8 workers
//     (gofer_test::RuntimeTest, which also checks that every fiber exited).
#include "fixture.hpp"
#include "gofer/gofer.hpp"

namespace {

using gofer::chan;
using gofer::make_chan;

void f(chan<int> left, chan<int> right) { left.send(right.recv()); }

void go_main() {
  const auto n = gofer_test::live_capped(10000);
  auto leftmost = make_chan<int>();
  auto right = leftmost;
  auto left = leftmost;
  for (std::int64_t i = 0; i < n; i++) {
    right = make_chan<int>();
    gofer::go(f, left, right);
    left = right;
  }
  gofer::go([](chan<int> c) { c.send(1); }, right);
  EXPECT_EQ(leftmost.recv(), 1);
}

class ChanGoroutines : public gofer_test::RuntimeTest {};
GOFER_INSTANTIATE_WORKER_COUNTS(ChanGoroutines);

TEST_P(ChanGoroutines, Main) {
  run([] { go_main(); });
}

}  // namespace
