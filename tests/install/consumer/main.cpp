// Smoke test for an installed gofer: 100 goroutines add 1..100.
#include <atomic>
#include <cstdio>
#include <gofer/gofer.hpp>

int main() {
  std::atomic<int> sum{0};
  gofer::run([&] {
    gofer::sync::WaitGroup wg;
    for (int i = 1; i <= 100; ++i) {
      wg.Add(1);
      gofer::go([&wg, &sum, i] {
        sum.fetch_add(i);
        wg.Done();
      });
    }
    wg.Wait();
  });
  std::printf("consumer: sum=%d\n", sum.load());
  return sum.load() == 5050 ? 0 : 1;
}
