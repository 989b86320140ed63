// panic.cpp — throwing Go's panics and reporting fatal errors.
#include "gofer/panic.hpp"

#include <cstdio>
#include <cstdlib>

namespace gofer::detail {

void throw_panic(const char* msg) { throw panic_error(msg); }

void fatal(const char* msg) noexcept {
  std::fflush(stdout);
  std::fprintf(stderr, "fatal error: %s\n", msg);
  std::fflush(stderr);
  std::_Exit(2);
}

}  // namespace gofer::detail
