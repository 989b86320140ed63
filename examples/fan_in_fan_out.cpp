// fan_in_fan_out.cpp — the Fan-Out/Fan-In example of the seed article
// (shared/seeds/000_93dc988236682126.txt, 'Go并发模式：7种让代码坚不可摧的策略',
// section 2, processLargeDataset), on gofer::patterns::FanOutFanIn.
//
//   results := fanOutFanIn(input)          // 3 workers, hard-coded
//   go func() { defer close(input); for i := 0; i < 100; i++ { input <- i } }()
//   for result := range results { fmt.Printf("处理结果: %d\n", result) }
//
// 100 items of 10 ms simulated work each, n*n, printed in completion order
// as in Go. The workers default to runtime::NumCPU() (the article fixes 3);
// here 10 are asked for so the 1 s of simulated work takes ~0.1 s. The work
// is time::Sleep, which parks the fiber: more workers than CPUs help, as
// for I/O.
#include <gofer/fmt.hpp>
#include <gofer/gofer.hpp>
#include <gofer/patterns/fan_in_fan_out.hpp>

using namespace gofer;

namespace {

// expensiveComputation: the article's simulated CPU-heavy step.
int expensiveComputation(int n) {
  time::Sleep(10 * time::Millisecond);
  return n * n;
}

void processLargeDataset() {
  auto input = make_chan<int>();

  // 启动处理管道 (start the processing pipeline)
  auto results = patterns::FanOutFanIn(input, expensiveComputation, {.workers = 10});

  // 提供数据 (feed the data)
  go([input] {
    for (int i = 0; i < 100; i++) input.send(i);
    close(input);
  });

  // 收集结果 (collect the results)
  for (int result : results) fmt::Printf("处理结果: %d\n", result);
}

}  // namespace

int main() {
  gofer::run(processLargeDataset);
  return 0;
}
