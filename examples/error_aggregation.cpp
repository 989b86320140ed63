// error_aggregation.cpp — the Error Aggregation example of the seed article
// (shared/seeds/000_93dc988236682126.txt, 'Go并发模式：7种让代码坚不可摧的策略',
// section 7, processItemsConcurrently), on gofer::patterns::ErrorAggregator.
//
//   for _, item := range items {
//       wg.Add(1)
//       go func(item string) {
//           defer wg.Done()
//           if err := processItem(item); err != nil {
//               errAgg.Add(fmt.Errorf("处理 %s 失败: %w", item, err))
//           }
//       }(item)
//   }
//   wg.Wait()
//   if errAgg.HasErrors() { return errAgg.Error() }
//
// The article has no main; this one processes five items, two of them bad,
// and prints the aggregate error (the article's "; "-joined message; the
// order of the two causes is the order the fibers finished in), then shows
// what the article's errors.New(strings.Join(...)) loses and the port
// keeps: errors::Is finds the cause through the aggregate.
#include <gofer/fmt.hpp>
#include <gofer/gofer.hpp>
#include <gofer/patterns/error_aggregator.hpp>
#include <string>
#include <vector>

using namespace gofer;

namespace {

// ErrBadData: the article makes a new errors.New("项目包含坏数据") per call; a
// package-level sentinel is what callers can test for with errors.Is.
const error ErrBadData = errors::New("项目包含坏数据");

error processItem(const std::string& item) {
  // 模拟可能失败的处理 (simulate processing that may fail)
  if (item.find("bad") != std::string::npos) return ErrBadData;
  return nil;
}

error processItemsConcurrently(const std::vector<std::string>& items) {
  sync::WaitGroup wg;
  patterns::ErrorAggregator errAgg;

  for (const std::string& item : items) {
    wg.Add(1);
    // item is captured by value (Go passes it as an argument for the same
    // reason); wg and errAgg by reference: Wait below outlives the fibers.
    go([&wg, &errAgg, item] {
      if (error err = processItem(item)) errAgg.Add(fmt::Errorf("处理 %s 失败: %w", item, err));
      wg.Done();
    });
  }

  wg.Wait();

  if (errAgg.HasErrors()) return errAgg.Error();
  return nil;
}

void run_main() {
  const std::vector<std::string> items = {"item-1", "item-bad-2", "item-3", "item-bad-4", "item-5"};
  error err = processItemsConcurrently(items);
  if (err == nil) {
    fmt::Println("全部处理成功");
    return;
  }
  fmt::Printf("批量处理失败: %v\n", err);
  fmt::Printf("errors.Is(err, ErrBadData) = %t\n", errors::Is(err, ErrBadData));
}

}  // namespace

int main() {
  gofer::run(run_main);
  return 0;
}
