// fmt_isprint.cpp — strconv.IsPrint's tables, for %q.
//
// The tables (fmt_isprint_tables.inc) are generated from Go's
// src/strconv/isprint.go (go1.19, Unicode 13.0.0) by scripts/gen-isprint.py;
// do not edit them by hand. The lookup is a port of strconv.IsPrint (quote.go).
//
// Invariants: isPrint16/isPrint32 are sorted pairs of inclusive ranges of
// printable runes; isNotPrint16/isNotPrint32 are sorted exceptions inside
// those ranges (isNotPrint32 entries are offsets from 0x10000).
#include <algorithm>
#include <cstdint>
#include <iterator>

#include "fmt_impl.hpp"

namespace gofer::fmt::detail {
namespace {
#include "fmt_isprint_tables.inc"

// lower_index is Go's bsearch16/bsearch32: the first i with t[i] >= x.
template <class T, std::size_t N>
std::size_t lower_index(const T (&t)[N], T x) {
  return static_cast<std::size_t>(std::lower_bound(std::begin(t), std::end(t), x) - std::begin(t));
}

// in_ranges reports whether x falls in one of the [lo, hi] pairs of t.
template <class T, std::size_t N>
bool in_ranges(const T (&t)[N], T x) {
  const std::size_t i = lower_index(t, x);
  return i < N && t[i & ~std::size_t(1)] <= x && x <= t[i | 1];
}

template <class T, std::size_t N>
bool contains(const T (&t)[N], T x) {
  const std::size_t j = lower_index(t, x);
  return j < N && t[j] == x;
}

}  // namespace

bool is_print_table(char32_t r) {
  if (r < 0x10000) {
    const auto rr = static_cast<std::uint16_t>(r);
    return in_ranges(kIsPrint16, rr) && !contains(kIsNotPrint16, rr);
  }
  const auto rr = static_cast<std::uint32_t>(r);
  if (!in_ranges(kIsPrint32, rr)) return false;
  if (r >= 0x20000) return true;
  return !contains(kIsNotPrint32, static_cast<std::uint16_t>(r - 0x10000));
}

}  // namespace gofer::fmt::detail
