// sched.go: yield, parked_memory and timers — the scheduler's costs.
package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	timerSleep = 10 * time.Millisecond // timers: each goroutine's sleep
	settle     = 10 * time.Millisecond // the last arrivals finish parking
)

func init() {
	register("yield", yield)
	register("parked_memory", parkedMemory)
	register("timers", timers)
}

// yield: two goroutines each call runtime.Gosched n times. ns per call.
func yield(n int64, _ extras) float64 {
	var calls int64
	start := time.Now()
	var wg sync.WaitGroup
	wg.Add(2)
	for t := 0; t < 2; t++ {
		go func() {
			for i := int64(0); i < n; i++ {
				runtime.Gosched()
			}
			atomic.AddInt64(&calls, n)
			wg.Done()
		}()
	}
	wg.Wait()
	el := time.Since(start)
	if calls != 2*n {
		fail("yield: %d calls, want %d", calls, 2*n)
	}
	return perOp(el, 2*n)
}

// rssBytes returns the resident set size from /proc/self/statm.
func rssBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		fail("read /proc/self/statm: %v", err)
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		fail("unexpected /proc/self/statm: %q", b)
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		fail("parse /proc/self/statm: %v", err)
	}
	return pages * int64(os.Getpagesize())
}

// waitForArrivals sleeps until arrived reaches n, then settle more.
func waitForArrivals(arrived *int64, n int64) {
	for atomic.LoadInt64(arrived) < n {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(settle)
}

// parkedMemory: n goroutines block on a receive from a channel nobody sends
// on; once all have arrived (+ 10 ms) the growth of RSS is read, then the
// channel is closed and every receive must see it closed. KiB per
// goroutine. A fresh process and no warm-up; the heap is returned to the OS
// first so that the growth is not hidden by memory the runtime already
// holds.
func parkedMemory(n int64, _ extras) float64 {
	runtime.GC()
	debug.FreeOSMemory()
	base := int64(runtime.NumGoroutine())
	before := rssBytes()
	gate := make(chan struct{})
	var arrived, released int64
	var done sync.WaitGroup
	done.Add(int(n))
	for i := int64(0); i < n; i++ {
		go func() {
			atomic.AddInt64(&arrived, 1)
			if _, ok := <-gate; !ok {
				atomic.AddInt64(&released, 1)
			}
			done.Done()
		}()
	}
	waitForArrivals(&arrived, n)
	goroutines := int64(runtime.NumGoroutine())
	after := rssBytes()
	close(gate)
	done.Wait()
	if goroutines < base+n {
		fail("parked_memory: NumGoroutine %d, want >= %d", goroutines, base+n)
	}
	if released != n {
		fail("parked_memory: %d receives saw the close, want %d", released, n)
	}
	return float64(after-before) / 1024 / float64(n)
}

// timers: n goroutines sleep 10 ms at once. ms from the first spawn until
// all are joined; extra latest_wakeup_ms: the latest wake-up after a
// goroutine's own 10 ms. A goroutine that wakes early fails the check.
func timers(n int64, x extras) float64 {
	var lateMax, early int64
	start := time.Now()
	var wg sync.WaitGroup
	wg.Add(int(n))
	for i := int64(0); i < n; i++ {
		go func() {
			s := time.Now()
			time.Sleep(timerSleep)
			late := int64(time.Since(s) - timerSleep)
			if late < 0 {
				atomic.AddInt64(&early, 1)
			}
			for m := atomic.LoadInt64(&lateMax); late > m; m = atomic.LoadInt64(&lateMax) {
				if atomic.CompareAndSwapInt64(&lateMax, m, late) {
					break
				}
			}
			wg.Done()
		}()
	}
	wg.Wait()
	el := time.Since(start)
	if early != 0 {
		fail("timers: %d goroutines woke before 10 ms", early)
	}
	x["latest_wakeup_ms"] = float64(lateMax) / 1e6
	return float64(el.Nanoseconds()) / 1e6
}
