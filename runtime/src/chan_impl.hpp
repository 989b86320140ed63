// chan_impl.hpp — what chan.cpp and select.cpp share beyond hchan.hpp.
#pragma once

#include <atomic>
#include <cstdint>

#include "gofer/detail/hchan.hpp"

namespace gofer::detail {

// select_state: one select's shared fate, on the selecting caller's stack.
// done goes 0 -> 1 exactly once, by the waker whose waitq::dequeue wins the
// CAS (Go's g.selectDone); that waker then records its sudog in winner
// before waking the select (wake() orders the write before the resume).
struct select_state {
  std::atomic<std::uint32_t> done{0};
  sudog* winner = nullptr;
};

}  // namespace gofer::detail
