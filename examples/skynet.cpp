// skynet.cpp — the skynet benchmark (github.com/atemerev/skynet): a tree of
// one million fibers, ten children each, every leaf returning its number and
// every node the sum of its subtree. The Go original uses channels; until
// gofer's channels land (next issue) this port joins children with a
// WaitGroup and collects their sums in an array, which keeps the shape:
//
//   func skynet(c chan int, num, size, div int) {
//       if size == 1 { c <- num; return }
//       rc := make(chan int)
//       var sum int
//       for i := 0; i < div; i++ {
//           subNum := num + i*(size/div)
//           go skynet(rc, subNum, size/div, div)
//       }
//       for i := 0; i < div; i++ { sum += <-rc }
//       c <- sum
//   }
#include <cstdint>
#include <cstdio>
#include <gofer/gofer.hpp>

using namespace gofer;

namespace {

void skynet(std::int64_t* out, std::int64_t num, std::int64_t size, int div) {
  if (size == 1) {
    *out = num;
    return;
  }
  std::int64_t sums[10] = {};
  sync::WaitGroup wg;
  wg.Add(div);
  for (int i = 0; i < div; i++) {
    std::int64_t sub = num + i * (size / div);
    go([&wg, &sums, i, sub, size, div] {
      skynet(&sums[i], sub, size / div, div);
      wg.Done();
    });
  }
  wg.Wait();
  std::int64_t sum = 0;
  for (int i = 0; i < div; i++) sum += sums[i];
  *out = sum;
}

}  // namespace

int main() {
  std::int64_t result = 0;
  time::Time start;
  time::Duration took{};
  gofer::run([&] {
    start = time::Now();
    skynet(&result, 0, 1000000, 10);
    took = time::Since(start);
  });
  std::printf("skynet: result %lld in %lld ms (%d workers)\n", static_cast<long long>(result),
              static_cast<long long>(time::Milliseconds(took)), runtime::GOMAXPROCS());
  return result == 499999500000LL ? 0 : 1;
}
