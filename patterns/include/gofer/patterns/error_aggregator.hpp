// gofer/patterns/error_aggregator.hpp — the Error Aggregation pattern of the
// seed article (shared/seeds/000_93dc988236682126.txt, 'Go并发模式：7种让代码坚
// 不可摧的策略', section 7): ErrorAggregator with Add, HasErrors, Error and
// Errors, safe for concurrent use.
//
//   var errAgg ErrorAggregator              patterns::ErrorAggregator errAgg;
//   errAgg.Add(fmt.Errorf("处理 %s 失败: %w", item, err))
//                                           errAgg.Add(fmt::Errorf("处理 %s 失败: %w", item, err));
//   if errAgg.HasErrors() {                 if (errAgg.HasErrors()) return errAgg.Error();
//       return errAgg.Error() }
//
// What changed from the article, and why (docs/patterns.md):
//   - The article's Error() returns errors.New(strings.Join(messages, "; ")):
//     a new error that only has the text, so errors.Is(err, ErrBadData) and
//     errors.As(err, &target) no longer find the causes, and the %w wrapping
//     done by the caller is lost. Here Error() returns an AggregateError,
//     which keeps the article's message ("a; b; c") but implements the
//     multi-error Unwrap (error_interface::UnwrapMulti, Go 1.20's
//     `Unwrap() []error`, the interface errors.Join's result has), so
//     errors::Is/As walk every cause. ErrorAggregator::Join() gives Go
//     1.20's errors.Join of the same causes (messages separated by newlines)
//     for callers that want Go's own format.
//   - The drawback "需要存储所有错误信息，内存消耗较大" is addressed by an
//     optional limit: ErrorAggregator(limit) keeps the first `limit` errors
//     and only counts the others (Len, Dropped; the message says how many
//     were dropped). The default, as the article's, keeps every error.
//   - Errors() returns a copy, as the article's does; Error() is a snapshot:
//     later Adds do not change an error already returned (errors are
//     immutable values).
//
// Thread safety: every method may be called from any fiber or plain thread
// at once. Lock order: mu_ is a leaf (nothing else is locked under it; the
// error values are immutable and only copied under it).
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "gofer/errors.hpp"
#include "gofer/sync/mutex.hpp"

namespace gofer::patterns {

// AggregateError is what ErrorAggregator::Error returns: the errors in the
// order they were added (none nil), and how many more were dropped by a
// limit. Error() is their messages joined by "; " (the article's format),
// followed by "; (and N more errors)" when some were dropped. UnwrapMulti
// returns them, so errors::Is/As see every kept cause; errors::As to
// `const AggregateError*` gives the list back.
class AggregateError final : public error_interface {
 public:
  explicit AggregateError(std::vector<error> errs, std::size_t dropped = 0)
      : errs_(std::move(errs)), dropped_(dropped) {}

  std::string Error() const override {
    std::string s;
    for (const error& e : errs_) {
      if (!s.empty()) s += "; ";
      s += e.Error();
    }
    if (dropped_ != 0) {
      if (!s.empty()) s += "; ";
      s += "(and " + std::to_string(dropped_) + (dropped_ == 1 ? " more error)" : " more errors)");
    }
    return s;
  }
  std::vector<error> UnwrapMulti() const override { return errs_; }

  // Errors: the kept errors, in the order they were added.
  const std::vector<error>& Errors() const noexcept { return errs_; }
  // Dropped: errors counted but not kept (beyond the aggregator's limit).
  std::size_t Dropped() const noexcept { return dropped_; }

 private:
  std::vector<error> errs_;
  std::size_t dropped_;
};

// ErrorAggregator: the article's ErrorAggregator. The zero value (default
// constructor) is ready to use and keeps every error.
class ErrorAggregator {
 public:
  ErrorAggregator() = default;
  // ErrorAggregator(limit): keeps at most limit errors (the first ones);
  // later ones are counted (Len, Dropped) but not stored.
  explicit ErrorAggregator(std::size_t limit) : limit_(limit) {}
  ErrorAggregator(const ErrorAggregator&) = delete;  // holds a Mutex, as Go's
  ErrorAggregator& operator=(const ErrorAggregator&) = delete;

  // Add records err; a nil err is ignored.
  void Add(error err) {
    if (!err) return;
    std::lock_guard<sync::Mutex> lk(mu_);
    if (errors_.size() < limit_)
      errors_.push_back(std::move(err));
    else
      dropped_++;
  }

  // HasErrors reports whether any non-nil error was added.
  bool HasErrors() const {
    std::lock_guard<sync::Mutex> lk(mu_);
    return !errors_.empty() || dropped_ != 0;
  }

  // Error: nil if no error was added, else an AggregateError of the errors
  // added so far (a snapshot).
  error Error() const {
    std::lock_guard<sync::Mutex> lk(mu_);
    if (errors_.empty() && dropped_ == 0) return nil;
    return make_error<AggregateError>(errors_, dropped_);
  }

  // Errors: a copy of the kept errors, in the order they were added.
  std::vector<error> Errors() const {
    std::lock_guard<sync::Mutex> lk(mu_);
    return errors_;
  }

  // Join: errors::Join of the kept errors (Go 1.20's format: the messages
  // separated by newlines); nil if none.
  error Join() const { return errors::Join(Errors()); }

  // Len: the number of non-nil errors added, kept or dropped.
  std::size_t Len() const {
    std::lock_guard<sync::Mutex> lk(mu_);
    return errors_.size() + dropped_;
  }

  // Dropped: the number of errors not kept because of the limit.
  std::size_t Dropped() const {
    std::lock_guard<sync::Mutex> lk(mu_);
    return dropped_;
  }

 private:
  mutable sync::Mutex mu_;
  std::size_t limit_ = static_cast<std::size_t>(-1);  // immutable after construction
  std::vector<error> errors_;                          // Guarded by mu_.
  std::size_t dropped_ = 0;                            // Guarded by mu_.
};

}  // namespace gofer::patterns
