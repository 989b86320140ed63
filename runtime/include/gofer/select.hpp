// gofer/select.hpp — Go's select statement.
//
//   select {                              select(
//   case v := <-c1:                           recv(c1, [&](int v) { ... }),
//   case v, ok := <-c2:                       recv(c2, [&](int v, bool ok) { ... }),
//   case <-done:                              recv(done, [&] { ... }),
//   case c3 <- x:                             send(c3, x, [&] { ... }),
//   default:                                  default_([&] { ... }));
//   }
//
// select returns the index of the case that ran (-1 for default). Among
// several ready cases one is chosen uniformly at random; a case on a nil
// channel never fires; a select with no cases blocks forever; the same
// channel may appear in several cases. A send case on a closed channel
// panics ("send on closed channel"), as in Go. The compile-time form keeps
// its cases and their wait records on the stack: no heap allocation.
//
// For a number of cases known only at run time (Go's reflect.Select):
//
//   std::vector<select_case> cases;
//   cases.push_back(select_case::recv(ch, &v, &ok));
//   cases.push_back(select_case::send(out, &x));
//   int chosen = select(cases);                 // or select(cases, true) with a default
//
// Port of runtime.selectgo (select.go, go1.19): lock every channel in
// address order, poll the cases in a random order, else enqueue on all,
// park, win once, dequeue from the rest.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <tuple>
#include <type_traits>
#include <utility>

#include "gofer/chan.hpp"

namespace gofer {

namespace detail {

// scase: one case as the core sees it (Go's scase).
struct scase {
  hchan* c = nullptr;     // nil channel: the case never fires
  void* elem = nullptr;   // send: the value (moved if chosen); recv: the destination (T, constructed)
  bool is_send = false;
};

struct select_result {
  int index;     // chosen case, or -1 when block == false and none was ready
  bool recv_ok;  // for a receive: a real value (false: closed channel)
};

// selectgo runs a select over cases[0..n). With block == false it returns
// {-1, false} if no case is ready (the default case). Any fiber or thread.
select_result selectgo(scase* cases, int n, bool block);


}  // namespace detail

// The case types live in namespace gofer (not detail) so that an
// unqualified select(recv(...), ...) finds gofer::select by
// argument-dependent lookup, even next to ::select from <sys/select.h>.
template <class T, class F>
struct recv_case {
  detail::hchan* c;
  F f;
  T value{};
  detail::scase make() { return detail::scase{c, &value, false}; }
  void run(bool ok) {
    if constexpr (std::is_invocable_v<F&, T&&, bool>) {
      f(std::move(value), ok);
    } else if constexpr (std::is_invocable_v<F&, T&&>) {
      f(std::move(value));
    } else {
      static_assert(std::is_invocable_v<F&>, "recv case: f(v, ok), f(v) or f()");
      f();
    }
  }
};

template <class T, class F>
struct send_case {
  detail::hchan* c;
  T value;
  F f;
  detail::scase make() { return detail::scase{c, &value, true}; }
  void run(bool) { f(); }
};

template <class F>
struct default_case {
  F f;
};


namespace detail {
template <class C>
struct is_default : std::false_type {};
template <class F>
struct is_default<default_case<F>> : std::true_type {};

template <class C>
struct is_case : std::false_type {};
template <class T, class F>
struct is_case<recv_case<T, F>> : std::true_type {};
template <class T, class F>
struct is_case<send_case<T, F>> : std::true_type {};
template <class F>
struct is_case<default_case<F>> : std::true_type {};
}  // namespace detail

// recv(c, f): `case v := <-c:` (f(v)), `case v, ok := <-c:` (f(v, ok)),
// `case <-c:` (f()).
template <ChanElem T, class F>
recv_case<T, std::decay_t<F>> recv(const chan<T>& c, F&& f) {
  return {c.raw(), std::forward<F>(f)};
}
template <ChanElem T, class F>
recv_case<T, std::decay_t<F>> recv(const recv_chan<T>& c, F&& f) {
  return {c.raw(), std::forward<F>(f)};
}
// send(c, v, f): `case c <- v:`. v is evaluated (copied or moved) when the
// case is built, as Go evaluates it on entering the select.
template <ChanElem T, class V, class F>
send_case<T, std::decay_t<F>> send(const chan<T>& c, V&& v, F&& f) {
  return {c.raw(), T(std::forward<V>(v)), std::forward<F>(f)};
}
template <ChanElem T, class V, class F>
send_case<T, std::decay_t<F>> send(const send_chan<T>& c, V&& v, F&& f) {
  return {c.raw(), T(std::forward<V>(v)), std::forward<F>(f)};
}
// default_(f): `default:`.
template <class F>
default_case<std::decay_t<F>> default_(F&& f) {
  return {std::forward<F>(f)};
}

// select: see the file comment. Returns the index of the case that ran
// among the non-default cases, or -1 when the default ran.
template <class... Cases>
  requires(detail::is_case<std::decay_t<Cases>>::value && ...)
int select(Cases&&... cases) {
  constexpr std::size_t ndefault = (0 + ... + (detail::is_default<std::decay_t<Cases>>::value ? 1 : 0));
  static_assert(ndefault <= 1, "select: at most one default case");
  auto all = std::forward_as_tuple(cases...);
  constexpr std::size_t n = sizeof...(Cases) - ndefault;
  std::array<detail::scase, n == 0 ? 1 : n> sc{};
  int idx_of[sizeof...(Cases)];
  {
    int k = 0, i = 0;
    auto add = [&](auto& cs) {
      if constexpr (!detail::is_default<std::decay_t<decltype(cs)>>::value) {
        idx_of[i] = k;
        sc[static_cast<std::size_t>(k++)] = cs.make();
      } else {
        idx_of[i] = -1;
      }
      i++;
    };
    std::apply([&](auto&... cs) { (add(cs), ...); }, all);
  }
  detail::select_result r;
  if constexpr (n == 1 && ndefault == 1) {
    // One case and a default: Go's compiler turns this into selectnbsend /
    // selectnbrecv (a non-blocking chansend / chanrecv), skipping selectgo's
    // lock-all/enqueue machinery. Same semantics: a nil channel takes the
    // default, a send on a closed channel panics, a closed channel's
    // receive completes with ok == false.
    detail::scase& c0 = sc[0];
    if (c0.c == nullptr) {
      r = {-1, false};
    } else if (c0.is_send) {
      r = {c0.c->send(c0.elem, false) ? 0 : -1, false};
    } else {
      auto rr = c0.c->recv(c0.elem, false);
      r = {rr.selected ? 0 : -1, rr.received};
    }
  } else {
    r = detail::selectgo(sc.data(), static_cast<int>(n), ndefault == 0);
  }
  int i = 0;
  auto dispatch = [&](auto& cs) {
    if constexpr (detail::is_default<std::decay_t<decltype(cs)>>::value) {
      if (r.index < 0) cs.f();
    } else {
      if (idx_of[i] == r.index) cs.run(r.recv_ok);
    }
    i++;
  };
  std::apply([&](auto&... cs) { (dispatch(cs), ...); }, all);
  return r.index;
}

// select_case: one case of a run-time list (reflect.SelectCase).
class select_case {
 public:
  // recv: receive into *dst (and whether it was a real value into *ok).
  template <ChanElem T>
  static select_case recv(const chan<T>& c, T* dst, bool* ok = nullptr) {
    return select_case(detail::scase{c.raw(), dst, false}, ok);
  }
  template <ChanElem T>
  static select_case recv(const recv_chan<T>& c, T* dst, bool* ok = nullptr) {
    return select_case(detail::scase{c.raw(), dst, false}, ok);
  }
  // send: send *src (moved from only if this case is chosen).
  template <ChanElem T>
  static select_case send(const chan<T>& c, T* src) {
    return select_case(detail::scase{c.raw(), src, true}, nullptr);
  }
  template <ChanElem T>
  static select_case send(const send_chan<T>& c, T* src) {
    return select_case(detail::scase{c.raw(), src, true}, nullptr);
  }

 private:
  friend int select(std::span<select_case> cases, bool with_default);
  select_case(detail::scase s, bool* ok) : s_(s), ok_(ok) {}
  detail::scase s_;
  bool* ok_;
};

// select over a run-time list; with_default adds a default case. Returns
// the chosen index, or -1 for the default. Cases on nil channels never fire.
int select(std::span<select_case> cases, bool with_default = false);

}  // namespace gofer
