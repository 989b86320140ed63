// tests/patterns/error_aggregator_test.cpp — patterns::ErrorAggregator and
// AggregateError (gofer/patterns/error_aggregator.hpp): the zero value, nil
// ignored, the article's "; " message, errors::Is/As through the aggregate
// to every cause, Errors() a copy and Error() a snapshot, the limit, Join's
// Go format, and many fibers adding (and reading) at once.
#include "gofer/patterns/error_aggregator.hpp"

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "fixture.hpp"
#include "gofer/fmt.hpp"
#include "gofer/gofer.hpp"

namespace {

using gofer::error;
using gofer::nil;
namespace errors = gofer::errors;
namespace fmt = gofer::fmt;
namespace patterns = gofer::patterns;
namespace runtime = gofer::runtime;

class ErrorAggregatorTest : public gofer_test::RuntimeTest {};
GOFER_INSTANTIATE_WORKER_COUNTS(ErrorAggregatorTest);

// ItemError is a user error type with data, found through the aggregate by
// errors::As.
class ItemError final : public gofer::error_interface {
 public:
  explicit ItemError(int item) : item_(item) {}
  std::string Error() const override { return "bad item " + std::to_string(item_); }
  int Item() const { return item_; }

 private:
  int item_;
};

TEST_P(ErrorAggregatorTest, ZeroValueAndNil) {
  run([] {
    patterns::ErrorAggregator agg;
    EXPECT_FALSE(agg.HasErrors());
    EXPECT_EQ(agg.Error(), nil);
    EXPECT_TRUE(agg.Errors().empty());
    EXPECT_EQ(agg.Join(), nil);
    agg.Add(nil);
    agg.Add(error());
    EXPECT_FALSE(agg.HasErrors()) << "nil errors are ignored";
    EXPECT_EQ(agg.Len(), 0u);
    EXPECT_EQ(agg.Error(), nil);
  });
}

// The article's message format, and the causes still reachable.
TEST_P(ErrorAggregatorTest, MessageAndCauses) {
  run([] {
    const error errBadData = errors::New("项目包含坏数据");
    const error errTimeout = errors::New("timeout");
    patterns::ErrorAggregator agg;
    agg.Add(fmt::Errorf("处理 %s 失败: %w", "item-bad-1", errBadData));
    agg.Add(gofer::make_error<ItemError>(7));
    agg.Add(errTimeout);
    ASSERT_TRUE(agg.HasErrors());
    const error err = agg.Error();
    ASSERT_NE(err, nil);
    EXPECT_EQ(err.Error(), "处理 item-bad-1 失败: 项目包含坏数据; bad item 7; timeout");
    EXPECT_EQ(fmt::Sprintf("%v", err), err.Error());

    EXPECT_TRUE(errors::Is(err, errBadData)) << "through the %w wrapper";
    EXPECT_TRUE(errors::Is(err, errTimeout));
    EXPECT_FALSE(errors::Is(err, errors::New("timeout"))) << "identity, as in Go";
    const ItemError* ie = nullptr;
    ASSERT_TRUE(errors::As(err, &ie));
    EXPECT_EQ(ie->Item(), 7);
    const patterns::AggregateError* ae = nullptr;
    ASSERT_TRUE(errors::As(err, &ae));
    EXPECT_EQ(ae->Errors().size(), 3u);
    EXPECT_EQ(ae->Dropped(), 0u);
    EXPECT_EQ(errors::Unwrap(err), nil) << "a multi-error has no single Unwrap, as errors.Join's";

    // Go 1.20's format through Join, same causes.
    const error joined = agg.Join();
    EXPECT_EQ(joined.Error(), "处理 item-bad-1 失败: 项目包含坏数据\nbad item 7\ntimeout");
    EXPECT_TRUE(errors::Is(joined, errBadData));

    // An aggregate inside an aggregate is still searched.
    patterns::ErrorAggregator outer;
    outer.Add(fmt::Errorf("batch 2: %w", err));
    EXPECT_TRUE(errors::Is(outer.Error(), errTimeout));
    EXPECT_EQ(outer.Error().Error(), "batch 2: " + err.Error());
  });
}

TEST_P(ErrorAggregatorTest, ErrorsIsACopyAndErrorASnapshot) {
  run([] {
    patterns::ErrorAggregator agg;
    const error a = errors::New("a");
    agg.Add(a);
    std::vector<error> copy = agg.Errors();
    const error snap = agg.Error();
    copy.push_back(errors::New("x"));
    copy[0] = nil;
    agg.Add(errors::New("b"));
    EXPECT_EQ(agg.Errors().size(), 2u);
    EXPECT_EQ(agg.Errors()[0], a);
    EXPECT_EQ(snap.Error(), "a") << "an error already returned does not change";
    EXPECT_EQ(agg.Error().Error(), "a; b");
  });
}

TEST_P(ErrorAggregatorTest, LimitKeepsTheFirstAndCountsTheRest) {
  run([] {
    patterns::ErrorAggregator agg(2);
    const error first = errors::New("first");
    const error dropped = errors::New("dropped");
    agg.Add(first);
    agg.Add(errors::New("second"));
    agg.Add(dropped);
    agg.Add(errors::New("also dropped"));
    EXPECT_EQ(agg.Len(), 4u);
    EXPECT_EQ(agg.Dropped(), 2u);
    EXPECT_EQ(agg.Errors().size(), 2u);
    EXPECT_EQ(agg.Error().Error(), "first; second; (and 2 more errors)");
    EXPECT_TRUE(errors::Is(agg.Error(), first));
    EXPECT_FALSE(errors::Is(agg.Error(), dropped)) << "a dropped error is not kept";

    patterns::ErrorAggregator none(0);
    none.Add(errors::New("x"));
    EXPECT_TRUE(none.HasErrors());
    EXPECT_EQ(none.Error().Error(), "(and 1 more error)");
  });
}

// Many fibers add at once (and others read meanwhile): every error is kept
// exactly once and every cause is found through the aggregate.
TEST_P(ErrorAggregatorTest, ConcurrentAddsAndReads) {
  run([] {
    const int fibers = 16;
    const int per = static_cast<int>(gofer_test::scaled(500, 100));
    std::vector<error> sentinels;
    for (int f = 0; f < fibers; f++)
      sentinels.push_back(errors::New(fmt::Sprintf("sentinel %d", f)));
    patterns::ErrorAggregator agg;
    gofer::sync::WaitGroup wg;
    std::atomic<bool> stop{false};
    std::atomic<int> reads{0};
    wg.Add(1);
    gofer::go([&] {  // a reader racing the writers (at least one read, even
                     // if the writers all finish before it first runs)
      do {
        if (agg.HasErrors()) {
          const error e = agg.Error();
          if (e == nil || agg.Errors().empty()) ADD_FAILURE() << "HasErrors but no error";
        }
        (void)agg.Len();
        reads.fetch_add(1);
        runtime::Gosched();
      } while (!stop.load());
      wg.Done();
    });
    gofer::sync::WaitGroup writers;
    for (int f = 0; f < fibers; f++) {
      writers.Add(1);
      gofer::go([&, f] {
        for (int i = 0; i < per; i++) {
          if (i % 3 == 0) agg.Add(nil);
          if (i == 0)
            agg.Add(fmt::Errorf("fiber %d: %w", f, sentinels[static_cast<std::size_t>(f)]));
          else
            agg.Add(gofer::make_error<ItemError>(f * per + i));
          if (i % 50 == 0) runtime::Gosched();
        }
        writers.Done();
      });
    }
    writers.Wait();
    stop.store(true);
    wg.Wait();
    EXPECT_GT(reads.load(), 0);
    ASSERT_EQ(agg.Len(), static_cast<std::size_t>(fibers * per));
    const error err = agg.Error();
    for (const error& s : sentinels) EXPECT_TRUE(errors::Is(err, s));
    std::vector<int> seen(static_cast<std::size_t>(fibers * per), 0);
    for (const error& e : agg.Errors()) {
      const ItemError* ie = nullptr;
      if (errors::As(e, &ie)) seen[static_cast<std::size_t>(ie->Item())]++;
    }
    for (int f = 0; f < fibers; f++)
      for (int i = 1; i < per; i++) ASSERT_EQ(seen[static_cast<std::size_t>(f * per + i)], 1);
    const ItemError* any = nullptr;
    EXPECT_TRUE(errors::As(err, &any));
  });
}

// The article's processItemsConcurrently, with item captured by value.
error processItem(const std::string& item, const error& errBad) {
  if (item.find("bad") != std::string::npos) return errBad;
  return nil;
}

TEST_P(ErrorAggregatorTest, ArticleProcessItemsConcurrently) {
  run([] {
    const error errBad = errors::New("项目包含坏数据");
    std::vector<std::string> items;
    for (int i = 0; i < 50; i++) items.push_back(fmt::Sprintf(i % 10 == 3 ? "bad-%d" : "ok-%d", i));
    gofer::sync::WaitGroup wg;
    patterns::ErrorAggregator errAgg;
    for (const std::string& item : items) {
      wg.Add(1);
      gofer::go([&wg, &errAgg, &errBad, item] {
        if (error err = processItem(item, errBad))
          errAgg.Add(fmt::Errorf("处理 %s 失败: %w", item, err));
        wg.Done();
      });
    }
    wg.Wait();
    ASSERT_TRUE(errAgg.HasErrors());
    const error err = errAgg.Error();
    EXPECT_TRUE(errors::Is(err, errBad));
    std::vector<std::string> msgs;
    for (const error& e : errAgg.Errors()) msgs.push_back(e.Error());
    std::sort(msgs.begin(), msgs.end());
    EXPECT_EQ(msgs, (std::vector<std::string>{
                        "处理 bad-13 失败: 项目包含坏数据", "处理 bad-23 失败: 项目包含坏数据",
                        "处理 bad-3 失败: 项目包含坏数据", "处理 bad-33 失败: 项目包含坏数据",
                        "处理 bad-43 失败: 项目包含坏数据"}));
  });
}

}  // namespace
