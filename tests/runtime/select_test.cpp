// tests/runtime/select_test.cpp — Go's select statement (gofer/select.hpp):
// default when nothing is ready, uniform random choice among ready cases,
// nil-channel cases that never fire, the same channel in several cases,
// send and receive cases, receive on a closed channel (ok == false), send
// on a closed channel (Go's panic), a select parked on several channels and
// woken by one (it must dequeue itself from the others), the run-time form
// (select_case, Go's reflect.Select), and selects on plain threads and
// fibers waking each other. Several tests follow Go's runtime/chan_test.go
// (go1.19) and say so.
//
// An empty select blocks forever: that is a deadlock death test and lives
// with the death tests, not here.
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
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
using gofer::default_;
using gofer::make_chan;
using gofer::select_case;
using gofer_test::eventually;
using gofer_test::scaled;
namespace sync = gofer::sync;

class SelectTest : public gofer_test::RuntimeTest {};
GOFER_INSTANTIATE_WORKER_COUNTS(SelectTest);

// tracked counts copies and live objects (values must move, never copy).
struct tracked {
  static inline std::atomic<int> copies{0};
  static inline std::atomic<int> live{0};
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

struct empty {};

// expect_share checks that count/total lies in [lo, hi].
void expect_share(std::int64_t count, std::int64_t total, double lo, double hi, const char* what) {
  const double share = static_cast<double>(count) / static_cast<double>(total);
  EXPECT_GE(share, lo) << what << ": chosen " << count << " of " << total << " times";
  EXPECT_LE(share, hi) << what << ": chosen " << count << " of " << total << " times";
}

// ---------------------------------------------------------------------------
// Non-blocking behaviour (one plain thread, no runtime)
// ---------------------------------------------------------------------------

TEST(Select, DefaultRunsWhenNoCaseIsReady) {
  auto a = make_chan<int>();   // unbuffered, nobody sending
  auto b = make_chan<int>(1);  // full
  b.send(1);
  auto e = make_chan<int>(2);  // empty
  bool ran_default = false;
  int ran_case = 0;
  const int i = gofer::select(recv(a, [&](int) { ++ran_case; }), send(b, 2, [&] { ++ran_case; }),
                              recv(e, [&](int, bool) { ++ran_case; }),
                              send(a, 3, [&] { ++ran_case; }), default_([&] { ran_default = true; }));
  EXPECT_EQ(i, -1);
  EXPECT_TRUE(ran_default);
  EXPECT_EQ(ran_case, 0);
  EXPECT_EQ(len(b), 1u) << "the send case that was not chosen sent nothing";
  EXPECT_EQ(b.recv(), 1);
}

TEST(Select, OnlyADefault) {
  int n = 0;
  EXPECT_EQ(gofer::select(default_([&] { ++n; })), -1);
  EXPECT_EQ(n, 1);
}

TEST(Select, AReadyCaseWinsOverTheDefault) {
  auto a = make_chan<int>(1);
  auto b = make_chan<int>(1);
  a.send(7);
  for (int round = 0; round < 100; ++round) {
    int got = -1;
    bool ran_default = false;
    const int i = gofer::select(recv(a, [&](int v) { got = v; }), default_([&] { ran_default = true; }));
    EXPECT_EQ(i, 0);
    EXPECT_EQ(got, 7);
    EXPECT_FALSE(ran_default);
    a.send(7);
    // A send case with room in the buffer.
    bool sent = false;
    EXPECT_EQ(gofer::select(default_([&] { ran_default = true; }), send(b, round, [&] { sent = true; })),
              0);
    EXPECT_TRUE(sent);
    EXPECT_FALSE(ran_default);
    EXPECT_EQ(b.recv(), round);
  }
}

// One case plus a default takes Go's selectnbrecv/selectnbsend fast path;
// its semantics must be those of the general select.
TEST(Select, OneCaseAndADefaultKeepsSelectSemantics) {
  int ran = 0;
  bool dflt = false;
  chan<int> nil_chan;
  EXPECT_EQ(gofer::select(recv(nil_chan, [&](int) { ++ran; }), default_([&] { dflt = true; })), -1);
  EXPECT_TRUE(dflt) << "a nil receive case never fires";
  dflt = false;
  EXPECT_EQ(gofer::select(send(nil_chan, 1, [&] { ++ran; }), default_([&] { dflt = true; })), -1);
  EXPECT_TRUE(dflt) << "a nil send case never fires";
  EXPECT_EQ(ran, 0);

  auto c = make_chan<int>(1);
  c.send(5);
  close(c);
  int got = -1;
  bool got_ok = false;
  auto rc = [&](int v, bool ok) { got = v, got_ok = ok; };
  EXPECT_EQ(gofer::select(recv(c, rc), default_([] {})), 0);
  EXPECT_EQ(got, 5);
  EXPECT_TRUE(got_ok) << "a closed channel's buffer drains first";
  EXPECT_EQ(gofer::select(recv(c, rc), default_([] {})), 0);
  EXPECT_EQ(got, 0);
  EXPECT_FALSE(got_ok) << "then receives complete with the zero value and ok == false";
  try {
    gofer::select(send(c, 1, [] {}), default_([] {}));
    FAIL() << "a send case on a closed channel did not panic";
  } catch (const gofer::panic_error& e) {
    EXPECT_STREQ(e.what(), "send on closed channel");
  }

  // An unbuffered channel with a receiver blocked on it: the send case fires
  // and hands the value over.
  auto u = make_chan<int>();
  std::thread receiver([&] { got = u.recv(); });
  int sends = 0;
  while (gofer::select(send(u, 42, [&] { ++sends; }), default_([] {})) != 0) std::this_thread::yield();
  receiver.join();
  EXPECT_EQ(sends, 1);
  EXPECT_EQ(got, 42);
}

TEST(Select, IndexCountsOnlyTheNonDefaultCases) {
  auto a = make_chan<int>(1);
  auto b = make_chan<int>(1);
  auto c = make_chan<int>(1);
  b.send(1);
  int which = -1;
  EXPECT_EQ(gofer::select(recv(a, [&] { which = 0; }), default_([&] { which = -1; }),
                          recv(b, [&] { which = 1; })),
            1);
  EXPECT_EQ(which, 1);
  c.send(1);
  EXPECT_EQ(gofer::select(default_([&] { which = -1; }), recv(a, [&] { which = 0; }),
                          recv(b, [&] { which = 1; }), recv(c, [&] { which = 2; })),
            2);
  EXPECT_EQ(which, 2);
}

TEST(Select, ReceiveCaseCallableForms) {
  auto c = make_chan<std::string>(3);
  c.send("one");
  c.send("two");
  c.send("three");
  std::string got;
  bool ok = false;
  EXPECT_EQ(gofer::select(recv(c, [&](std::string v) { got = std::move(v); })), 0);
  EXPECT_EQ(got, "one");
  EXPECT_EQ(gofer::select(recv(c, [&](std::string v, bool o) {
              got = std::move(v);
              ok = o;
            })),
            0);
  EXPECT_EQ(got, "two");
  EXPECT_TRUE(ok);
  bool ran = false;
  EXPECT_EQ(gofer::select(recv(c, [&] { ran = true; })), 0);
  EXPECT_TRUE(ran);
  EXPECT_EQ(len(c), 0u) << "case <-c: received (and dropped) the value";
}

TEST(Select, ReceiveOnAClosedChannelIsReadyWithOkFalse) {
  auto c = make_chan<int>(2);
  c.send(5);
  close(c);
  auto never = make_chan<int>();
  int got = -1;
  bool ok = false;
  EXPECT_EQ(gofer::select(recv(never, [&](int, bool) {}), recv(c, [&](int v, bool o) {
                            got = v;
                            ok = o;
                          })),
            1);
  EXPECT_EQ(got, 5);
  EXPECT_TRUE(ok) << "buffered values first";
  for (int k = 0; k < 3; ++k) {
    got = -1;
    ok = true;
    bool ran_default = false;
    EXPECT_EQ(gofer::select(recv(c, [&](int v, bool o) {
                              got = v;
                              ok = o;
                            }),
                            default_([&] { ran_default = true; })),
              0)
        << "a closed channel is always ready";
    EXPECT_FALSE(ran_default);
    EXPECT_EQ(got, 0);
    EXPECT_FALSE(ok);
  }
  got = -1;
  EXPECT_EQ(gofer::select(recv(c, [&](int v) { got = v; })), 0);
  EXPECT_EQ(got, 0);
}

TEST(Select, SendCaseOnAClosedChannelPanics) {
  for (int capacity : {0, 3}) {
    auto c = make_chan<int>(capacity);
    close(c);
    bool ran = false;
    expect_panic([&] { gofer::select(send(c, 1, [&] { ran = true; })); }, "send on closed channel");
    expect_panic([&] { gofer::select(send(c, 1, [&] { ran = true; }), default_([&] { ran = true; })); },
                 "send on closed channel");
    auto never = make_chan<int>();
    expect_panic([&] { gofer::select(recv(never, [&] { ran = true; }), send(c, 1, [&] { ran = true; })); },
                 "send on closed channel");
    EXPECT_FALSE(ran) << "no case body runs when the select panics";
  }
}

TEST(Select, NilChannelCasesNeverFire) {
  chan<int> nilc;
  auto ready = make_chan<int>(1);
  int nil_fired = 0;
  for (int round = 0; round < 1000; ++round) {
    bool ran_default = false;
    EXPECT_EQ(gofer::select(recv(nilc, [&] { ++nil_fired; }), send(nilc, 1, [&] { ++nil_fired; }),
                            default_([&] { ran_default = true; })),
              -1);
    EXPECT_TRUE(ran_default);
    ready.send(round);
    int got = -1;
    EXPECT_EQ(gofer::select(send(nilc, 2, [&] { ++nil_fired; }), recv(ready, [&](int v) { got = v; }),
                            recv(nilc, [&] { ++nil_fired; })),
              1);
    EXPECT_EQ(got, round);
  }
  EXPECT_EQ(nil_fired, 0);
}

TEST(Select, SameChannelInSeveralCases) {
  auto c = make_chan<int>(2);
  c.send(1);
  int first = 0, second = 0;
  const int i =
      gofer::select(recv(c, [&](int v) { first = v; }), recv(c, [&](int v) { second = v; }));
  EXPECT_TRUE(i == 0 || i == 1);
  EXPECT_EQ(first + second, 1) << "exactly one case received the one value";
  EXPECT_EQ(len(c), 0u);
  // Send and receive cases on one buffered channel: with one value and one
  // free slot both are ready.
  c.send(10);
  int got = -1;
  bool sent = false;
  const int j = gofer::select(recv(c, [&](int v) { got = v; }), send(c, 20, [&] { sent = true; }));
  if (j == 0) {
    EXPECT_EQ(got, 10);
    EXPECT_EQ(len(c), 0u);
  } else {
    EXPECT_TRUE(sent);
    EXPECT_EQ(len(c), 2u);
  }
}

TEST(Select, MoveOnlyValuesThroughCases) {
  auto c = make_chan<std::unique_ptr<int>>(1);
  auto p = std::make_unique<int>(3);
  int* raw = p.get();
  EXPECT_EQ(gofer::select(send(c, std::move(p), [] {})), 0);
  std::unique_ptr<int> got;
  EXPECT_EQ(gofer::select(recv(c, [&](std::unique_ptr<int> v) { got = std::move(v); })), 0);
  EXPECT_EQ(got.get(), raw) << "the very object sent";
}

TEST(Select, ValuesAreMovedNeverCopied) {
  tracked::copies.store(0);
  tracked::live.store(0);
  {
    auto a = make_chan<tracked>(1);
    auto b = make_chan<tracked>(1);
    for (int i = 0; i < 50; ++i) {
      gofer::select(send(a, tracked(i), [] {}), send(b, tracked(-i), [] {}));
      int got = 0;
      gofer::select(recv(a, [&](tracked t) { got = t.v; }), recv(b, [&](tracked t) { got = t.v; }));
      EXPECT_TRUE(got == i || got == -i);
    }
  }
  EXPECT_EQ(tracked::copies.load(), 0) << "select copied a value";
  EXPECT_EQ(tracked::live.load(), 0);
}

// ---------------------------------------------------------------------------
// Random choice among ready cases
// ---------------------------------------------------------------------------

TEST(Select, FairnessBetweenTwoReadyReceiveCases) {
  constexpr int kSelects = 20'000;
  auto a = make_chan<int>(kSelects);
  auto b = make_chan<int>(kSelects);
  for (int i = 0; i < kSelects; ++i) {
    a.send(0);
    b.send(1);
  }
  std::array<std::int64_t, 2> n{};
  for (int i = 0; i < kSelects; ++i) n[gofer::select(recv(a, [] {}), recv(b, [] {}))]++;
  // Expected 50%, sd 0.35%: the bounds are ~14 sd wide.
  expect_share(n[0], kSelects, 0.45, 0.55, "case 0 of 2");
  expect_share(n[1], kSelects, 0.45, 0.55, "case 1 of 2");
}

TEST(Select, FairnessAmongThreeReadyReceiveCases) {
  constexpr int kSelects = 30'000;
  std::array<chan<int>, 3> c;
  for (auto& ch : c) {
    ch = make_chan<int>(kSelects);
    for (int i = 0; i < kSelects; ++i) ch.send(i);
  }
  std::array<std::int64_t, 3> n{};
  for (int i = 0; i < kSelects; ++i)
    n[gofer::select(recv(c[0], [] {}), recv(c[1], [] {}), recv(c[2], [] {}))]++;
  for (int k = 0; k < 3; ++k) expect_share(n[k], kSelects, 0.25, 0.42, "one of 3 receive cases");
}

TEST(Select, FairnessAmongThreeReadySendCases) {
  constexpr int kSelects = 30'000;
  std::array<chan<int>, 3> c;
  for (auto& ch : c) ch = make_chan<int>(kSelects);
  std::array<std::int64_t, 3> n{};
  for (int i = 0; i < kSelects; ++i)
    n[gofer::select(send(c[0], i, [] {}), send(c[1], i, [] {}), send(c[2], i, [] {}))]++;
  for (int k = 0; k < 3; ++k) {
    expect_share(n[k], kSelects, 0.25, 0.42, "one of 3 send cases");
    EXPECT_EQ(len(c[k]), static_cast<std::size_t>(n[k])) << "each chosen send sent once";
  }
}

TEST(Select, FairnessBetweenASendAndAReceiveCase) {
  constexpr int kSelects = 20'000;
  auto in = make_chan<int>(kSelects);
  auto out = make_chan<int>(kSelects);
  for (int i = 0; i < kSelects; ++i) in.send(i);
  std::array<std::int64_t, 2> n{};
  for (int i = 0; i < kSelects; ++i) n[gofer::select(recv(in, [] {}), send(out, i, [] {}))]++;
  expect_share(n[0], kSelects, 0.45, 0.55, "receive case");
  expect_share(n[1], kSelects, 0.45, 0.55, "send case");
}

TEST(Select, FairnessBetweenDuplicateCasesOnOneChannel) {
  constexpr int kSelects = 20'000;
  auto c = make_chan<int>(kSelects);
  for (int i = 0; i < kSelects; ++i) c.send(i);
  std::array<std::int64_t, 2> n{};
  for (int i = 0; i < kSelects; ++i) n[gofer::select(recv(c, [] {}), recv(c, [] {}))]++;
  expect_share(n[0], kSelects, 0.45, 0.55, "first duplicate case");
  EXPECT_EQ(len(c), 0u);
}

TEST(Select, ReadyCasesAreChosenEvenAmongManyNotReady) {
  // Four ready cases among never-ready and nil ones: each of the four wins
  // about a quarter, the others never.
  constexpr int kSelects = 20'000;
  std::array<chan<int>, 4> ready;
  for (auto& ch : ready) {
    ch = make_chan<int>(kSelects);
    for (int i = 0; i < kSelects; ++i) ch.send(i);
  }
  auto never = make_chan<int>();
  chan<int> nilc;
  std::array<std::int64_t, 8> n{};
  for (int i = 0; i < kSelects; ++i)
    n[gofer::select(recv(never, [] {}), recv(ready[0], [] {}), recv(nilc, [] {}), recv(ready[1], [] {}),
                    send(never, 1, [] {}), recv(ready[2], [] {}), send(nilc, 1, [] {}),
                    recv(ready[3], [] {}))]++;
  for (int k : {0, 2, 4, 6}) EXPECT_EQ(n[k], 0) << "case " << k << " was never ready";
  for (int k : {1, 3, 5, 7}) expect_share(n[k], kSelects, 0.20, 0.30, "one of 4 ready cases");
}

// ---------------------------------------------------------------------------
// The run-time form (select_case, Go's reflect.Select)
// ---------------------------------------------------------------------------

TEST(DynamicSelect, ReceiveSendAndDefault) {
  auto a = make_chan<int>(1);
  auto b = make_chan<int>(1);
  int v = -1;
  bool ok = false;
  int x = 5;
  std::vector<select_case> cs;
  cs.push_back(select_case::recv(a, &v, &ok));
  cs.push_back(select_case::send(b, &x));
  b.send(0);  // full: the send case is not ready; a is empty
  EXPECT_EQ(gofer::select(cs, true), -1);
  EXPECT_EQ(v, -1);
  a.send(9);
  EXPECT_EQ(gofer::select(cs, true), 0);
  EXPECT_EQ(v, 9);
  EXPECT_TRUE(ok);
  (void)b.recv();
  EXPECT_EQ(gofer::select(cs), 1) << "blocking form, the send case is ready";
  EXPECT_EQ(b.recv(), 5);
  close(a);
  v = -1;
  ok = true;
  b.send(0);
  EXPECT_EQ(gofer::select(cs), 0);
  EXPECT_EQ(v, 0);
  EXPECT_FALSE(ok) << "receive on a closed channel";
}

TEST(DynamicSelect, EmptyListWithDefault) {
  std::vector<select_case> cs;
  EXPECT_EQ(gofer::select(cs, true), -1);
}

TEST(DynamicSelect, NilChannelCasesNeverFire) {
  chan<int> nilc;
  int v = 0, x = 1;
  std::vector<select_case> cs;
  cs.push_back(select_case::recv(nilc, &v));
  cs.push_back(select_case::send(nilc, &x));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(gofer::select(cs, true), -1);
  auto c = make_chan<int>(1);
  cs.push_back(select_case::recv(c, &v));
  for (int i = 0; i < 100; ++i) {
    c.send(i);
    EXPECT_EQ(gofer::select(cs), 2);
    EXPECT_EQ(v, i);
  }
}

TEST(DynamicSelect, ManyCasesOneReady) {
  constexpr int kChans = 100;
  std::vector<chan<int>> chans;
  std::vector<int> dst(kChans, -1);
  std::vector<select_case> cs;
  for (int i = 0; i < kChans; ++i) chans.push_back(make_chan<int>(1));
  for (int i = 0; i < kChans; ++i) cs.push_back(select_case::recv(chans[i], &dst[i]));
  for (int k = 0; k < kChans; k += 7) {
    chans[k].send(1000 + k);
    EXPECT_EQ(gofer::select(cs), k);
    EXPECT_EQ(dst[k], 1000 + k);
  }
  EXPECT_EQ(gofer::select(cs, true), -1);
}

TEST(DynamicSelect, SendSourceIsMovedFromOnlyWhenChosen) {
  auto full = make_chan<std::unique_ptr<int>>(1);
  full.send(std::make_unique<int>(0));
  auto room = make_chan<std::unique_ptr<int>>(1);
  auto p = std::make_unique<int>(1);
  auto q = std::make_unique<int>(2);
  int* q_raw = q.get();
  std::vector<select_case> cs;
  cs.push_back(select_case::send(full, &p));
  cs.push_back(select_case::send(room, &q));
  EXPECT_EQ(gofer::select(cs), 1);
  ASSERT_NE(p, nullptr) << "the case not chosen moved its source away";
  EXPECT_EQ(*p, 1);
  EXPECT_EQ(q, nullptr) << "the chosen case's source was moved into the channel";
  EXPECT_EQ(room.recv().get(), q_raw);
  // None ready with a default: nothing is moved.
  room.send(std::make_unique<int>(3));
  EXPECT_EQ(gofer::select(cs, true), -1);
  EXPECT_NE(p, nullptr);
}

TEST(DynamicSelect, OkPointerIsOptional) {
  auto c = make_chan<int>(1);
  c.send(4);
  int v = 0;
  std::vector<select_case> cs{select_case::recv(c, &v)};
  EXPECT_EQ(gofer::select(cs), 0);
  EXPECT_EQ(v, 4);
  close(c);
  EXPECT_EQ(gofer::select(cs), 0);
  EXPECT_EQ(v, 0);
}

TEST(DynamicSelect, SendOnAClosedChannelPanics) {
  auto c = make_chan<int>(1);
  close(c);
  int x = 1;
  std::vector<select_case> cs{select_case::send(c, &x)};
  expect_panic([&] { gofer::select(cs); }, "send on closed channel");
  expect_panic([&] { gofer::select(cs, true); }, "send on closed channel");
}

TEST(DynamicSelect, DirectionalViews) {
  auto c = make_chan<int>(1);
  gofer::send_chan<int> s = c;
  gofer::recv_chan<int> r = c;
  int x = 8, v = 0;
  bool ok = false;
  std::vector<select_case> send_only{select_case::send(s, &x)};
  EXPECT_EQ(gofer::select(send_only), 0);
  std::vector<select_case> recv_only{select_case::recv(r, &v, &ok)};
  EXPECT_EQ(gofer::select(recv_only), 0);
  EXPECT_EQ(v, 8);
  EXPECT_TRUE(ok);
}

TEST(DynamicSelect, Fairness) {
  constexpr int kSelects = 30'000;
  std::array<chan<int>, 3> c;
  std::array<int, 3> dst{};
  std::vector<select_case> cs;
  for (int k = 0; k < 3; ++k) {
    c[k] = make_chan<int>(kSelects);
    for (int i = 0; i < kSelects; ++i) c[k].send(i);
    cs.push_back(select_case::recv(c[k], &dst[k]));
  }
  std::array<std::int64_t, 3> n{};
  for (int i = 0; i < kSelects; ++i) n[gofer::select(cs)]++;
  for (int k = 0; k < 3; ++k) expect_share(n[k], kSelects, 0.25, 0.42, "one of 3 dynamic cases");
}

// ---------------------------------------------------------------------------
// Blocking selects (fibers)
// ---------------------------------------------------------------------------

TEST_P(SelectTest, BlocksUntilACaseIsReady) {
  run([&] {
    auto a = make_chan<int>();
    auto b = make_chan<int>();
    auto c = make_chan<int>(1);
    chan<int> nilc;
    std::atomic<int> chosen{-2};
    int got = -1;
    sync::WaitGroup wg;
    wg.Add(1);
    gofer::go([&, a, b, c, nilc] {
      chosen.store(gofer::select(recv(a, [&](int v) { got = v; }), recv(nilc, [&](int v) { got = v; }),
                                 recv(b, [&](int v) { got = v; }), recv(c, [&](int v) { got = v; })));
      wg.Done();
    });
    gofer::time::Sleep(10ms);
    EXPECT_EQ(chosen.load(), -2) << "a select with no ready case returned";
    b.send(11);
    wg.Wait();
    EXPECT_EQ(chosen.load(), 2);
    EXPECT_EQ(got, 11);
  });
}

TEST_P(SelectTest, WokenSelectLeavesTheOtherChannelsAlone) {
  // A select parked on a, b and c and woken through one of them must take
  // itself off the other two: later operations there must not be handed to
  // the finished select (whose wait records are gone with its stack).
  run([&] {
    for (int iter = 0; iter < 60; ++iter) {
      auto a = make_chan<int>();
      auto b = make_chan<int>();
      auto c = make_chan<int>(1);
      std::array<chan<int>, 3> chans{a, b, c};
      auto done = make_chan<int>(1);
      gofer::go([=] {
        int got = -1;
        const int i = gofer::select(recv(a, [&](int v) { got = v; }), recv(b, [&](int v) { got = v; }),
                                    recv(c, [&](int v) { got = v; }));
        done.send(i * 1000 + got);
      });
      if ((iter / 3) % 2 == 0) gofer::time::Sleep(1ms);  // parked, or racing the send
      const int k = iter % 3;
      chans[k].send(k + 1);
      EXPECT_EQ(done.recv(), k * 1000 + k + 1) << "iteration " << iter;
      // Nobody is waiting on the unbuffered ones any more...
      for (int j = 0; j < 2; ++j) {
        if (j == k) continue;
        EXPECT_FALSE(chans[j].try_send(99)) << "a send found the finished select";
      }
      // ...and a send on the buffered one goes to its buffer.
      if (k != 2) {
        EXPECT_TRUE(c.try_send(5));
        EXPECT_EQ(len(c), 1u) << "a send was handed to the finished select";
        int out = -1;
        EXPECT_TRUE(c.try_recv(out));
        EXPECT_EQ(out, 5);
      }
      // A new receiver gets the next value of the other channels.
      const int other = (k + 1) % 3;
      auto got = make_chan<int>(1);
      gofer::go([=] { got.send(chans[other].recv()); });
      chans[other].send(77);
      EXPECT_EQ(got.recv(), 77);
    }
  });
}

TEST_P(SelectTest, DuplicateChannel) {
  // Port of Go's TestSelectDuplicateChannel: a fiber queued twice on c by
  // one select, woken through d, must dequeue both records from c.
  run([&] {
    auto c = make_chan<int>();
    auto d = make_chan<int>();
    auto e = make_chan<int>();
    auto b_got = make_chan<int>(1);
    gofer::go([=] {  // A
      gofer::select(recv(c, [] {}), recv(c, [] {}), recv(d, [] {}));
      e.send(9);
    });
    gofer::time::Sleep(1ms);  // A queues on c first
    gofer::go([=] { b_got.send(c.recv()); });  // B
    gofer::time::Sleep(1ms);  // B queues on c behind A
    d.send(7);                 // wakes A; it must dequeue itself from c
    EXPECT_EQ(e.recv(), 9);
    c.send(8);  // must wake B, not the already-running A
    EXPECT_EQ(b_got.recv(), 8);
  });
}

TEST_P(SelectTest, SelfSelect) {
  // Port of Go's TestSelfSelect: send and receive cases on the same channel
  // in one select neither crash, deadlock, nor match each other.
  run([&] {
    for (int capacity : {0, 10}) {
      auto c = make_chan<int>(capacity);
      std::atomic<int> self_receives{0};
      sync::WaitGroup wg;
      wg.Add(2);
      for (int p = 0; p < 2; ++p)
        gofer::go([&, c, p, capacity] {
          for (int i = 0; i < 1000; ++i) {
            auto on_recv = [&](int v) {
              if (capacity == 0 && v == p) self_receives.fetch_add(1);
            };
            if (p == 0 || i % 2 == 0)
              gofer::select(send(c, p, [] {}), recv(c, on_recv));
            else
              gofer::select(recv(c, on_recv), send(c, p, [] {}));
          }
          wg.Done();
        });
      wg.Wait();
      EXPECT_EQ(self_receives.load(), 0) << "a select received its own send";
    }
  });
}

TEST_P(SelectTest, ParkedSendCaseCompletesWhenAReceiverArrives) {
  run([&] {
    auto a = make_chan<std::unique_ptr<int>>();
    auto b = make_chan<std::unique_ptr<int>>();
    auto done = make_chan<int>(1);
    auto pa = std::make_unique<int>(1);
    auto pb = std::make_unique<int>(2);
    int* pb_raw = pb.get();
    gofer::go([=, pa = std::move(pa), pb = std::move(pb)]() mutable {
      done.send(gofer::select(send(a, std::move(pa), [] {}), send(b, std::move(pb), [] {})));
    });
    gofer::time::Sleep(5ms);
    auto got = b.recv();
    EXPECT_EQ(got.get(), pb_raw);
    EXPECT_EQ(done.recv(), 1);
    std::unique_ptr<int> out;
    EXPECT_FALSE(a.try_recv(out)) << "the finished select still offers its other send";
  });
}

TEST_P(SelectTest, ParkedSelectWokenByClose) {
  run([&] {
    auto a = make_chan<int>();
    auto b = make_chan<int>(2);
    auto done = make_chan<std::pair<int, bool>>(1);
    gofer::go([=] {
      std::pair<int, bool> r{-1, true};
      const int i = gofer::select(recv(a, [&](int v, bool ok) { r = {v, ok}; }),
                                  recv(b, [&](int v, bool ok) { r = {v, ok}; }));
      EXPECT_EQ(i, 1);
      done.send(r);
    });
    gofer::time::Sleep(5ms);
    close(b);
    auto [v, ok] = done.recv();
    EXPECT_EQ(v, 0);
    EXPECT_FALSE(ok);
  });
}

TEST_P(SelectTest, ParkedSendCaseWokenByClosePanics) {
  // Go's selectgo: a select woken on a send case by close panics.
  run([&] {
    for (int capacity : {0, 1}) {
      auto a = make_chan<int>();
      auto b = make_chan<int>(capacity);
      for (int i = 0; i < capacity; ++i) b.send(i);
      auto done = make_chan<std::string>(1);
      gofer::go([=] {
        done.send(panic_text([&] { gofer::select(recv(a, [] {}), send(b, 5, [] {})); }));
      });
      gofer::time::Sleep(5ms);
      close(b);
      EXPECT_EQ(done.recv(), "send on closed channel") << "cap " << capacity;
      EXPECT_FALSE(a.try_send(1)) << "the panicked select left itself on a";
    }
  });
}

TEST_P(SelectTest, ManySelectsParkedOnTheSameChannels) {
  constexpr int kFibers = 20;
  run([&] {
    auto a = make_chan<int>();
    auto b = make_chan<int>();
    auto results = make_chan<int>(kFibers);
    for (int f = 0; f < kFibers; ++f)
      gofer::go([=] {
        int got = -1;
        gofer::select(recv(a, [&](int v) { got = v; }), recv(b, [&](int v) { got = v; }));
        results.send(got);
      });
    gofer::time::Sleep(5ms);
    for (int i = 0; i < kFibers; ++i) (i % 2 ? a : b).send(i);
    std::vector<int> seen(kFibers, 0);
    for (int i = 0; i < kFibers; ++i) {
      const int v = results.recv();
      ASSERT_GE(v, 0);
      ASSERT_LT(v, kFibers);
      seen[v]++;
    }
    for (int i = 0; i < kFibers; ++i) EXPECT_EQ(seen[i], 1) << "value " << i;
  });
}

TEST_P(SelectTest, NilCaseNeverFiresInAParkedSelect) {
  run([&] {
    chan<int> nilc;
    auto real = make_chan<int>();
    auto done = make_chan<int>(1);
    gofer::go([=] {
      done.send(gofer::select(send(nilc, 1, [] {}), recv(nilc, [] {}), recv(real, [] {})));
    });
    gofer::time::Sleep(5ms);
    real.send(1);
    EXPECT_EQ(done.recv(), 2);
  });
}

TEST_P(SelectTest, NonblockSelectRace) {
  // Port of Go's TestNonblockSelectRace: select acts on the channels' state
  // at one instant; from the fiber's start one of c1, c2 is always ready.
  const int n = static_cast<int>(scaled(20'000, 1'000));
  run([&] {
    auto done = make_chan<bool>(1);
    for (int i = 0; i < n; ++i) {
      auto c1 = make_chan<int>(1);
      auto c2 = make_chan<int>(1);
      c1.send(1);
      gofer::go([=] {
        bool ready = true;
        gofer::select(recv(c1, [] {}), recv(c2, [] {}), default_([&] { ready = false; }));
        done.send(ready);
      });
      c2.send(1);
      gofer::select(recv(c1, [] {}), default_([] {}));
      ASSERT_TRUE(done.recv()) << "no channel was ready (iteration " << i << ")";
    }
  });
}

TEST_P(SelectTest, NonblockSelectRace2) {
  // Port of Go's TestNonblockSelectRace2: close(c2) instead of a send.
  const int n = static_cast<int>(scaled(20'000, 1'000));
  run([&] {
    auto done = make_chan<bool>(1);
    for (int i = 0; i < n; ++i) {
      auto c1 = make_chan<int>(1);
      auto c2 = make_chan<int>();
      c1.send(1);
      gofer::go([=] {
        bool ready = true;
        gofer::select(recv(c1, [] {}), recv(c2, [] {}), default_([&] { ready = false; }));
        done.send(ready);
      });
      close(c2);
      gofer::select(recv(c1, [] {}), default_([] {}));
      ASSERT_TRUE(done.recv()) << "no channel was ready (iteration " << i << ")";
    }
  });
}

TEST_P(SelectTest, PseudoRandomSend) {
  // Port of Go's TestPseudoRandomSend: two send cases on one channel, with
  // and without a receiver already parked.
  constexpr int n = 100;
  run([&] {
    for (int capacity : {0, n}) {
      auto c = make_chan<int>(capacity);
      std::vector<int> l(n);
      auto finished = make_chan<bool>();
      gofer::go([&, c] {
        for (int i = 0; i < n; ++i) {
          gofer::runtime::Gosched();
          l[i] = c.recv();
        }
        finished.send(true);
      });
      for (int i = 0; i < n; ++i) gofer::select(send(c, 1, [] {}), send(c, 0, [] {}));
      finished.recv();
      int n0 = 0, n1 = 0;
      for (int v : l) {
        n0 += (v + 1) % 2;
        n1 += v;
      }
      EXPECT_GT(n0, n / 10) << "want pseudorandom (cap " << capacity << ")";
      EXPECT_GT(n1, n / 10) << "want pseudorandom (cap " << capacity << ")";
    }
  });
}

TEST_P(SelectTest, GoSelectFairness) {
  // Port of Go's TestSelectFairness: two always-ready channels among two
  // never-ready ones, and Go's six-nines bound.
  constexpr int kTrials = 10'000;
  run([&] {
    auto c1 = make_chan<std::uint8_t>(kTrials + 1);
    auto c2 = make_chan<std::uint8_t>(kTrials + 1);
    for (int i = 0; i < kTrials + 1; ++i) {
      c1.send(1);
      c2.send(2);
    }
    auto c3 = make_chan<std::uint8_t>();
    auto c4 = make_chan<std::uint8_t>();
    auto out = make_chan<std::uint8_t>();
    auto done = make_chan<std::uint8_t>();
    sync::WaitGroup wg;
    wg.Add(1);
    gofer::go([&, c1, c2, c3, c4, out, done] {
      for (;;) {
        std::uint8_t b = 0;
        auto set = [&](std::uint8_t v) { b = v; };
        gofer::select(recv(c3, set), recv(c4, set), recv(c1, set), recv(c2, set));
        bool stop = false;
        gofer::select(send(out, b, [] {}), recv(done, [&] { stop = true; }));
        if (stop) break;
      }
      wg.Done();
    });
    int cnt1 = 0, cnt2 = 0;
    for (int i = 0; i < kTrials; ++i) {
      const std::uint8_t b = out.recv();
      if (b == 1)
        ++cnt1;
      else if (b == 2)
        ++cnt2;
      else
        ADD_FAILURE() << "unexpected value " << int{b};
    }
    const double r = static_cast<double>(cnt1) / kTrials;
    EXPECT_LE(std::abs(r - 0.5), 4.891676 / (2 * std::sqrt(static_cast<double>(kTrials))))
        << "unfair select: " << cnt1 << ", " << cnt2;
    close(done);
    wg.Wait();
  });
}

TEST_P(SelectTest, DynamicSelectParksAndWakes) {
  run([&] {
    auto a = make_chan<int>();
    auto b = make_chan<std::string>();
    auto done = make_chan<int>(1);
    std::string s;
    bool ok = false;
    gofer::go([&, a, b, done] {
      int v = 0;
      std::vector<select_case> cs;
      cs.push_back(select_case::recv(a, &v));
      cs.push_back(select_case::recv(b, &s, &ok));
      done.send(gofer::select(cs));
    });
    gofer::time::Sleep(5ms);
    b.send("hello");
    EXPECT_EQ(done.recv(), 1);
    EXPECT_EQ(s, "hello");
    EXPECT_TRUE(ok);
    EXPECT_FALSE(a.try_send(1));
  });
}

TEST_P(SelectTest, ManyCasesParkAndLeaveTheOthersAlone) {
  // More cases than a select keeps inline (its wait records then live on
  // the heap), run-time and compile-time forms: woken through one channel,
  // the select must be off all the others.
  constexpr int kChans = 12;
  run([&] {
    for (int k : {0, 5, kChans - 1}) {
      std::vector<chan<int>> chans;
      for (int i = 0; i < kChans; ++i) chans.push_back(make_chan<int>());
      std::vector<int> dst(kChans, -1);
      std::vector<select_case> cases;
      for (int i = 0; i < kChans; ++i) cases.push_back(select_case::recv(chans[i], &dst[i]));
      auto done = make_chan<int>(1);
      gofer::go([&cases, done] { done.send(gofer::select(cases)); });
      gofer::time::Sleep(2ms);
      chans[k].send(100 + k);
      EXPECT_EQ(done.recv(), k);
      EXPECT_EQ(dst[k], 100 + k);
      for (int j = 0; j < kChans; ++j) {
        if (j == k) continue;
        EXPECT_FALSE(chans[j].try_send(1)) << "run-time select still waiting on channel " << j;
      }

      int got = -1;
      auto set = [&](int v) { got = v; };
      gofer::go([&, done, chans] {
        done.send(gofer::select(recv(chans[0], set), recv(chans[1], set), recv(chans[2], set),
                                recv(chans[3], set), recv(chans[4], set), recv(chans[5], set),
                                recv(chans[6], set), recv(chans[7], set), recv(chans[8], set),
                                recv(chans[9], set), recv(chans[10], set), recv(chans[11], set)));
      });
      gofer::time::Sleep(2ms);
      chans[k].send(200 + k);
      EXPECT_EQ(done.recv(), k);
      EXPECT_EQ(got, 200 + k);
      for (int j = 0; j < kChans; ++j) {
        if (j == k) continue;
        EXPECT_FALSE(chans[j].try_send(1)) << "compile-time select still waiting on channel " << j;
      }
    }
  });
}

TEST_P(SelectTest, PlainThreadSelectWokenByClose) {
  run([&] {
    auto a = make_chan<int>();
    auto b = make_chan<int>();
    int chosen = -2;
    bool ok = true;
    std::thread t([&, a, b] {
      chosen = gofer::select(recv(a, [&](int, bool o) { ok = o; }), recv(b, [&](int, bool o) { ok = o; }));
    });
    gofer::time::Sleep(5ms);
    close(b);
    t.join();
    EXPECT_EQ(chosen, 1);
    EXPECT_FALSE(ok);
    EXPECT_FALSE(a.try_send(1));
  });
}

// ---------------------------------------------------------------------------
// Plain threads and fibers
// ---------------------------------------------------------------------------

TEST_P(SelectTest, PlainThreadSelectWokenByAFiber) {
  run([&] {
    auto a = make_chan<int>();
    auto b = make_chan<int>();
    int chosen = -2, got = -1;
    std::thread t([&, a, b] {
      chosen = gofer::select(recv(a, [&](int v) { got = v; }), recv(b, [&](int v) { got = v; }));
    });
    gofer::time::Sleep(5ms);
    a.send(3);  // completes only once the thread's select has received it
    t.join();
    EXPECT_EQ(chosen, 0);
    EXPECT_EQ(got, 3);
    EXPECT_FALSE(b.try_send(1)) << "the thread's finished select is still on b";
  });
}

TEST_P(SelectTest, FiberSelectWokenByAPlainThread) {
  run([&] {
    auto a = make_chan<int>();
    auto b = make_chan<int>();
    std::thread t([b] {
      std::this_thread::sleep_for(5ms);
      b.send(4);
    });
    int got = -1;
    EXPECT_EQ(gofer::select(recv(a, [&](int v) { got = v; }), recv(b, [&](int v) { got = v; })), 1);
    EXPECT_EQ(got, 4);
    t.join();
  });
}

TEST_P(SelectTest, SelectsOnThreadsAndFibersExchangeValues) {
  // A plain thread and a fiber each loop over a select with a send case to
  // the other and a receive case from the other (both unbuffered): values
  // flow both ways, none lost or duplicated.
  constexpr int kEach = 2000;
  run([&] {
    auto to_fiber = make_chan<int>();
    auto to_thread = make_chan<int>();
    std::int64_t thread_sum = 0;
    std::thread t([&, to_fiber, to_thread] {
      int sent = 0, received = 0;
      while (sent < kEach || received < kEach) {
        chan<int> out = sent < kEach ? to_fiber : chan<int>{};  // nil once done
        chan<int> in = received < kEach ? to_thread : chan<int>{};
        gofer::select(send(out, sent, [&] { ++sent; }), recv(in, [&](int v) {
                        thread_sum += v;
                        ++received;
                      }));
      }
    });
    std::int64_t fiber_sum = 0;
    int sent = 0, received = 0;
    while (sent < kEach || received < kEach) {
      chan<int> out = sent < kEach ? to_thread : chan<int>{};
      chan<int> in = received < kEach ? to_fiber : chan<int>{};
      gofer::select(recv(in, [&](int v) {
                      fiber_sum += v;
                      ++received;
                    }),
                    send(out, sent, [&] { ++sent; }));
    }
    t.join();
    const std::int64_t want = std::int64_t{kEach} * (kEach - 1) / 2;
    EXPECT_EQ(thread_sum, want);
    EXPECT_EQ(fiber_sum, want);
  });
}

TEST(SelectThreads, BlockingSelectBetweenPlainThreadsWithoutARuntime) {
  auto a = make_chan<int>();
  auto quit = make_chan<empty>();
  std::int64_t sum = 0;
  std::thread t([&, a, quit] {
    for (bool stop = false; !stop;)
      gofer::select(recv(a, [&](int v) { sum += v; }), recv(quit, [&] { stop = true; }));
  });
  for (int i = 1; i <= 1000; ++i) a.send(i);
  close(quit);
  t.join();
  EXPECT_EQ(sum, 1000 * 1001 / 2);
}

}  // namespace
