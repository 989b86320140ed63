// tests/ports/runtime_chan_test.cpp — port of the semantic tests of Go's
// src/runtime/chan_test.go (go1.19): TestChan, TestNonblockRecvRace,
// TestSelfSelect, TestSelectFairness, TestMultiConsumer and
// TestSelectDuplicateChannel. (The stack-shrinking, select-stress and
// benchmark functions of that file are not ported here.)
//
// Differences from Go:
//   - Each test runs as a fiber of a Runtime with 1, 2, 4 and 8 workers
//     (gofer_test::RuntimeTest, which also checks that no fiber is left),
//     instead of Go's `defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(n))`
//     (TestChan used 4, TestSelfSelect 2; both are among the counts run).
//   - t.Fatalf is FAIL() (it returns from the test body's lambda), t.Errorf
//     and t.Error are ADD_FAILURE(); t.Failed() is an atomic flag set next
//     to the failure. A t.Fatalf inside a select case body sets a flag that
//     the test checks right after the select (FAIL() in the case's lambda
//     would return from the lambda only).
//   - Go's closures share the variables they capture and the GC keeps them
//     alive. Here fibers capture channels by value (a chan<T> is a handle),
//     and the flags a fiber sets after the test body may have moved on
//     (TestChan's recv1/recv2/sent) are std::atomic in a std::shared_ptr:
//     Go's plain bool writes there are data races, which C++ does not
//     tolerate.
//   - time.Sleep is time::Sleep.
//   - TestChan's `done` channel of map[int]int carries std::map<int, int>.
//   - TestSelectFairness: t.Log is folded into the failure message.
//   - TestMultiConsumer: niter is Go's 271828, scaled down to 27183 under
//     GOFER_TEST_SHORT (Go runs it in full even with -short); the sanitizer
//     presets set GOFER_TEST_SHORT.
#include <atomic>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "fixture.hpp"
#include "gofer/gofer.hpp"

namespace {

using gofer::chan;
using gofer::make_chan;
using gofer::recv;
using gofer::select;
using gofer::send;
namespace time = gofer::time;
namespace runtime = gofer::runtime;
namespace sync = gofer::sync;

class GoChan : public gofer_test::RuntimeTest {};
GOFER_INSTANTIATE_WORKER_COUNTS(GoChan);

TEST_P(GoChan, TestChan) {
  run([] {
    const int N = gofer_test::short_mode() ? 20 : 200;
    for (int chanCap = 0; chanCap < N; chanCap++) {
      {
        // Ensure that receive from empty chan blocks.
        auto c = make_chan<int>(chanCap);
        auto recv1 = std::make_shared<std::atomic<bool>>(false);
        gofer::go([c, recv1] {
          (void)c.recv();
          recv1->store(true);
        });
        auto recv2 = std::make_shared<std::atomic<bool>>(false);
        gofer::go([c, recv2] {
          (void)c.recv2();
          recv2->store(true);
        });
        time::Sleep(time::Millisecond);
        if (recv1->load() || recv2->load()) {
          FAIL() << "chan[" << chanCap << "]: receive from empty chan";
        }
        // Ensure that non-blocking receive does not block.
        bool received = false;
        select(recv(c, [&](int) { received = true; }), gofer::default_([] {}));
        if (received) {
          FAIL() << "chan[" << chanCap << "]: receive from empty chan";
        }
        select(recv(c, [&](int, bool) { received = true; }), gofer::default_([] {}));
        if (received) {
          FAIL() << "chan[" << chanCap << "]: receive from empty chan";
        }
        c.send(0);
        c.send(0);
      }

      {
        // Ensure that send to full chan blocks.
        auto c = make_chan<int>(chanCap);
        for (int i = 0; i < chanCap; i++) {
          c.send(i);
        }
        auto sent = std::make_shared<std::atomic<std::uint32_t>>(0);
        gofer::go([c, sent] {
          c.send(0);
          sent->store(1);
        });
        time::Sleep(time::Millisecond);
        if (sent->load() != 0) {
          FAIL() << "chan[" << chanCap << "]: send to full chan";
        }
        // Ensure that non-blocking send does not block.
        bool sent_nb = false;
        select(send(c, 0, [&] { sent_nb = true; }), gofer::default_([] {}));
        if (sent_nb) {
          FAIL() << "chan[" << chanCap << "]: send to full chan";
        }
        c.recv();
      }

      {
        // Ensure that we receive 0 from closed chan.
        auto c = make_chan<int>(chanCap);
        for (int i = 0; i < chanCap; i++) {
          c.send(i);
        }
        close(c);
        for (int i = 0; i < chanCap; i++) {
          int v = c.recv();
          if (v != i) {
            FAIL() << "chan[" << chanCap << "]: received " << v << ", expected " << i;
          }
        }
        if (int v = c.recv(); v != 0) {
          FAIL() << "chan[" << chanCap << "]: received " << v << ", expected " << 0;
        }
        if (auto [v, ok] = c.recv2(); v != 0 || ok) {
          FAIL() << "chan[" << chanCap << "]: received " << v << "/" << ok << ", expected 0/false";
        }
      }

      {
        // Ensure that close unblocks receive.
        auto c = make_chan<int>(chanCap);
        auto done = make_chan<bool>();
        gofer::go([c, done] {
          auto [v, ok] = c.recv2();
          done.send(v == 0 && ok == false);
        });
        time::Sleep(time::Millisecond);
        close(c);
        if (!done.recv()) {
          FAIL() << "chan[" << chanCap << "]: received non zero from closed chan";
        }
      }

      {
        // Send 100 integers,
        // ensure that we receive them non-corrupted in FIFO order.
        auto c = make_chan<int>(chanCap);
        gofer::go([c] {
          for (int i = 0; i < 100; i++) {
            c.send(i);
          }
        });
        for (int i = 0; i < 100; i++) {
          int v = c.recv();
          if (v != i) {
            FAIL() << "chan[" << chanCap << "]: received " << v << ", expected " << i;
          }
        }

        // Same, but using recv2.
        gofer::go([c] {
          for (int i = 0; i < 100; i++) {
            c.send(i);
          }
        });
        for (int i = 0; i < 100; i++) {
          auto [v, ok] = c.recv2();
          if (!ok) {
            FAIL() << "chan[" << chanCap << "]: receive failed, expected " << i;
          }
          if (v != i) {
            FAIL() << "chan[" << chanCap << "]: received " << v << ", expected " << i;
          }
        }

        // Send 1000 integers in 4 goroutines,
        // ensure that we receive what we send.
        constexpr int P = 4;
        constexpr int L = 1000;
        for (int p = 0; p < P; p++) {
          gofer::go([c] {
            for (int i = 0; i < L; i++) {
              c.send(i);
            }
          });
        }
        auto done = make_chan<std::map<int, int>>();
        for (int p = 0; p < P; p++) {
          gofer::go([c, done] {
            std::map<int, int> recv;
            for (int i = 0; i < L; i++) {
              int v = c.recv();
              recv[v] = recv[v] + 1;
            }
            done.send(std::move(recv));
          });
        }
        std::map<int, int> recv;
        for (int p = 0; p < P; p++) {
          for (auto [k, v] : done.recv()) {
            recv[k] = recv[k] + v;
          }
        }
        if (recv.size() != L) {
          FAIL() << "chan[" << chanCap << "]: received " << recv.size() << " values, expected "
                 << L;
        }
        for (auto [k, v] : recv) {
          if (v != P) {
            FAIL() << "chan[" << chanCap << "]: received " << v << " values, expected " << P;
          }
        }
      }

      {
        // Test len/cap.
        auto c = make_chan<int>(chanCap);
        if (len(c) != 0 || cap(c) != std::size_t(chanCap)) {
          FAIL() << "chan[" << chanCap << "]: bad len/cap, expect 0/" << chanCap << ", got "
                 << len(c) << "/" << cap(c);
        }
        for (int i = 0; i < chanCap; i++) {
          c.send(i);
        }
        if (len(c) != std::size_t(chanCap) || cap(c) != std::size_t(chanCap)) {
          FAIL() << "chan[" << chanCap << "]: bad len/cap, expect " << chanCap << "/" << chanCap
                 << ", got " << len(c) << "/" << cap(c);
        }
      }
    }
  });
}

TEST_P(GoChan, TestNonblockRecvRace) {
  run([] {
    const int n = gofer_test::short_mode() ? 100 : 10000;
    auto failed = std::make_shared<std::atomic<bool>>(false);
    for (int i = 0; i < n; i++) {
      auto c = make_chan<int>(1);
      c.send(1);
      gofer::go([c, failed] {
        select(recv(c, [] {}), gofer::default_([&] {
                 ADD_FAILURE() << "chan is not ready";
                 failed->store(true);
               }));
      });
      close(c);
      c.recv();
      if (failed->load()) {
        return;
      }
    }
  });
}

TEST_P(GoChan, TestSelfSelect) {
  // Ensure that send/recv on the same chan in select
  // does not crash nor deadlock.
  run([] {
    for (int chanCap : {0, 10}) {
      sync::WaitGroup wg;
      wg.Add(2);
      auto c = make_chan<int>(chanCap);
      for (int p = 0; p < 2; p++) {
        gofer::go([&wg, c, p, chanCap] {
          struct done_guard {  // defer wg.Done()
            sync::WaitGroup& wg;
            ~done_guard() { wg.Done(); }
          } guard{wg};
          for (int i = 0; i < 1000; i++) {
            bool self = false;
            auto on_recv = [&](int v) {
              if (chanCap == 0 && v == p) self = true;
            };
            if (p == 0 || i % 2 == 0) {
              select(send(c, p, [] {}), recv(c, on_recv));
            } else {
              select(recv(c, on_recv), send(c, p, [] {}));
            }
            if (self) {
              ADD_FAILURE() << "self receive";
              return;
            }
          }
        });
      }
      wg.Wait();
    }
  });
}

TEST_P(GoChan, TestSelectFairness) {
  run([] {
    constexpr int trials = 10000;
    auto c1 = make_chan<std::uint8_t>(trials + 1);
    auto c2 = make_chan<std::uint8_t>(trials + 1);
    for (int i = 0; i < trials + 1; i++) {
      c1.send(1);
      c2.send(2);
    }
    auto c3 = make_chan<std::uint8_t>();
    auto c4 = make_chan<std::uint8_t>();
    auto out = make_chan<std::uint8_t>();
    auto done = make_chan<std::uint8_t>();
    sync::WaitGroup wg;
    wg.Add(1);
    gofer::go([=, &wg] {
      struct done_guard {  // defer wg.Done()
        sync::WaitGroup& wg;
        ~done_guard() { wg.Done(); }
      } guard{wg};
      for (;;) {
        std::uint8_t b = 0;
        auto set_b = [&](std::uint8_t v) { b = v; };
        select(recv(c3, set_b), recv(c4, set_b), recv(c1, set_b), recv(c2, set_b));
        bool quit = false;
        select(send(out, b, [] {}), recv(done, [&] { quit = true; }));
        if (quit) return;
      }
    });
    int cnt1 = 0, cnt2 = 0;
    for (int i = 0; i < trials; i++) {
      switch (std::uint8_t b = out.recv(); b) {
        case 1:
          cnt1++;
          break;
        case 2:
          cnt2++;
          break;
        default:
          ADD_FAILURE() << "unexpected value " << int(b) << " on channel";
          close(done);
          wg.Wait();
          return;
      }
    }
    // If the select in the goroutine is fair,
    // cnt1 and cnt2 should be about the same value.
    // With 10,000 trials, the expected margin of error at
    // a confidence level of six nines is 4.891676 / (2 * Sqrt(10000)).
    double r = double(cnt1) / trials;
    double e = std::abs(r - 0.5);
    if (e > 4.891676 / (2 * std::sqrt(double(trials)))) {
      ADD_FAILURE() << "unfair select: in " << trials << " trials, results were " << cnt1 << ", "
                    << cnt2 << " (r=" << r << ", e=" << e << ")";
    }
    close(done);
    wg.Wait();
  });
}

TEST_P(GoChan, TestMultiConsumer) {
  run([] {
    constexpr int nwork = 23;
    const int niter = static_cast<int>(gofer_test::scaled(271828, 27183));

    const std::vector<int> pn = {2, 3, 7, 11, 13, 17, 19, 23, 27, 31};

    auto q = make_chan<int>(nwork * 3);
    auto r = make_chan<int>(nwork * 3);

    // workers
    sync::WaitGroup wg;
    for (int i = 0; i < nwork; i++) {
      wg.Add(1);
      gofer::go(
          [&pn, &wg, q, r](int w) {
            for (int v : q) {
              // mess with the fifo-ish nature of range
              if (pn[w % pn.size()] == v) {
                runtime::Gosched();
              }
              r.send(v);
            }
            wg.Done();
          },
          i);
    }

    // feeder & closer
    std::int64_t expect = 0;
    gofer::go([&pn, &wg, &expect, niter, q, r] {
      for (int i = 0; i < niter; i++) {
        int v = pn[i % pn.size()];
        expect += v;
        q.send(v);
      }
      close(q);   // no more work
      wg.Wait();  // workers done
      close(r);   // ... so there can be no more results
    });

    // consume & check
    int n = 0;
    std::int64_t s = 0;
    for (int v : r) {
      n++;
      s += v;
    }
    if (n != niter || s != expect) {
      ADD_FAILURE() << "Expected sum " << expect << " (got " << s << ") from " << niter
                    << " iter (saw " << n << ")";
    }
  });
}

TEST_P(GoChan, TestSelectDuplicateChannel) {
  // This test makes sure we can queue a G on
  // the same channel multiple times.
  run([] {
    auto c = make_chan<int>();
    auto d = make_chan<int>();
    auto e = make_chan<int>();

    // goroutine A
    gofer::go([c, d, e] {
      select(recv(c, [] {}), recv(c, [] {}), recv(d, [] {}));
      e.send(9);
    });
    time::Sleep(time::Millisecond);  // make sure goroutine A gets queued first on c

    // goroutine B
    gofer::go([c] { c.recv(); });
    time::Sleep(time::Millisecond);  // make sure goroutine B gets queued on c before continuing

    d.send(7);  // wake up A, it dequeues itself from c.  This operation used to corrupt c.recvq.
    e.recv();   // A tells us it's done
    c.send(8);  // wake up B.  This operation used to fail because c.recvq was corrupted (it
                // tries to wake up an already running G instead of B)
  });
}

}  // namespace
