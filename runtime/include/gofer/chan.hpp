// gofer/chan.hpp — Go's channels: chan<T>, make_chan, close, len, cap,
// range-for, and the directional views send_chan<T> / recv_chan<T>.
//
//   ch := make(chan int, 10)      auto ch = make_chan<int>(10);
//   var nilch chan int            chan<int> nilch;
//   ch <- v                       ch.send(v);
//   v := <-ch                     auto v = ch.recv();
//   v, ok := <-ch                 auto [v, ok] = ch.recv2();
//   close(ch); len(ch); cap(ch)   close(ch); len(ch); cap(ch);
//   for v := range ch { ... }     for (auto v : ch) { ... }
//   func f(out chan<- int)        void f(send_chan<int> out)
//   func g(in <-chan int)         void g(recv_chan<int> in)
//
// A chan<T> is a handle: copies share one channel, as in Go. A default-made
// chan<T> is nil: send and receive block forever, close panics. Go's panics
// are gofer::panic_error with Go's text: "send on closed channel", "close of
// closed channel", "close of nil channel", and "makechan: size out of range"
// for a negative capacity.
//
// Semantics are Go's (a port of runtime/chan.go): a receive from a closed
// channel first drains the buffer, then yields T{} with ok == false; an
// unbuffered send completes only when a receiver takes the value; waiting
// senders and receivers are served FIFO. Values are moved, never copied,
// through the channel, so move-only element types (std::unique_ptr) work,
// and so do empty ones (struct{}). T must be default-constructible (Go's
// zero value) and movable.
//
// Channels work from fibers (which park) and from plain threads (which
// block), and between the two.
#pragma once

#include <concepts>
#include <cstddef>
#include <iterator>
#include <utility>

#include "gofer/detail/hchan.hpp"
#include "gofer/panic.hpp"

namespace gofer {

// empty is Go's struct{}: the element type of channels that only signal
// (context's Done(), a quit channel).
struct empty {
  friend constexpr bool operator==(empty, empty) noexcept { return true; }
};

template <class T>
concept ChanElem = std::default_initializable<T> && std::movable<T>;

template <ChanElem T>
class chan;
template <ChanElem T>
class send_chan;
template <ChanElem T>
class recv_chan;

namespace detail {

// chan_handle: the shared, reference-counted pointer to an hchan.
class chan_handle {
 public:
  chan_handle() = default;
  explicit chan_handle(hchan* c) noexcept : c_(c) {}
  chan_handle(const chan_handle& o) noexcept : c_(o.c_) {
    if (c_) c_->retain();
  }
  chan_handle(chan_handle&& o) noexcept : c_(std::exchange(o.c_, nullptr)) {}
  chan_handle& operator=(chan_handle o) noexcept {
    std::swap(c_, o.c_);
    return *this;
  }
  ~chan_handle() {
    if (c_) c_->release();
  }
  hchan* get() const noexcept { return c_; }

 private:
  hchan* c_ = nullptr;
};

template <class T>
class chan_iterator {
 public:
  using value_type = T;
  using difference_type = std::ptrdiff_t;
  chan_iterator() = default;
  explicit chan_iterator(hchan* c) : c_(c) { advance(); }
  T& operator*() noexcept { return v_; }
  chan_iterator& operator++() {
    advance();
    return *this;
  }
  void operator++(int) { advance(); }
  friend bool operator==(const chan_iterator& it, std::default_sentinel_t) noexcept {
    return it.done_;
  }

 private:
  void advance() {
    if (c_ == nullptr) block_forever();  // range over a nil channel
    done_ = !c_->recv(&v_, true).received;
  }
  hchan* c_ = nullptr;
  T v_{};
  bool done_ = false;
};

// make_hchan validates cap (Go's makechan) and allocates the channel.
hchan* make_hchan(const elem_ops* ops, std::ptrdiff_t cap);

}  // namespace detail

// recv_result: what recv2 returns, `auto [v, ok] = ch.recv2();`.
template <class T>
struct recv_result {
  T value;
  bool ok;
};

template <ChanElem T>
class chan {
 public:
  using value_type = T;
  chan() = default;  // nil
  chan(std::nullptr_t) noexcept {}  // nil, `var c chan T = nil`
  chan& operator=(std::nullptr_t) noexcept {  // `c = nil`
    h_ = detail::chan_handle();
    return *this;
  }

  // send: `ch <- v`. Blocks until a receiver or buffer space takes it.
  void send(const T& v) const {
    T tmp(v);
    send_impl(&tmp);
  }
  void send(T&& v) const { send_impl(&v); }

  // recv: `<-ch`. T{} once the channel is closed and drained.
  T recv() const {
    T v{};
    recv_impl(&v);
    return v;
  }
  // recv2: `v, ok := <-ch`.
  recv_result<T> recv2() const {
    recv_result<T> r{T{}, false};
    r.ok = recv_impl(&r.value);
    return r;
  }

  // try_send: `select { case ch <- v: ...; default: }`. Returns whether the
  // value was sent; on false an rvalue argument is left untouched.
  bool try_send(T&& v) const { return try_send_impl(&v); }
  bool try_send(const T& v) const {
    T tmp(v);
    return try_send_impl(&tmp);
  }
  // try_recv: `select { case v, ok := <-ch: ...; default: }`. Returns false
  // when nothing was ready; else stores the value (T{} if closed) in out
  // and whether it was a real value in *ok.
  bool try_recv(T& out, bool* ok = nullptr) const {
    auto* c = h_.get();
    if (c == nullptr) return false;
    auto r = c->recv(&out, false);
    if (ok) *ok = r.received;
    return r.selected;
  }

  detail::chan_iterator<T> begin() const { return detail::chan_iterator<T>(h_.get()); }
  std::default_sentinel_t end() const noexcept { return {}; }

  friend void close(const chan& c) {
    if (c.h_.get() == nullptr) detail::throw_panic("close of nil channel");
    c.h_.get()->close();
  }
  friend std::size_t len(const chan& c) noexcept { return c.h_.get() ? c.h_.get()->len() : 0; }
  friend std::size_t cap(const chan& c) noexcept { return c.h_.get() ? c.h_.get()->cap() : 0; }
  friend bool operator==(const chan& a, const chan& b) noexcept {
    return a.h_.get() == b.h_.get();
  }
  friend bool operator==(const chan& a, std::nullptr_t) noexcept { return a.h_.get() == nullptr; }

  detail::hchan* raw() const noexcept { return h_.get(); }

 private:
  template <ChanElem U>
  friend chan<U> make_chan(std::ptrdiff_t);
  friend class send_chan<T>;
  friend class recv_chan<T>;
  explicit chan(detail::hchan* c) : h_(c) {}

  void send_impl(T* v) const {
    auto* c = h_.get();
    if (c == nullptr) detail::block_forever();
    c->send(v, true);
  }
  bool try_send_impl(T* v) const {
    auto* c = h_.get();
    if (c == nullptr) return false;
    return c->send(v, false);
  }
  bool recv_impl(T* v) const {
    auto* c = h_.get();
    if (c == nullptr) detail::block_forever();
    return c->recv(v, true).received;
  }

  detail::chan_handle h_;
};

// make_chan: `make(chan T, cap)`. cap 0 is unbuffered; a negative cap
// throws panic_error "makechan: size out of range".
template <ChanElem T>
chan<T> make_chan(std::ptrdiff_t cap = 0) {
  return chan<T>(detail::make_hchan(&detail::elem_ops_for<T>, cap));
}

// send_chan<T>: `chan<- T`, a view that can only send and close.
template <ChanElem T>
class send_chan {
 public:
  send_chan() = default;
  send_chan(const chan<T>& c) : c_(c) {}  // implicit, as in Go
  void send(const T& v) const { c_.send(v); }
  void send(T&& v) const { c_.send(std::move(v)); }
  bool try_send(T&& v) const { return c_.try_send(std::move(v)); }
  bool try_send(const T& v) const { return c_.try_send(v); }
  friend void close(const send_chan& c) { close(c.c_); }
  friend std::size_t len(const send_chan& c) noexcept { return len(c.c_); }
  friend std::size_t cap(const send_chan& c) noexcept { return cap(c.c_); }
  friend bool operator==(const send_chan& a, std::nullptr_t) noexcept { return a.c_ == nullptr; }
  detail::hchan* raw() const noexcept { return c_.raw(); }

 private:
  chan<T> c_;
};

// recv_chan<T>: `<-chan T`, a view that can only receive.
template <ChanElem T>
class recv_chan {
 public:
  recv_chan() = default;
  recv_chan(const chan<T>& c) : c_(c) {}  // implicit, as in Go
  T recv() const { return c_.recv(); }
  recv_result<T> recv2() const { return c_.recv2(); }
  bool try_recv(T& out, bool* ok = nullptr) const { return c_.try_recv(out, ok); }
  detail::chan_iterator<T> begin() const { return c_.begin(); }
  std::default_sentinel_t end() const noexcept { return {}; }
  friend std::size_t len(const recv_chan& c) noexcept { return len(c.c_); }
  friend std::size_t cap(const recv_chan& c) noexcept { return cap(c.c_); }
  friend bool operator==(const recv_chan& a, std::nullptr_t) noexcept { return a.c_ == nullptr; }
  detail::hchan* raw() const noexcept { return c_.raw(); }

 private:
  chan<T> c_;
};

}  // namespace gofer
