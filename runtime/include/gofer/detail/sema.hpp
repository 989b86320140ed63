// gofer/detail/sema.hpp — Go's runtime semaphore (installed, not API).
//
// Port of runtime.semacquire1 / semrelease1 (sema.go, go1.19). As in Go, the
// waiters live in a global table of semaRoots hashed by the semaphore's
// address, not in the object that holds the semaphore word. That is what
// makes the common pattern safe:
//
//   wg.Wait();  // returns as soon as the last Done's release is visible...
//   }           // ...and wg's storage is gone, while that Done may still be
//               // inside semrelease
//
// semrelease touches only *addr (before the waiter can return) and the
// global root; an earlier design embedded the wait queue and its lock in each
// sync object, and TSan caught a releaser locking a queue inside a
// WaitGroup that its waiter had already destroyed.
//
// It is what sync::Mutex, RWMutex and WaitGroup park on, from fibers and
// plain threads alike.
#pragma once

#include <atomic>
#include <cstdint>

namespace gofer::detail {

// semacquire: Go's semacquire1(addr, lifo). Blocks (parks a fiber, blocks a
// plain thread) until *addr > 0, then decrements it. lifo queues the caller
// at the head of addr's waiters (Mutex's re-waiters).
void semacquire(std::atomic<std::uint32_t>* addr, bool lifo);

// semrelease: Go's semrelease1(addr, handoff). Increments *addr and wakes
// one waiter of addr; with handoff the count goes straight to that waiter
// and the caller yields so it runs soon (Mutex starvation mode). After the
// increment it never touches the object that holds *addr.
void semrelease(std::atomic<std::uint32_t>* addr, bool handoff);

}  // namespace gofer::detail
