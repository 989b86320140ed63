// tests/ports/chan_zerosize_test.cpp — port of Go's test/chan/zerosize.go
// (go1.19): making channels of a zero-sized element type, unbuffered and
// buffered.
//
// Differences from Go:
//   - [0]byte is std::array<std::byte, 0> and struct{} is an empty struct;
//     both have sizeof 1 in C++ (gofer's chan.hpp: "a zero-size T still
//     takes one byte a slot").
//   - Go only makes the channels. ZeroSizeValuesFlow is an addition that
//     also sends, receives and closes them (buffered and unbuffered), since
//     in C++ an element of size 0 does not exist and an empty one is still
//     moved through the buffer.
//   - main runs as a fiber of a Runtime with 1, 2, 4 and 8 workers
//     (gofer_test::RuntimeTest).
#include <array>
#include <cstddef>

#include "fixture.hpp"
#include "gofer/gofer.hpp"

namespace {

using gofer::make_chan;

struct empty {};

void go_main() {
  (void)make_chan<std::array<std::byte, 0>>();
  (void)make_chan<std::array<std::byte, 0>>(1);
  (void)make_chan<empty>();
  (void)make_chan<empty>(1);
}

class ChanZerosize : public gofer_test::RuntimeTest {};
GOFER_INSTANTIATE_WORKER_COUNTS(ChanZerosize);

TEST_P(ChanZerosize, Main) {
  run([] { go_main(); });
}

// Addition (not in zerosize.go): values of the zero-sized types move through
// unbuffered and buffered channels, and a closed channel yields ok == false.
TEST_P(ChanZerosize, ZeroSizeValuesFlow) {
  run([] {
    auto a0 = make_chan<std::array<std::byte, 0>>();
    auto a1 = make_chan<std::array<std::byte, 0>>(1);
    auto e0 = make_chan<empty>();
    auto e1 = make_chan<empty>(1);
    auto done = make_chan<bool>();
    gofer::go([=] {
      a0.send({});
      e0.send(empty{});
      done.send(true);
    });
    a1.send({});
    e1.send(empty{});
    EXPECT_EQ(len(a1), 1u);
    EXPECT_EQ(len(e1), 1u);
    EXPECT_TRUE(a0.recv2().ok);
    EXPECT_TRUE(e0.recv2().ok);
    done.recv();
    EXPECT_TRUE(a1.recv2().ok);
    EXPECT_TRUE(e1.recv2().ok);
    close(a1);
    close(e0);
    EXPECT_FALSE(a1.recv2().ok);
    EXPECT_FALSE(e0.recv2().ok);
  });
}

}  // namespace
