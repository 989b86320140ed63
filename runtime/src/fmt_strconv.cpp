// fmt_strconv.cpp — the parts of Go's unicode/utf8 and strconv that fmt uses:
// rune decoding, Quote/QuoteRune/CanBackquote/IsPrint and AppendFloat.
//
// Ports of utf8.DecodeRuneInString/EncodeRune/RuneCountInString
// (unicode/utf8/utf8.go), strconv.appendQuotedWith/appendEscapedRune/
// CanBackquote/IsPrint (strconv/quote.go) and strconv.genericFtoa with
// formatDigits/fmtE/fmtF/fmtB/fmtX (strconv/ftoa.go), go1.19.
//
// Differences from Go: the decimal digits of a float come from std::to_chars
// (shortest round-trip, or correctly rounded to a given number of digits),
// where Go uses Ryu and its own fixed/big-decimal algorithms; both produce
// the same digits. Digit counts past what a double can hold exactly (767
// significant, 1074 fractional) are capped there and padded with zeros, as
// Go's exact decimal conversion would print them.
#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>

#include "fmt_impl.hpp"

namespace gofer::fmt::detail {

void buffer::grow(std::size_t n) {
  std::size_t cap = std::max(cap_ * 2, len_ + n);
  char* p = new char[cap];
  std::memcpy(p, data_, len_);
  if (data_ != inline_) delete[] data_;
  data_ = p;
  cap_ = cap;
}

void buffer::write_rune(char32_t r) {
  if (r < kRuneSelf) {
    write_byte(static_cast<char>(r));
    return;
  }
  char tmp[4];
  write(std::string_view(tmp, static_cast<std::size_t>(encode_rune(tmp, r))));
}

// ---- UTF-8 ----------------------------------------------------------------

decoded_rune decode_rune(std::string_view s) {
  if (s.empty()) return {kRuneError, 0};
  const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c0 = b(0);
  if (c0 < kRuneSelf) return {c0, 1};
  int n;
  unsigned char lo = 0x80, hi = 0xBF;  // accepted range of the second byte
  if (c0 >= 0xC2 && c0 <= 0xDF) {
    n = 2;
  } else if (c0 >= 0xE0 && c0 <= 0xEF) {
    n = 3;
    if (c0 == 0xE0) lo = 0xA0;  // no overlong encodings
    if (c0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (c0 >= 0xF0 && c0 <= 0xF4) {
    n = 4;
    if (c0 == 0xF0) lo = 0x90;
    if (c0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return {kRuneError, 1};
  }
  if (s.size() < static_cast<std::size_t>(n)) return {kRuneError, 1};
  if (b(1) < lo || b(1) > hi) return {kRuneError, 1};
  for (int i = 2; i < n; i++) {
    if (b(i) < 0x80 || b(i) > 0xBF) return {kRuneError, 1};
  }
  char32_t r;
  switch (n) {
    case 2:
      r = (char32_t(c0 & 0x1F) << 6) | (b(1) & 0x3F);
      break;
    case 3:
      r = (char32_t(c0 & 0x0F) << 12) | (char32_t(b(1) & 0x3F) << 6) | (b(2) & 0x3F);
      break;
    default:
      r = (char32_t(c0 & 0x07) << 18) | (char32_t(b(1) & 0x3F) << 12) |
          (char32_t(b(2) & 0x3F) << 6) | (b(3) & 0x3F);
      break;
  }
  return {r, n};
}

bool valid_rune(char32_t r) { return r <= kMaxRune && !(r >= 0xD800 && r <= 0xDFFF); }

int encode_rune(char* p, char32_t r) {
  if (!valid_rune(r)) r = kRuneError;
  if (r < 0x80) {
    p[0] = static_cast<char>(r);
    return 1;
  }
  if (r < 0x800) {
    p[0] = static_cast<char>(0xC0 | (r >> 6));
    p[1] = static_cast<char>(0x80 | (r & 0x3F));
    return 2;
  }
  if (r < 0x10000) {
    p[0] = static_cast<char>(0xE0 | (r >> 12));
    p[1] = static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    p[2] = static_cast<char>(0x80 | (r & 0x3F));
    return 3;
  }
  p[0] = static_cast<char>(0xF0 | (r >> 18));
  p[1] = static_cast<char>(0x80 | ((r >> 12) & 0x3F));
  p[2] = static_cast<char>(0x80 | ((r >> 6) & 0x3F));
  p[3] = static_cast<char>(0x80 | (r & 0x3F));
  return 4;
}

std::size_t rune_count(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); n++) {
    if (static_cast<unsigned char>(s[i]) < kRuneSelf) {
      i++;
    } else {
      i += static_cast<std::size_t>(decode_rune(s.substr(i)).size);
    }
  }
  return n;
}

// ---- strconv quoting --------------------------------------------------------

bool is_print(char32_t r) {
  if (r <= 0xFF) {
    if (r >= 0x20 && r <= 0x7E) return true;        // ASCII space through '~'
    if (r >= 0xA1 && r <= 0xFF) return r != 0xAD;   // ¡ through ÿ but the soft hyphen
    return false;
  }
  return is_print_table(r);
}

bool can_backquote(std::string_view s) {
  while (!s.empty()) {
    auto [r, wid] = decode_rune(s);
    s.remove_prefix(static_cast<std::size_t>(wid));
    if (wid > 1) {
      if (r == 0xFEFF) return false;  // BOMs are invisible and should not be quoted
      continue;
    }
    if (r == kRuneError) return false;
    if ((r < ' ' && r != '\t') || r == '`' || r == 0x7F) return false;
  }
  return true;
}

namespace {

constexpr const char* kLowerHex = "0123456789abcdef";

// append_escaped_rune is strconv.appendEscapedRune (graphicOnly = false).
void append_escaped_rune(buffer& b, char32_t r, char quote, bool ascii_only) {
  if (r == static_cast<char32_t>(quote) || r == '\\') {
    b.write_byte('\\');
    b.write_byte(static_cast<char>(r));
    return;
  }
  if (ascii_only) {
    if (r < kRuneSelf && is_print(r)) {
      b.write_byte(static_cast<char>(r));
      return;
    }
  } else if (is_print(r)) {
    b.write_rune(r);
    return;
  }
  switch (r) {
    case '\a': b.write("\\a"); return;
    case '\b': b.write("\\b"); return;
    case '\f': b.write("\\f"); return;
    case '\n': b.write("\\n"); return;
    case '\r': b.write("\\r"); return;
    case '\t': b.write("\\t"); return;
    case '\v': b.write("\\v"); return;
    default: break;
  }
  if (r < ' ' || r == 0x7F) {
    b.write("\\x");
    b.write_byte(kLowerHex[(r >> 4) & 0xF]);
    b.write_byte(kLowerHex[r & 0xF]);
    return;
  }
  if (!valid_rune(r)) r = kRuneError;
  if (r < 0x10000) {
    b.write("\\u");
    for (int s = 12; s >= 0; s -= 4) b.write_byte(kLowerHex[(r >> s) & 0xF]);
  } else {
    b.write("\\U");
    for (int s = 28; s >= 0; s -= 4) b.write_byte(kLowerHex[(r >> s) & 0xF]);
  }
}

}  // namespace

void append_quote(buffer& b, std::string_view s, bool ascii_only) {
  b.write_byte('"');
  while (!s.empty()) {
    char32_t r = static_cast<unsigned char>(s[0]);
    int width = 1;
    if (r >= kRuneSelf) {
      auto d = decode_rune(s);
      r = d.r;
      width = d.size;
    }
    if (width == 1 && r == kRuneError) {  // an invalid byte
      const auto c = static_cast<unsigned char>(s[0]);
      b.write("\\x");
      b.write_byte(kLowerHex[c >> 4]);
      b.write_byte(kLowerHex[c & 0xF]);
    } else {
      append_escaped_rune(b, r, '"', ascii_only);
    }
    s.remove_prefix(static_cast<std::size_t>(width));
  }
  b.write_byte('"');
}

void append_quote_rune(buffer& b, char32_t r, bool ascii_only) {
  b.write_byte('\'');
  if (!valid_rune(r)) r = kRuneError;
  append_escaped_rune(b, r, '\'', ascii_only);
  b.write_byte('\'');
}

// ---- strconv.AppendFloat ----------------------------------------------------

namespace {

// decimal holds nd significant digits d[0..nd) (no trailing zeros) with the
// decimal point dp digits from the left: value = 0.d[0]d[1]... × 10^dp.
// nd == 0 means zero (then dp == 0). Go's decimalSlice.
struct decimal {
  static constexpr int kMax = 1500;  // 309 integer + 1100 fraction digits fit
  char d[kMax];
  int nd = 0;
  int dp = 0;
};

// Significant digits past which a double is exact (it has at most 767);
// fraction digits past which it is exact (the smallest subnormal has 1074).
constexpr int kMaxSigDigits = 800;
constexpr int kMaxFracDigits = 1100;

// Collects the digits of to_chars output (no sign) into d: integer part,
// optional fraction, optional exponent e±XX.
void parse_digits(const char* p, const char* end, decimal& d) {
  d.nd = 0;
  int int_digits = 0;
  bool in_frac = false;
  int exp = 0;
  for (; p < end; ++p) {
    const char c = *p;
    if (c == '.') {
      in_frac = true;
    } else if (c == 'e') {
      std::from_chars(p + 1 + (p[1] == '+'), end, exp);
      break;
    } else {
      if (d.nd < decimal::kMax) d.d[d.nd++] = c;
      if (!in_frac) int_digits++;
    }
  }
  d.dp = int_digits + exp;
  // Drop leading zeros (each moves the point left) and trailing zeros.
  int lead = 0;
  while (lead < d.nd && d.d[lead] == '0') lead++;
  if (lead == d.nd) {
    d.nd = 0;
    d.dp = 0;
    return;
  }
  if (lead > 0) {
    std::memmove(d.d, d.d + lead, static_cast<std::size_t>(d.nd - lead));
    d.nd -= lead;
    d.dp -= lead;
  }
  while (d.nd > 0 && d.d[d.nd - 1] == '0') d.nd--;
}

void shortest_digits(double v, int bit_size, decimal& d) {
  char tmp[64];
  std::to_chars_result r = bit_size == 32
                               ? std::to_chars(tmp, tmp + sizeof tmp, static_cast<float>(v),
                                               std::chars_format::scientific)
                               : std::to_chars(tmp, tmp + sizeof tmp, v, std::chars_format::scientific);
  parse_digits(tmp, r.ptr, d);
}

// sig_digits rounds v (>= 0) to n significant digits.
void sig_digits(double v, int n, decimal& d) {
  n = std::clamp(n, 1, kMaxSigDigits);
  char tmp[kMaxSigDigits + 16];
  auto r = std::to_chars(tmp, tmp + sizeof tmp, v, std::chars_format::scientific, n - 1);
  parse_digits(tmp, r.ptr, d);
}

// frac_digits rounds v (>= 0) to prec digits after the point.
void frac_digits(double v, int prec, decimal& d) {
  prec = std::min(prec, kMaxFracDigits);
  char tmp[decimal::kMax + 16];
  auto r = std::to_chars(tmp, tmp + sizeof tmp, v, std::chars_format::fixed, prec);
  parse_digits(tmp, r.ptr, d);
}

// %e: -d.ddddde±dd
void fmt_e(buffer& b, bool neg, const decimal& d, int prec, char fmt) {
  if (neg) b.write_byte('-');
  b.write_byte(d.nd != 0 ? d.d[0] : '0');
  if (prec > 0) {
    b.write_byte('.');
    int i = 1;
    const int m = std::min(d.nd, prec + 1);
    if (i < m) {
      b.write(std::string_view(d.d + i, static_cast<std::size_t>(m - i)));
      i = m;
    }
    if (i <= prec) b.write_bytes('0', static_cast<std::size_t>(prec - i + 1));
  }
  b.write_byte(fmt);
  int exp = d.nd == 0 ? 0 : d.dp - 1;
  b.write_byte(exp < 0 ? '-' : '+');
  if (exp < 0) exp = -exp;
  if (exp < 10) {
    b.write_byte('0');
    b.write_byte(static_cast<char>('0' + exp));
  } else if (exp < 100) {
    b.write_byte(static_cast<char>('0' + exp / 10));
    b.write_byte(static_cast<char>('0' + exp % 10));
  } else {
    b.write_byte(static_cast<char>('0' + exp / 100));
    b.write_byte(static_cast<char>('0' + exp / 10 % 10));
    b.write_byte(static_cast<char>('0' + exp % 10));
  }
}

// %f: -ddddddd.ddddd
void fmt_f(buffer& b, bool neg, const decimal& d, int prec) {
  if (neg) b.write_byte('-');
  if (d.dp > 0) {
    const int m = std::min(d.nd, d.dp);
    b.write(std::string_view(d.d, static_cast<std::size_t>(m)));
    if (m < d.dp) b.write_bytes('0', static_cast<std::size_t>(d.dp - m));
  } else {
    b.write_byte('0');
  }
  if (prec > 0) {
    b.write_byte('.');
    for (int i = 1; i <= prec; i++) {
      const int j = d.dp + i - 1;
      b.write_byte(0 <= j && j < d.nd ? d.d[j] : '0');
    }
  }
}

struct float_info {
  int mantbits;
  int expbits;
  int bias;
};
constexpr float_info kFloat32{23, 8, -127};
constexpr float_info kFloat64{52, 11, -1023};

void write_uint(buffer& b, std::uint64_t u) {
  char tmp[24];
  auto r = std::to_chars(tmp, tmp + sizeof tmp, u);
  b.write(std::string_view(tmp, static_cast<std::size_t>(r.ptr - tmp)));
}

// %b: -ddddddddp±ddd
void fmt_b(buffer& b, bool neg, std::uint64_t mant, int exp, const float_info& flt) {
  if (neg) b.write_byte('-');
  write_uint(b, mant);
  b.write_byte('p');
  exp -= flt.mantbits;
  if (exp >= 0) b.write_byte('+');
  if (exp < 0) {
    b.write_byte('-');
    exp = -exp;
  }
  write_uint(b, static_cast<std::uint64_t>(exp));
}

// %x: -0x1.yyyyyyyyp±ddd or -0x0p+00.
void fmt_x(buffer& b, int prec, char fmt, bool neg, std::uint64_t mant, int exp,
           const float_info& flt) {
  if (mant == 0) exp = 0;
  // Shift digits so the leading 1 (if any) is at bit 1<<60.
  mant <<= 60 - flt.mantbits;
  while (mant != 0 && (mant & (std::uint64_t(1) << 60)) == 0) {
    mant <<= 1;
    exp--;
  }
  // Round if requested (half to even).
  if (prec >= 0 && prec < 15) {
    const unsigned shift = static_cast<unsigned>(prec * 4);
    const std::uint64_t extra = (mant << shift) & ((std::uint64_t(1) << 60) - 1);
    mant >>= 60 - shift;
    if ((extra | (mant & 1)) > (std::uint64_t(1) << 59)) mant++;
    mant <<= 60 - shift;
    if (mant & (std::uint64_t(1) << 61)) {  // wrapped around
      mant >>= 1;
      exp++;
    }
  }
  const char* hex = fmt == 'X' ? kUpperDigits : kLowerDigits;
  if (neg) b.write_byte('-');
  b.write_byte('0');
  b.write_byte(fmt);
  b.write_byte(static_cast<char>('0' + ((mant >> 60) & 1)));
  mant <<= 4;  // remove the leading 0 or 1
  if (prec < 0 && mant != 0) {
    b.write_byte('.');
    while (mant != 0) {
      b.write_byte(hex[(mant >> 60) & 15]);
      mant <<= 4;
    }
  } else if (prec > 0) {
    b.write_byte('.');
    for (int i = 0; i < prec; i++) {
      b.write_byte(hex[(mant >> 60) & 15]);
      mant <<= 4;
    }
  }
  b.write_byte(fmt == 'X' ? 'P' : 'p');
  b.write_byte(exp < 0 ? '-' : '+');
  if (exp < 0) exp = -exp;
  if (exp < 100) {
    b.write_byte(static_cast<char>('0' + exp / 10));
    b.write_byte(static_cast<char>('0' + exp % 10));
  } else if (exp < 1000) {
    b.write_byte(static_cast<char>('0' + exp / 100));
    b.write_byte(static_cast<char>('0' + exp / 10 % 10));
    b.write_byte(static_cast<char>('0' + exp % 10));
  } else {
    b.write_byte(static_cast<char>('0' + exp / 1000));
    b.write_byte(static_cast<char>('0' + exp / 100 % 10));
    b.write_byte(static_cast<char>('0' + exp / 10 % 10));
    b.write_byte(static_cast<char>('0' + exp % 10));
  }
}

}  // namespace

void append_float(buffer& b, double v, char fmt, int prec, int bit_size) {
  // Split into sign, biased exponent and mantissa as Go's genericFtoa does.
  const float_info& flt = bit_size == 32 ? kFloat32 : kFloat64;
  std::uint64_t bits;
  if (bit_size == 32)
    bits = std::bit_cast<std::uint32_t>(static_cast<float>(v));
  else
    bits = std::bit_cast<std::uint64_t>(v);
  const bool neg = (bits >> (flt.expbits + flt.mantbits)) != 0;
  int exp = static_cast<int>(bits >> flt.mantbits) & ((1 << flt.expbits) - 1);
  std::uint64_t mant = bits & ((std::uint64_t(1) << flt.mantbits) - 1);
  if (exp == (1 << flt.expbits) - 1) {
    b.write(mant != 0 ? "NaN" : neg ? "-Inf" : "+Inf");
    return;
  }
  if (exp == 0)
    exp++;  // denormalized
  else
    mant |= std::uint64_t(1) << flt.mantbits;
  exp += flt.bias;

  if (fmt == 'b') return fmt_b(b, neg, mant, exp, flt);
  if (fmt == 'x' || fmt == 'X') return fmt_x(b, prec, fmt, neg, mant, exp, flt);

  const double av = std::fabs(v);
  decimal digs;
  const bool shortest = prec < 0;
  if (shortest) {
    shortest_digits(av, bit_size, digs);
    switch (fmt) {
      case 'e':
      case 'E': prec = std::max(digs.nd - 1, 0); break;
      case 'f': prec = std::max(digs.nd - digs.dp, 0); break;
      default: prec = digs.nd; break;  // g, G
    }
  } else if (fmt == 'f') {
    frac_digits(av, prec, digs);
  } else if (fmt == 'e' || fmt == 'E') {
    sig_digits(av, prec + 1, digs);
  } else {  // g, G
    if (prec == 0) prec = 1;
    sig_digits(av, prec, digs);
  }

  switch (fmt) {
    case 'e':
    case 'E': return fmt_e(b, neg, digs, prec, fmt);
    case 'f': return fmt_f(b, neg, digs, prec);
    default: break;
  }
  // %g / %G: %e for large and small exponents, %f otherwise.
  int eprec = prec;
  if (eprec > digs.nd && digs.nd >= digs.dp) eprec = digs.nd;
  // If precision was the shortest possible, use precision 6 for this decision.
  if (shortest) eprec = 6;
  const int exp10 = digs.dp - 1;
  if (exp10 < -4 || exp10 >= eprec) {
    if (prec > digs.nd) prec = digs.nd;
    return fmt_e(b, neg, digs, prec - 1, fmt == 'g' ? 'e' : 'E');
  }
  if (prec > digs.dp) prec = digs.nd;
  fmt_f(b, neg, digs, std::max(prec - digs.dp, 0));
}

}  // namespace gofer::fmt::detail
