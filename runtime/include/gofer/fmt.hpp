// gofer/fmt.hpp — Go's fmt package: formatted printing with Go's verbs and
// Go's output, and Errorf with %w wrapping.
//
// Mirrors Go's src/fmt (print.go, format.go, errors.go; go1.19, with Go
// 1.20's several-%w Errorf).
//
//   fmt.Printf("%-8s|%5.2f|%v\n", name, x, d)   fmt::Printf("%-8s|%5.2f|%v\n", name, x, d);
//   s := fmt.Sprintf("%d items", n)             auto s = fmt::Sprintf("%d items", n);
//   fmt.Println("took", time.Since(t0))         fmt::Println("took", time::Since(t0));
//   fmt.Fprintf(os.Stderr, "warn: %v\n", err)   fmt::Fprintf(std::cerr, "warn: %v\n", err);
//   return fmt.Errorf("load %s: %w", p, err)    return fmt::Errorf("load %s: %w", p, err);
//
// The format string is checked at run time, as in Go: a bad verb or an
// operand of the wrong type prints %!verb(type=value), a missing operand
// %!d(MISSING), extra operands %!(EXTRA type=value, ...), a lone % at the end
// %!(NOVERB). Formatting never throws for a bad format and never has UB.
//
// Verbs: %v %+v %#v %T %% ; %t ; %d %b %o %O %x %X %c %q %U ; %e %E %f %F
// %g %G %x %X %b (floats) ; %s %q %x %X (strings, []byte) ; %p ; %w (Errorf).
// Flags + - # 0 space, width, precision, * and .* from int operands, and
// explicit argument indexes %[2]d, all with Go's meaning. Widths count runes;
// UTF-8 text passes through unchanged; %q quotes as strconv.Quote does.
//
// How C++ values print (Go's type in parentheses; %T prints that name):
//   bool (bool); int (int); unsigned (uint); long, long long, int64_t (int64);
//   unsigned long, size_t, uint64_t (uint64); short/int16_t (int16) ... and
//   signed char (int8); char, unsigned char, std::byte (uint8: Go's byte, so
//   %v of 'a' prints 97 and %c prints a); char32_t, wchar_t (int32: rune)
//   float (float32); double, long double (float64); std::complex (complex64/128)
//   std::string, std::string_view, const char*, char arrays (string); a null
//     const char* prints as a nil *uint8
//   time::Duration and every std::chrono::duration (time.Duration): %v and %s
//     print Duration.String() ("1.5s", "100ms", "2h3m4s", "0s"), %d the
//     nanoseconds
//   gofer::error (its Error(); a nil error is Go's nil interface: "<nil>" for
//     %v, "%!s(<nil>)" for %s). %T of errors.New's error is
//     "*errors.errorString", of Errorf's "*fmt.wrapError"/"*fmt.wrapErrors",
//     of errors.Join's "*errors.joinError"; of user errors their C++ name.
//   T*, std::shared_ptr<T>, std::unique_ptr<T> (*T): the address 0x..., or
//     "<nil>"; never the pointee (Go prints &{...} for a struct pointer).
//   ranges (std::vector, std::list, std::span, ...) as Go slices "[1 2 3]"
//     ([]T); std::array and T[N] as Go arrays ([N]T); contiguous ranges of
//     char/unsigned char/std::byte are []byte, so %s and %x print their bytes
//   map-like ranges (std::map, std::unordered_map) as "map[a:1 b:2]", keys
//     sorted as Go sorts them (map[K]V)
//   std::pair as a Go struct: "{1 x}", %+v "{first:1 second:x}"
//   a class with String() or Error() (Go's Stringer / error), else one with
//     operator<<: printed through it (its C++ name for %T); an enum with
//     operator<< prints through it for %v/%s and as its number for %d.
// Any other type is a compile-time error.
//
// Print* write to stdout with one write(2) per call (after flushing C
// stdio's stdout buffer, so output stays ordered with printf/std::cout), so
// lines printed by concurrent fibers never interleave mid-line. They return
// Go's (n, err) as a pair. Operands are bound by reference for the call and
// converted into small stack-held operands: no heap allocation per operand.
//
// Thread safety: every function may be called from any fiber or thread at
// once; none keeps state between calls.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>

#include "gofer/detail/fmt_operand.hpp"
#include "gofer/errors.hpp"

namespace gofer::fmt {

namespace detail {

// The engine (runtime/src/fmt_*.cpp). a points to n operands.
enum class mode : unsigned char { printf, print, println };
std::string format(mode m, std::string_view format, const operand* a, std::size_t n);
std::pair<int, error> write_stdout(mode m, std::string_view format, const operand* a,
                                   std::size_t n);
std::pair<int, error> write_stream(std::ostream& w, mode m, std::string_view format,
                                   const operand* a, std::size_t n);
error errorf(std::string_view format, const operand* a, std::size_t n);

}  // namespace detail

// The operand array has one spare slot so that it is never zero-sized.
#define GOFER_FMT_OPERANDS_ \
  const detail::operand ops_[sizeof...(Args) + 1] = {detail::make_operand(args)...}

// Sprintf formats according to format and returns the result.
template <class... Args>
std::string Sprintf(std::string_view format, const Args&... args) {
  GOFER_FMT_OPERANDS_;
  return detail::format(detail::mode::printf, format, ops_, sizeof...(Args));
}

// Sprint formats its operands with %v; it adds a space between two operands
// when neither is a string.
template <class... Args>
std::string Sprint(const Args&... args) {
  GOFER_FMT_OPERANDS_;
  return detail::format(detail::mode::print, {}, ops_, sizeof...(Args));
}

// Sprintln formats its operands with %v, always separated by spaces, and
// appends a newline.
template <class... Args>
std::string Sprintln(const Args&... args) {
  GOFER_FMT_OPERANDS_;
  return detail::format(detail::mode::println, {}, ops_, sizeof...(Args));
}

// Printf is Sprintf written to stdout in one write; returns (bytes, error).
template <class... Args>
std::pair<int, error> Printf(std::string_view format, const Args&... args) {
  GOFER_FMT_OPERANDS_;
  return detail::write_stdout(detail::mode::printf, format, ops_, sizeof...(Args));
}

// Print is Sprint written to stdout in one write.
template <class... Args>
std::pair<int, error> Print(const Args&... args) {
  GOFER_FMT_OPERANDS_;
  return detail::write_stdout(detail::mode::print, {}, ops_, sizeof...(Args));
}

// Println is Sprintln written to stdout in one write.
template <class... Args>
std::pair<int, error> Println(const Args&... args) {
  GOFER_FMT_OPERANDS_;
  return detail::write_stdout(detail::mode::println, {}, ops_, sizeof...(Args));
}

// Fprintf is Sprintf written to w with one w.write() (Go's io.Writer).
template <class... Args>
std::pair<int, error> Fprintf(std::ostream& w, std::string_view format, const Args&... args) {
  GOFER_FMT_OPERANDS_;
  return detail::write_stream(w, detail::mode::printf, format, ops_, sizeof...(Args));
}

// Fprint is Sprint written to w.
template <class... Args>
std::pair<int, error> Fprint(std::ostream& w, const Args&... args) {
  GOFER_FMT_OPERANDS_;
  return detail::write_stream(w, detail::mode::print, {}, ops_, sizeof...(Args));
}

// Fprintln is Sprintln written to w.
template <class... Args>
std::pair<int, error> Fprintln(std::ostream& w, const Args&... args) {
  GOFER_FMT_OPERANDS_;
  return detail::write_stream(w, detail::mode::println, {}, ops_, sizeof...(Args));
}

// Errorf formats like Sprintf and returns the text as an error. Each %w
// operand that is an error is wrapped: with one, the result's Unwrap()
// returns it (Go's *fmt.wrapError); with several, UnwrapMulti() returns
// them in argument order (Go 1.20's *fmt.wrapErrors), so errors::Is and
// errors::As see through it. Without %w it is errors::New(text). %w is
// otherwise %v; outside Errorf it prints %!w(...), as in Go.
template <class... Args>
error Errorf(std::string_view format, const Args&... args) {
  GOFER_FMT_OPERANDS_;
  return detail::errorf(format, ops_, sizeof...(Args));
}

#undef GOFER_FMT_OPERANDS_

}  // namespace gofer::fmt
