// gofer/detail/fmt_operand.hpp — the type-erased operand that gofer::fmt's
// variadic templates turn each argument into (not API; see gofer/fmt.hpp).
//
// Go's fmt receives its operands as `...any` and inspects them with a type
// switch and reflection at run time. C++ has no reflection, so each argument
// is converted here, at compile time, into an `operand`: a kind, the value
// itself for basic kinds (bool, integers, floats, strings, pointers, errors),
// and a pointer to a static `type_ops` table that supplies what reflection
// would: the Go-like type name (%T), the String()/Error()/operator<< text,
// and the elements of a container. The formatting engine (runtime/src/fmt_*)
// works only on operands, so it is compiled once.
//
// Invariants:
//   - An operand never owns anything: string, obj and err point into the
//     caller's arguments, which outlive the formatting call (they are bound
//     to `const Args&...` of Sprintf and friends). No heap allocation is made
//     to build one.
//   - ops is nullptr exactly for kind::nil; for every other kind ops->name
//     is set. ops->str is set for types with a String()/Error() method or
//     an operator<<, and for time::Duration; ops->elems for containers and
//     pairs; ops->bytes for contiguous containers of bytes (Go's []byte).
//   - For kind::error, err is non-null (a nil gofer::error is kind::nil, as
//     a nil Go interface is), and ops->as_error, when set, returns an error
//     sharing (gofer::error) or copying (an error_interface by value) it.
#pragma once

#include <algorithm>
#include <chrono>
#include <complex>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <memory>
#include <ostream>
#include <ranges>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "gofer/errors.hpp"

namespace gofer::fmt::detail {

// kind is the operand's Go kind, as reflect.Kind would report it.
enum class kind : std::uint8_t {
  nil,        // untyped nil, a nil error, nullptr
  boolean,    // bool
  sint,       // signed integers (and Duration, enums with a signed base)
  uint,       // unsigned integers, char (Go's byte)
  floating,   // float (size 32), double and long double (size 64)
  complex,    // std::complex (size 64 or 128)
  string,     // std::string, std::string_view, const char*, char arrays
  pointer,    // T*, std::shared_ptr, std::unique_ptr
  error,      // a non-nil gofer::error, or an error_interface by value
  slice,      // ranges: std::vector, std::list, std::span, ... ([]T)
  array,      // std::array<T, N>, T[N] ([N]T)
  map,        // ranges with key_type and mapped_type (map[K]V)
  pair,       // std::pair, printed as Go prints a struct {first second}
  opaque,     // a class printed through String(), Error() or operator<<
};

struct operand;

// elem_sink receives the elements of a container operand, in Go's order
// (maps sorted by key). Implemented by the engine.
class elem_sink {
 public:
  virtual void elem(const operand& v) = 0;
  virtual void entry(const operand& key, const operand& value) = 0;

 protected:
  ~elem_sink() = default;
};

// type_ops is the per-type table that stands in for reflection.
struct type_ops {
  void (*name)(std::string& out) = nullptr;                         // Go-like type name
  void (*str)(const operand& op, std::string& out) = nullptr;      // Stringer text
  void (*elems)(const void* obj, elem_sink& sink) = nullptr;       // container elements
  std::string_view (*bytes)(const void* obj) = nullptr;            // []byte contents
  error (*as_error)(const void* obj) = nullptr;                    // the error, for %w
};

struct str_ref {
  const char* p;
  std::size_t n;
};

struct operand {
  kind k = kind::nil;
  std::uint8_t size = 0;  // bits of a floating (32/64) or complex (64/128) value
  union {
    bool b;
    std::int64_t i;
    std::uint64_t u;
    double f;
    double c[2];  // complex: real, imaginary
    str_ref s;
    const void* ptr;  // pointer value, or a slice's data for %p
    const error_interface* err;
  } v{};
  const void* obj = nullptr;  // the argument itself, for ops->str / ops->elems
  const type_ops* ops = nullptr;
};

// append_demangled appends the demangled C++ name of t (fmt_print.cpp).
void append_demangled(std::string& out, const std::type_info& t);
// append_duration appends Go's Duration.String() of ns nanoseconds.
void append_duration(std::string& out, std::int64_t ns);
// stream_into appends what write(os, obj) puts on an ostream.
void stream_into(std::string& out, const void* obj, void (*write)(std::ostream&, const void*));

// ---- type traits ----------------------------------------------------------

template <class T>
struct is_duration : std::false_type {};
template <class R, class P>
struct is_duration<std::chrono::duration<R, P>> : std::true_type {};

template <class T>
struct is_pair : std::false_type {};
template <class A, class B>
struct is_pair<std::pair<A, B>> : std::true_type {};

template <class T>
struct is_std_array : std::false_type {};
template <class T, std::size_t N>
struct is_std_array<std::array<T, N>> : std::true_type {};

template <class T>
struct is_complex : std::false_type {};
template <class F>
struct is_complex<std::complex<F>> : std::true_type {};

template <class T>
struct smart_ptr_elem {};
template <class T>
struct smart_ptr_elem<std::shared_ptr<T>> {
  using type = T;
};
template <class T, class D>
struct smart_ptr_elem<std::unique_ptr<T, D>> {
  using type = T;
};
template <class T>
concept smart_pointer = requires { typename smart_ptr_elem<T>::type; };

// Arrays of these are strings (string literals, char buffers).
template <class C>
inline constexpr bool is_char_type = std::is_same_v<C, char> || std::is_same_v<C, char8_t>;

template <class T>
concept char_pointer = std::is_pointer_v<T> && (std::is_same_v<std::remove_cv_t<std::remove_pointer_t<T>>, char>);

template <class T>
concept string_like = !std::is_pointer_v<T> && !std::is_array_v<T> &&
                      std::is_convertible_v<const T&, std::string_view>;

template <class T>
concept has_error_method = requires(const T& x) {
  { x.Error() } -> std::convertible_to<std::string>;
};
template <class T>
concept has_string_method = requires(const T& x) {
  { x.String() } -> std::convertible_to<std::string>;
};
template <class T>
concept streamable = requires(std::ostream& os, const T& x) { os << x; };

template <class T>
concept map_like = std::ranges::range<const T> && requires {
  typename T::key_type;
  typename T::mapped_type;
};
template <class T>
concept slice_like = std::ranges::range<const T> &&
                     !std::is_same_v<std::remove_cvref_t<std::ranges::range_value_t<const T>>, T>;

template <class T>
concept byte_type = std::is_same_v<T, char> || std::is_same_v<T, unsigned char> ||
                    std::is_same_v<T, char8_t> || std::is_same_v<T, std::byte>;

// ---- Go-like type names (%T) -------------------------------------------

template <class T>
void type_name(std::string& out);

template <class T>
void type_name(std::string& out) {
  using U = std::remove_cv_t<T>;
  if constexpr (std::is_same_v<U, bool>) out += "bool";
  else if constexpr (std::is_same_v<U, char> || std::is_same_v<U, unsigned char> ||
                     std::is_same_v<U, char8_t> || std::is_same_v<U, std::byte>)
    out += "uint8";
  else if constexpr (std::is_same_v<U, signed char>) out += "int8";
  else if constexpr (std::is_same_v<U, char16_t>) out += "uint16";
  else if constexpr (std::is_same_v<U, char32_t> || std::is_same_v<U, wchar_t>) out += "int32";
  else if constexpr (std::is_same_v<U, int>) out += "int";
  else if constexpr (std::is_same_v<U, unsigned>) out += "uint";
  else if constexpr (std::is_integral_v<U>) {
    out += std::is_signed_v<U> ? "int" : "uint";
    out += sizeof(U) == 1 ? "8" : sizeof(U) == 2 ? "16" : sizeof(U) == 4 ? "32" : "64";
  } else if constexpr (std::is_same_v<U, float>) out += "float32";
  else if constexpr (std::is_floating_point_v<U>) out += "float64";
  else if constexpr (std::is_same_v<U, std::complex<float>>) out += "complex64";
  else if constexpr (is_complex<U>::value) out += "complex128";
  else if constexpr (std::is_same_v<U, std::nullptr_t>) out += "<nil>";
  else if constexpr (std::is_same_v<U, error>) out += "error";
  else if constexpr (is_duration<U>::value) out += "time.Duration";
  else if constexpr (char_pointer<U> || string_like<U>) out += "string";
  else if constexpr (std::is_array_v<U> && is_char_type<std::remove_cv_t<std::remove_extent_t<U>>>)
    out += "string";
  else if constexpr (std::is_pointer_v<U>) {
    using E = std::remove_cv_t<std::remove_pointer_t<U>>;
    if constexpr (std::is_void_v<E>) out += "unsafe.Pointer";
    else if constexpr (std::is_function_v<E>) append_demangled(out, typeid(U));
    else {
      out += '*';
      type_name<E>(out);
    }
  } else if constexpr (smart_pointer<U>) {
    out += '*';
    type_name<typename smart_ptr_elem<U>::type>(out);
  } else if constexpr (is_pair<U>::value) {
    out += "struct { first ";
    type_name<typename U::first_type>(out);
    out += "; second ";
    type_name<typename U::second_type>(out);
    out += " }";
  } else if constexpr (std::is_array_v<U>) {
    out += '[';
    out += std::to_string(std::extent_v<U>);
    out += ']';
    type_name<std::remove_extent_t<U>>(out);
  } else if constexpr (is_std_array<U>::value) {
    out += '[';
    out += std::to_string(std::tuple_size_v<U>);
    out += ']';
    type_name<typename U::value_type>(out);
  } else if constexpr (!std::is_base_of_v<error_interface, U> && !has_error_method<U> &&
                       !has_string_method<U> && map_like<U>) {
    out += "map[";
    type_name<typename U::key_type>(out);
    out += ']';
    type_name<typename U::mapped_type>(out);
  } else if constexpr (!std::is_base_of_v<error_interface, U> && !has_error_method<U> &&
                       !has_string_method<U> && slice_like<U>) {
    out += "[]";
    type_name<std::remove_cvref_t<std::ranges::range_value_t<const U>>>(out);
  } else {
    append_demangled(out, typeid(U));
  }
}

// ---- operands -----------------------------------------------------------

template <class T>
operand make_operand(const T& x);

template <class T>
inline constexpr type_ops named_ops{&type_name<T>};

// Text of x's String()/Error()/operator<<, for ops->str.
template <class T>
void str_of(const operand& op, std::string& out) {
  const T& x = *static_cast<const T*>(op.obj);
  if constexpr (std::is_base_of_v<error_interface, T>) out += x.Error();
  else if constexpr (has_error_method<T>) out += x.Error();
  else if constexpr (has_string_method<T>) out += x.String();
  else {
    stream_into(out, op.obj, [](std::ostream& os, const void* p) { os << *static_cast<const T*>(p); });
  }
}

template <class T>
inline constexpr type_ops stringer_ops{&type_name<T>, &str_of<T>};

template <class T>
error as_error_of(const void* obj) {
  if constexpr (std::is_same_v<T, error>)
    return *static_cast<const error*>(obj);
  else
    return make_error<T>(*static_cast<const T*>(obj));
}
template <class T>
constexpr type_ops error_ops() {
  type_ops o{&type_name<T>};
  if constexpr (std::is_same_v<T, error> || std::is_copy_constructible_v<T>) o.as_error = &as_error_of<T>;
  return o;
}
template <class T>
inline constexpr type_ops error_ops_v = error_ops<T>();

inline void str_of_duration(const operand& op, std::string& out) { append_duration(out, op.v.i); }
template <class T>
inline constexpr type_ops duration_ops{&type_name<T>, &str_of_duration};

// Elements of a range, in iteration order.
template <class T>
void elems_of_range(const void* obj, elem_sink& sink) {
  for (auto&& e : *static_cast<const T*>(obj)) sink.elem(make_operand(e));
}

// Entries of a map, sorted by key as Go's fmt does (internal/fmtsort): a
// std::map with std::less is already in that order; others are sorted with
// std::less on the keys when the keys are ordered, else left as iterated.
template <class T>
void elems_of_map(const void* obj, elem_sink& sink) {
  const T& m = *static_cast<const T*>(obj);
  using K = typename T::key_type;
  constexpr bool sorted_by_less = requires {
    typename T::key_compare;
  } && (std::is_same_v<typename T::key_compare, std::less<K>> ||
        std::is_same_v<typename T::key_compare, std::less<>>);
  if constexpr (sorted_by_less || !std::totally_ordered<K>) {
    for (const auto& [k, v] : m) sink.entry(make_operand(k), make_operand(v));
  } else {
    std::vector<const typename T::value_type*> es;
    es.reserve(m.size());
    for (const auto& e : m) es.push_back(&e);
    std::stable_sort(es.begin(), es.end(), [](auto* a, auto* b) { return std::less<K>{}(a->first, b->first); });
    for (auto* e : es) sink.entry(make_operand(e->first), make_operand(e->second));
  }
}

template <class T>
void elems_of_pair(const void* obj, elem_sink& sink) {
  const T& p = *static_cast<const T*>(obj);
  sink.elem(make_operand(p.first));
  sink.elem(make_operand(p.second));
}

template <class T>
std::string_view bytes_of(const void* obj) {
  const T& c = *static_cast<const T*>(obj);
  return std::string_view(reinterpret_cast<const char*>(std::ranges::data(c)), std::ranges::size(c));
}

template <class T>
constexpr type_ops container_ops() {
  type_ops o{&type_name<T>};
  if constexpr (is_pair<T>::value) {
    o.elems = &elems_of_pair<T>;
  } else if constexpr (map_like<T>) {
    o.elems = &elems_of_map<T>;
  } else {
    o.elems = &elems_of_range<T>;
    using E = std::remove_cvref_t<std::ranges::range_value_t<const T>>;
    if constexpr (std::ranges::contiguous_range<const T> && std::ranges::sized_range<const T> &&
                  byte_type<E>)
      o.bytes = &bytes_of<T>;
  }
  return o;
}
template <class T>
inline constexpr type_ops container_ops_v = container_ops<T>();

template <class T>
operand int_operand(T x, const type_ops* ops) {
  operand o;
  if constexpr ((std::is_signed_v<T> && !std::is_same_v<T, char>) || std::is_same_v<T, char32_t>) {
    o.k = kind::sint;
    o.v.i = static_cast<std::int64_t>(x);
  } else {
    o.k = kind::uint;  // char is Go's byte: unsigned whatever its C++ signedness
    o.v.u = static_cast<std::uint64_t>(static_cast<std::make_unsigned_t<T>>(x));
  }
  o.ops = ops;
  return o;
}

inline operand string_operand(const char* p, std::size_t n) {
  operand o;
  o.k = kind::string;
  o.v.s = {p, n};
  o.ops = &named_ops<std::string>;
  return o;
}

// make_operand converts one argument. The order of the tests is Go's
// handleMethods order: error, then Stringer, then the kind of the value.
template <class T>
operand make_operand(const T& x) {
  operand o;
  if constexpr (std::is_same_v<T, std::nullptr_t>) {
    return o;
  } else if constexpr (std::is_same_v<T, bool>) {
    o.k = kind::boolean;
    o.v.b = x;
    o.ops = &named_ops<bool>;
  } else if constexpr (std::is_same_v<T, std::byte>) {
    return int_operand(static_cast<unsigned char>(x), &named_ops<std::byte>);
  } else if constexpr (std::is_integral_v<T>) {
    return int_operand(x, &named_ops<T>);
  } else if constexpr (std::is_enum_v<T>) {
    using B = std::underlying_type_t<T>;
    if constexpr (streamable<T>)
      o = int_operand(static_cast<B>(x), &stringer_ops<T>);
    else
      o = int_operand(static_cast<B>(x), &named_ops<T>);
    o.obj = &x;
  } else if constexpr (std::is_floating_point_v<T>) {
    o.k = kind::floating;
    o.size = std::is_same_v<T, float> ? 32 : 64;
    o.v.f = static_cast<double>(x);
    o.ops = &named_ops<T>;
  } else if constexpr (is_complex<T>::value) {
    o.k = kind::complex;
    o.size = std::is_same_v<T, std::complex<float>> ? 64 : 128;
    o.v.c[0] = static_cast<double>(x.real());
    o.v.c[1] = static_cast<double>(x.imag());
    o.ops = &named_ops<T>;
  } else if constexpr (char_pointer<T>) {
    if (x == nullptr) {  // Go has no null string: a nil *byte
      o.k = kind::pointer;
      o.v.ptr = nullptr;
      o.ops = &named_ops<const unsigned char*>;
      return o;
    }
    return string_operand(x, std::strlen(x));
  } else if constexpr (std::is_array_v<T> && is_char_type<std::remove_cv_t<std::remove_extent_t<T>>>) {
    const char* p = reinterpret_cast<const char*>(x);
    return string_operand(p, static_cast<std::size_t>(std::find(p, p + std::extent_v<T>, '\0') - p));
  } else if constexpr (std::is_same_v<T, error>) {
    if (!x) return o;
    o.k = kind::error;
    o.v.err = x.get();
    o.obj = &x;
    o.ops = &error_ops_v<error>;
  } else if constexpr (std::is_base_of_v<error_interface, T>) {
    o.k = kind::error;
    o.v.err = &x;
    o.obj = &x;
    o.ops = &error_ops_v<T>;
  } else if constexpr (is_duration<T>::value) {
    o.k = kind::sint;
    o.v.i = std::chrono::duration_cast<std::chrono::nanoseconds>(x).count();
    o.ops = &duration_ops<T>;
  } else if constexpr (string_like<T>) {
    std::string_view sv = x;
    return string_operand(sv.data(), sv.size());
  } else if constexpr (std::is_pointer_v<T> || std::is_member_pointer_v<T>) {
    static_assert(!std::is_member_pointer_v<T>, "gofer::fmt: member pointers cannot be formatted");
    o.k = kind::pointer;
    if constexpr (std::is_function_v<std::remove_pointer_t<T>>)
      o.v.ptr = reinterpret_cast<const void*>(x);
    else
      o.v.ptr = static_cast<const void*>(x);
    o.ops = &named_ops<T>;
  } else if constexpr (smart_pointer<T>) {
    o.k = kind::pointer;
    o.v.ptr = static_cast<const void*>(x.get());
    o.ops = &named_ops<T>;
  } else if constexpr (has_error_method<T> || has_string_method<T>) {
    o.k = kind::opaque;
    o.obj = &x;
    o.ops = &stringer_ops<T>;
  } else if constexpr (is_pair<T>::value) {
    o.k = kind::pair;
    o.obj = &x;
    o.ops = &container_ops_v<T>;
  } else if constexpr (map_like<T>) {
    o.k = kind::map;
    o.obj = &x;
    o.v.ptr = &x;
    o.ops = &container_ops_v<T>;
  } else if constexpr (std::is_array_v<T> || is_std_array<T>::value) {
    o.k = kind::array;
    o.obj = &x;
    o.ops = &container_ops_v<T>;
  } else if constexpr (slice_like<T>) {
    o.k = kind::slice;
    o.obj = &x;
    if constexpr (std::ranges::contiguous_range<const T>) o.v.ptr = std::ranges::data(x);
    o.ops = &container_ops_v<T>;
  } else if constexpr (streamable<T>) {
    o.k = kind::opaque;
    o.obj = &x;
    o.ops = &stringer_ops<T>;
  } else {
    static_assert(streamable<T>,
                  "gofer::fmt cannot format this type: give it an operator<<, a String() or "
                  "Error() method, or make it a range");
  }
  return o;
}

}  // namespace gofer::fmt::detail
