// Command gofer-patterns-bench is the Go twin of bench/patterns_bench.cpp:
// the seed article's patterns (shared/seeds/000_93dc988236682126.txt), with
// the same fixes as gofer::patterns, measured with the same workloads and
// sizes on real goroutines. Each workload runs -reps times after one warm-up
// run and prints the median as `<name> <value> <unit>`, where <name> is the
// C++ benchmark's name without "BM_", "_Fiber" and "/real_time".
//
// The rate limiter is golang.org/x/time/rate itself (gofer's rate::Limiter
// is a port of it); the worker pool, pipeline and circuit breaker are the
// article's code with the fixes gofer makes (see pool.go, breaker.go).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/time/rate"
)

// Sizes: keep them equal to the constants in bench/patterns_bench.cpp.
const (
	poolJobs      = 1_000_000 // jobs per WorkerPool run
	poolQueue     = 1024      // the pool's queue capacity
	pipelineItems = 1_000_000 // items through the 3-stage pipeline
	limiterOps    = 1_000_000 // Allow calls per run (all callers together)
	breakerOps    = 1_000_000 // Call calls per run (all callers together)
)

var reps = flag.Int("reps", 7, "repetitions of each workload; the median is printed")
var only = flag.String("only", "", "run only workloads whose name contains this string")

func main() {
	flag.Parse()
	if *reps < 1 {
		fail("-reps must be >= 1")
	}
	fmt.Fprintf(os.Stderr, "# %s GOMAXPROCS=%d NumCPU=%d reps=%d\n",
		runtime.Version(), runtime.GOMAXPROCS(0), runtime.NumCPU(), *reps)
	for _, w := range []int{1, 2, 4, 8} {
		w := w
		run("WorkerPool/workers:"+strconv.Itoa(w), "ns/op", func() float64 { return workerPool(w) })
	}
	run("Pipeline/stages:3", "ns/op", pipeline3)
	for _, g := range []int{1, 4} {
		g := g
		run("RateLimiter_Allow/callers:"+strconv.Itoa(g), "ns/op", func() float64 { return limiterAllow(g) })
		run("TokenBucket_Allow/callers:"+strconv.Itoa(g), "ns/op", func() float64 { return tokenBucketAllow(g) })
		run("CircuitBreaker_Call/callers:"+strconv.Itoa(g), "ns/op", func() float64 { return breakerCall(g) })
	}
}

func run(name, unit string, f func() float64) {
	if !strings.Contains(name, *only) {
		return
	}
	f() // warm-up
	var xs []float64
	for i := 0; i < *reps; i++ {
		xs = append(xs, f())
	}
	sort.Float64s(xs)
	m := xs[len(xs)/2]
	if len(xs)%2 == 0 {
		m = (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
	}
	fmt.Printf("%s %.1f %s\n", name, m, unit)
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "gofer-patterns-bench: "+format+"\n", args...)
	os.Exit(1)
}

// workerPool: a pool of w workers and a queue of poolQueue; the main
// goroutine submits poolJobs jobs with SubmitWait (backpressure), each adding
// its ID to a sum, then Shutdown waits for all. ns per job.
func workerPool(w int) float64 {
	var sum int64
	ctx := context.Background()
	pool := NewWorkerPool(w, poolQueue)
	start := time.Now()
	pool.Start(ctx)
	fn := func(ctx context.Context, id int) error {
		atomic.AddInt64(&sum, int64(id))
		return nil
	}
	for i := 0; i < poolJobs; i++ {
		if err := pool.SubmitWait(ctx, Job{ID: i, Fn: fn}); err != nil {
			fail("WorkerPool: SubmitWait: %v", err)
		}
	}
	if err := pool.Shutdown(ctx); err != nil {
		fail("WorkerPool: Shutdown: %v", err)
	}
	el := time.Since(start)
	m := pool.GetMetrics()
	if want := int64(poolJobs) * (poolJobs - 1) / 2; sum != want || m.ProcessedJobs != poolJobs {
		fail("WorkerPool: sum %d processed %d, want %d and %d", sum, m.ProcessedJobs, want, poolJobs)
	}
	return float64(el.Nanoseconds()) / poolJobs
}

// stage is the typed pipeline stage of the port: every send is a select
// with ctx.Done(), and the stage runs in an errgroup.
func stage(g *errgroup.Group, ctx context.Context, in <-chan int64, f func(int64) int64) <-chan int64 {
	out := make(chan int64)
	g.Go(func() error {
		defer close(out)
		for v := range in {
			select {
			case out <- f(v):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	return out
}

// pipeline3: pipelineItems ints through three unbuffered map stages (+1, *2,
// -1); the consumer sums them. ns per item.
func pipeline3() float64 {
	start := time.Now()
	g, ctx := errgroup.WithContext(context.Background())
	in := make(chan int64)
	g.Go(func() error {
		defer close(in)
		for i := int64(0); i < pipelineItems; i++ {
			select {
			case in <- i:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	out := stage(g, ctx, stage(g, ctx, stage(g, ctx, in,
		func(v int64) int64 { return v + 1 }),
		func(v int64) int64 { return v * 2 }),
		func(v int64) int64 { return v - 1 })
	var sum int64
	for v := range out {
		sum += v
	}
	if err := g.Wait(); err != nil {
		fail("Pipeline: %v", err)
	}
	el := time.Since(start)
	// sum of (2(i+1)-1) for i < n = n^2 + n - n = n^2
	if want := int64(pipelineItems) * pipelineItems; sum != want {
		fail("Pipeline: sum %d, want %d", sum, want)
	}
	return float64(el.Nanoseconds()) / pipelineItems
}

// parallel runs f(n) on g goroutines with n = total/g each and returns ns
// per call over all of them.
func parallel(g, total int, f func(n int) int) (float64, int) {
	var wg sync.WaitGroup
	var ok int64
	start := time.Now()
	for i := 0; i < g; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			atomic.AddInt64(&ok, int64(f(total/g)))
		}()
	}
	wg.Wait()
	return float64(time.Since(start).Nanoseconds()) / float64(total), int(ok)
}

// limiterAllow: limiterOps Allow calls on an x/time/rate Limiter whose rate
// and burst admit every one of them (the full token computation each time).
func limiterAllow(g int) float64 {
	lim := rate.NewLimiter(rate.Limit(1e9), limiterOps)
	ns, allowed := parallel(g, limiterOps, func(n int) int {
		k := 0
		for i := 0; i < n; i++ {
			if lim.Allow() {
				k++
			}
		}
		return k
	})
	if allowed != limiterOps {
		fail("RateLimiter_Allow: %d allowed, want %d", allowed, limiterOps)
	}
	return ns
}

// tokenBucketAllow: the article's channel token bucket, filled with
// limiterOps tokens, then limiterOps Allow calls (each takes one).
func tokenBucketAllow(g int) float64 {
	tb := NewRateLimiter(1, limiterOps)
	defer tb.Stop()
	ns, allowed := parallel(g, limiterOps, func(n int) int {
		k := 0
		for i := 0; i < n; i++ {
			if tb.Allow() {
				k++
			}
		}
		return k
	})
	if allowed != limiterOps {
		fail("TokenBucket_Allow: %d allowed, want %d", allowed, limiterOps)
	}
	return ns
}

// breakerCall: breakerOps Calls of a succeeding function through a closed
// breaker.
func breakerCall(g int) float64 {
	cb := NewCircuitBreaker(5, 30*time.Second)
	var calls int64
	ns, succeeded := parallel(g, breakerOps, func(n int) int {
		k := 0
		for i := 0; i < n; i++ {
			if cb.Call(func() error { atomic.AddInt64(&calls, 1); return nil }) == nil {
				k++
			}
		}
		return k
	})
	if succeeded != breakerOps || calls != breakerOps {
		fail("CircuitBreaker_Call: %d succeeded, %d calls, want %d", succeeded, calls, breakerOps)
	}
	return ns
}
