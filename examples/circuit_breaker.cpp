// circuit_breaker.cpp — the Circuit Breaker example of the seed article
// (shared/seeds/000_93dc988236682126.txt, 'Go并发模式：7种让代码坚不可摧的策略',
// section 3), then the same breaker against a failing dependency, so that
// every state change shows:
//
//   cb := NewCircuitBreaker(3, 30*time.Second)
//   err := cb.Call(func() error { ...; return nil })
//   if err != nil { fmt.Printf("API 调用失败: %v\n", err) }
//
// Part 2 uses gobreaker's Settings form (a short Timeout so the demo runs in
// well under a second, and OnStateChange to print the transitions): three
// failures open the breaker, calls then fail fast without touching the
// dependency, the trial call after the timeout fails and reopens it, a later
// trial succeeds and closes it; while one trial is in flight, a second
// caller is turned away with ErrTooManyRequests (the article would have let
// both through).
#include <atomic>
#include <gofer/fmt.hpp>
#include <gofer/gofer.hpp>
#include <gofer/patterns/circuit_breaker.hpp>
#include <string>

using namespace gofer;

namespace {

// callExternalAPI: the article's usage example.
void callExternalAPI() {
  auto cb = patterns::NewCircuitBreaker(3, 30 * time::Second);

  error err = cb->Call([]() -> error {
    // The external call goes here (the article sketches an http.Get that
    // returns an error for a transport failure or a 5xx status).
    return nil;
  });

  if (err != nil) {
    fmt::Printf("API 调用失败: %v\n", err);
    // Fall back to cached data or another service.
  }
}

// flaky_api: a dependency that fails while down, optionally slowly.
struct flaky_api {
  std::atomic<bool> down{true};
  std::atomic<int> calls{0};
  time::Duration latency{0};
  const error errServer = errors::New("服务器错误");

  error operator()() {
    calls++;
    time::Sleep(latency);
    return down ? errServer : nil;
  }
};

void failingDependency() {
  const time::Duration resetTime = 150 * time::Millisecond;
  flaky_api api;
  auto cb = patterns::NewCircuitBreaker(patterns::Settings{
      .Name = "flaky-api",
      .Timeout = resetTime,
      .ReadyToTrip = [](const patterns::Counts& c) { return c.ConsecutiveFailures >= 3; },
      .OnStateChange =
          [](const std::string& name, patterns::State from, patterns::State to) {
            fmt::Printf("熔断器 %s: %v -> %v\n", name, from, to);
          },
  });

  std::atomic<int> n{0};
  auto call = [&] {
    const int me = ++n;
    if (error err = cb->Call(api); err != nil) {
      fmt::Printf("调用 %d: API 调用失败: %v\n", me, err);
    } else {
      fmt::Printf("调用 %d: 成功\n", me);
    }
  };

  for (int i = 0; i < 5; i++) call();  // 3 failures trip it; 2 fail fast
  fmt::Printf("依赖被调用 %d 次; 状态: %v\n", api.calls.load(), cb->State());

  time::Sleep(resetTime + 20 * time::Millisecond);
  call();  // the trial call: the dependency is still down

  time::Sleep(resetTime + 20 * time::Millisecond);
  api.down = false;  // the dependency recovers, but answers slowly
  api.latency = 50 * time::Millisecond;
  auto trialDone = make_chan<empty>();
  go([&] {
    call();  // the one trial call half-open admits
    close(trialDone);
  });
  while (api.calls.load() < 5) time::Sleep(time::Millisecond);  // the trial is in flight
  call();  // a second caller meanwhile: ErrTooManyRequests
  trialDone.recv();
  call();
  const patterns::Counts c = cb->Counts();
  fmt::Printf("最终状态: %v; 依赖被调用 %d 次; 本轮计数: 请求 %d, 成功 %d\n", cb->State(),
              api.calls.load(), c.Requests, c.TotalSuccesses);
}

}  // namespace

int main() {
  gofer::run([] {
    fmt::Println("== callExternalAPI ==");
    callExternalAPI();
    fmt::Println("== 依赖故障时的状态变化 ==");
    failingDependency();
  });
  return 0;
}
