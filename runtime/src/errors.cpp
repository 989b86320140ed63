// errors.cpp — Go's src/errors (errors.go, wrap.go, join.go of Go 1.20)
// over gofer::error.
#include "gofer/errors.hpp"

#include <utility>

#include "gofer/panic.hpp"

namespace gofer {

error error_interface::Unwrap() const { return nil; }
std::vector<error> error_interface::UnwrapMulti() const { return {}; }
bool error_interface::Is(const error&) const { return false; }

std::string error::Error() const {
  if (!v_) gofer::detail::throw_panic("runtime error: invalid memory address or nil pointer dereference");
  return v_->Error();
}

std::ostream& operator<<(std::ostream& os, const error& e) {
  if (!e) return os << "<nil>";
  return os << e.get()->Error();
}

namespace errors {
namespace {

// errorString: Go's *errorString.
class error_string final : public error_interface {
 public:
  explicit error_string(std::string s) : s_(std::move(s)) {}
  std::string Error() const override { return s_; }

 private:
  std::string s_;
};

// join_error: Go's *joinError. errs holds no nil.
class join_error final : public error_interface {
 public:
  explicit join_error(std::vector<error> errs) : errs_(std::move(errs)) {}
  std::string Error() const override {
    std::string s;
    for (std::size_t i = 0; i < errs_.size(); i++) {
      if (i) s += '\n';
      s += errs_[i].Error();
    }
    return s;
  }
  std::vector<error> UnwrapMulti() const override { return errs_; }

 private:
  std::vector<error> errs_;
};

}  // namespace

error New(std::string text) { return make_error<error_string>(std::move(text)); }

error Unwrap(const error& err) {
  if (!err) return nil;
  return err.get()->Unwrap();
}

namespace detail {

// walk: the traversal of Go's errors.is / errors.as. Iterates down Unwrap
// chains and recurses into UnwrapMulti lists.
bool walk(const error& start, bool (*visit)(const error&, void*), void* arg) {
  error err = start;
  while (err) {
    if (visit(err, arg)) return true;
    if (error next = err.get()->Unwrap()) {
      err = std::move(next);
      continue;
    }
    for (const error& e : err.get()->UnwrapMulti()) {
      if (walk(e, visit, arg)) return true;
    }
    return false;
  }
  return false;
}

void throw_bad_as_target() { gofer::detail::throw_panic("errors: target must be a non-nil pointer"); }

}  // namespace detail

bool Is(const error& err, const error& target) {
  if (!err || !target) return err == target;
  return detail::walk(
      err,
      [](const error& e, void* arg) {
        const error& t = *static_cast<const error*>(arg);
        return e == t || e.get()->Is(t);
      },
      const_cast<error*>(&target));
}

error Join(std::vector<error> errs) {
  std::erase_if(errs, [](const error& e) { return !e; });
  if (errs.empty()) return nil;
  return make_error<join_error>(std::move(errs));
}

}  // namespace errors
}  // namespace gofer
