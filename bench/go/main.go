// Command gofer-bench is the Go twin of bench/runtime_bench.cpp (this file)
// and of the other bench/*_bench.cpp (chan.go: chan_bench.cpp): the same
// workloads with the same sizes, run on real goroutines, so that a gofer
// fiber, an OS thread and a goroutine can be compared side by side on one
// machine in one sitting (bench/README.md).
//
// Each workload runs -reps times (default 7) and prints the median as one
// line on stdout:
//
//	<name> <value> <unit>
//
// where <name> is the C++ benchmark's name without "BM_", "_Fiber" and
// "/real_time" (BM_MutexContention_Fiber/tasks:8/real_time <->
// MutexContention/tasks:8). Progress and the configuration go to stderr.
// GOMAXPROCS comes from the environment (run.sh sets it to the gofer worker
// count); Gosched/workers:1 sets it to 1 for its own duration.
//
// Only the standard library is used.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Sizes: keep them equal to the constants in bench/runtime_bench.cpp.
const (
	spawnJoinTasks     = 100_000 // goroutines spawned and joined per run
	goschedPerTask     = 100_000 // Gosched calls per goroutine (two goroutines)
	waitGroupRounds    = 10_000  // fork/join rounds per run
	mutexLocksPerTask  = 100_000 // Lock/Unlock pairs per goroutine
	parkedMemoryFibers = 100_000 // goroutines parked at once
)

var reps = flag.Int("reps", 7, "repetitions of each workload; the median is printed")
var only = flag.String("only", "", "run only workloads whose name contains this string")

// benches are the workload groups of the package's other files (chan.go),
// added by their init functions; main runs them after its own, in order.
var benches []func()

func main() {
	flag.Parse()
	if *reps < 1 {
		fmt.Fprintln(os.Stderr, "gofer-bench: -reps must be >= 1")
		os.Exit(2)
	}
	procs := runtime.GOMAXPROCS(0)
	fmt.Fprintf(os.Stderr, "# %s GOMAXPROCS=%d NumCPU=%d reps=%d\n",
		runtime.Version(), procs, runtime.NumCPU(), *reps)

	run("SpawnJoin", "ns/op", spawnJoin)

	workers := []int{1}
	if procs != 1 {
		workers = append(workers, procs)
	}
	for _, w := range workers {
		w := w
		run("Gosched/workers:"+strconv.Itoa(w), "ns/op", func() float64 {
			prev := runtime.GOMAXPROCS(w)
			defer runtime.GOMAXPROCS(prev)
			return gosched()
		})
	}

	for _, n := range []int{1, 8} {
		n := n
		run("WaitGroup/tasks:"+strconv.Itoa(n), "ns/op", func() float64 { return waitGroup(n) })
	}

	for _, n := range []int{2, 8} {
		n := n
		run("MutexContention/tasks:"+strconv.Itoa(n), "ns/op", func() float64 { return mutexContention(n) })
	}

	// ParkedMemory reports three figures from one set of runs.
	if strings.Contains("ParkedMemory", *only) {
		var rss, pte, stack []float64
		for i := 0; i < *reps; i++ {
			m := parkedMemory()
			rss = append(rss, m.rss)
			pte = append(pte, m.pte)
			stack = append(stack, m.stack)
		}
		fmt.Printf("ParkedMemory %.2f KiB/op\n", median(rss))
		fmt.Printf("ParkedMemory/pte %.2f KiB/op\n", median(pte))
		fmt.Printf("ParkedMemory/stack_inuse %.2f KiB/op\n", median(stack))
	}

	for _, b := range benches {
		b()
	}
}

// run runs f reps times (after one unrecorded warm-up run) and prints the
// median of its results.
func run(name, unit string, f func() float64) {
	if !strings.Contains(name, *only) {
		return
	}
	f() // warm-up: grows the heap, the stack cache and the Ps' free lists
	var xs []float64
	for i := 0; i < *reps; i++ {
		xs = append(xs, f())
	}
	fmt.Printf("%s %.1f %s\n", name, median(xs), unit)
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "gofer-bench: "+format+"\n", args...)
	os.Exit(1)
}

// spawnJoin: spawn spawnJoinTasks goroutines that each add their index to a
// shared counter, join them with a WaitGroup; ns per goroutine.
func spawnJoin() float64 {
	var sum int64
	var wg sync.WaitGroup
	start := time.Now()
	wg.Add(spawnJoinTasks)
	for i := 0; i < spawnJoinTasks; i++ {
		go func(i int64) {
			atomic.AddInt64(&sum, i)
			wg.Done()
		}(int64(i))
	}
	wg.Wait()
	el := time.Since(start)
	if want := int64(spawnJoinTasks) * (spawnJoinTasks - 1) / 2; sum != want {
		fail("SpawnJoin: sum %d, want %d", sum, want)
	}
	return float64(el.Nanoseconds()) / spawnJoinTasks
}

// gosched: two goroutines each call runtime.Gosched goschedPerTask times;
// ns per Gosched call (total time / total calls).
func gosched() float64 {
	var calls int64
	var wg sync.WaitGroup
	start := time.Now()
	wg.Add(2)
	for t := 0; t < 2; t++ {
		go func() {
			for i := 0; i < goschedPerTask; i++ {
				runtime.Gosched()
			}
			atomic.AddInt64(&calls, goschedPerTask)
			wg.Done()
		}()
	}
	wg.Wait()
	el := time.Since(start)
	if calls != 2*goschedPerTask {
		fail("Gosched: %d calls, want %d", calls, 2*goschedPerTask)
	}
	return float64(el.Nanoseconds()) / float64(calls)
}

// waitGroup: n persistent goroutines and the coordinator run
// waitGroupRounds fork/join rounds. A round is: the coordinator arms the
// next round's gate, done.Add(n), opens this round's gate (gate.Done wakes
// all n), each goroutine done.Done()s, the coordinator done.Wait()s. Two
// gates alternate so that a goroutine that loops around early cannot pass a
// gate that is not yet re-armed; every Add happens after the previous Wait
// on that WaitGroup returned, as Go's reuse rule demands. With n = 1 a round
// is a ping-pong (two hand-offs); with n = 8 a fan-out/fan-in. ns per round.
func waitGroup(n int) float64 {
	var gates [2]sync.WaitGroup
	var done, exited sync.WaitGroup
	var count int64
	gates[0].Add(1)
	exited.Add(n)
	for t := 0; t < n; t++ {
		go func() {
			for r := 0; r < waitGroupRounds; r++ {
				gates[r%2].Wait()
				atomic.AddInt64(&count, 1)
				done.Done()
			}
			exited.Done()
		}()
	}
	start := time.Now()
	for r := 0; r < waitGroupRounds; r++ {
		if r+1 < waitGroupRounds {
			gates[(r+1)%2].Add(1)
		}
		done.Add(n)
		gates[r%2].Done()
		done.Wait()
	}
	el := time.Since(start)
	exited.Wait()
	if want := int64(n) * waitGroupRounds; count != want {
		fail("WaitGroup/tasks:%d: count %d, want %d", n, count, want)
	}
	return float64(el.Nanoseconds()) / waitGroupRounds
}

// mutexContention: n goroutines each lock a shared sync.Mutex
// mutexLocksPerTask times and increment a plain counter under it; ns per
// Lock/Unlock pair (total time / total pairs).
func mutexContention(n int) float64 {
	var mu sync.Mutex
	var counter int64
	var wg sync.WaitGroup
	start := time.Now()
	wg.Add(n)
	for t := 0; t < n; t++ {
		go func() {
			for i := 0; i < mutexLocksPerTask; i++ {
				mu.Lock()
				counter++
				mu.Unlock()
			}
			wg.Done()
		}()
	}
	wg.Wait()
	el := time.Since(start)
	if want := int64(n) * mutexLocksPerTask; counter != want {
		fail("MutexContention/tasks:%d: counter %d, want %d", n, counter, want)
	}
	return float64(el.Nanoseconds()) / float64(int64(n)*mutexLocksPerTask)
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

// procKiB returns the "<key>: N kB" value of a /proc file, e.g. VmPTE of
// /proc/self/status.
func procKiB(path, key string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		fail("read %s: %v", path, err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, key+":") {
			f := strings.Fields(strings.TrimPrefix(line, key+":"))
			if len(f) > 0 {
				if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					return n
				}
			}
		}
	}
	fail("no %s in %s", key, path)
	return 0
}

// parkedMemoryResult: KiB per parked goroutine.
type parkedMemoryResult struct {
	rss   float64 // resident set growth (stacks, g structs, heap)
	pte   float64 // page-table growth (VmPTE), kernel memory RSS omits
	stack float64 // MemStats.StackInuse growth: goroutine stacks alone
}

// parkedMemory: park parkedMemoryFibers goroutines on one WaitGroup (a
// gate), measure the growth of RSS, of the page tables and of the
// runtime's stack memory once all have parked, release and join them.
func parkedMemory() parkedMemoryResult {
	// Give freed memory back to the OS so the delta is not hidden by memory
	// a previous repetition left resident.
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	stack0 := ms.StackInuse
	rss0 := rssBytes()
	pte0 := procKiB("/proc/self/status", "VmPTE")
	base := runtime.NumGoroutine()

	var gate, done sync.WaitGroup
	var arrived int64
	gate.Add(1)
	done.Add(parkedMemoryFibers)
	for i := 0; i < parkedMemoryFibers; i++ {
		go func() {
			atomic.AddInt64(&arrived, 1)
			gate.Wait()
			done.Done()
		}()
	}
	for atomic.LoadInt64(&arrived) < parkedMemoryFibers {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(10 * time.Millisecond) // let the last arrivals actually park
	if g := runtime.NumGoroutine(); g < base+parkedMemoryFibers {
		fail("ParkedMemory: NumGoroutine %d, want >= %d", g, base+parkedMemoryFibers)
	}
	rss1 := rssBytes()
	pte1 := procKiB("/proc/self/status", "VmPTE")
	runtime.ReadMemStats(&ms)
	stack1 := ms.StackInuse
	gate.Done()
	done.Wait()
	return parkedMemoryResult{
		rss:   float64(rss1-rss0) / 1024 / parkedMemoryFibers,
		pte:   float64(pte1-pte0) / parkedMemoryFibers,
		stack: float64(int64(stack1)-int64(stack0)) / 1024 / parkedMemoryFibers,
	}
}
