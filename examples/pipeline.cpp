// pipeline.cpp — the Pipeline example of the seed article
// (shared/seeds/000_93dc988236682126.txt, 'Go并发模式：7种让代码坚不可摧的策略',
// section 4, processDataPipeline), on gofer::patterns::Pipeline with typed
// stages.
//
//   output := Pipeline(input, parseStage, validateStage, enrichStage)
//   go func() {
//       defer close(input)
//       for i := 0; i < 10; i++ { input <- fmt.Sprintf("data-%d", i) }
//   }()
//   for result := range output { fmt.Printf("最终结果: %v\n", result) }
//
// Prints the ten results in order, as the Go program does:
//   最终结果: enriched:valid:parsed:data-0:timestamp:<unix seconds>
// The stages are std::string -> std::string instead of interface{}; they
// run in a Flow (an errgroup over a context) whose Wait reports an error a
// stage returned (none here).
#include <gofer/fmt.hpp>
#include <gofer/gofer.hpp>
#include <gofer/patterns/pipeline.hpp>
#include <optional>
#include <string>

using namespace gofer;

namespace {

// 解析原始数据 (parse the raw data)
auto parseStage = patterns::Map([](std::string data) { return fmt::Sprintf("parsed:%v", data); });

// 验证数据; 无效数据被丢弃 (validate; invalid data is dropped)
auto validateStage = patterns::Map([](std::string data) -> std::optional<std::string> {
  if (data.find("parsed:") != std::string::npos) return fmt::Sprintf("valid:%v", data);
  return std::nullopt;
});

// 用额外数据丰富 (enrich with extra data): time.Now().Unix(), the wall clock.
auto enrichStage = patterns::Map([](std::string data) {
  return fmt::Sprintf("enriched:%v:timestamp:%d", data, time::Now().Unix());
});

void processDataPipeline() {
  patterns::Flow flow;  // under context::Background()
  auto input = make_chan<std::string>();

  // 设置管道 (set up the pipeline)
  auto output = patterns::Pipeline(flow, input, parseStage, validateStage, enrichStage);

  // 提供数据 (feed the data)
  go([input] {
    for (int i = 0; i < 10; i++) input.send(fmt::Sprintf("data-%d", i));
    close(input);
  });

  // 消费结果 (consume the results)
  for (const std::string& result : output) fmt::Printf("最终结果: %v\n", result);

  if (error err = flow.Wait()) fmt::Printf("管道错误: %v\n", err);
}

}  // namespace

int main() {
  gofer::run(processDataPipeline);
  return 0;
}
