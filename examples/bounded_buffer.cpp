// bounded_buffer.cpp — producers and consumers over a bounded queue guarded
// by a sync::Mutex and two sync::Cond, the textbook Go program before
// channels:
//
//   mu.Lock()
//   for len(buf) == cap { notFull.Wait() }
//   buf = append(buf, v)
//   notEmpty.Signal()
//   mu.Unlock()
//
// Three producer fibers and a plain std::thread produce 100,000 numbers,
// four consumer fibers take them: gofer's sync types work between fibers
// and threads alike. Every number is accounted for exactly once.
#include <cstdint>
#include <cstdio>
#include <deque>
#include <gofer/gofer.hpp>
#include <thread>

using namespace gofer;

namespace {

class bounded_buffer {
 public:
  explicit bounded_buffer(std::size_t cap) : cap_(cap) {}

  void Put(std::int64_t v) {
    mu_.Lock();
    while (buf_.size() == cap_) not_full_.Wait();
    buf_.push_back(v);
    not_empty_.Signal();
    mu_.Unlock();
  }

  // Get returns false once the buffer is closed and drained.
  bool Get(std::int64_t* v) {
    mu_.Lock();
    while (buf_.empty() && !closed_) not_empty_.Wait();
    if (buf_.empty()) {
      mu_.Unlock();
      return false;
    }
    *v = buf_.front();
    buf_.pop_front();
    not_full_.Signal();
    mu_.Unlock();
    return true;
  }

  void Close() {
    mu_.Lock();
    closed_ = true;
    not_empty_.Broadcast();
    mu_.Unlock();
  }

 private:
  sync::Mutex mu_;
  sync::Cond not_full_{&mu_};
  sync::Cond not_empty_{&mu_};
  std::deque<std::int64_t> buf_;  // Guarded by mu_.
  const std::size_t cap_;
  bool closed_ = false;  // Guarded by mu_.
};

}  // namespace

int main() {
  constexpr int kProducers = 4, kConsumers = 4;  // producer 0 is a plain thread
  constexpr std::int64_t kPerProducer = 25000;
  constexpr std::int64_t kTotal = kProducers * kPerProducer;
  std::int64_t sum = 0, count = 0;
  gofer::run([&] {
    bounded_buffer buf(64);
    sync::Mutex result_mu;
    sync::WaitGroup producers, consumers;
    auto produce = [&](int p) {
      for (std::int64_t i = 0; i < kPerProducer; i++) buf.Put(p * kPerProducer + i + 1);
      producers.Done();
    };
    consumers.Add(kConsumers);
    for (int c = 0; c < kConsumers; c++)
      go([&] {
        std::int64_t v, s = 0, n = 0;
        while (buf.Get(&v)) s += v, n++;
        std::lock_guard lock(result_mu);
        sum += s;
        count += n;
        consumers.Done();
      });
    producers.Add(kProducers);
    std::thread plain(produce, 0);  // blocks itself when the buffer is full
    for (int p = 1; p < kProducers; p++) go(produce, p);
    producers.Wait();
    buf.Close();
    consumers.Wait();
    // join blocks the worker thread, which a fiber should not do; here the
    // thread has already called Done and is only returning, so it is brief.
    plain.join();
  });
  const std::int64_t want = kTotal * (kTotal + 1) / 2;
  std::printf("bounded buffer: %lld values (a quarter from a plain thread), sum %lld, want %lld\n",
              static_cast<long long>(count), static_cast<long long>(sum),
              static_cast<long long>(want));
  return count == kTotal && sum == want ? 0 : 1;
}
