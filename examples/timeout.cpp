// timeout.cpp — the Timeout example of the seed article
// (shared/seeds/000_93dc988236682126.txt, 'Go并发模式：7种让代码坚不可摧的策略',
// section 6, fetchUserWithTimeout), on gofer::patterns::WithTimeout.
//
//   func fetchUserWithTimeout(userID string) (*User, error) {
//       return WithTimeout(context.Background(), 5*time.Second, func() (*User, error) {
//           return fetchUserFromDatabase(userID)
//       })
//   }
//
// The article has no main and prints nothing; this one calls
// fetchUserWithTimeout twice, with the article's durations scaled down by
// ten so that it finishes in well under a second: a 200 ms database call
// under a 500 ms timeout (the article: 2 s under 5 s) returns the user, and
// the same call under a 100 ms timeout returns context deadline exceeded
// while the late call goes on in its own fiber (abandoned when main
// returns, as a Go program's goroutines are). The lambda captures userID by
// value: fn outlives the call after a timeout (the capture rule).
//
// Output:
//   用户: John Doe (ID 42)
//   获取用户失败: context deadline exceeded
#include <gofer/fmt.hpp>
#include <gofer/gofer.hpp>
#include <gofer/patterns/timeout.hpp>
#include <memory>
#include <string>

using namespace gofer;

namespace {

struct User {
  std::string ID;
  std::string Name;
};
using UserPtr = std::shared_ptr<User>;  // Go's *User

std::pair<UserPtr, error> fetchUserFromDatabase(const std::string& userID) {
  // 模拟慢数据库调用 (simulate a slow database call)
  time::Sleep(200 * time::Millisecond);
  return {std::make_shared<User>(User{userID, "John Doe"}), nil};
}

std::pair<UserPtr, error> fetchUserWithTimeout(const std::string& userID, time::Duration timeout) {
  return patterns::WithTimeout(context::Background(), timeout, [userID]() {
    // 这可能很慢 (this may be slow)
    return fetchUserFromDatabase(userID);
  });
}

void run_main() {
  if (auto [user, err] = fetchUserWithTimeout("42", 500 * time::Millisecond); err != nil) {
    fmt::Printf("获取用户失败: %v\n", err);
  } else {
    fmt::Printf("用户: %s (ID %s)\n", user->Name, user->ID);
  }
  if (auto [user, err] = fetchUserWithTimeout("43", 100 * time::Millisecond); err != nil) {
    fmt::Printf("获取用户失败: %v\n", err);
  } else {
    fmt::Printf("用户: %s (ID %s)\n", user->Name, user->ID);
  }
}

}  // namespace

int main() {
  gofer::run(run_main);
  return 0;
}
