// gofer/errors.hpp — Go's `error` interface as a C++ value type, and package
// errors (New, Is, As, Unwrap, Join).
//
// Mirrors Go's builtin `error` and src/errors (errors.go, wrap.go, join.go;
// Join and the multi-error Unwrap are Go 1.20's).
//
//   error err = errors::New("boom");         // var err = errors.New("boom")
//   if (err != nil) return err;               // if err != nil { return err }
//   if (errors::Is(err, context::Canceled))   // errors.Is(err, context.Canceled)
//   const MyErr* me = nullptr;
//   if (errors::As(err, &me)) use(me->Code);  // var me *MyErr; errors.As(err, &me)
//
// An `error` is a nullable handle to an immutable error value (a
// shared_ptr<const error_interface>): copying it is cheap and shares the
// value, a default-made `error` is nil. Two errors compare equal when they
// hold the same value object — Go's == on interfaces holding pointers, which
// is what errors.New and every wrapping error are. A type that wants value
// equality (as Go's syscall.Errno has) overrides Is.
//
// User-defined errors derive from error_interface and override Error();
// they may override Unwrap (one cause), UnwrapMulti (several, like Join) and
// Is (custom matching), the same optional methods Go's errors package looks
// for. Make them with make_error<T>(args...).
//
// Thread safety: error values are immutable once made; an `error` may be
// copied and read from any fiber or thread at once (shared_ptr's atomic
// reference count).
#pragma once

#include <cstddef>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace gofer {

class error;

// nil, for code that reads like Go: `return nil;`, `if (err != nil)`.
inline constexpr std::nullptr_t nil = nullptr;

// error_interface is Go's `error` interface plus the optional methods the
// errors package calls. Derive from it for your own error types.
class error_interface {
 public:
  virtual ~error_interface() = default;
  // Error is the message (Go's Error() string).
  virtual std::string Error() const = 0;
  // Unwrap is the one error this one wraps, or nil (Go's Unwrap() error).
  virtual error Unwrap() const;
  // UnwrapMulti is the errors this one wraps when it wraps several (Go's
  // Unwrap() []error, as errors.Join's and fmt.Errorf's with several %w).
  // errors::Unwrap does not look at it, as in Go.
  virtual std::vector<error> UnwrapMulti() const;
  // Is reports whether this error matches target beyond identity (Go's
  // optional Is(error) bool method). Default: no.
  virtual bool Is(const error& target) const;
};

// error is Go's `error`: nil or a shared, immutable error value.
class error {
 public:
  error() noexcept = default;
  error(std::nullptr_t) noexcept {}  // NOLINT: implicit, as Go's nil is
  // Adopts an error value; a null pointer gives nil.
  explicit error(std::shared_ptr<const error_interface> v) noexcept : v_(std::move(v)) {}

  explicit operator bool() const noexcept { return v_ != nullptr; }

  // Error is the message. Calling it on nil is Go's nil dereference: it
  // throws panic_error("runtime error: invalid memory address or nil
  // pointer dereference").
  std::string Error() const;

  // get is the error value, or nullptr for nil.
  const error_interface* get() const noexcept { return v_.get(); }
  const std::shared_ptr<const error_interface>& shared() const noexcept { return v_; }

  friend bool operator==(const error& a, const error& b) noexcept { return a.v_ == b.v_; }
  friend bool operator==(const error& a, std::nullptr_t) noexcept { return a.v_ == nullptr; }

  // Prints Error(), or "<nil>" as fmt.Print does for a nil error.
  friend std::ostream& operator<<(std::ostream& os, const error& e);

 private:
  std::shared_ptr<const error_interface> v_;
};

// make_error makes an error holding a new T(args...).
template <class T, class... Args>
error make_error(Args&&... args) {
  static_assert(std::is_base_of_v<error_interface, T>, "make_error<T>: T must derive from gofer::error_interface");
  return error(std::make_shared<const T>(std::forward<Args>(args)...));
}

namespace errors {

// New returns an error whose message is text. Each call makes a distinct
// error: two News with the same text are not equal (as in Go).
error New(std::string text);

// Unwrap returns err's Unwrap(), or nil. Like Go, it does not unwrap
// errors that wrap several (Join): use Is/As for those.
error Unwrap(const error& err);

// Is reports whether any error in err's tree matches target: equal to it,
// or its Is method says so. The tree is walked depth first through Unwrap
// and UnwrapMulti (Go 1.20's errors.Is). Is(nil, nil) is true.
bool Is(const error& err, const error& target);

// Join returns an error wrapping the given errors, nil ones dropped; nil if
// all are nil. Its message is the messages joined by newlines.
error Join(std::vector<error> errs);
template <class... E>
  requires(std::is_convertible_v<E, error> && ...)
error Join(E&&... errs) {
  return Join(std::vector<error>{error(std::forward<E>(errs))...});
}

namespace detail {
// walk calls visit(e) on every non-nil error of err's tree, depth first, and
// stops (returning true) at the first for which visit returns true.
bool walk(const error& err, bool (*visit)(const error& e, void* arg), void* arg);
[[noreturn]] void throw_bad_as_target();

template <class T>
struct as_target {
  static constexpr bool ok = false;
};
template <class E>
struct as_target<const E*> {
  static constexpr bool ok = std::is_class_v<E>;
  using elem = E;
  static void set(const E** t, const E* found, const error&) { *t = found; }
};
template <class E>
struct as_target<std::shared_ptr<const E>> {
  static constexpr bool ok = std::is_class_v<E>;
  using elem = E;
  static void set(std::shared_ptr<const E>* t, const E* found, const error& holder) {
    *t = std::shared_ptr<const E>(holder.shared(), found);  // aliasing: shares ownership
  }
};
}  // namespace detail

// As finds the first error in err's tree (same walk as Is) whose value is a
// E (dynamic_cast, so E may be a base class or another interface), stores it
// in *target and returns true; else returns false and leaves *target alone.
//
//   const MyErr* p = nullptr;             errors::As(err, &p)   // borrowed:
//     valid while err (or a copy) lives
//   std::shared_ptr<const MyErr> sp;      errors::As(err, &sp)  // shares ownership
//
// A null target throws panic_error("errors: target must be a non-nil
// pointer"), Go's message; a target of another type does not compile.
template <class T>
bool As(const error& err, T* target) {
  using tr = detail::as_target<T>;
  static_assert(tr::ok,
                "errors::As: target must be a `const E**` or a `std::shared_ptr<const E>*` "
                "for a class type E");
  if (target == nullptr) detail::throw_bad_as_target();
  struct ctx {
    T* target;
  } c{target};
  return detail::walk(
      err,
      [](const error& e, void* arg) {
        auto* cx = static_cast<ctx*>(arg);
        if (auto* found = dynamic_cast<const typename tr::elem*>(e.get())) {
          tr::set(cx->target, found, e);
          return true;
        }
        return false;
      },
      &c);
}

}  // namespace errors
}  // namespace gofer
