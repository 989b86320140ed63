// context.go: context_cancel — cancelling a wide tree of contexts.
package main

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

func init() { register("context_cancel", contextCancel) }

// contextCancel: n goroutines each derive WithCancel(root) and block on its
// Done(); once all have arrived (+ 10 ms), root is cancelled. Timed from
// cancel until every goroutine has seen Err() == Canceled and been joined:
// the propagation down the tree and the wake-ups. ns per goroutine.
func contextCancel(n int64, _ extras) float64 {
	root, cancel := context.WithCancel(context.Background())
	var arrived, canceled int64
	var done sync.WaitGroup
	done.Add(int(n))
	for i := int64(0); i < n; i++ {
		go func() {
			ctx, cancelChild := context.WithCancel(root)
			atomic.AddInt64(&arrived, 1)
			<-ctx.Done()
			if ctx.Err() == context.Canceled {
				atomic.AddInt64(&canceled, 1)
			}
			cancelChild()
			done.Done()
		}()
	}
	waitForArrivals(&arrived, n)
	start := time.Now()
	cancel()
	done.Wait()
	el := time.Since(start)
	if canceled != n {
		fail("context_cancel: %d contexts canceled, want %d", canceled, n)
	}
	return perOp(el, n)
}
