// tests/ports/chan_sieve1_test.cpp — port of Go's test/chan/sieve1.go
// (go1.19): the classical inefficient concurrent prime sieve, a linear chain
// of divisibility filters, checking the primes up to 100.
//
// Differences from Go:
//   - main runs as a fiber of a Runtime with 1, 2, 4 and 8 workers. As in
//     Go, Generate and the Filter chain are still blocked when main returns;
//     they are abandoned by ~Runtime (Runtime::Shutdown), which is why this
//     suite does not use gofer_test::RuntimeTest (it requires every fiber to
//     have exited).
//   - println + panic("fail") become a gtest failure.
//   - The abandoned fibers' channels are never freed; LeakSanitizer is told
//     not to report them (__lsan_default_suppressions below).
#include <vector>

#include "fixture.hpp"
#include "gofer/gofer.hpp"

// LeakSanitizer (ASan builds): the channels that only abandoned fibers still
// hold are never freed (Go's GC collects them along with the goroutines), so
// this executable does not report hchan allocations as leaks. Channel leaks
// are still caught by the other ports, where every fiber exits.
extern "C" const char* __lsan_default_suppressions() { return "leak:gofer::detail::make_hchan\n"; }

namespace {

using gofer::make_chan;
using gofer::recv_chan;
using gofer::send_chan;

// Send the sequence 2, 3, 4, ... to channel 'ch'.
void Generate(send_chan<int> ch) {
  for (int i = 2;; i++) {
    ch.send(i);  // Send 'i' to channel 'ch'.
  }
}

// Copy the values from channel 'in' to channel 'out',
// removing those divisible by 'prime'.
void Filter(recv_chan<int> in, send_chan<int> out, int prime) {
  for (int i : in) {  // Loop over values received from 'in'.
    if (i % prime != 0) {
      out.send(i);  // Send 'i' to channel 'out'.
    }
  }
}

// The prime sieve: Daisy-chain Filter processes together.
void Sieve(send_chan<int> primes) {
  auto ch = make_chan<int>();  // Create a new channel.
  gofer::go(Generate, ch);     // Start Generate() as a subprocess.
  for (;;) {
    // Note that ch is different on each iteration.
    int prime = ch.recv();
    primes.send(prime);
    auto ch1 = make_chan<int>();
    gofer::go(Filter, ch, ch1, prime);
    ch = ch1;
  }
}

void go_main() {
  auto primes = make_chan<int>();
  gofer::go(Sieve, primes);
  const std::vector<int> a = {2,  3,  5,  7,  11, 13, 17, 19, 23, 29, 31, 37, 41,
                              43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97};
  for (std::size_t i = 0; i < a.size(); i++) {
    if (int x = primes.recv(); x != a[i]) {
      FAIL() << x << " != " << a[i] << ": fail";
    }
  }
}

class ChanSieve1 : public ::testing::TestWithParam<int> {};
INSTANTIATE_TEST_SUITE_P(Workers, ChanSieve1, ::testing::Values(1, 2, 4, 8),
                         gofer_test::WorkerCountName);

TEST_P(ChanSieve1, Main) {
  gofer::Runtime rt(gofer::Runtime::Options{.workers = GetParam()});
  rt.run([] { go_main(); });
  // ~Runtime abandons Sieve, Generate and the Filters, as Go's exit does.
}

}  // namespace
