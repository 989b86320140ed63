// fmt_impl.hpp — private declarations of gofer::fmt's engine.
//
//   fmt_strconv.cpp  UTF-8, strconv.Quote/QuoteRune/IsPrint, AppendFloat
//   fmt_isprint.cpp  strconv's IsPrint tables (generated from Go's isprint.go)
//   fmt_format.cpp   Go's fmt/format.go: the `formatter` (padding, integers,
//                    floats, strings, quoting)
//   fmt_print.cpp    Go's fmt/print.go and errors.go: the `printer` (verb
//                    dispatch, doPrintf/doPrint/doPrintln, Errorf), output
//
// Everything here runs on the caller's stack and keeps no state between
// calls: no locks, no thread_locals (fibers migrate between threads).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "gofer/fmt.hpp"

namespace gofer::fmt::detail {

// buffer is Go's fmt buffer: an append-only byte string with kInline bytes
// on the stack before it moves to the heap.
class buffer {
 public:
  static constexpr std::size_t kInline = 256;

  buffer() = default;
  buffer(const buffer&) = delete;
  buffer& operator=(const buffer&) = delete;
  ~buffer() {
    if (data_ != inline_) delete[] data_;
  }

  void write(std::string_view s) {
    reserve(s.size());
    std::memcpy(data_ + len_, s.data(), s.size());
    len_ += s.size();
  }
  void write_byte(char c) {
    reserve(1);
    data_[len_++] = c;
  }
  void write_bytes(char c, std::size_t n) {
    reserve(n);
    std::memset(data_ + len_, c, n);
    len_ += n;
  }
  // write_rune appends r as UTF-8 (U+FFFD for an invalid rune).
  void write_rune(char32_t r);

  std::size_t size() const { return len_; }
  char* data() { return data_; }
  std::string_view view() const { return {data_, len_}; }
  char& operator[](std::size_t i) { return data_[i]; }
  void truncate(std::size_t n) { len_ = n; }

  // reserve makes room for n more bytes.
  void reserve(std::size_t n) {
    if (cap_ - len_ < n) grow(n);
  }

 private:
  void grow(std::size_t n);

  char* data_ = inline_;
  std::size_t len_ = 0;
  std::size_t cap_ = kInline;
  char inline_[kInline];
};

// ---- UTF-8 and strconv (fmt_strconv.cpp, fmt_isprint.cpp) -----------------

inline constexpr char32_t kRuneError = 0xFFFD;
inline constexpr char32_t kMaxRune = 0x10FFFF;
inline constexpr unsigned char kRuneSelf = 0x80;

struct decoded_rune {
  char32_t r;
  int size;
};
// decode_rune is utf8.DecodeRuneInString: the first rune of s and its width;
// (RuneError, 1) for an invalid encoding, (RuneError, 0) for an empty s.
decoded_rune decode_rune(std::string_view s);
// encode_rune writes r's UTF-8 encoding (U+FFFD if r is invalid) to p, which
// has room for 4 bytes, and returns its length.
int encode_rune(char* p, char32_t r);
// rune_count is utf8.RuneCountInString: invalid bytes count one each.
std::size_t rune_count(std::string_view s);
bool valid_rune(char32_t r);
// is_print is strconv.IsPrint (Unicode's L, M, N, P, S and U+0020).
bool is_print(char32_t r);
// is_print_table answers is_print for r > 0xFF from the generated tables.
bool is_print_table(char32_t r);
// can_backquote is strconv.CanBackquote.
bool can_backquote(std::string_view s);
// append_quote is strconv.AppendQuote (or AppendQuoteToASCII).
void append_quote(buffer& b, std::string_view s, bool ascii_only);
// append_quote_rune is strconv.AppendQuoteRune (or ...ToASCII).
void append_quote_rune(buffer& b, char32_t r, bool ascii_only);
// append_float is strconv.AppendFloat(b, v, fmt, prec, bit_size) for fmt in
// b e E f g G x X; prec < 0 means the shortest exact representation.
void append_float(buffer& b, double v, char fmt, int prec, int bit_size);

inline constexpr const char* kLowerDigits = "0123456789abcdefx";
inline constexpr const char* kUpperDigits = "0123456789ABCDEFX";

// ---- Go's fmt (fmt_format.cpp) ------------------------------------------

// fmt_flags: Go's fmtFlags, cleared before each verb.
struct fmt_flags {
  bool wid_present = false;
  bool prec_present = false;
  bool minus = false;
  bool plus = false;
  bool sharp = false;
  bool space = false;
  bool zero = false;
  // For %+v and %#v: set instead of plus/sharp, which are cleared, since
  // these are different, flagless formats at the top level.
  bool plus_v = false;
  bool sharp_v = false;
};

// formatter is Go's `fmt`: the raw formatter for basic values, appending to
// *buf under the current flags, width and precision.
struct formatter {
  buffer* buf = nullptr;
  fmt_flags f;
  int wid = 0;   // valid when f.wid_present; never negative
  int prec = 0;  // valid when f.prec_present; never negative

  void clearflags() {
    f = fmt_flags{};
    wid = 0;
    prec = 0;
  }
  void write_padding(int n);
  void pad(std::string_view s);
  void fmt_boolean(bool v);
  void fmt_unicode(std::uint64_t u);
  void fmt_integer(std::uint64_t u, int base, bool is_signed, char32_t verb, const char* digits);
  std::string_view truncate(std::string_view s) const;
  void fmt_s(std::string_view s);
  void fmt_sx(std::string_view s, const char* digits);
  void fmt_q(std::string_view s);
  void fmt_c(std::uint64_t c);
  void fmt_qc(std::uint64_t c);
  void fmt_float(double v, int size, char32_t verb, int prec);
};

}  // namespace gofer::fmt::detail
