// tests/patterns/job_ledger.hpp — what the worker-pool tests record of each
// job: how many times it ran, how many times it was reported, and how it
// ended. Written from the pool's OnResult, on any worker.
#pragma once

#include <atomic>
#include <vector>

#include "gofer/errors.hpp"
#include "gofer/patterns/worker_pool.hpp"

namespace gofer_test {

struct ledger {
  explicit ledger(int n) : ran(n), reported(n), not_run(n), failed(n) {}
  std::vector<std::atomic<int>> ran;       // the work itself counted this
  std::vector<std::atomic<int>> reported;  // OnResult calls
  std::vector<std::atomic<int>> not_run;   // reported with Ran == false
  std::vector<std::atomic<int>> failed;    // reported with Ran && Err
  std::atomic<int> bad_not_run_error{0};   // a not-run report not wrapping ErrJobNotRun

  gofer::patterns::ResultFunc on_result() {
    return [this](const gofer::patterns::Job& j, const gofer::patterns::JobResult& r) {
      if (j.ID < 0 || j.ID >= static_cast<int>(reported.size())) return;  // a probe
      reported[j.ID]++;
      if (!r.Ran) {
        not_run[j.ID]++;
        if (!gofer::errors::Is(r.Err, gofer::patterns::ErrJobNotRun)) bad_not_run_error++;
      } else if (r.Err) {
        failed[j.ID]++;
      }
    };
  }
  int total(const std::vector<std::atomic<int>>& v) const {
    int s = 0;
    for (const auto& x : v) s += x.load();
    return s;
  }
};

}  // namespace gofer_test
