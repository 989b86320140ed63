// rate_limiter.cpp — the Rate Limiter example of the seed article
// (shared/seeds/000_93dc988236682126.txt, 'Go并发模式：7种让代码坚不可摧的策略',
// section 5): a token bucket of 10 requests a second with bursts of 5, and
// 20 API calls that each wait for a token with a one-second timeout.
//
//   limiter := NewRateLimiter(10, 5)
//   defer limiter.Stop()
//   for i := 0; i < 20; i++ {
//       ctx, cancel := context.WithTimeout(context.Background(), time.Second)
//       if err := limiter.Wait(ctx); err != nil { ...; cancel(); continue }
//       cancel()
//       fmt.Printf("进行 API 调用 %d\n", i)
//       time.Sleep(time.Millisecond * 10)
//   }
//
// The first 5 calls go at once (the burst), the other 15 one per tick
// (100 ms): about 1.5 s in all. Then the same budget on the x/time/rate
// style limiter (rate.hpp), which needs no background fiber: the burst is
// allowed, the rest refused, and a reservation says how long to wait.
#include <chrono>
#include <cstdint>
#include <gofer/fmt.hpp>
#include <gofer/gofer.hpp>
#include <gofer/patterns/rate.hpp>
#include <gofer/patterns/rate_limiter.hpp>

using namespace gofer;

namespace {

// callAPIWithRateLimit: the article's usage example.
void callAPIWithRateLimit() {
  auto limiter = patterns::NewRateLimiter(10, 5);  // 10 requests a second, bursts of 5
  GOFER_DEFER(limiter->Stop());

  for (int i = 0; i < 20; i++) {
    auto [ctx, cancel] = context::WithTimeout(context::Background(), time::Second);

    if (error err = limiter->Wait(ctx); err != nil) {
      fmt::Printf("速率限制: %v\n", err);
      cancel();
      continue;
    }
    cancel();

    // The API call goes here.
    fmt::Printf("进行 API 调用 %d\n", i);
    time::Sleep(time::Millisecond * 10);  // stands for the call
  }
}

// lazyLimiter: the same budget on rate::Limiter.
void lazyLimiter() {
  namespace rate = patterns::rate;
  auto lim = rate::NewLimiter(10, 5);
  int allowed = 0;
  for (int i = 0; i < 20; i++)
    if (lim->Allow()) allowed++;
  fmt::Printf("rate.Limiter: 20 次 Allow 放行 %d 次 (突发 5)\n", allowed);
  rate::Reservation r = lim->Reserve();
  fmt::Printf("下一次预约需等待 %v\n", std::chrono::round<std::chrono::milliseconds>(r.Delay()));
  r.Cancel();  // not needed after all: the token goes back
  const time::Time t0 = time::Now();
  if (error err = lim->Wait(context::Background()); err != nil) fmt::Printf("速率限制: %v\n", err);
  fmt::Printf("Wait 等待了 %v\n", std::chrono::round<std::chrono::milliseconds>(time::Since(t0)));
}

}  // namespace

int main() {
  gofer::run([] {
    const time::Time start = time::Now();
    callAPIWithRateLimit();
    using tenths = std::chrono::duration<std::int64_t, std::deci>;
    fmt::Printf("20 次调用用时约 %v\n", std::chrono::round<tenths>(time::Since(start)));
    lazyLimiter();
  });
  return 0;
}
