// prime_sieve.cpp — Go's concurrent prime sieve (the classic from
// golang.org/doc/play/sieve.go), ported line for line:
//
//   func Generate(ch chan<- int) { for i := 2; ; i++ { ch <- i } }
//   func Filter(in <-chan int, out chan<- int, prime int) {
//       for { i := <-in; if i%prime != 0 { out <- i } }
//   }
//   func main() {
//       ch := make(chan int)
//       go Generate(ch)
//       for i := 0; i < 10; i++ {
//           prime := <-ch
//           fmt.Println(prime)
//           ch1 := make(chan int)
//           go Filter(ch, ch1, prime)
//           ch = ch1
//       }
//   }
//
// The Go program leaves its goroutines blocked when main returns; so does
// this one (gofer::run abandons them, as Go's exit does). A select with a
// default case at the end shows the non-blocking form.
#include <gofer/gofer.hpp>

#include <cstdio>

using namespace gofer;

void Generate(send_chan<int> ch) {
  for (int i = 2;; i++) ch.send(i);
}

void Filter(recv_chan<int> in, send_chan<int> out, int prime) {
  for (;;) {
    int i = in.recv();
    if (i % prime != 0) out.send(i);
  }
}

int main() {
  int last = 0;
  gofer::run([&] {
    auto ch = make_chan<int>();
    go(Generate, ch);
    std::printf("primes:");
    for (int i = 0; i < 25; i++) {
      int prime = ch.recv();
      std::printf(" %d", prime);
      auto ch1 = make_chan<int>();
      go(Filter, ch, ch1, prime);
      ch = ch1;
      last = prime;
    }
    std::printf("\n");
    // Non-blocking receive: nothing is ever sent on quit, so default runs.
    auto quit = make_chan<int>();
    select(recv(quit, [](int) { std::printf("unexpected\n"); }),
           default_([] { std::printf("select: nothing on quit, took default\n"); }));
  });
  return last == 97 ? 0 : 1;
}
