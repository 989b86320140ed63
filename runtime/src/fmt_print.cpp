// fmt_print.cpp — Go's fmt/print.go and fmt/errors.go: verb dispatch over
// operands, doPrintf/doPrint/doPrintln, Errorf with %w, and the output of
// Printf and friends.
//
// Port of go1.19 src/fmt/print.go and errors.go, with Go 1.20's Errorf (any
// number of %w; several make a *fmt.wrapErrors). Go's `pp` is `printer`, its
// reflection is replaced by the operand's kind and type_ops (see
// gofer/detail/fmt_operand.hpp). Differences from Go, all where reflection
// would be needed:
//   - A value with neither a basic kind nor String()/Error() support (a
//     class printed through operator<<) prints its text even inside
//     %!verb(...); Go would print the struct's fields.
//   - An error given to a verb it does not accept prints %!d(TYPE=message),
//     except errors.New's, which prints Go's &{%!d(string=message)}.
//   - Pointers print their address, never &{...} of the pointee.
//   - %#v prints Go syntax for basic values, slices, maps and pairs; for a
//     nil element (a nil error in a vector) it prints <nil>.
//
// Invariants: a printer lives on one call's stack; arg_ points to the
// operand being printed (Go's p.arg/p.value) and is only read by bad_verb
// during that operand's printing.
#include <cxxabi.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <ostream>
#include <streambuf>
#include <typeinfo>

#include "fmt_impl.hpp"

namespace gofer::fmt::detail {

// ---- hooks used by the header's templates -----------------------------------

void append_demangled(std::string& out, const std::type_info& t) {
  int status = 0;
  char* name = abi::__cxa_demangle(t.name(), nullptr, nullptr, &status);
  if (status == 0 && name != nullptr) {
    out += name;
  } else {
    out += t.name();
  }
  std::free(name);
}

namespace {

// string_sink: a streambuf appending to a std::string, for operator<<.
class string_sink final : public std::streambuf {
 public:
  explicit string_sink(std::string& out) : out_(out) {}

 protected:
  int_type overflow(int_type c) override {
    if (!traits_type::eq_int_type(c, traits_type::eof())) out_.push_back(traits_type::to_char_type(c));
    return traits_type::not_eof(c);
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    out_.append(s, static_cast<std::size_t>(n));
    return n;
  }

 private:
  std::string& out_;
};

// Go's time.fmtFrac: the fraction of v/10^prec (".12345", no trailing
// zeros, nothing when it is 0) written backwards ending at buf[w].
int fmt_frac(char* buf, int w, std::uint64_t& v, int prec) {
  bool print = false;
  for (int i = 0; i < prec; i++) {
    const auto digit = static_cast<char>(v % 10);
    print = print || digit != 0;
    if (print) buf[--w] = static_cast<char>('0' + digit);
    v /= 10;
  }
  if (print) buf[--w] = '.';
  return w;
}

// Go's time.fmtInt: v written backwards ending at buf[w].
int fmt_int(char* buf, int w, std::uint64_t v) {
  if (v == 0) {
    buf[--w] = '0';
  } else {
    while (v > 0) {
      buf[--w] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
  }
  return w;
}

}  // namespace

void stream_into(std::string& out, const void* obj, void (*write)(std::ostream&, const void*)) {
  string_sink sb(out);
  std::ostream os(&sb);
  write(os, obj);
}

// append_duration is a port of Go's time.Duration.String (time/time.go).
void append_duration(std::string& out, std::int64_t d) {
  // Largest time is 2540400h10m10.000000000s.
  char buf[32];
  int w = sizeof buf;
  std::uint64_t u = static_cast<std::uint64_t>(d);
  const bool neg = d < 0;
  if (neg) u = -u;
  constexpr std::uint64_t kSecond = 1000000000;
  if (u < kSecond) {
    // Smaller than a second: smaller units, like 1.2ms.
    int prec;
    buf[--w] = 's';
    --w;
    if (u == 0) {
      out += "0s";
      return;
    } else if (u < 1000) {
      prec = 0;  // nanoseconds
      buf[w] = 'n';
    } else if (u < 1000000) {
      prec = 3;  // microseconds: U+00B5 'µ' is 0xC2 0xB5
      buf[w] = static_cast<char>(0xB5);
      buf[--w] = static_cast<char>(0xC2);
    } else {
      prec = 6;  // milliseconds
      buf[w] = 'm';
    }
    w = fmt_frac(buf, w, u, prec);
    w = fmt_int(buf, w, u);
  } else {
    buf[--w] = 's';
    w = fmt_frac(buf, w, u, 9);
    w = fmt_int(buf, w, u % 60);  // u is now integer seconds
    u /= 60;
    if (u > 0) {  // integer minutes
      buf[--w] = 'm';
      w = fmt_int(buf, w, u % 60);
      u /= 60;
      if (u > 0) {  // integer hours; stop there: days differ in length
        buf[--w] = 'h';
        w = fmt_int(buf, w, u);
      }
    }
  }
  if (neg) buf[--w] = '-';
  out.append(buf + w, sizeof buf - static_cast<std::size_t>(w));
}

namespace {

constexpr std::string_view kNilAngle = "<nil>";
constexpr std::string_view kPercentBang = "%!";

// wrap_error is Go's *fmt.wrapError: Errorf with one %w.
class wrap_error final : public error_interface {
 public:
  wrap_error(std::string msg, error err) : msg_(std::move(msg)), err_(std::move(err)) {}
  std::string Error() const override { return msg_; }
  error Unwrap() const override { return err_; }

 private:
  std::string msg_;
  error err_;
};

// wrap_errors is Go 1.20's *fmt.wrapErrors: Errorf with several %w.
class wrap_errors final : public error_interface {
 public:
  wrap_errors(std::string msg, std::vector<error> errs) : msg_(std::move(msg)), errs_(std::move(errs)) {}
  std::string Error() const override { return msg_; }
  std::vector<error> UnwrapMulti() const override { return errs_; }

 private:
  std::string msg_;
  std::vector<error> errs_;
};

// The dynamic types of errors.New's and errors.Join's values (private to
// errors.cpp), found once from sample values.
const std::type_info& error_string_type() {
  static const std::type_info& t = typeid(*errors::New("").get());
  return t;
}
const std::type_info& join_error_type() {
  static const std::type_info& t = typeid(*errors::Join(errors::New("")).get());
  return t;
}

bool is_error_string(const operand& a) {
  return a.k == kind::error && typeid(*a.v.err) == error_string_type();
}

// tooLarge: widths and precisions are limited to ±1e6.
bool too_large(std::int64_t x) { return x > 1000000 || x < -1000000; }

struct parsed_num {
  int num;
  bool isnum;
  std::size_t newi;
};

// parsenum converts ASCII digits at s[start:end] to an int.
parsed_num parsenum(std::string_view s, std::size_t start, std::size_t end) {
  if (start >= end) return {0, false, end};
  parsed_num r{0, false, start};
  for (; r.newi < end && s[r.newi] >= '0' && s[r.newi] <= '9'; r.newi++) {
    if (too_large(r.num)) return {0, false, end};  // overflow; crazy long number most likely
    r.num = r.num * 10 + (s[r.newi] - '0');
    r.isnum = true;
  }
  return r;
}

class printer {
 public:
  printer() { fmt_.buf = &buf_; }

  void do_printf(std::string_view format, const operand* a, std::size_t n);
  void do_print(const operand* a, std::size_t n);
  void do_println(const operand* a, std::size_t n);

  buffer buf_;
  bool wrap_errs_ = false;             // Errorf: %w may wrap
  std::vector<std::size_t> wrapped_;   // operand indexes of the %w verbs
  bool reordered_ = false;             // the format used [n] indexes

 private:
  friend class container_sink;

  void print_arg(const operand& a, char32_t verb);
  void print_value(const operand& a, char32_t verb, int depth);
  bool handle_methods(const operand& a, char32_t verb);
  void fallback(const operand& a, char32_t verb, int depth);
  void bad_verb(char32_t verb);
  void type_string(const operand& a, std::string& out) const;
  void fmt_bool(bool v, char32_t verb);
  void fmt_0x64(std::uint64_t v, bool leading0x);
  void fmt_integer(std::uint64_t v, bool is_signed, char32_t verb);
  void fmt_float(double v, int size, char32_t verb);
  void fmt_complex(double re, double im, int size, char32_t verb);
  void fmt_string(std::string_view v, char32_t verb);
  void fmt_bytes(std::string_view v, char32_t verb);
  void fmt_pointer(const operand& a, char32_t verb);
  void print_container(const operand& a, char32_t verb, int depth);
  void write_panic(char32_t verb, std::string_view method, std::string_view what);

  struct arg_num {
    std::size_t num;
    std::size_t i;
    bool found;
  };
  arg_num arg_number(std::size_t argnum, std::string_view format, std::size_t i, std::size_t n);

  formatter fmt_;
  const operand* arg_ = nullptr;
  bool good_arg_num_ = true;
  bool erroring_ = false;  // printing %!verb(...): String/Error are not called
};

// container_sink prints the elements of a slice, array, map or pair.
class container_sink final : public elem_sink {
 public:
  container_sink(printer& p, kind k, char32_t verb, int depth) : p_(p), k_(k), verb_(verb), depth_(depth) {}

  void elem(const operand& v) override {
    sep();
    if (k_ == kind::pair && (p_.fmt_.f.plus_v || p_.fmt_.f.sharp_v))
      p_.buf_.write(i_ == 1 ? "first:" : "second:");
    p_.print_value(v, verb_, depth_ + 1);
  }
  void entry(const operand& key, const operand& value) override {
    sep();
    p_.print_value(key, verb_, depth_ + 1);
    p_.buf_.write_byte(':');
    p_.print_value(value, verb_, depth_ + 1);
  }

 private:
  void sep() {
    if (i_++ > 0) p_.buf_.write(p_.fmt_.f.sharp_v ? ", " : " ");
  }

  printer& p_;
  kind k_;
  char32_t verb_;
  int depth_;
  int i_ = 0;
};

void printer::type_string(const operand& a, std::string& out) const {
  if (a.k == kind::nil) {
    out += kNilAngle;
  } else if (a.k == kind::error) {
    const std::type_info& t = typeid(*a.v.err);
    if (t == error_string_type())
      out += "*errors.errorString";
    else if (t == join_error_type())
      out += "*errors.joinError";
    else if (t == typeid(wrap_error))
      out += "*fmt.wrapError";
    else if (t == typeid(wrap_errors))
      out += "*fmt.wrapErrors";
    else
      append_demangled(out, t);
  } else {
    a.ops->name(out);
  }
}

void printer::bad_verb(char32_t verb) {
  erroring_ = true;
  buf_.write(kPercentBang);
  buf_.write_rune(verb);
  buf_.write_byte('(');
  if (arg_ != nullptr && arg_->k != kind::nil) {
    const operand* a = arg_;
    std::string t;
    type_string(*a, t);
    buf_.write(t);
    buf_.write_byte('=');
    print_arg(*a, 'v');
  } else {
    buf_.write(kNilAngle);
  }
  buf_.write_byte(')');
  erroring_ = false;
}

void printer::fmt_bool(bool v, char32_t verb) {
  if (verb == 't' || verb == 'v')
    fmt_.fmt_boolean(v);
  else
    bad_verb(verb);
}

// fmt_0x64 formats v in hexadecimal, with or without a 0x prefix.
void printer::fmt_0x64(std::uint64_t v, bool leading0x) {
  const bool sharp = fmt_.f.sharp;
  fmt_.f.sharp = leading0x;
  fmt_.fmt_integer(v, 16, false, 'v', kLowerDigits);
  fmt_.f.sharp = sharp;
}

void printer::fmt_integer(std::uint64_t v, bool is_signed, char32_t verb) {
  switch (verb) {
    case 'v':
      if (fmt_.f.sharp_v && !is_signed)
        fmt_0x64(v, true);
      else
        fmt_.fmt_integer(v, 10, is_signed, verb, kLowerDigits);
      break;
    case 'd': fmt_.fmt_integer(v, 10, is_signed, verb, kLowerDigits); break;
    case 'b': fmt_.fmt_integer(v, 2, is_signed, verb, kLowerDigits); break;
    case 'o':
    case 'O': fmt_.fmt_integer(v, 8, is_signed, verb, kLowerDigits); break;
    case 'x': fmt_.fmt_integer(v, 16, is_signed, verb, kLowerDigits); break;
    case 'X': fmt_.fmt_integer(v, 16, is_signed, verb, kUpperDigits); break;
    case 'c': fmt_.fmt_c(v); break;
    case 'q': fmt_.fmt_qc(v); break;
    case 'U': fmt_.fmt_unicode(v); break;
    default: bad_verb(verb); break;
  }
}

void printer::fmt_float(double v, int size, char32_t verb) {
  switch (verb) {
    case 'v': fmt_.fmt_float(v, size, 'g', -1); break;
    case 'b':
    case 'g':
    case 'G':
    case 'x':
    case 'X': fmt_.fmt_float(v, size, verb, -1); break;
    case 'f':
    case 'e':
    case 'E': fmt_.fmt_float(v, size, verb, 6); break;
    case 'F': fmt_.fmt_float(v, size, 'f', 6); break;
    default: bad_verb(verb); break;
  }
}

void printer::fmt_complex(double re, double im, int size, char32_t verb) {
  switch (verb) {
    case 'v': case 'b': case 'g': case 'G': case 'x': case 'X': case 'f': case 'F': case 'e': case 'E': {
      const bool old_plus = fmt_.f.plus;
      buf_.write_byte('(');
      fmt_float(re, size / 2, verb);
      fmt_.f.plus = true;  // the imaginary part always has a sign
      fmt_float(im, size / 2, verb);
      buf_.write("i)");
      fmt_.f.plus = old_plus;
      break;
    }
    default: bad_verb(verb); break;
  }
}

void printer::fmt_string(std::string_view v, char32_t verb) {
  switch (verb) {
    case 'v':
      if (fmt_.f.sharp_v)
        fmt_.fmt_q(v);
      else
        fmt_.fmt_s(v);
      break;
    case 's': fmt_.fmt_s(v); break;
    case 'x': fmt_.fmt_sx(v, kLowerDigits); break;
    case 'X': fmt_.fmt_sx(v, kUpperDigits); break;
    case 'q': fmt_.fmt_q(v); break;
    default: bad_verb(verb); break;
  }
}

// fmt_bytes prints a []byte for the verbs that treat it as a string.
void printer::fmt_bytes(std::string_view v, char32_t verb) {
  switch (verb) {
    case 's': fmt_.fmt_s(v); break;
    case 'x': fmt_.fmt_sx(v, kLowerDigits); break;
    case 'X': fmt_.fmt_sx(v, kUpperDigits); break;
    default: fmt_.fmt_q(v); break;  // 'q'
  }
}

void printer::fmt_pointer(const operand& a, char32_t verb) {
  std::uint64_t u;
  switch (a.k) {
    case kind::pointer:
    case kind::slice:
    case kind::map: u = reinterpret_cast<std::uintptr_t>(a.v.ptr); break;
    default: bad_verb(verb); return;
  }
  switch (verb) {
    case 'v':
      if (fmt_.f.sharp_v) {
        buf_.write_byte('(');
        std::string t;
        type_string(a, t);
        buf_.write(t);
        buf_.write(")(");
        if (u == 0)
          buf_.write("nil");
        else
          fmt_0x64(u, true);
        buf_.write_byte(')');
      } else if (u == 0) {
        fmt_.pad(kNilAngle);
      } else {
        fmt_0x64(u, !fmt_.f.sharp);
      }
      break;
    case 'p': fmt_0x64(u, !fmt_.f.sharp); break;
    case 'b':
    case 'o':
    case 'd':
    case 'x':
    case 'X': fmt_integer(u, false, verb); break;
    default: bad_verb(verb); break;
  }
}

void printer::write_panic(char32_t verb, std::string_view method, std::string_view what) {
  // Go's catchPanic: "%!v(PANIC=String method: what)", with default flags.
  const fmt_flags old = fmt_.f;
  fmt_.f = fmt_flags{};
  buf_.write(kPercentBang);
  buf_.write_rune(verb);
  buf_.write("(PANIC=");
  buf_.write(method);
  buf_.write(" method: ");
  buf_.write(what);
  buf_.write_byte(')');
  fmt_.f = old;
}

// handle_methods is Go's handleMethods: %w checking, then Error() or
// String() for the verbs that accept a string.
bool printer::handle_methods(const operand& a, char32_t verb) {
  if (erroring_) return false;
  if (verb == 'w') {
    // %w is only valid in Errorf, with an error operand.
    if (a.k != kind::error || !wrap_errs_) {
      bad_verb(verb);
      return true;
    }
    verb = 'v';
  }
  if (fmt_.f.sharp_v) return false;  // no GoStringer in C++
  switch (verb) {
    case 'v':
    case 's':
    case 'x':
    case 'X':
    case 'q': break;
    default: return false;
  }
  const bool is_err = a.k == kind::error;
  std::string text;
  try {
    if (is_err)
      text = a.v.err->Error();
    else
      a.ops->str(a, text);
  } catch (const std::exception& e) {
    write_panic(verb, is_err ? "Error" : "String", e.what());
    return true;
  } catch (...) {
    write_panic(verb, is_err ? "Error" : "String", "unknown exception");
    return true;
  }
  fmt_string(text, verb);
  return true;
}

void printer::print_arg(const operand& a, char32_t verb) {
  arg_ = &a;
  if (a.k == kind::nil) {
    if (verb == 'T' || verb == 'v')
      fmt_.pad(kNilAngle);
    else
      bad_verb(verb);
    return;
  }
  // %T (the value's type) and %p (its address) come first.
  if (verb == 'T') {
    std::string t;
    type_string(a, t);
    fmt_.fmt_s(t);
    return;
  }
  if (verb == 'p') {
    fmt_pointer(a, 'p');
    return;
  }
  if ((a.k == kind::error || a.ops->str != nullptr) && handle_methods(a, verb)) return;
  print_value(a, verb, 0);
}

void printer::print_value(const operand& a, char32_t verb, int depth) {
  if (depth > 0 && (a.k == kind::error || (a.ops != nullptr && a.ops->str != nullptr)) &&
      handle_methods(a, verb))
    return;
  arg_ = &a;
  switch (a.k) {
    case kind::nil:  // a nil interface inside a container
      buf_.write(kNilAngle);
      break;
    case kind::boolean: fmt_bool(a.v.b, verb); break;
    case kind::sint: fmt_integer(static_cast<std::uint64_t>(a.v.i), true, verb); break;
    case kind::uint: fmt_integer(a.v.u, false, verb); break;
    case kind::floating: fmt_float(a.v.f, a.size, verb); break;
    case kind::complex: fmt_complex(a.v.c[0], a.v.c[1], a.size, verb); break;
    case kind::string: fmt_string(std::string_view(a.v.s.p, a.v.s.n), verb); break;
    case kind::pointer: fmt_pointer(a, verb); break;
    case kind::slice:
    case kind::array:
    case kind::map:
    case kind::pair: print_container(a, verb, depth); break;
    case kind::error:
    case kind::opaque: fallback(a, verb, depth); break;
  }
}

// fallback prints an error or opaque value whose methods did not apply.
void printer::fallback(const operand& a, char32_t verb, int depth) {
  std::string text;
  try {
    if (a.k == kind::error)
      text = a.v.err->Error();
    else
      a.ops->str(a, text);
  } catch (...) {
    text = "?";
  }
  if (is_error_string(a)) {  // Go prints the *errorString struct: &{s}
    if (fmt_.f.sharp_v) {
      buf_.write("&errors.errorString{s:");
      fmt_.fmt_q(text);
      buf_.write_byte('}');
      return;
    }
    operand s = make_operand(text);
    buf_.write("&{");
    print_value(s, verb, depth + 1);
    buf_.write_byte('}');
    return;
  }
  if (erroring_ || (verb == 'v' && fmt_.f.sharp_v)) {
    buf_.write(text);
    return;
  }
  bad_verb(verb);
}

void printer::print_container(const operand& a, char32_t verb, int depth) {
  const bool sharp_v = fmt_.f.sharp_v;
  if (a.k == kind::slice || a.k == kind::array) {
    // Byte slices and arrays are strings for %s %q %x %X.
    if (a.ops->bytes != nullptr && (verb == 's' || verb == 'q' || verb == 'x' || verb == 'X')) {
      fmt_bytes(a.ops->bytes(a.obj), verb);
      return;
    }
  }
  std::string t;
  if (sharp_v) {
    type_string(a, t);
    buf_.write(t);
  }
  container_sink sink(*this, a.k, verb, depth);
  switch (a.k) {
    case kind::map:
      buf_.write(sharp_v ? "{" : "map[");
      a.ops->elems(a.obj, sink);
      buf_.write_byte(sharp_v ? '}' : ']');
      break;
    case kind::pair:
      buf_.write_byte('{');
      a.ops->elems(a.obj, sink);
      buf_.write_byte('}');
      break;
    default:
      buf_.write_byte(sharp_v ? '{' : '[');
      a.ops->elems(a.obj, sink);
      buf_.write_byte(sharp_v ? '}' : ']');
      break;
  }
}

struct int_arg {
  int num;
  bool is_int;
  std::size_t new_arg_num;
};

// int_from_arg is Go's intFromArg: a[argnum] as a * width or precision.
int_arg int_from_arg(const operand* a, std::size_t n, std::size_t argnum) {
  int_arg r{0, false, argnum};
  if (argnum < n) {
    const operand& op = a[argnum];
    std::int64_t num = 0;
    if (op.k == kind::sint) {
      num = op.v.i;
      r.is_int = true;
    } else if (op.k == kind::uint && op.v.u <= static_cast<std::uint64_t>(INT64_MAX)) {
      num = static_cast<std::int64_t>(op.v.u);
      r.is_int = true;
    }
    r.new_arg_num = argnum + 1;
    if (too_large(num)) {
      num = 0;
      r.is_int = false;
    }
    r.num = static_cast<int>(num);
  }
  return r;
}

struct arg_index {
  int index;
  std::size_t wid;
  bool ok;
};

// parse_arg_number parses "[n]" at the start of format: n-1, the bytes to
// consume (1 if there is no closing bracket) and whether it parsed.
arg_index parse_arg_number(std::string_view format) {
  if (format.size() < 3) return {0, 1, false};  // at least [n]
  for (std::size_t i = 1; i < format.size(); i++) {
    if (format[i] == ']') {
      const parsed_num w = parsenum(format, 1, i);
      if (!w.isnum || w.newi != i) return {0, i + 1, false};
      return {w.num - 1, i + 1, true};  // argument numbers are one-indexed
    }
  }
  return {0, 1, false};
}

printer::arg_num printer::arg_number(std::size_t argnum, std::string_view format, std::size_t i,
                                     std::size_t n) {
  if (format.size() <= i || format[i] != '[') return {argnum, i, false};
  reordered_ = true;
  const arg_index r = parse_arg_number(format.substr(i));
  if (r.ok && r.index >= 0 && static_cast<std::size_t>(r.index) < n)
    return {static_cast<std::size_t>(r.index), i + r.wid, true};
  good_arg_num_ = false;
  return {argnum, i + r.wid, r.ok};
}

void printer::do_printf(std::string_view format, const operand* a, std::size_t n) {
  const std::size_t end = format.size();
  std::size_t argnum = 0;    // one operand per non-trivial verb
  bool after_index = false;  // the previous item was an index like [3]
  reordered_ = false;
  std::size_t i = 0;
  while (i < end) {
    good_arg_num_ = true;
    const std::size_t lasti = i;
    while (i < end && format[i] != '%') i++;
    if (i > lasti) buf_.write(format.substr(lasti, i - lasti));
    if (i >= end) break;  // done
    i++;                  // skip %

    // Flags, and the fast path for a simple lower-case verb.
    fmt_.clearflags();
    bool simple_done = false;
    for (; i < end; i++) {
      const char c = format[i];
      if (c == '#') {
        fmt_.f.sharp = true;
      } else if (c == '0') {
        fmt_.f.zero = !fmt_.f.minus;  // only pad with zeros on the left
      } else if (c == '+') {
        fmt_.f.plus = true;
      } else if (c == '-') {
        fmt_.f.minus = true;
        fmt_.f.zero = false;
      } else if (c == ' ') {
        fmt_.f.space = true;
      } else {
        if (c >= 'a' && c <= 'z' && argnum < n) {
          if (c == 'w') wrapped_.push_back(argnum);
          if (c == 'v' || c == 'w') {
            fmt_.f.sharp_v = fmt_.f.sharp;  // Go syntax
            fmt_.f.sharp = false;
            fmt_.f.plus_v = fmt_.f.plus;  // struct-field syntax
            fmt_.f.plus = false;
          }
          print_arg(a[argnum], static_cast<char32_t>(c));
          argnum++;
          i++;
          simple_done = true;
        }
        break;  // more complex than flags and a verb, or malformed
      }
    }
    if (simple_done) continue;

    // An explicit argument index?
    arg_num an = arg_number(argnum, format, i, n);
    argnum = an.num;
    i = an.i;
    after_index = an.found;

    // Width?
    if (i < end && format[i] == '*') {
      i++;
      const int_arg w = int_from_arg(a, n, argnum);
      fmt_.wid = w.num;
      fmt_.f.wid_present = w.is_int;
      argnum = w.new_arg_num;
      if (!fmt_.f.wid_present) buf_.write("%!(BADWIDTH)");
      // A negative width means the minus flag.
      if (fmt_.wid < 0) {
        fmt_.wid = -fmt_.wid;
        fmt_.f.minus = true;
        fmt_.f.zero = false;
      }
      after_index = false;
    } else {
      const parsed_num w = parsenum(format, i, end);
      fmt_.wid = w.num;
      fmt_.f.wid_present = w.isnum;
      i = w.newi;
      if (after_index && fmt_.f.wid_present) good_arg_num_ = false;  // "%[3]2d"
    }

    // Precision?
    if (i + 1 < end && format[i] == '.') {
      i++;
      if (after_index) good_arg_num_ = false;  // "%[3].2d"
      an = arg_number(argnum, format, i, n);
      argnum = an.num;
      i = an.i;
      after_index = an.found;
      if (i < end && format[i] == '*') {
        i++;
        const int_arg p = int_from_arg(a, n, argnum);
        fmt_.prec = p.num;
        fmt_.f.prec_present = p.is_int;
        argnum = p.new_arg_num;
        if (fmt_.prec < 0) {  // a negative precision makes no sense
          fmt_.prec = 0;
          fmt_.f.prec_present = false;
        }
        if (!fmt_.f.prec_present) buf_.write("%!(BADPREC)");
        after_index = false;
      } else {
        const parsed_num p = parsenum(format, i, end);
        fmt_.prec = p.num;
        fmt_.f.prec_present = p.isnum;
        i = p.newi;
        if (!fmt_.f.prec_present) {
          fmt_.prec = 0;
          fmt_.f.prec_present = true;
        }
      }
    }

    if (!after_index) {
      an = arg_number(argnum, format, i, n);
      argnum = an.num;
      i = an.i;
      after_index = an.found;
    }

    if (i >= end) {
      buf_.write("%!(NOVERB)");
      break;
    }

    char32_t verb = static_cast<unsigned char>(format[i]);
    std::size_t size = 1;
    if (verb >= kRuneSelf) {
      const decoded_rune d = decode_rune(format.substr(i));
      verb = d.r;
      size = static_cast<std::size_t>(d.size);
    }
    i += size;

    if (verb == '%') {  // consumes no operand; ignores width and precision
      buf_.write_byte('%');
    } else if (!good_arg_num_) {
      buf_.write(kPercentBang);
      buf_.write_rune(verb);
      buf_.write("(BADINDEX)");
    } else if (argnum >= n) {  // no operand left for this verb
      buf_.write(kPercentBang);
      buf_.write_rune(verb);
      buf_.write("(MISSING)");
    } else {
      if (verb == 'w') wrapped_.push_back(argnum);
      if (verb == 'v' || verb == 'w') {
        fmt_.f.sharp_v = fmt_.f.sharp;
        fmt_.f.sharp = false;
        fmt_.f.plus_v = fmt_.f.plus;
        fmt_.f.plus = false;
      }
      print_arg(a[argnum], verb);
      argnum++;
    }
  }

  // Extra operands, unless the format reordered them (then it is too
  // expensive to tell, and arguably fine).
  if (!reordered_ && argnum < n) {
    fmt_.clearflags();
    buf_.write("%!(EXTRA ");
    for (std::size_t k = argnum; k < n; k++) {
      if (k > argnum) buf_.write(", ");
      if (a[k].k == kind::nil) {
        buf_.write(kNilAngle);
      } else {
        std::string t;
        type_string(a[k], t);
        buf_.write(t);
        buf_.write_byte('=');
        print_arg(a[k], 'v');
      }
    }
    buf_.write_byte(')');
  }
}

// do_print adds a space between two operands when neither is a string.
void printer::do_print(const operand* a, std::size_t n) {
  bool prev_string = false;
  for (std::size_t k = 0; k < n; k++) {
    const bool is_string = a[k].k == kind::string;
    if (k > 0 && !is_string && !prev_string) buf_.write_byte(' ');
    fmt_.clearflags();
    print_arg(a[k], 'v');
    prev_string = is_string;
  }
}

// do_println always adds spaces between operands, and a newline.
void printer::do_println(const operand* a, std::size_t n) {
  for (std::size_t k = 0; k < n; k++) {
    if (k > 0) buf_.write_byte(' ');
    fmt_.clearflags();
    print_arg(a[k], 'v');
  }
  buf_.write_byte('\n');
}

void run(printer& p, mode m, std::string_view format, const operand* a, std::size_t n) {
  switch (m) {
    case mode::printf: p.do_printf(format, a, n); break;
    case mode::print: p.do_print(a, n); break;
    case mode::println: p.do_println(a, n); break;
  }
}

}  // namespace

std::string format(mode m, std::string_view format, const operand* a, std::size_t n) {
  printer p;
  run(p, m, format, a, n);
  return std::string(p.buf_.view());
}

std::pair<int, error> write_stdout(mode m, std::string_view format, const operand* a, std::size_t n) {
  printer p;
  run(p, m, format, a, n);
  // Keep order with C stdio (and std::cout, synced with it): flush first.
  std::fflush(stdout);
  std::string_view out = p.buf_.view();
  std::size_t written = 0;
  while (written < out.size()) {
    const ssize_t w = ::write(STDOUT_FILENO, out.data() + written, out.size() - written);
    if (w < 0) {
      if (errno == EINTR) continue;
      const int e = errno;
      return {static_cast<int>(written), errors::New(std::string("write /dev/stdout: ") + std::strerror(e))};
    }
    written += static_cast<std::size_t>(w);
  }
  return {static_cast<int>(written), nil};
}

std::pair<int, error> write_stream(std::ostream& w, mode m, std::string_view format, const operand* a,
                                   std::size_t n) {
  printer p;
  run(p, m, format, a, n);
  std::string_view out = p.buf_.view();
  w.write(out.data(), static_cast<std::streamsize>(out.size()));
  if (!w) return {0, errors::New("fmt: write to std::ostream failed")};
  return {static_cast<int>(out.size()), nil};
}

error errorf(std::string_view format, const operand* a, std::size_t n) {
  printer p;
  p.wrap_errs_ = true;
  p.do_printf(format, a, n);
  std::string s(p.buf_.view());
  const auto as_error = [&](std::size_t k) -> error {
    const operand& op = a[k];
    if (op.k != kind::error || op.ops->as_error == nullptr) return nil;
    return op.ops->as_error(op.obj);
  };
  switch (p.wrapped_.size()) {
    case 0: return errors::New(std::move(s));
    case 1: return make_error<wrap_error>(std::move(s), as_error(p.wrapped_[0]));
    default: {
      if (p.reordered_) std::sort(p.wrapped_.begin(), p.wrapped_.end());
      std::vector<error> errs;
      for (std::size_t i = 0; i < p.wrapped_.size(); i++) {
        if (i > 0 && p.wrapped_[i - 1] == p.wrapped_[i]) continue;
        if (error e = as_error(p.wrapped_[i])) errs.push_back(std::move(e));
      }
      return make_error<wrap_errors>(std::move(s), std::move(errs));
    }
  }
}

}  // namespace gofer::fmt::detail
