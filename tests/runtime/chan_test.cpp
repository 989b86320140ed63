// tests/runtime/chan_test.cpp — Go's channels (gofer/chan.hpp): buffered
// FIFO, unbuffered rendezvous, close (drain, then the zero value with
// ok == false), len/cap, the nil channel, Go's panic texts, range-for, the
// directional views, move-only, over-aligned and empty element types (values
// are moved, never copied), Go's memory-model guarantees, and use from
// fibers, plain threads and both at once. Several tests follow Go's
// runtime/chan_test.go (go1.19) and say so.
//
// Blocking forever (nil channel, empty select) is a deadlock death test and
// lives with the death tests, not here.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "fixture.hpp"
#include "gofer/gofer.hpp"

namespace {

using gofer_test::expect_panic;
using gofer_test::panic_text;
using namespace std::chrono_literals;
using gofer::chan;
using gofer::make_chan;
using gofer::recv_chan;
using gofer::send_chan;
using gofer_test::eventually;
using gofer_test::scaled;
using gofer_test::slack;
namespace sync = gofer::sync;

class ChanTest : public gofer_test::RuntimeTest {};
GOFER_INSTANTIATE_WORKER_COUNTS(ChanTest);

// tracked counts copies and live objects: a channel must move its values,
// never copy them, and must destroy what it still holds when it goes away.
struct tracked {
  static inline std::atomic<int> copies{0};
  static inline std::atomic<int> live{0};
  static void reset() {
    copies.store(0);
    live.store(0);
  }

  int v = 0;
  tracked() { live.fetch_add(1); }
  explicit tracked(int x) : v(x) { live.fetch_add(1); }
  tracked(const tracked& o) : v(o.v) {
    copies.fetch_add(1);
    live.fetch_add(1);
  }
  tracked(tracked&& o) noexcept : v(std::exchange(o.v, -1)) { live.fetch_add(1); }
  tracked& operator=(const tracked& o) {
    v = o.v;
    copies.fetch_add(1);
    return *this;
  }
  tracked& operator=(tracked&& o) noexcept {
    v = std::exchange(o.v, -1);
    return *this;
  }
  ~tracked() { live.fetch_sub(1); }
};

// over_aligned checks, each time it is constructed, that it sits at a
// 64-byte boundary: the ring buffer must honour alignof(T).
struct alignas(64) over_aligned {
  static inline std::atomic<int> misaligned{0};
  std::int64_t v = 0;
  over_aligned() { check(); }
  explicit over_aligned(std::int64_t x) : v(x) { check(); }
  over_aligned(over_aligned&& o) noexcept : v(o.v) { check(); }
  over_aligned& operator=(over_aligned&& o) noexcept {
    check();
    v = o.v;
    return *this;
  }
  void check() const {
    if (reinterpret_cast<std::uintptr_t>(this) % 64 != 0) misaligned.fetch_add(1);
  }
};

struct empty {};

// ---------------------------------------------------------------------------
// make_chan, len, cap, handles
// ---------------------------------------------------------------------------

TEST(Chan, MakeChanWithNegativeCapacityPanics) {
  expect_panic([] { (void)make_chan<int>(-1); }, "makechan: size out of range");
  expect_panic([] { (void)make_chan<std::string>(-100); }, "makechan: size out of range");
}

TEST(Chan, MakeChanWithAnAbsurdCapacityPanics) {
  // Go: "makechan: size out of range" also when cap * sizeof(T) overflows
  // or exceeds what can be allocated.
  expect_panic([] { (void)make_chan<std::int64_t>(PTRDIFF_MAX); }, "makechan: size out of range");
  expect_panic([] { (void)make_chan<std::int64_t>(PTRDIFF_MAX / 8 + 1); },
               "makechan: size out of range");
}

TEST(Chan, LenAndCap) {
  auto u = make_chan<int>();
  EXPECT_EQ(len(u), 0u);
  EXPECT_EQ(cap(u), 0u);
  auto u0 = make_chan<int>(0);
  EXPECT_EQ(cap(u0), 0u);
  for (int c : {1, 2, 7, 100}) {
    auto ch = make_chan<int>(c);
    EXPECT_EQ(len(ch), 0u);
    EXPECT_EQ(cap(ch), static_cast<std::size_t>(c));
    for (int i = 0; i < c; ++i) {
      ch.send(i);
      EXPECT_EQ(len(ch), static_cast<std::size_t>(i + 1));
    }
    EXPECT_EQ(cap(ch), static_cast<std::size_t>(c));
    (void)ch.recv();
    EXPECT_EQ(len(ch), static_cast<std::size_t>(c - 1));
    close(ch);
    EXPECT_EQ(len(ch), static_cast<std::size_t>(c - 1)) << "close keeps the buffered values";
    EXPECT_EQ(cap(ch), static_cast<std::size_t>(c));
  }
}

TEST(Chan, CopiesOfAHandleShareOneChannel) {
  auto a = make_chan<int>(3);
  chan<int> b = a;
  chan<int> c;
  c = b;
  EXPECT_TRUE(a == b);
  EXPECT_TRUE(a == c);
  EXPECT_FALSE(a == make_chan<int>(3)) << "each make_chan is a new channel";
  a.send(1);
  b.send(2);
  EXPECT_EQ(len(c), 2u);
  EXPECT_EQ(c.recv(), 1);
  EXPECT_EQ(a.recv(), 2);
  close(b);
  auto [v, ok] = a.recv2();
  EXPECT_EQ(v, 0);
  EXPECT_FALSE(ok);
  chan<int> moved = std::move(a);
  EXPECT_TRUE(moved == c);
}

TEST(Chan, ChannelOutlivesTheHandleThatMadeIt) {
  chan<std::string> keep;
  {
    auto tmp = make_chan<std::string>(2);
    tmp.send("x");
    keep = tmp;
  }
  EXPECT_EQ(keep.recv(), "x");
}

// ---------------------------------------------------------------------------
// The nil channel
// ---------------------------------------------------------------------------

TEST(Chan, NilChannel) {
  chan<int> nilc;
  EXPECT_TRUE(nilc == nullptr);
  EXPECT_TRUE(nilc == chan<int>{});
  EXPECT_FALSE(make_chan<int>() == nullptr);
  EXPECT_EQ(nilc.raw(), nullptr);
  EXPECT_EQ(len(nilc), 0u);
  EXPECT_EQ(cap(nilc), 0u);
  EXPECT_FALSE(nilc.try_send(1)) << "a send on a nil channel is never ready";
  int out = 42;
  bool ok = true;
  EXPECT_FALSE(nilc.try_recv(out, &ok)) << "a receive on a nil channel is never ready";
  EXPECT_EQ(out, 42) << "a failed try_recv must not touch its destination";
  EXPECT_TRUE(ok) << "a failed try_recv must not touch *ok";
  EXPECT_FALSE(nilc.try_recv(out));
  expect_panic([&] { close(nilc); }, "close of nil channel");

  send_chan<int> ns;
  recv_chan<int> nr;
  EXPECT_TRUE(ns == nullptr);
  EXPECT_TRUE(nr == nullptr);
  EXPECT_FALSE(ns.try_send(1));
  EXPECT_FALSE(nr.try_recv(out));
  EXPECT_EQ(len(ns), 0u);
  EXPECT_EQ(cap(nr), 0u);
  expect_panic([&] { close(ns); }, "close of nil channel");
}

TEST(Chan, NilMoveOnlyTrySendLeavesTheValue) {
  chan<std::unique_ptr<int>> nilc;
  auto p = std::make_unique<int>(7);
  EXPECT_FALSE(nilc.try_send(std::move(p)));
  ASSERT_NE(p, nullptr) << "a failed try_send moved its argument away";
  EXPECT_EQ(*p, 7);
}

// ---------------------------------------------------------------------------
// Buffered channels, try forms, close (on one plain thread: no runtime)
// ---------------------------------------------------------------------------

TEST(Chan, BufferedIsFifo) {
  auto c = make_chan<int>(64);
  for (int round = 0; round < 5; ++round) {  // wraps around the ring
    for (int i = 0; i < 50; ++i) c.send(round * 1000 + i);
    for (int i = 0; i < 50; ++i) ASSERT_EQ(c.recv(), round * 1000 + i);
  }
  // Interleaved, never empty: the ring's indices chase each other.
  for (int i = 0; i < 10; ++i) c.send(i);
  for (int i = 10; i < 1000; ++i) {
    c.send(i);
    auto [v, ok] = c.recv2();
    ASSERT_TRUE(ok);
    ASSERT_EQ(v, i - 10);
  }
  EXPECT_EQ(len(c), 10u);
}

TEST(Chan, TrySendAndTryRecv) {
  auto c = make_chan<int>(2);
  int out = -1;
  bool ok = false;
  EXPECT_FALSE(c.try_recv(out, &ok)) << "empty buffered channel";
  EXPECT_EQ(out, -1);
  EXPECT_TRUE(c.try_send(1));
  EXPECT_TRUE(c.try_send(2));
  EXPECT_FALSE(c.try_send(3)) << "full buffered channel";
  EXPECT_EQ(len(c), 2u);
  EXPECT_TRUE(c.try_recv(out, &ok));
  EXPECT_EQ(out, 1);
  EXPECT_TRUE(ok);
  EXPECT_TRUE(c.try_recv(out));
  EXPECT_EQ(out, 2);
  EXPECT_FALSE(c.try_recv(out));

  auto u = make_chan<int>();
  EXPECT_FALSE(u.try_send(1)) << "unbuffered, no receiver waiting";
  EXPECT_FALSE(u.try_recv(out)) << "unbuffered, no sender waiting";
}

TEST(Chan, FailedTrySendLeavesAnRvalueUntouched) {
  auto c = make_chan<std::unique_ptr<int>>(1);
  EXPECT_TRUE(c.try_send(std::make_unique<int>(1)));
  auto p = std::make_unique<int>(2);
  EXPECT_FALSE(c.try_send(std::move(p)));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, 2);
  auto u = make_chan<std::unique_ptr<int>>();
  EXPECT_FALSE(u.try_send(std::move(p)));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*c.recv(), 1);
  EXPECT_TRUE(c.try_send(std::move(p)));
  EXPECT_EQ(p, nullptr) << "a successful try_send takes the value";
  EXPECT_EQ(*c.recv(), 2);
}

TEST(Chan, CloseDrainsThenYieldsZeroAndNotOk) {
  for (int capacity : {0, 1, 3, 10}) {
    SCOPED_TRACE(capacity);
    auto c = make_chan<int>(capacity);
    for (int i = 0; i < capacity; ++i) c.send(i + 1);
    close(c);
    for (int i = 0; i < capacity; ++i) {
      auto [v, ok] = c.recv2();
      EXPECT_TRUE(ok) << "buffered values survive close";
      EXPECT_EQ(v, i + 1);
    }
    for (int k = 0; k < 3; ++k) {  // again and again
      EXPECT_EQ(c.recv(), 0);
      auto [v, ok] = c.recv2();
      EXPECT_EQ(v, 0);
      EXPECT_FALSE(ok);
      int out = 99;
      bool tok = true;
      EXPECT_TRUE(c.try_recv(out, &tok)) << "a closed channel is always ready to receive";
      EXPECT_EQ(out, 0) << "the zero value";
      EXPECT_FALSE(tok);
    }
    EXPECT_EQ(len(c), 0u);
  }
}

TEST(Chan, ClosedChannelYieldsTheZeroValueOfNonTrivialTypes) {
  auto c = make_chan<std::string>(1);
  c.send("kept");
  close(c);
  EXPECT_EQ(c.recv(), "kept");
  auto [s, ok] = c.recv2();
  EXPECT_EQ(s, "");
  EXPECT_FALSE(ok);
  std::string out = "garbage";
  EXPECT_TRUE(c.try_recv(out));
  EXPECT_EQ(out, "") << "try_recv on a closed channel stores T{}";
}

TEST(Chan, CloseAndSendPanicsWithGoText) {
  for (int capacity : {0, 4}) {
    auto c = make_chan<int>(capacity);
    close(c);
    expect_panic([&] { close(c); }, "close of closed channel");
    expect_panic([&] { c.send(1); }, "send on closed channel");
    expect_panic([&] { (void)c.try_send(1); }, "send on closed channel");
    const int lvalue = 5;
    expect_panic([&] { c.send(lvalue); }, "send on closed channel");
    EXPECT_EQ(len(c), 0u) << "a send that panicked stored nothing";
  }
  // Through the views.
  auto c = make_chan<int>(1);
  send_chan<int> s = c;
  close(s);
  expect_panic([&] { s.send(1); }, "send on closed channel");
  expect_panic([&] { close(s); }, "close of closed channel");
}

TEST(Chan, SendOnClosedFullChannelPanicsRatherThanReportingFull) {
  auto c = make_chan<int>(1);
  c.send(1);
  close(c);
  // Go's chansend checks closed under the lock before "full": panics.
  expect_panic([&] { (void)c.try_send(2); }, "send on closed channel");
  EXPECT_EQ(c.recv(), 1);
}

// ---------------------------------------------------------------------------
// Element types
// ---------------------------------------------------------------------------

TEST(Chan, MoveOnlyElements) {
  auto c = make_chan<std::unique_ptr<int>>(4);
  std::vector<int*> raw;
  for (int i = 0; i < 4; ++i) {
    auto p = std::make_unique<int>(i);
    raw.push_back(p.get());
    c.send(std::move(p));
    EXPECT_EQ(p, nullptr);
  }
  for (int i = 0; i < 2; ++i) {
    auto p = c.recv();
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p.get(), raw[i]) << "the very object sent, not a new one";
    EXPECT_EQ(*p, i);
  }
  auto [p2, ok] = c.recv2();
  EXPECT_TRUE(ok);
  EXPECT_EQ(p2.get(), raw[2]);
  close(c);
  std::unique_ptr<int> out;
  EXPECT_TRUE(c.try_recv(out));
  EXPECT_EQ(out.get(), raw[3]);
  auto [p4, ok4] = c.recv2();
  EXPECT_EQ(p4, nullptr);
  EXPECT_FALSE(ok4);
}

TEST(Chan, ValuesAreMovedNeverCopied) {
  tracked::reset();
  {
    auto c = make_chan<tracked>(3);
    c.send(tracked(1));
    tracked t2(2);
    c.send(std::move(t2));
    EXPECT_TRUE(c.try_send(tracked(3)));
    EXPECT_FALSE(c.try_send(tracked(4)));
    EXPECT_EQ(c.recv().v, 1);
    auto [t, ok] = c.recv2();
    EXPECT_EQ(t.v, 2);
    tracked out;
    EXPECT_TRUE(c.try_recv(out));
    EXPECT_EQ(out.v, 3);
    close(c);
    for (auto& x : c) (void)x;
  }
  EXPECT_EQ(tracked::copies.load(), 0) << "the channel copied a value";
  EXPECT_EQ(tracked::live.load(), 0) << "an object was leaked or destroyed twice";
}

TEST(Chan, BufferedValuesAreDestroyedWithTheChannel) {
  tracked::reset();
  {
    auto c = make_chan<tracked>(8);
    for (int i = 0; i < 5; ++i) c.send(tracked(i));
    (void)c.recv();
    // Wrap the ring so that live slots straddle its end.
    for (int i = 0; i < 4; ++i) c.send(tracked(10 + i));
    EXPECT_EQ(len(c), 8u);
    EXPECT_EQ(tracked::live.load(), 8) << "the ring holds exactly its queued values";
  }
  EXPECT_EQ(tracked::live.load(), 0) << "values still queued when the channel died leaked";
  {
    // unique_ptr left in a closed channel: LeakSanitizer sees a leak here.
    auto c = make_chan<std::unique_ptr<std::string>>(3);
    c.send(std::make_unique<std::string>(100, 'x'));
    c.send(std::make_unique<std::string>(100, 'y'));
    close(c);
  }
}

TEST(Chan, OverAlignedElements) {
  over_aligned::misaligned.store(0);
  auto c = make_chan<over_aligned>(5);
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 5; ++i) c.send(over_aligned(round * 10 + i));
    for (int i = 0; i < 5; ++i) EXPECT_EQ(c.recv().v, round * 10 + i);
  }
  EXPECT_EQ(over_aligned::misaligned.load(), 0) << "a ring slot is not aligned to alignof(T)";
}

TEST(Chan, EmptyElements) {
  auto c = make_chan<empty>(3);
  c.send(empty{});
  c.send({});
  EXPECT_TRUE(c.try_send(empty{}));
  EXPECT_FALSE(c.try_send(empty{}));
  EXPECT_EQ(len(c), 3u);
  (void)c.recv();
  EXPECT_EQ(len(c), 2u);
  close(c);
  int n = 0;
  for ([[maybe_unused]] empty e : c) ++n;
  EXPECT_EQ(n, 2) << "range yields every buffered struct{} before it ends";
  auto [e, ok] = c.recv2();
  EXPECT_FALSE(ok);
}

TEST(Chan, NonTrivialElementsThroughAWrappingRing) {
  auto c = make_chan<std::vector<std::string>>(3);
  for (int i = 0; i < 20; ++i) {
    c.send(std::vector<std::string>(static_cast<std::size_t>(i % 4 + 1), std::to_string(i)));
    if (i >= 2) {
      auto v = c.recv();
      const int want = i - 2;
      ASSERT_EQ(v.size(), static_cast<std::size_t>(want % 4 + 1));
      for (const auto& s : v) ASSERT_EQ(s, std::to_string(want));
    }
  }
}

TEST(Chan, ChannelsOfChannels) {
  auto requests = make_chan<chan<int>>(1);
  auto reply = make_chan<int>(1);
  requests.send(reply);
  chan<int> r = requests.recv();
  EXPECT_TRUE(r == reply);
  r.send(5);
  EXPECT_EQ(reply.recv(), 5);
  close(requests);
  auto [zero, ok] = requests.recv2();
  EXPECT_TRUE(zero == nullptr) << "the zero value of chan<int> is the nil channel";
  EXPECT_FALSE(ok);
}

// ---------------------------------------------------------------------------
// range-for and views
// ---------------------------------------------------------------------------

TEST(Chan, RangeYieldsEveryValueThenEndsAtClose) {
  auto c = make_chan<int>(10);
  for (int i = 0; i < 10; ++i) c.send(i);
  close(c);
  std::vector<int> got;
  for (int v : c) got.push_back(v);
  std::vector<int> want(10);
  for (int i = 0; i < 10; ++i) want[i] = i;
  EXPECT_EQ(got, want);
  int more = 0;
  for ([[maybe_unused]] int v : c) ++more;
  EXPECT_EQ(more, 0) << "a drained closed channel ranges over nothing";
}

TEST(Chan, RangeOverMoveOnlyValues) {
  auto c = make_chan<std::unique_ptr<int>>(3);
  for (int i = 0; i < 3; ++i) c.send(std::make_unique<int>(i));
  close(c);
  std::vector<std::unique_ptr<int>> got;
  for (auto& p : c) got.push_back(std::move(p));
  ASSERT_EQ(got.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    ASSERT_NE(got[i], nullptr);
    EXPECT_EQ(*got[i], i);
  }
}

// producer and consumer take views, as Go's `chan<- int` / `<-chan int`.
void producer(send_chan<int> out, int n) {
  for (int i = 0; i < n; ++i) out.send(i);
  close(out);
}
int consumer(recv_chan<int> in) {
  int sum = 0;
  for (int v : in) sum += v;
  return sum;
}

TEST(Chan, DirectionalViews) {
  auto c = make_chan<int>(100);
  send_chan<int> s = c;  // implicit, as in Go
  recv_chan<int> r = c;
  EXPECT_EQ(s.raw(), c.raw());
  EXPECT_EQ(r.raw(), c.raw());
  EXPECT_EQ(cap(s), 100u);
  EXPECT_EQ(cap(r), 100u);
  s.send(1);
  const int two = 2;
  s.send(two);
  EXPECT_TRUE(s.try_send(3));
  EXPECT_EQ(len(s), 3u);
  EXPECT_EQ(len(r), 3u);
  EXPECT_EQ(r.recv(), 1);
  auto [v, ok] = r.recv2();
  EXPECT_EQ(v, 2);
  EXPECT_TRUE(ok);
  int out = 0;
  EXPECT_TRUE(r.try_recv(out));
  EXPECT_EQ(out, 3);
  EXPECT_FALSE(r.try_recv(out));

  producer(c, 50);  // chan<int> converts to send_chan<int>
  EXPECT_EQ(consumer(c), 49 * 50 / 2);
  auto [z, zok] = r.recv2();
  EXPECT_FALSE(zok) << "close through a send_chan closed the channel";
}

// ---------------------------------------------------------------------------
// Blocking behaviour (fibers)
// ---------------------------------------------------------------------------

TEST_P(ChanTest, ReceiveFromEmptyChannelBlocks) {
  // After Go's TestChan ("receive from empty chan blocks").
  run([&] {
    for (int capacity : {0, 1, 10}) {
      auto c = make_chan<int>(capacity);
      std::atomic<int> received{0};
      sync::WaitGroup wg;
      wg.Add(2);
      gofer::go([&, c] {
        (void)c.recv();
        received.fetch_add(1);
        wg.Done();
      });
      gofer::go([&, c] {
        (void)c.recv2();
        received.fetch_add(1);
        wg.Done();
      });
      gofer::time::Sleep(10ms);
      EXPECT_EQ(received.load(), 0) << "cap " << capacity << ": receive from an empty channel";
      int out;
      EXPECT_FALSE(c.try_recv(out)) << "cap " << capacity;
      c.send(0);
      c.send(0);
      wg.Wait();
      EXPECT_EQ(received.load(), 2);
    }
  });
}

TEST_P(ChanTest, SendToFullChannelBlocks) {
  // After Go's TestChan ("send to full chan blocks").
  run([&] {
    for (int capacity : {0, 1, 10}) {
      auto c = make_chan<int>(capacity);
      for (int i = 0; i < capacity; ++i) c.send(i);
      std::atomic<bool> sent{false};
      sync::WaitGroup wg;
      wg.Add(1);
      gofer::go([&, c] {
        c.send(-1);
        sent.store(true);
        wg.Done();
      });
      gofer::time::Sleep(10ms);
      EXPECT_FALSE(sent.load()) << "cap " << capacity << ": send to a full channel completed";
      EXPECT_FALSE(c.try_send(0)) << "cap " << capacity;
      EXPECT_EQ(len(c), static_cast<std::size_t>(capacity));
      // One receive frees one place: the blocked sender completes.
      EXPECT_EQ(c.recv(), capacity == 0 ? -1 : 0);
      wg.Wait();
      EXPECT_TRUE(sent.load());
      // The blocked sender's value went to the tail of the buffer, in order.
      for (int i = 1; i < capacity; ++i) EXPECT_EQ(c.recv(), i);
      if (capacity > 0) {
        EXPECT_EQ(c.recv(), -1);
      }
      EXPECT_EQ(len(c), 0u);
    }
  });
}

TEST_P(ChanTest, UnbufferedSendCompletesOnlyWhenReceived) {
  run([&] {
    auto c = make_chan<int>();
    std::atomic<int> stage{0};
    sync::WaitGroup wg;
    wg.Add(1);
    gofer::go([&, c] {
      c.send(1);
      stage.store(1);
      c.send(2);
      stage.store(2);
      wg.Done();
    });
    gofer::time::Sleep(10ms);
    EXPECT_EQ(stage.load(), 0) << "an unbuffered send completed with no receiver";
    EXPECT_EQ(len(c), 0u) << "an unbuffered channel never holds a value";
    EXPECT_EQ(c.recv(), 1);
    EXPECT_TRUE(eventually([&] { return stage.load() == 1; }));
    gofer::time::Sleep(10ms);
    EXPECT_EQ(stage.load(), 1) << "the second send completed with no receiver";
    EXPECT_EQ(c.recv(), 2);
    wg.Wait();
    EXPECT_EQ(stage.load(), 2);
  });
}

TEST_P(ChanTest, BufferedSendDoesNotWaitForAReceiver) {
  run([&] {
    auto c = make_chan<int>(3);
    auto done = make_chan<bool>();
    gofer::go([=] {
      for (int i = 0; i < 3; ++i) c.send(i);
      done.send(true);
    });
    EXPECT_TRUE(done.recv()) << "three sends into cap 3 completed with nobody receiving";
    EXPECT_EQ(len(c), 3u);
  });
}

TEST_P(ChanTest, TrySendHandsToAWaitingReceiver) {
  // On an unbuffered channel try_send succeeds exactly when a receiver is
  // parked: poll until it does, then the receiver must have the value.
  run([&] {
    for (int i = 0; i < 20; ++i) {
      auto c = make_chan<int>();
      auto got = make_chan<int>(1);
      gofer::go([=] { got.send(c.recv()); });
      EXPECT_TRUE(eventually([&] { return c.try_send(100 + i); }))
          << "try_send never found the parked receiver";
      EXPECT_EQ(got.recv(), 100 + i);
    }
  });
}

TEST_P(ChanTest, TryRecvTakesFromAWaitingSender) {
  run([&] {
    for (int i = 0; i < 20; ++i) {
      auto c = make_chan<int>();
      auto sent = make_chan<bool>(1);
      gofer::go([=] {
        c.send(i);
        sent.send(true);
      });
      int out = -1;
      bool ok = false;
      EXPECT_TRUE(eventually([&] { return c.try_recv(out, &ok); }))
          << "try_recv never found the parked sender";
      EXPECT_EQ(out, i);
      EXPECT_TRUE(ok);
      EXPECT_TRUE(sent.recv());
    }
  });
}

TEST_P(ChanTest, BlockedSendersAreServedFirstInFirstOut) {
  // Senders parked on a full channel complete in the order they parked; the
  // first one's value goes to the tail of the buffer as a receive frees it.
  run([&] {
    for (int capacity : {0, 2}) {
      auto c = make_chan<int>(capacity);
      for (int i = 0; i < capacity; ++i) c.send(-1 - i);
      sync::WaitGroup wg;
      constexpr int kSenders = 5;
      wg.Add(kSenders);
      for (int s = 0; s < kSenders; ++s) {
        gofer::go([&wg, c, s] {
          c.send(s);
          wg.Done();
        });
        gofer::time::Sleep(slack(5ms));  // let sender s park before s+1
      }
      for (int i = 0; i < capacity; ++i) EXPECT_EQ(c.recv(), -1 - i);
      for (int s = 0; s < kSenders; ++s) EXPECT_EQ(c.recv(), s) << "cap " << capacity;
      wg.Wait();
    }
  });
}

TEST_P(ChanTest, BlockedReceiversAreServedFirstInFirstOut) {
  run([&] {
    for (int capacity : {0, 3}) {
      auto c = make_chan<int>(capacity);
      constexpr int kReceivers = 5;
      std::vector<int> got(kReceivers, -1);
      sync::WaitGroup wg;
      wg.Add(kReceivers);
      for (int r = 0; r < kReceivers; ++r) {
        gofer::go([&, c, r] {
          got[r] = c.recv();
          wg.Done();
        });
        gofer::time::Sleep(slack(5ms));  // let receiver r park before r+1
      }
      for (int v = 0; v < kReceivers; ++v) c.send(v);
      wg.Wait();
      for (int r = 0; r < kReceivers; ++r) EXPECT_EQ(got[r], r) << "cap " << capacity;
    }
  });
}

TEST_P(ChanTest, CloseWakesEveryBlockedReceiverWithZeroAndNotOk) {
  run([&] {
    for (int capacity : {0, 5}) {
      auto c = make_chan<int>(capacity);
      constexpr int kFibers = 10;
      std::atomic<int> woken_ok{0};
      std::atomic<int> woken_closed{0};
      sync::WaitGroup wg;
      wg.Add(kFibers);
      for (int i = 0; i < kFibers; ++i)
        gofer::go([&, c] {
          auto [v, ok] = c.recv2();
          (ok ? woken_ok : woken_closed).fetch_add(1);
          EXPECT_EQ(v, 0);
          wg.Done();
        });
      std::thread t([&, c] {
        auto [v, ok] = c.recv2();  // a plain thread blocks too
        (ok ? woken_ok : woken_closed).fetch_add(1);
        EXPECT_EQ(v, 0);
      });
      gofer::time::Sleep(10ms);
      EXPECT_EQ(woken_ok.load() + woken_closed.load(), 0);
      close(c);
      wg.Wait();
      t.join();
      EXPECT_EQ(woken_closed.load(), kFibers + 1);
      EXPECT_EQ(woken_ok.load(), 0);
    }
  });
}

TEST_P(ChanTest, CloseMakesBlockedSendersPanic) {
  // Go: a sender blocked when the channel is closed panics with "send on
  // closed channel" (chansend after gopark: !mysg.success).
  run([&] {
    for (int capacity : {0, 2}) {
      auto c = make_chan<int>(capacity);
      for (int i = 0; i < capacity; ++i) c.send(i);
      constexpr int kFibers = 6;
      std::atomic<int> panicked{0};
      std::atomic<int> other{0};
      sync::WaitGroup wg;
      wg.Add(kFibers);
      for (int i = 0; i < kFibers; ++i)
        gofer::go([&, c, i] {
          const std::string what = panic_text([&] { c.send(100 + i); });
          (what == "send on closed channel" ? panicked : other).fetch_add(1);
          wg.Done();
        });
      std::string thread_what;
      std::thread t([&, c] { thread_what = panic_text([&] { c.send(200); }); });
      gofer::time::Sleep(10ms);
      EXPECT_EQ(panicked.load() + other.load(), 0) << "a send to a full channel returned";
      close(c);
      wg.Wait();
      t.join();
      EXPECT_EQ(panicked.load(), kFibers);
      EXPECT_EQ(other.load(), 0);
      EXPECT_EQ(thread_what, "send on closed channel");
      // The buffered values are still there; the panicked senders' are not.
      for (int i = 0; i < capacity; ++i) EXPECT_EQ(c.recv(), i);
      auto [v, ok] = c.recv2();
      EXPECT_FALSE(ok);
    }
  });
}

TEST_P(ChanTest, FifoAndNoLossAcrossCapacities) {
  // After Go's TestChan: 100 values in order (recv and recv2), then P
  // producers and P consumers, each value received exactly P times.
  const int max_cap = static_cast<int>(scaled(40, 6));
  run([&] {
    for (int capacity = 0; capacity < max_cap; ++capacity) {
      auto c = make_chan<int>(capacity);
      gofer::go([c] {
        for (int i = 0; i < 100; ++i) c.send(i);
      });
      for (int i = 0; i < 100; ++i) ASSERT_EQ(c.recv(), i) << "cap " << capacity;
      gofer::go([c] {
        for (int i = 0; i < 100; ++i) c.send(i);
      });
      for (int i = 0; i < 100; ++i) {
        auto [v, ok] = c.recv2();
        ASSERT_TRUE(ok);
        ASSERT_EQ(v, i) << "cap " << capacity;
      }

      constexpr int P = 4;
      constexpr int L = 500;
      for (int p = 0; p < P; ++p)
        gofer::go([c] {
          for (int i = 0; i < L; ++i) c.send(i);
        });
      auto done = make_chan<std::map<int, int>>();
      for (int p = 0; p < P; ++p)
        gofer::go([c, done] {
          std::map<int, int> m;
          for (int i = 0; i < L; ++i) m[c.recv()]++;
          done.send(std::move(m));
        });
      std::map<int, int> all;
      for (int p = 0; p < P; ++p)
        for (auto [k, n] : done.recv()) all[k] += n;
      ASSERT_EQ(all.size(), static_cast<std::size_t>(L)) << "cap " << capacity;
      for (auto [k, n] : all) ASSERT_EQ(n, P) << "cap " << capacity << " value " << k;
    }
  });
}

TEST_P(ChanTest, MultiConsumer) {
  // Port of Go's TestMultiConsumer: workers range over q, results over r,
  // the feeder closes q, waits for the workers, closes r.
  constexpr int kWork = 23;
  const int iters = static_cast<int>(scaled(100'000, 5'000));
  const int pn[] = {2, 3, 7, 11, 13, 17, 19, 23, 27, 31};
  run([&] {
    auto q = make_chan<int>(kWork * 3);
    auto r = make_chan<int>(kWork * 3);
    sync::WaitGroup wg;
    for (int w = 0; w < kWork; ++w) {
      wg.Add(1);
      gofer::go([&, q, r, w] {
        for (int v : q) {
          if (pn[w % 10] == v) gofer::runtime::Gosched();  // mess with the FIFO-ish order
          r.send(v);
        }
        wg.Done();
      });
    }
    std::int64_t expect = 0;  // written by the feeder before close(r)
    gofer::go([&, q, r] {
      for (int i = 0; i < iters; ++i) {
        const int v = pn[i % 10];
        expect += v;
        q.send(v);
      }
      close(q);
      wg.Wait();
      close(r);
    });
    std::int64_t n = 0, s = 0;
    for (int v : r) {
      ++n;
      s += v;
    }
    EXPECT_EQ(n, iters);
    EXPECT_EQ(s, expect) << "close(r) happens before range r ends, so expect is final";
  });
}

TEST_P(ChanTest, NonblockRecvRace) {
  // Port of Go's TestNonblockRecvRace: a value buffered before close must be
  // seen as ready by a concurrent try_recv.
  const int n = static_cast<int>(scaled(5'000, 200));
  run([&] {
    std::atomic<int> not_ready{0};
    for (int i = 0; i < n; ++i) {
      auto c = make_chan<int>(1);
      c.send(1);
      sync::WaitGroup wg;
      wg.Add(1);
      gofer::go([&, c] {
        int out;
        if (!c.try_recv(out)) not_ready.fetch_add(1);
        wg.Done();
      });
      close(c);
      (void)c.recv();
      wg.Wait();
      if (not_ready.load() != 0) break;
    }
    EXPECT_EQ(not_ready.load(), 0) << "try_recv said nothing was ready on a channel with a value or closed";
  });
}

TEST_P(ChanTest, MoveOnlyValuesBetweenFibers) {
  tracked::reset();
  run([&] {
    for (int capacity : {0, 1, 8}) {
      auto c = make_chan<std::unique_ptr<int>>(capacity);
      auto t = make_chan<tracked>(capacity);
      constexpr int kN = 200;
      std::vector<int*> raw(kN);
      for (int i = 0; i < kN; ++i) raw[i] = new int(i);
      gofer::go([&, c, t] {
        for (int i = 0; i < kN; ++i) {
          c.send(std::unique_ptr<int>(raw[i]));
          t.send(tracked(i));
        }
        close(c);
        close(t);
      });
      int i = 0;
      for (auto& p : c) {
        ASSERT_EQ(p.get(), raw[i]) << "cap " << capacity;
        EXPECT_EQ(t.recv().v, i);
        ++i;
      }
      EXPECT_EQ(i, kN);
      EXPECT_FALSE(t.recv2().ok);
    }
  });
  EXPECT_EQ(tracked::copies.load(), 0);
  EXPECT_EQ(tracked::live.load(), 0);
}

// ---------------------------------------------------------------------------
// Go's memory model for channels (TSan checks the plain accesses)
// ---------------------------------------------------------------------------

TEST_P(ChanTest, SendHappensBeforeTheReceiveCompletes) {
  run([&] {
    for (int capacity : {0, 1, 16}) {
      auto c = make_chan<int*>(capacity);
      constexpr int kN = 100;
      gofer::go([c] {
        for (int i = 0; i < kN; ++i) {
          int* p = new int[4];  // plain writes, published by the send
          for (int k = 0; k < 4; ++k) p[k] = i + k;
          c.send(p);
        }
      });
      for (int i = 0; i < kN; ++i) {
        int* p = c.recv();
        for (int k = 0; k < 4; ++k) EXPECT_EQ(p[k], i + k);
        delete[] p;
      }
    }
  });
}

TEST_P(ChanTest, UnbufferedReceiveHappensBeforeTheSendCompletes) {
  // Go: "A receive from an unbuffered channel is synchronized before the
  // completion of the corresponding send on that channel."
  run([&] {
    for (int i = 0; i < 100; ++i) {
      auto c = make_chan<int>();
      int data = 0;  // plain
      gofer::go([&data, c] {
        data = 42;
        (void)c.recv();
      });
      c.send(1);
      EXPECT_EQ(data, 42);
    }
  });
}

TEST_P(ChanTest, BufferedChannelAsASemaphore) {
  // Go: "The kth receive on a channel with capacity C is synchronized before
  // the completion of the k+Cth send": a buffered channel limits concurrency.
  constexpr int kLimit = 3;
  constexpr int kFibers = 40;
  run([&] {
    auto sem = make_chan<empty>(kLimit);
    std::atomic<int> inside{0};
    std::atomic<int> max_inside{0};
    sync::WaitGroup wg;
    wg.Add(kFibers);
    for (int i = 0; i < kFibers; ++i)
      gofer::go([&, sem] {
        sem.send(empty{});
        const int now = inside.fetch_add(1) + 1;
        int m = max_inside.load();
        while (now > m && !max_inside.compare_exchange_weak(m, now)) {
        }
        gofer::time::Sleep(1ms);
        inside.fetch_sub(1);
        (void)sem.recv();
        wg.Done();
      });
    wg.Wait();
    EXPECT_LE(max_inside.load(), kLimit);
    EXPECT_GE(max_inside.load(), 1);
  });
}

TEST_P(ChanTest, CloseHappensBeforeTheReceiveThatSeesIt) {
  run([&] {
    for (int i = 0; i < 100; ++i) {
      auto c = make_chan<int>(i % 2);
      int data = 0;  // plain
      gofer::go([&data, c, i] {
        data = i + 1;
        close(c);
      });
      auto [v, ok] = c.recv2();
      EXPECT_FALSE(ok);
      EXPECT_EQ(data, i + 1);
    }
  });
}

// ---------------------------------------------------------------------------
// Plain threads and fibers
// ---------------------------------------------------------------------------

TEST_P(ChanTest, PlainThreadSendsFiberReceives) {
  run([&] {
    for (int capacity : {0, 4}) {
      auto c = make_chan<int>(capacity);
      std::thread t([c] {
        for (int i = 0; i < 1000; ++i) c.send(i);
        close(c);
      });
      int want = 0;
      for (int v : c) ASSERT_EQ(v, want++);  // the main fiber parks; a thread wakes it
      EXPECT_EQ(want, 1000);
      t.join();
    }
  });
}

TEST_P(ChanTest, FiberSendsPlainThreadReceives) {
  run([&] {
    for (int capacity : {0, 4}) {
      auto c = make_chan<int>(capacity);
      std::int64_t sum = 0;
      int count = 0;
      std::thread t([&, c] {
        for (int v : c) {  // the thread blocks; fibers wake it
          sum += v;
          ++count;
        }
      });
      sync::WaitGroup wg;
      constexpr int kFibers = 4;
      wg.Add(kFibers);
      for (int f = 0; f < kFibers; ++f)
        gofer::go([&, c, f] {
          for (int i = 0; i < 250; ++i) c.send(f * 250 + i);
          wg.Done();
        });
      wg.Wait();
      close(c);
      t.join();
      EXPECT_EQ(count, 1000);
      EXPECT_EQ(sum, 999 * 1000 / 2);
    }
  });
}

TEST_P(ChanTest, PingPongBetweenAFiberAndAPlainThread) {
  run([&] {
    auto ping = make_chan<int>();
    auto pong = make_chan<int>();
    std::thread t([=] {
      for (int v : ping) pong.send(v + 1);
      close(pong);
    });
    for (int i = 0; i < 1000; i += 2) {
      ping.send(i);
      ASSERT_EQ(pong.recv(), i + 1);
    }
    close(ping);
    auto [v, ok] = pong.recv2();
    EXPECT_FALSE(ok);
    t.join();
  });
}

TEST_P(ChanTest, TrySendFromAThreadWakesAParkedFiber) {
  run([&] {
    auto c = make_chan<int>(1);
    auto done = make_chan<int>(1);
    gofer::go([=] { done.send(c.recv()); });
    gofer::time::Sleep(5ms);
    std::thread t([c] { EXPECT_TRUE(c.try_send(9)); });
    t.join();
    EXPECT_EQ(done.recv(), 9);
  });
}

TEST(ChanThreads, PingPongBetweenPlainThreadsWithoutARuntime) {
  auto ping = make_chan<int>();
  auto pong = make_chan<int>(1);
  std::thread t([=] {
    for (int v : ping) pong.send(-v);
    close(pong);
  });
  for (int i = 1; i <= 2000; ++i) {
    ping.send(i);
    ASSERT_EQ(pong.recv(), -i);
  }
  close(ping);
  EXPECT_FALSE(pong.recv2().ok);
  t.join();
}

TEST(ChanThreads, CloseFromAnotherThreadWakesBlockedThreads) {
  auto r = make_chan<int>();   // receivers, no sender
  auto s = make_chan<int>(1);  // senders on a full channel, no receiver
  s.send(0);
  std::atomic<int> closed_seen{0};
  std::atomic<int> send_panics{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 3; ++i) {
    ts.emplace_back([&, r] {
      if (!r.recv2().ok) closed_seen.fetch_add(1);
    });
    ts.emplace_back([&, s] {
      if (panic_text([&] { s.send(1); }) == "send on closed channel") send_panics.fetch_add(1);
    });
  }
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(closed_seen.load() + send_panics.load(), 0);
  close(r);
  close(s);
  for (auto& t : ts) t.join();
  EXPECT_EQ(closed_seen.load(), 3);
  EXPECT_EQ(send_panics.load(), 3);
  EXPECT_EQ(s.recv(), 0) << "the buffered value outlives close";
}

// ---------------------------------------------------------------------------
// Scheduling around channel hand-offs
// ---------------------------------------------------------------------------

// A channel operation readies the fiber it completes into the worker's
// runnext, so two fibers that ping-pong over unbuffered channels hand one
// worker back and forth. Go bounds such a pair by a time slice (sysmon
// preempts a goroutine that inherited its slice through runnext for over
// 10 ms, and runtime.Gosched queues the caller on the global run queue that
// schedule() polls every 61 ticks), so every other runnable goroutine on the
// P still runs. These tests let a pair ping-pong for up to 3 s on a
// one-worker runtime and check that a third runnable fiber runs well before
// the pair stops on its own.
struct ping_pong_pair {
  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> trips{0};
  std::chrono::steady_clock::time_point deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(3);
  bool running() const { return !stop.load() && std::chrono::steady_clock::now() < deadline; }
};

TEST(ChanScheduling, AFiberReadiedByAChannelIsNotStarvedByAPingPongPair) {
  gofer::Runtime rt(gofer::Runtime::Options{.workers = 1});
  ping_pong_pair pp;
  std::chrono::steady_clock::duration resumed_after{};
  std::int64_t trips_before_resume = -1;
  rt.run([&] {
    auto a = make_chan<int>();
    auto b = make_chan<int>();
    auto wake = make_chan<int>();
    sync::WaitGroup wg;
    wg.Add(2);
    gofer::go([&, a, b] {  // pinger
      while (pp.running()) {
        a.send(1);
        (void)b.recv();
        pp.trips.fetch_add(1);
      }
      close(a);
      wg.Done();
    });
    gofer::time::Sleep(5ms);  // the pinger parks in a.send
    gofer::go([&, a, b, wake] {  // ponger
      wake.send(1);               // readies the main fiber (into runnext)...
      for (int v : a) b.send(v);  // ...which readying the pinger kicks to the ring
      wg.Done();
    });
    const auto t0 = std::chrono::steady_clock::now();
    (void)wake.recv();
    resumed_after = std::chrono::steady_clock::now() - t0;
    trips_before_resume = pp.trips.load();
    pp.stop.store(true);
    wg.Wait();
  });
  rt.Shutdown();
  EXPECT_LT(resumed_after, std::chrono::seconds(1))
      << "the main fiber, runnable since the ponger's first send, ran only after "
      << trips_before_resume << " round trips of the pair, when the pair stopped on its own";
}

TEST(ChanScheduling, AYieldingFiberIsNotStarvedByAPingPongPair) {
  gofer::Runtime rt(gofer::Runtime::Options{.workers = 1});
  ping_pong_pair pp;
  std::chrono::steady_clock::duration resumed_after{};
  std::int64_t trips_before_resume = -1;
  rt.run([&] {
    auto a = make_chan<int>();
    auto b = make_chan<int>();
    sync::WaitGroup wg;
    wg.Add(2);
    gofer::go([&, a, b] {
      while (pp.running()) {
        a.send(1);
        (void)b.recv();
        pp.trips.fetch_add(1);
      }
      close(a);
      wg.Done();
    });
    gofer::go([&, a, b] {
      for (int v : a) b.send(v);
      wg.Done();
    });
    const auto t0 = std::chrono::steady_clock::now();
    gofer::runtime::Gosched();  // "the caller is runnable again at once"
    resumed_after = std::chrono::steady_clock::now() - t0;
    trips_before_resume = pp.trips.load();
    pp.stop.store(true);
    wg.Wait();
  });
  rt.Shutdown();
  EXPECT_LT(resumed_after, std::chrono::seconds(1))
      << "Gosched returned only after " << trips_before_resume
      << " round trips of the pair, when the pair stopped on its own";
}

}  // namespace
