// bench/report/memory.hpp — what parked_memory reads: this process's
// resident set and the system's kernel-stack total (the same readings as
// bench/runtime_bench.cpp's ParkedMemory and bench/go/report/sched.go).
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace report {

// rss_bytes is the resident set size: /proc/self/statm field 2 (pages) times
// the page size. User pages only (stacks, heap, TLS), not kernel memory such
// as a thread's kernel stack or the page tables. -1 if unreadable.
inline std::int64_t rss_bytes() {
  std::ifstream f("/proc/self/statm");
  std::int64_t size = 0, resident = 0;
  if (!(f >> size >> resident)) return -1;
  return resident * static_cast<std::int64_t>(sysconf(_SC_PAGESIZE));
}

// proc_kib returns the "<key>: N kB" value of a /proc file (KernelStack of
// /proc/meminfo, VmPTE of /proc/self/status), or -1.
inline std::int64_t proc_kib(const char* path, const char* key) {
  std::ifstream f(path);
  std::string line;
  const std::size_t klen = std::strlen(key);
  while (std::getline(f, line)) {
    if (line.compare(0, klen, key) == 0 && line.size() > klen && line[klen] == ':')
      return std::strtoll(line.c_str() + klen + 1, nullptr, 10);
  }
  return -1;
}

// kib_per_task: the growth from `before` to `after` bytes, in KiB per task.
inline double kib_per_task(std::int64_t before, std::int64_t after, std::int64_t tasks) {
  return static_cast<double>(after - before) / 1024.0 / static_cast<double>(tasks);
}

}  // namespace report
