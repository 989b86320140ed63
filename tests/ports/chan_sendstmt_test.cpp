// tests/ports/chan_sendstmt_test.cpp — port of Go's test/chan/sendstmt.go
// (go1.19): parsing cases of the send statement. What survives the move to
// C++ is the semantics: a select case `case <-cc <- 2:` first receives a
// channel from cc (when the select is entered) and then sends 2 on it, and
// `c <- false || true` sends the value of the whole expression.
//
// Differences from Go:
//   - Go's point was the grammar; in C++ the precedence questions do not
//     arise (send is a member call), so the checks are on the values only.
//   - panic("...") becomes a gtest failure.
//   - main runs as a fiber of a Runtime with 1, 2, 4 and 8 workers
//     (gofer_test::RuntimeTest).
#include "fixture.hpp"
#include "gofer/gofer.hpp"

namespace {

using gofer::chan;
using gofer::default_;
using gofer::make_chan;
using gofer::select;
using gofer::send;

void chanchan() {
  auto cc = make_chan<chan<int>>(1);
  auto c = make_chan<int>(1);
  cc.send(c);
  // select { case <-cc <- 2: default: panic("nonblock") }
  select(send(cc.recv(), 2, [] {}), default_([] { ADD_FAILURE() << "nonblock"; }));
  if (c.recv() != 2) {
    FAIL() << "bad receive";
  }
}

void sendprec() {
  auto c = make_chan<bool>(1);
  c.send(false || true);  // not a syntax error: same as c <- (false || true)
  if (!c.recv()) {
    FAIL() << "sent false";
  }
}

void go_main() {
  chanchan();
  sendprec();
}

class ChanSendstmt : public gofer_test::RuntimeTest {};
GOFER_INSTANTIATE_WORKER_COUNTS(ChanSendstmt);

TEST_P(ChanSendstmt, Main) {
  run([] { go_main(); });
}

}  // namespace
