// gofer/context.hpp — Go's package context: Background, TODO, WithCancel,
// WithDeadline, WithTimeout, WithValue, and Go 1.20/1.21's WithCancelCause,
// Cause, WithDeadlineCause, WithTimeoutCause, WithoutCancel and AfterFunc.
//
//   ctx, cancel := context.WithTimeout(parent, 5*time.Second)
//   auto [ctx, cancel] = context::WithTimeout(parent, 5 * time::Second);
//   defer cancel()                        gofer::defer d([&] { cancel(); });
//   select {                              select(
//   case <-ctx.Done(): return ctx.Err()       recv(ctx.Done(), [&] { ... }),
//   case v := <-in: ...                       recv(in, [&](int v) { ... }));
//   }
//   ctx = context.WithValue(ctx, k, v)    ctx = context::WithValue(ctx, k, v);
//   u, ok := ctx.Value(userKey).(*User)   const User* u = ctx.ValueAs<User>(userKey);
//
// Mirrors src/context/context.go (go1.19; go1.21 for the cause and AfterFunc
// additions). A Context is a cheap copyable handle (an intrusive reference
// count) to an immutable node of the context tree; a default-made Context is
// Go's nil Context. Context is not user-derivable: the tree holds only the
// node kinds of this file (Go's emptyCtx, cancelCtx, timerCtx, valueCtx,
// withoutCancelCtx, afterFuncCtx), so Go's "parent is not one of ours" path
// (a goroutine watching a foreign parent's Done) does not exist.
//
// Semantics are Go's: cancelling a context cancels its whole subtree before
// the cancel function returns; a child of a cancelled parent is cancelled at
// once; cancel is idempotent and may be called from any fiber or plain
// thread concurrently; Done() is nil for contexts that are never cancelled
// (Background, TODO, values over them), made lazily otherwise and closed
// exactly once; after Done is closed Err() is non-nil, and while it is open
// Err() is nil. Deadlines run on the runtime's timers (the runtime of the
// fiber that made the context, or the default runtime from a plain thread).
//
// Panics (gofer::panic_error, Go's texts): deriving from a nil Context,
// "cannot create context from nil parent"; calling a method of a nil
// Context, or a nil CancelFunc, "runtime error: invalid memory address or nil
// pointer dereference" (Go's nil interface call).
//
// Keys and values: a key may be any copyable, equality-comparable type;
// a lookup matches type AND value (Go's interface ==). As a convenience for
// ported code, a string literal or char pointer key or value is stored as a
// std::string (Go's string), so WithValue(ctx, "k", "v") and Value("k")
// compare by contents. A nil value (nullptr) is stored as an empty std::any,
// which is what Value returns when nothing matches: Go's nil.
//
// Lifetime (C++ specifics): a child holds its parent; a parent holds its
// cancellable children only weakly, so a context that nobody can reach any
// more is freed even if it was never cancelled (call cancel anyway: it
// releases the deadline timer, which keeps its context alive until it fires,
// as in Go). An AfterFunc registration is held by the context it watches. As
// with any reference count, a value or AfterFunc function that captures
// its own context makes a cycle that is freed only by cancelling.
#pragma once

#include <any>
#include <atomic>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include "gofer/chan.hpp"
#include "gofer/errors.hpp"
#include "gofer/time.hpp"

namespace gofer::context {

class Context;

namespace detail_context {

enum class kind : std::uint8_t { background, todo, cancel, timer, value, without_cancel };

// node: one context of the tree. Immutable after construction except for
// refs and the cancel state of cancel nodes (context.cpp). Not copyable.
//
// refs counts Context handles, cancel functions, children's parent
// pointers, a queued deadline timer and cancels in progress. It starts at 1
// (the creator's). Background and TODO are immortal (statically
// initialised, never counted), so copying them touches no shared cache line.
struct node {
  std::atomic<std::int64_t> refs{1};
  const kind k;
  const bool immortal;
  node* const parent;  // strong reference; null for Background/TODO
  node* const canc;    // nearest cancel/timer node, self included, or null (never cancelled)
  node* const dl;      // nearest timer node, self included, or null (no deadline)

  constexpr node(kind kk, node* p, node* c, node* d, bool imm = false) noexcept
      : k(kk), immortal(imm), parent(p), canc(c), dl(d) {}
  // A cancellable node (self_canc) and a deadline node (self_dl) are their
  // own canc / dl; otherwise both come from the parent p.
  node(kind kk, node* p, bool self_canc, bool self_dl) noexcept
      : k(kk),
        immortal(false),
        parent(p),
        canc(self_canc ? this : p->canc),
        dl(self_dl ? this : p->dl) {}
  node(const node&) = delete;
  node& operator=(const node&) = delete;
};

// destroy frees n, whose count reached zero, and then every ancestor whose
// count that drops to zero: iteratively, so a 10,000-deep chain cannot
// overflow a fiber's stack.
void destroy(node* n) noexcept;

inline void retain(node* n) noexcept {
  // relaxed: a new reference is made from an existing one, which keeps n
  // alive; only the decrement that frees needs ordering (as shared_ptr).
  if (n != nullptr && !n->immortal) n->refs.fetch_add(1, std::memory_order_relaxed);
}
inline void release(node* n) noexcept {
  // acq_rel: the last owner sees every other owner's writes before freeing.
  if (n != nullptr && !n->immortal && n->refs.fetch_sub(1, std::memory_order_acq_rel) == 1)
    destroy(n);
}

// node_ref: an owning pointer to a node.
class node_ref {
 public:
  node_ref() noexcept = default;
  explicit node_ref(node* n) noexcept : n_(n) {}  // adopts a reference
  node_ref(const node_ref& o) noexcept : n_(o.n_) { retain(n_); }
  node_ref(node_ref&& o) noexcept : n_(std::exchange(o.n_, nullptr)) {}
  node_ref& operator=(node_ref o) noexcept {
    std::swap(n_, o.n_);
    return *this;
  }
  ~node_ref() { release(n_); }
  node* get() const noexcept { return n_; }

 private:
  node* n_ = nullptr;
};

// value_node: Go's valueCtx.
struct value_node final : node {
  std::any key;
  std::any val;                                // empty for a nil value
  std::string (*describe)(const value_node&);  // "type K, val V" for String()

  value_node(node* p, std::any kk, std::any v, std::string (*d)(const value_node&)) noexcept
      : node(kind::value, p, p->canc, p->dl), key(std::move(kk)), val(std::move(v)), describe(d) {}
};

// stored_t: how a key or value of type T is stored (char strings become
// std::string, Go's string; everything else decays).
template <class T>
using stored_t = std::conditional_t<std::is_same_v<std::decay_t<T>, const char*> ||
                                        std::is_same_v<std::decay_t<T>, char*>,
                                    std::string, std::decay_t<T>>;

[[noreturn]] void throw_nil_parent();
[[noreturn]] void throw_nil_deref();
std::string type_name(const std::type_info& t);  // demangled; "string" for std::string

template <class V>
std::string stringify(const std::any& v) {  // Go's stringify
  if (const V* p = std::any_cast<V>(&v)) {
    if constexpr (std::is_same_v<V, std::string>) {
      return *p;
    } else if constexpr (requires {
                           { p->String() } -> std::convertible_to<std::string>;
                         }) {
      return p->String();
    }
  }
  return "<not Stringer>";
}

template <class K, class V>
std::string describe(const value_node& n) {
  return "type " + type_name(typeid(K)) + ", val " + stringify<V>(n.val);
}

Context make_value(const Context& parent, std::any key, std::any val,
                   std::string (*describe)(const value_node&));

const error& canceled_error() noexcept;
const error& deadline_exceeded_error() noexcept;

// deadline_exceeded: the type of DeadlineExceeded (Go's
// deadlineExceededError), with Go's Timeout and Temporary methods.
class deadline_exceeded final : public error_interface {
 public:
  std::string Error() const override { return "context deadline exceeded"; }
  bool Timeout() const noexcept { return true; }
  bool Temporary() const noexcept { return true; }
};

// Background and TODO: constant-initialised, so usable from any static
// initialiser of any translation unit.
extern constinit node background_node;
extern constinit node todo_node;

}  // namespace detail_context

// Canceled is the error Err returns when the context is canceled;
// DeadlineExceeded when its deadline passes. Inline variables initialised
// from function-local statics (context.cpp): every copy holds the same error
// value, so errors::Is and == match across translation units, and a static
// initialiser of another translation unit that includes this header is
// ordered after them (partially-ordered initialisation of inline
// variables). Code that may run before any of that (context.cpp itself)
// calls detail_context::canceled_error().
inline const error Canceled = detail_context::canceled_error();
inline const error DeadlineExceeded = detail_context::deadline_exceeded_error();

// Context: Go's context.Context. Copying is cheap (one relaxed atomic
// increment, none for Background/TODO). Every method may be called from any
// fiber or plain thread concurrently.
class Context {
 public:
  Context() noexcept = default;        // nil
  Context(std::nullptr_t) noexcept {}  // NOLINT: nil, as Go's
  explicit Context(detail_context::node_ref n) noexcept : n_(std::move(n)) {}

  // Done: a channel closed when this context is cancelled; nil (a default
  // recv_chan, never ready) for a context that can never be cancelled. The
  // same channel on every call. Nothing is ever sent on it; its capacity is
  // 1 (Go's is 0) so that a non-blocking receive from it is lock-free.
  // Returned by reference, like Go's channel value (no reference count
  // traffic in a `select` on it in a loop); the reference stays valid while
  // this Context or a copy of it lives — copy it (`auto d = ctx.Done();`)
  // to keep the channel beyond that.
  const recv_chan<empty>& Done() const;
  // Err: nil while Done is open; then Canceled or DeadlineExceeded.
  error Err() const;
  // Deadline: the time this context is cancelled by, and whether it has one.
  std::pair<time::Time, bool> Deadline() const;

  // Value: the value of the innermost WithValue whose key has key's type
  // and equals it; an empty std::any (Go's nil) if none.
  template <class K>
  std::any Value(const K& key) const {
    if (const detail_context::value_node* v = find(key)) return v->val;
    return {};
  }
  // ValueAs: `v, ok := ctx.Value(key).(V)` without copying: a pointer to
  // the value of the innermost match if it is a V, else null. Valid while
  // this Context (or a copy) lives.
  template <class V, class K>
  const V* ValueAs(const K& key) const {
    if (const detail_context::value_node* v = find(key)) return std::any_cast<V>(&v->val);
    return nullptr;
  }

  // String: Go's String of the context, e.g.
  // "context.Background.WithCancel.WithValue(type Key, val v)".
  std::string String() const;
  friend std::ostream& operator<<(std::ostream& os, const Context& c) {
    return c.n_.get() ? os << c.String() : os << "<nil>";
  }

  explicit operator bool() const noexcept { return n_.get() != nullptr; }
  // ==: identity, as Go's == on Context interface values.
  friend bool operator==(const Context& a, const Context& b) noexcept {
    return a.n_.get() == b.n_.get();
  }
  friend bool operator==(const Context& a, std::nullptr_t) noexcept {
    return a.n_.get() == nullptr;
  }

  detail_context::node* raw() const noexcept { return n_.get(); }

 private:
  detail_context::node* get() const {
    if (n_.get() == nullptr) detail_context::throw_nil_deref();
    return n_.get();
  }
  template <class K>
  const detail_context::value_node* find(const K& key) const {
    using KT = detail_context::stored_t<K>;
    static_assert(std::equality_comparable<KT>, "context key is not comparable");
    const KT& k = key;  // converts a char string to std::string
    for (const detail_context::node* n = get(); n != nullptr; n = n->parent) {
      if (n->k != detail_context::kind::value) continue;
      const auto* v = static_cast<const detail_context::value_node*>(n);
      if (const KT* p = std::any_cast<KT>(&v->key); p != nullptr && *p == k) return v;
    }
    return nullptr;
  }

  detail_context::node_ref n_;
};

// CancelFunc: Go's CancelFunc. Calling it cancels the context and its
// subtree (before returning) and releases the context's timer; later calls
// do nothing. Copyable; safe to call from any fiber or thread concurrently.
// A default-made CancelFunc is nil.
class CancelFunc {
 public:
  CancelFunc() noexcept = default;
  CancelFunc(std::nullptr_t) noexcept {}  // NOLINT
  explicit CancelFunc(detail_context::node_ref n) noexcept : n_(std::move(n)) {}
  void operator()() const;
  explicit operator bool() const noexcept { return n_.get() != nullptr; }
  friend bool operator==(const CancelFunc& f, std::nullptr_t) noexcept { return !f; }

 private:
  detail_context::node_ref n_;
};

// CancelCauseFunc: Go 1.20's CancelCauseFunc: as CancelFunc, and records
// cause (Canceled when nil) for Cause to return.
class CancelCauseFunc {
 public:
  CancelCauseFunc() noexcept = default;
  CancelCauseFunc(std::nullptr_t) noexcept {}  // NOLINT
  explicit CancelCauseFunc(detail_context::node_ref n) noexcept : n_(std::move(n)) {}
  void operator()(const error& cause) const;
  explicit operator bool() const noexcept { return n_.get() != nullptr; }
  friend bool operator==(const CancelCauseFunc& f, std::nullptr_t) noexcept { return !f; }

 private:
  detail_context::node_ref n_;
};

// Background: the root context, never cancelled, no values, no deadline.
inline Context Background() noexcept {
  return Context(detail_context::node_ref(&detail_context::background_node));
}
// TODO: as Background, for code that does not know which context to use yet.
inline Context TODO() noexcept {
  return Context(detail_context::node_ref(&detail_context::todo_node));
}

// WithCancel: a child of parent with a new Done channel, closed by cancel or
// when parent is cancelled, whichever happens first.
std::pair<Context, CancelFunc> WithCancel(const Context& parent);

// WithCancelCause: as WithCancel; cancel(cause) records cause for Cause.
std::pair<Context, CancelCauseFunc> WithCancelCause(const Context& parent);

// Cause: why c was cancelled: the cause given to a CancelCauseFunc (or the
// deadline cause) of c or the ancestor whose cancellation reached c, else
// c.Err(). nil while c is not cancelled.
error Cause(const Context& c);

// WithDeadline: a child that is cancelled with DeadlineExceeded at d (or
// cancelled like WithCancel's). If parent's deadline is already earlier it
// is WithCancel(parent); a d already passed cancels it at once.
std::pair<Context, CancelFunc> WithDeadline(const Context& parent, time::Time d);
// WithDeadlineCause: as WithDeadline; Cause is cause when the deadline passes.
std::pair<Context, CancelFunc> WithDeadlineCause(const Context& parent, time::Time d, error cause);

// WithTimeout: WithDeadline(parent, time::Now().Add(timeout)).
std::pair<Context, CancelFunc> WithTimeout(const Context& parent, time::Duration timeout);
std::pair<Context, CancelFunc> WithTimeoutCause(const Context& parent, time::Duration timeout,
                                                error cause);

// WithoutCancel: a child that keeps parent's values but is never cancelled
// and has no deadline (Go 1.21).
Context WithoutCancel(const Context& parent);

// WithValue: a child carrying val under key. Go's run-time checks are
// compile-time here: a nil key or a key that is not comparable does not
// compile.
template <class K, class V>
Context WithValue(const Context& parent, K key, V val) {
  using KT = detail_context::stored_t<K>;
  using VT = detail_context::stored_t<V>;
  static_assert(!std::is_same_v<KT, std::nullptr_t>, "context::WithValue: nil key");
  static_assert(std::equality_comparable<KT>, "context::WithValue: key is not comparable");
  static_assert(std::copy_constructible<KT> && std::copy_constructible<VT>,
                "context::WithValue: keys and values must be copyable");
  if (parent.raw() == nullptr) detail_context::throw_nil_parent();
  std::any v;
  if constexpr (!std::is_same_v<VT, std::nullptr_t>) v.template emplace<VT>(std::move(val));
  return detail_context::make_value(parent, std::any(KT(std::move(key))), std::move(v),
                                    &detail_context::describe<KT, VT>);
}

// AfterFunc: arrange to call f in its own fiber (gofer::go) once ctx is done;
// at once if it already is. Returns stop: stop() cancels the arrangement and
// returns true if that kept f from being started, false if f was already
// started or stopped. Each call is independent of the others (Go 1.21).
std::function<bool()> AfterFunc(const Context& ctx, std::function<void()> f);

namespace detail_context {
// num_children: the number of cancel children (and AfterFunc registrations)
// that ctx's nearest cancellable context holds (Go's len(p.children));
// 0 for a context that is never cancelled. For tests.
std::int64_t num_children(const Context& ctx);
}  // namespace detail_context

}  // namespace gofer::context

template <>
struct std::hash<gofer::context::Context> {
  std::size_t operator()(const gofer::context::Context& c) const noexcept {
    return std::hash<const void*>()(c.raw());
  }
};
