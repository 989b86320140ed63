// hello.cpp — the README's first example: goroutines, a WaitGroup, a Mutex
// and time.Sleep, written as the Go program would be.
//
//   func main() {
//       var wg sync.WaitGroup
//       var mu sync.Mutex
//       total := 0
//       for i := 1; i <= 10; i++ {
//           wg.Add(1)
//           go func(i int) {
//               defer wg.Done()
//               time.Sleep(time.Duration(i) * time.Millisecond)
//               mu.Lock(); total += i; mu.Unlock()
//           }(i)
//       }
//       wg.Wait()
//       fmt.Println("total:", total, "goroutines:", runtime.NumGoroutine())
//   }
#include <cstdio>
#include <gofer/gofer.hpp>

using namespace gofer;

int main() {
  int total = 0;
  gofer::run([&] {
    sync::WaitGroup wg;
    sync::Mutex mu;
    for (int i = 1; i <= 10; i++) {
      wg.Add(1);
      go([&, i] {
        time::Sleep(i * time::Millisecond);
        std::lock_guard lock(mu);
        total += i;
        wg.Done();
      });
    }
    wg.Wait();
    std::printf("total: %d goroutines: %d workers: %d\n", total, runtime::NumGoroutine(),
                runtime::GOMAXPROCS());
  });
  return total == 55 ? 0 : 1;
}
