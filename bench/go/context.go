// context.go: the Go twin of bench/context_bench.cpp — the same context
// workloads with the same sizes, on real goroutines and Go's context
// package. The names are the C++ ones without "BM_", "_Fiber" and
// "/real_time" (BM_Context_DoneSelect_Fiber/recv:1/real_time <->
// Context_DoneSelect/recv:1). Registered in benches, which main runs after
// its own workloads.
package main

import (
	"context"
	"strconv"
	"time"
)

// Sizes: keep them equal to the constants in bench/context_bench.cpp.
const (
	withCancelOps   = 1_000_000 // contexts made and cancelled per run
	doneSelectOps   = 1_000_000 // selects per run
	doneSelectInCap = 1024      // DoneSelect/recv:1 channel capacity
)

func init() {
	benches = append(benches, func() {
		run("Context_WithCancel", "ns/op", contextWithCancel)
		for _, r := range []int{0, 1} {
			r := r
			run("Context_DoneSelect/recv:"+strconv.Itoa(r), "ns/op", func() float64 {
				return contextDoneSelect(r == 1)
			})
		}
	})
}

// contextWithCancel: withCancelOps times, ctx, cancel :=
// WithCancel(Background()); cancel(); and count the contexts whose Err is
// then Canceled (all of them). ns per context.
func contextWithCancel() float64 {
	bg := context.Background()
	canceled := 0
	start := time.Now()
	for i := 0; i < withCancelOps; i++ {
		ctx, cancel := context.WithCancel(bg)
		cancel()
		if ctx.Err() == context.Canceled {
			canceled++
		}
	}
	el := time.Since(start).Nanoseconds()
	if canceled != withCancelOps {
		fail("Context_WithCancel: %d canceled, want %d", canceled, withCancelOps)
	}
	return float64(el) / withCancelOps
}

// contextDoneSelect: doneSelectOps selects over ctx.Done() (a live
// WithCancel context) and, without recvCase, a default case (all must take
// it); with recvCase, a receive from in, fed 0..n-1 by a producer goroutine
// (the values must add up to 0 + ... + (n - 1)). Then cancel: one more
// select must take the Done case. ns per select.
func contextDoneSelect(recvCase bool) float64 {
	ctx, cancel := context.WithCancel(context.Background())
	done := false
	start := time.Now()
	if !recvCase {
		defaults := 0
		for i := 0; i < doneSelectOps; i++ {
			select {
			case <-ctx.Done():
				done = true
			default:
				defaults++
			}
		}
		cancel()
		select {
		case <-ctx.Done():
			done = true
		default:
		}
		el := time.Since(start).Nanoseconds()
		if defaults != doneSelectOps || !done {
			fail("Context_DoneSelect/recv:0: wrong case taken")
		}
		return float64(el) / doneSelectOps
	}
	in := make(chan int, doneSelectInCap)
	produced := make(chan struct{})
	go func() {
		for i := 0; i < doneSelectOps; i++ {
			in <- i
		}
		close(produced)
	}()
	var sum int64
	for i := 0; i < doneSelectOps && !done; i++ {
		select {
		case <-ctx.Done():
			done = true
		case v := <-in:
			sum += int64(v)
		}
	}
	cancel()
	select {
	case <-ctx.Done():
		done = true
	case v := <-in:
		sum += int64(v)
	}
	<-produced
	el := time.Since(start).Nanoseconds()
	if sum != sumBelow(doneSelectOps) || !done {
		fail("Context_DoneSelect/recv:1: sum %d done %v, want %d and true", sum, done, sumBelow(doneSelectOps))
	}
	return float64(el) / doneSelectOps
}
