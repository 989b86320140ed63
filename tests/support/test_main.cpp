// main() shared by every gofer test executable (linked via gofer_test_support).
//
// Death tests use the "threadsafe" style: the statement runs in a freshly
// exec'd copy of the test binary, never in a fork() of a process whose
// runtime worker threads are already running (a fork keeps only the forking
// thread, so the runtime's workers must never be forked).
#include <gtest/gtest.h>

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  return RUN_ALL_TESTS();
}
