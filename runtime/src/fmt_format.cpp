// fmt_format.cpp — Go's fmt/format.go: the raw formatter behind every verb
// (padding to a width in runes, integers in any base with precision and
// flags, floats, strings, quoting, characters).
//
// Port of go1.19 src/fmt/format.go; names and structure follow it.
//
// Invariants: wid and prec are never negative (doPrintf turns a negative *
// width into the minus flag and a negative * precision into "absent");
// widths and precisions are below 1e6 (parsenum/intFromArg reject larger),
// so every size computed here fits an int.
#include <memory>

#include "fmt_impl.hpp"

namespace gofer::fmt::detail {

// write_padding appends n bytes of padding: zeros when f.zero, else spaces.
void formatter::write_padding(int n) {
  if (n <= 0) return;
  buf->write_bytes(f.zero ? '0' : ' ', static_cast<std::size_t>(n));
}

// pad appends s, padded to wid runes on the left (or the right with f.minus).
void formatter::pad(std::string_view s) {
  if (!f.wid_present || wid == 0) {
    buf->write(s);
    return;
  }
  const int width = wid - static_cast<int>(rune_count(s));
  if (!f.minus) {
    write_padding(width);
    buf->write(s);
  } else {
    buf->write(s);
    write_padding(width);
  }
}

void formatter::fmt_boolean(bool v) { pad(v ? "true" : "false"); }

// fmt_unicode formats u as "U+0078", or with f.sharp as "U+0078 'x'".
void formatter::fmt_unicode(std::uint64_t u) {
  const std::uint64_t r = u;
  int p = 4;
  if (f.prec_present && prec > 4) p = prec;
  buffer b;
  b.write("U+");
  char hex[16];
  int n = 0;
  do {
    hex[n++] = kUpperDigits[u & 0xF];
    u >>= 4;
  } while (u != 0);
  if (p > n) b.write_bytes('0', static_cast<std::size_t>(p - n));
  while (n > 0) b.write_byte(hex[--n]);
  if (f.sharp && r <= kMaxRune && is_print(static_cast<char32_t>(r))) {
    b.write(" '");
    b.write_rune(static_cast<char32_t>(r));
    b.write_byte('\'');
  }
  const bool old_zero = f.zero;
  f.zero = false;
  pad(b.view());
  f.zero = old_zero;
}

// fmt_integer formats a signed or unsigned integer in base 2, 8, 10 or 16.
void formatter::fmt_integer(std::uint64_t u, int base, bool is_signed, char32_t verb,
                            const char* digits) {
  const bool negative = is_signed && static_cast<std::int64_t>(u) < 0;
  if (negative) u = -u;

  // Two ways to ask for extra leading zero digits: %.3d or %03d. If both
  // are given the zero flag is ignored and padding uses spaces.
  int p = 0;
  if (f.prec_present) {
    p = prec;
    // Precision 0 and value 0 means "print nothing" but padding.
    if (p == 0 && u == 0) {
      const bool old_zero = f.zero;
      f.zero = false;
      write_padding(wid);
      f.zero = old_zero;
      return;
    }
  } else if (f.zero && f.wid_present) {
    p = wid;
    if (negative || f.plus || f.space) p--;  // leave room for the sign
  }

  // Format right to left into tmp[i:], 68 bytes (%b of an int64 with sign
  // and prefix), or more when width/precision ask for more zeros.
  char small[68];
  std::unique_ptr<char[]> big;
  int size = static_cast<int>(sizeof small);
  char* tmp = small;
  if (f.wid_present || f.prec_present) {
    const int need = 3 + wid + prec;  // room for sign and "0x"
    if (need > size) {
      big = std::make_unique<char[]>(static_cast<std::size_t>(need));
      tmp = big.get();
      size = need;
    }
  }
  int i = size;
  switch (base) {
    case 10:
      while (u >= 10) {
        tmp[--i] = static_cast<char>('0' + u % 10);
        u /= 10;
      }
      break;
    case 16:
      while (u >= 16) {
        tmp[--i] = digits[u & 0xF];
        u >>= 4;
      }
      break;
    case 8:
      while (u >= 8) {
        tmp[--i] = static_cast<char>('0' + (u & 7));
        u >>= 3;
      }
      break;
    default:  // 2
      while (u >= 2) {
        tmp[--i] = static_cast<char>('0' + (u & 1));
        u >>= 1;
      }
      break;
  }
  tmp[--i] = digits[u];
  while (i > 0 && p > size - i) tmp[--i] = '0';

  if (f.sharp) {
    switch (base) {
      case 2:
        tmp[--i] = 'b';
        tmp[--i] = '0';
        break;
      case 8:
        if (tmp[i] != '0') tmp[--i] = '0';
        break;
      case 16:
        tmp[--i] = digits[16];
        tmp[--i] = '0';
        break;
    }
  }
  if (verb == 'O') {
    tmp[--i] = 'o';
    tmp[--i] = '0';
  }
  if (negative)
    tmp[--i] = '-';
  else if (f.plus)
    tmp[--i] = '+';
  else if (f.space)
    tmp[--i] = ' ';

  // Zero padding was done above as precision (or is ignored because of an
  // explicit precision).
  const bool old_zero = f.zero;
  f.zero = false;
  pad(std::string_view(tmp + i, static_cast<std::size_t>(size - i)));
  f.zero = old_zero;
}

// truncate cuts s to prec runes, if a precision is present.
std::string_view formatter::truncate(std::string_view s) const {
  if (f.prec_present) {
    int n = prec;
    for (std::size_t i = 0; i < s.size();) {
      if (--n < 0) return s.substr(0, i);
      const auto c = static_cast<unsigned char>(s[i]);
      i += c < kRuneSelf ? 1 : static_cast<std::size_t>(decode_rune(s.substr(i)).size);
    }
  }
  return s;
}

void formatter::fmt_s(std::string_view s) { pad(truncate(s)); }

// fmt_sx formats s as the hexadecimal encoding of its bytes.
void formatter::fmt_sx(std::string_view s, const char* digits) {
  int length = static_cast<int>(s.size());
  if (f.prec_present && prec < length) length = prec;
  // Width of the encoding, with the sharp and space flags.
  int width = 2 * length;
  if (width > 0) {
    if (f.space) {
      if (f.sharp) width *= 2;  // each byte gets a 0x
      width += length - 1;      // separated by spaces
    } else if (f.sharp) {
      width += 2;  // one 0x for the whole string
    }
  } else {  // nothing to encode
    if (f.wid_present) write_padding(wid);
    return;
  }
  if (f.wid_present && wid > width && !f.minus) write_padding(wid - width);
  if (f.sharp) {
    buf->write_byte('0');
    buf->write_byte(digits[16]);
  }
  for (int i = 0; i < length; i++) {
    if (f.space && i > 0) {
      buf->write_byte(' ');
      if (f.sharp) {
        buf->write_byte('0');
        buf->write_byte(digits[16]);
      }
    }
    const auto c = static_cast<unsigned char>(s[static_cast<std::size_t>(i)]);
    buf->write_byte(digits[c >> 4]);
    buf->write_byte(digits[c & 0xF]);
  }
  if (f.wid_present && wid > width && f.minus) write_padding(wid - width);
}

// fmt_q formats s as a double-quoted, escaped Go string; with f.sharp as a
// raw `string` when it has no control characters other than tab.
void formatter::fmt_q(std::string_view s) {
  s = truncate(s);
  buffer b;
  if (f.sharp && can_backquote(s)) {
    b.write_byte('`');
    b.write(s);
    b.write_byte('`');
  } else {
    append_quote(b, s, f.plus);
  }
  pad(b.view());
}

// fmt_c formats c as the character it encodes (U+FFFD if invalid).
void formatter::fmt_c(std::uint64_t c) {
  const char32_t r = c > kMaxRune ? kRuneError : static_cast<char32_t>(c);
  char tmp[4];
  pad(std::string_view(tmp, static_cast<std::size_t>(encode_rune(tmp, r))));
}

// fmt_qc formats c as a single-quoted, escaped Go character.
void formatter::fmt_qc(std::uint64_t c) {
  const char32_t r = c > kMaxRune ? kRuneError : static_cast<char32_t>(c);
  buffer b;
  append_quote_rune(b, r, f.plus);
  pad(b.view());
}

// fmt_float formats v with strconv's verb and default precision p (an
// explicit precision overrides it).
void formatter::fmt_float(double v, int size, char32_t verb, int p) {
  if (f.prec_present) p = prec;
  // num = sign + number; the sign is '+' when there is none, stripped below.
  buffer num;
  num.write_byte('+');
  append_float(num, v, static_cast<char>(verb), p, size);
  std::size_t start = 0;  // num is num.view().substr(start)
  if (num[1] == '-' || num[1] == '+') start = 1;
  auto s = [&] { return num.view().substr(start); };
  // f.space means a leading space instead of a "+" unless f.plus.
  if (f.space && num[start] == '+' && !f.plus) num[start] = ' ';
  // Infinities and NaN don't look like numbers: never pad them with zeros.
  if (num[start + 1] == 'I' || num[start + 1] == 'N') {
    const bool old_zero = f.zero;
    f.zero = false;
    if (num[start + 1] == 'N' && !f.space && !f.plus) start++;  // no sign before NaN
    pad(s());
    f.zero = old_zero;
    return;
  }
  // The sharp flag forces a decimal point (except for %b) and keeps
  // trailing zeros, which %g/%v may need restored.
  if (f.sharp && verb != 'b') {
    int digits = 0;
    switch (verb) {
      case 'v':
      case 'g':
      case 'G':
      case 'x':
        digits = p;
        if (digits == -1) digits = 6;  // no precision given: 6
        break;
    }
    // Split off the exponent, e+123 or p-1023.
    std::string tail;
    bool has_point = false;
    bool saw_nonzero = false;
    for (std::size_t i = start + 1; i < num.size(); i++) {
      const char c = num[i];
      if (c == '.') {
        has_point = true;
      } else if (c == 'p' || c == 'P' || ((c == 'e' || c == 'E') && verb != 'x' && verb != 'X')) {
        tail.assign(num.view().substr(i));
        num.truncate(i);
        break;
      } else {
        if (c != '0') saw_nonzero = true;
        if (saw_nonzero) digits--;  // significant digits after the first non-zero
      }
    }
    if (!has_point) {
      // A lone leading 0 counts once towards the digits.
      if (num.size() - start == 2 && num[start + 1] == '0') digits--;
      num.write_byte('.');
    }
    if (digits > 0) num.write_bytes('0', static_cast<std::size_t>(digits));
    num.write(tail);
  }
  // Show the sign if asked for or negative.
  if (f.plus || num[start] != '+') {
    // Zero padding goes between the sign and the digits.
    const auto n = static_cast<int>(num.size() - start);
    if (f.zero && f.wid_present && wid > n) {
      buf->write_byte(num[start]);
      write_padding(wid - n);
      buf->write(num.view().substr(start + 1));
      return;
    }
    pad(s());
    return;
  }
  // A positive number without a sign to show.
  pad(num.view().substr(start + 1));
}

}  // namespace gofer::fmt::detail
