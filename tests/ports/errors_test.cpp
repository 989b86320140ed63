// Port of Go's src/errors/errors_test.go and wrap_test.go (go1.19), and of
// join_test.go (go1.20, where errors.Join and multi-error Unwrap arrived).
//
// Differences, forced by C++ or by gofer's error type:
//   - Every gofer error is held by pointer, so the wrap_test.go cases that
//     contrast a value errorUncomparable{} with a pointer &errorUncomparable{}
//     collapse into one: identity plus the type's Is method.
//   - Go's errors.As also calls an error's own As(any) method (the poser
//     cases); gofer's As matches by dynamic type (dynamic_cast), including
//     cross-casts to interface classes (the Timeout() cases), and has no
//     As-method hook. TestAs keeps every case that does not need it.
//   - A bad As target (Go: TestAsValidation panics at run time) is a compile
//     error; only the null target remains a run-time panic.
//   - fs.PathError / os.Open are replaced by a local path_error type that,
//     like *fs.PathError, wraps a cause and has a Timeout method.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gofer/errors.hpp"
#include "gofer/panic.hpp"

namespace {

using gofer::error;
using gofer::error_interface;
using gofer::make_error;
using gofer::nil;
namespace errors = gofer::errors;

// wrapped: Go's wrapped{msg, err}.
struct wrapped : error_interface {
  wrapped(std::string m, error e) : msg(std::move(m)), err(std::move(e)) {}
  std::string Error() const override { return msg; }
  error Unwrap() const override { return err; }
  std::string msg;
  error err;
};

// poser: Go's poser (the Is half; see the file comment for As).
struct poser : error_interface {
  poser(std::string m, std::function<bool(const error&)> fn) : msg(std::move(m)), f(std::move(fn)) {}
  std::string Error() const override { return msg; }
  bool Is(const error& err) const override { return f(err); }
  std::string msg;
  std::function<bool(const error&)> f;
};

// errorUncomparable: matches any target of its own type through Is.
struct error_uncomparable : error_interface {
  std::vector<std::string> f;
  std::string Error() const override { return "uncomparable error"; }
  bool Is(const error& target) const override {
    return dynamic_cast<const error_uncomparable*>(target.get()) != nullptr;
  }
};

// errorT: Go's errorT{s}.
struct error_t : error_interface {
  explicit error_t(std::string v) : s(std::move(v)) {}
  std::string Error() const override { return "errorT(" + s + ")"; }
  std::string s;
};

// timeouter: Go's interface{ Timeout() bool }, an interface that As can
// cross-cast to.
struct timeouter {
  virtual ~timeouter() = default;
  virtual bool Timeout() const = 0;
};

// path_error stands in for *fs.PathError.
struct path_error : error_interface, timeouter {
  path_error(std::string o, std::string p, error e) : op(std::move(o)), path(std::move(p)), err(std::move(e)) {}
  std::string Error() const override { return op + " " + path + ": " + err.Error(); }
  error Unwrap() const override { return err; }
  bool Timeout() const override { return false; }
  std::string op, path;
  error err;
};

TEST(Errors, TestNewEqual) {
  // Different allocations should not be equal.
  EXPECT_FALSE(errors::New("abc") == errors::New("abc"));
  EXPECT_FALSE(errors::New("abc") == errors::New("xyz"));
  // Same allocation should be equal to itself (not crash).
  error err = errors::New("jkl");
  EXPECT_TRUE(err == err);
  error copy = err;
  EXPECT_TRUE(copy == err) << "a copy of an error is the same error";
}

TEST(Errors, TestErrorMethod) {
  error err = errors::New("abc");
  EXPECT_EQ(err.Error(), "abc");
}

TEST(Errors, NilErrorIsFalsyAndEqualsNil) {
  error err;
  EXPECT_FALSE(err);
  EXPECT_TRUE(err == nil);
  EXPECT_TRUE(err == nullptr);
  error e2 = nil;
  EXPECT_TRUE(e2 == err);
  EXPECT_TRUE(errors::New("x") != nil);
  EXPECT_TRUE(error(std::shared_ptr<const error_interface>{}) == nil)
      << "adopting a null pointer gives nil";
}

TEST(Errors, ErrorOnNilPanicsLikeANilDereference) {
  error err;
  try {
    (void)err.Error();
    FAIL() << "Error() on a nil error did not panic";
  } catch (const gofer::panic_error& e) {
    EXPECT_STREQ(e.what(), "runtime error: invalid memory address or nil pointer dereference");
  }
}

TEST(Errors, StreamsItsMessageOrNil) {
  std::ostringstream os;
  os << errors::New("boom") << "|" << error{};
  EXPECT_EQ(os.str(), "boom|<nil>");
}

TEST(Errors, TestIs) {
  error err1 = errors::New("1");
  error erra = make_error<wrapped>("wrap 2", err1);
  error errb = make_error<wrapped>("wrap 3", erra);
  error err3 = errors::New("3");
  error poser_err = make_error<poser>("either 1 or 3", [&](const error& err) { return err == err1 || err == err3; });
  error uncomparable = make_error<error_uncomparable>();
  error uncomparable2 = make_error<error_uncomparable>();

  struct tc {
    error err, target;
    bool match;
  };
  const std::vector<tc> cases = {
      {nil, nil, true},
      {err1, nil, false},
      {err1, err1, true},
      {erra, err1, true},
      {errb, err1, true},
      {err1, err3, false},
      {erra, err3, false},
      {errb, err3, false},
      {poser_err, err1, true},
      {poser_err, err3, true},
      {poser_err, erra, false},
      {poser_err, errb, false},
      {uncomparable, uncomparable2, true},
      {uncomparable, uncomparable, true},
      {uncomparable, err1, false},
      {nil, err1, false},
  };
  for (std::size_t i = 0; i < cases.size(); i++) {
    const tc& c = cases[i];
    EXPECT_EQ(errors::Is(c.err, c.target), c.match) << "case " << i << ": Is(" << c.err << ", " << c.target << ")";
  }
}

TEST(Errors, TestAs) {
  error err_f = make_error<path_error>("open", "non-existing", errors::New("no such file or directory"));
  error poser_err = make_error<poser>("oh no", nullptr);

  {  // nil, &errP: no match
    const path_error* errp = nullptr;
    EXPECT_FALSE(errors::As(error{}, &errp));
    EXPECT_EQ(errp, nullptr);
  }
  {  // wrapped{"pitied the fool", errorT{"T"}}, &errT: errorT{"T"}
    const error_t* errt = nullptr;
    error err = make_error<wrapped>("pitied the fool", make_error<error_t>("T"));  // outlives errt's uses
    ASSERT_TRUE(errors::As(err, &errt));
    EXPECT_EQ(errt->s, "T");
  }
  {  // errF, &errP: errF
    const path_error* errp = nullptr;
    ASSERT_TRUE(errors::As(err_f, &errp));
    EXPECT_EQ(errp, err_f.get());
  }
  {  // errorT{}, &errP: no match, target untouched
    const path_error* errp = nullptr;
    EXPECT_FALSE(errors::As(make_error<error_t>(""), &errp));
    EXPECT_EQ(errp, nullptr);
  }
  {  // wrapped{"wrapped", nil}, &errT: no match
    const error_t* errt = nullptr;
    EXPECT_FALSE(errors::As(make_error<wrapped>("wrapped", nil), &errt));
  }
  {  // poserErr, &p: poserErr (by type here, not by the As method)
    const poser* p = nullptr;
    ASSERT_TRUE(errors::As(poser_err, &p));
    EXPECT_EQ(p, poser_err.get());
  }
  {  // errors.New("err"), &timeout: no match
    const timeouter* timeout = nullptr;
    EXPECT_FALSE(errors::As(errors::New("err"), &timeout));
  }
  {  // errF, &timeout: errF (cross-cast to the interface)
    const timeouter* timeout = nullptr;
    ASSERT_TRUE(errors::As(err_f, &timeout));
    EXPECT_EQ(timeout, dynamic_cast<const timeouter*>(err_f.get()));
  }
  {  // wrapped{"path error", errF}, &timeout: errF
    const timeouter* timeout = nullptr;
    ASSERT_TRUE(errors::As(make_error<wrapped>("path error", err_f), &timeout));
    EXPECT_EQ(timeout, dynamic_cast<const timeouter*>(err_f.get()));
  }
}

TEST(Errors, AsIntoASharedPtrSharesOwnership) {
  std::shared_ptr<const path_error> sp;
  {
    error err = make_error<wrapped>("outer", make_error<path_error>("read", "f", errors::New("eof")));
    ASSERT_TRUE(errors::As(err, &sp));
  }  // every error handle is gone: sp alone keeps the value alive
  ASSERT_NE(sp, nullptr);
  EXPECT_EQ(sp->Error(), "read f: eof");
}

TEST(Errors, AsFindsTheFirstMatchInPreOrder) {
  error inner = make_error<error_t>("inner");
  error outer = make_error<wrapped>("outer", make_error<error_t>("outer"));
  const error_t* t = nullptr;
  ASSERT_TRUE(errors::As(errors::Join(outer, inner), &t));
  EXPECT_EQ(t->s, "outer");
}

// TestAsValidation: the bad targets of Go's test do not compile here; a null
// target is the one left to check at run time.
TEST(Errors, TestAsValidation) {
  const error_t** null_target = nullptr;
  try {
    (void)errors::As(errors::New("error"), null_target);
    FAIL() << "As with a null target did not panic";
  } catch (const gofer::panic_error& e) {
    EXPECT_STREQ(e.what(), "errors: target must be a non-nil pointer");
  }
}

TEST(Errors, TestUnwrap) {
  error err1 = errors::New("1");
  error erra = make_error<wrapped>("wrap 2", err1);
  struct tc {
    error err, want;
  };
  const std::vector<tc> cases = {
      {nil, nil},
      {make_error<wrapped>("wrapped", nil), nil},
      {err1, nil},
      {erra, err1},
      {make_error<wrapped>("wrap 3", erra), erra},
  };
  for (std::size_t i = 0; i < cases.size(); i++) {
    EXPECT_TRUE(errors::Unwrap(cases[i].err) == cases[i].want) << "case " << i;
  }
}

// join_test.go (go1.20).
TEST(Errors, TestJoinReturnsNil) {
  EXPECT_TRUE(errors::Join() == nil);
  EXPECT_TRUE(errors::Join(nil) == nil);
  EXPECT_TRUE(errors::Join(nil, nil) == nil);
  EXPECT_TRUE(errors::Join(std::vector<error>{}) == nil);
}

TEST(Errors, TestJoin) {
  error err1 = errors::New("err1");
  error err2 = errors::New("err2");
  struct tc {
    std::vector<error> errs, want;
  };
  const std::vector<tc> cases = {
      {{err1}, {err1}},
      {{err1, err2}, {err1, err2}},
      {{err1, nil, err2}, {err1, err2}},
  };
  for (std::size_t i = 0; i < cases.size(); i++) {
    error got = errors::Join(cases[i].errs);
    ASSERT_TRUE(got) << "case " << i;
    EXPECT_EQ(got.get()->UnwrapMulti(), cases[i].want) << "case " << i;
    EXPECT_TRUE(errors::Unwrap(got) == nil) << "errors.Unwrap does not see through Join, as in Go";
  }
}

TEST(Errors, TestJoinErrorMethod) {
  error err1 = errors::New("err1");
  error err2 = errors::New("err2");
  EXPECT_EQ(errors::Join(err1).Error(), "err1");
  EXPECT_EQ(errors::Join(err1, err2).Error(), "err1\nerr2");
  EXPECT_EQ(errors::Join(err1, nil, err2).Error(), "err1\nerr2");
}

TEST(Errors, IsAndAsSeeThroughJoinsAndWrapsNestedInEachOther) {
  error base = errors::New("base");
  error typed = make_error<error_t>("deep");
  error tree = make_error<wrapped>(
      "top", errors::Join(errors::New("a"), make_error<wrapped>("mid", errors::Join(base, typed))));
  EXPECT_TRUE(errors::Is(tree, base));
  EXPECT_FALSE(errors::Is(tree, errors::New("base")));
  const error_t* t = nullptr;
  ASSERT_TRUE(errors::As(tree, &t));
  EXPECT_EQ(t->s, "deep");
}

}  // namespace
