// gofer/panic.hpp — the one exception type that carries Go's panics.
//
// Go's runtime panics ("send on closed channel", "sync: negative WaitGroup
// counter", ...) become a gofer::panic_error whose what() is Go's message,
// word for word, so a ported program fails with the text its authors know.
// An exception of any type that escapes a fiber ends the process the way an
// unrecovered Go panic does: "panic: <what>" and the goroutine id on stderr,
// exit code 2.
#pragma once

#include <stdexcept>
#include <string>

namespace gofer {

// panic_error is thrown for every condition that Go reports with panic().
class panic_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
// throw_panic throws panic_error(msg). Out of line so that the throw
// machinery stays off the callers' fast paths.
[[noreturn]] void throw_panic(const char* msg);

// fatal prints "fatal error: <msg>" to stderr and exits with code 2, as Go's
// runtime.fatal/throw does: for conditions that are not recoverable.
[[noreturn]] void fatal(const char* msg) noexcept;
}  // namespace detail

}  // namespace gofer
