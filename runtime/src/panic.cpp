// panic.cpp — throwing Go's panics and reporting fatal errors.
#include "gofer/panic.hpp"

#include <cstdio>
#include <cstdlib>
#include <exception>

#include "gofer/defer.hpp"

namespace gofer::detail {

void throw_panic(const char* msg) { throw panic_error(msg); }

void fatal(const char* msg) noexcept {
  std::fflush(stdout);
  std::fprintf(stderr, "fatal error: %s\n", msg);
  std::fflush(stderr);
  std::_Exit(2);
}

void defer_double_fault(std::exception_ptr deferred) noexcept {
  const char* what = "(an exception not derived from std::exception)";
  try {
    std::rethrow_exception(deferred);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
  }
  std::fflush(stdout);
  std::fprintf(stderr,
               "panic: %s [thrown by a deferred call while another exception was unwinding]\n",
               what);
  std::fflush(stderr);
  std::_Exit(2);
}

}  // namespace gofer::detail
