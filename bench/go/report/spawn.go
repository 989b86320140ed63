// spawn.go: spawn_join and skynet — what a goroutine costs to start and end.
package main

import (
	"sync"
	"sync/atomic"
	"time"
)

func init() {
	register("spawn_join", spawnJoin)
	register("skynet", skynet)
}

// spawnJoin: n goroutines each add their index to a shared counter; a
// WaitGroup joins them. ns per goroutine.
func spawnJoin(n int64, _ extras) float64 {
	var sum int64
	start := time.Now()
	var wg sync.WaitGroup
	wg.Add(int(n))
	for i := int64(0); i < n; i++ {
		go func(i int64) {
			atomic.AddInt64(&sum, i)
			wg.Done()
		}(i)
	}
	wg.Wait()
	el := time.Since(start)
	if sum != sumBelow(n) {
		fail("spawn_join: sum %d, want %d", sum, sumBelow(n))
	}
	return perOp(el, n)
}

// skynetNode: the classic skynet tree — a node of size > 1 starts 10
// children of a tenth of its size and sends the sum of what they send on
// its unbuffered channel; a leaf sends its number.
func skynetNode(out chan<- int64, num, size int64) {
	if size == 1 {
		out <- num
		return
	}
	rc := make(chan int64)
	child := size / skynetDiv
	for i := int64(0); i < skynetDiv; i++ {
		go skynetNode(rc, num+i*child, child)
	}
	var sum int64
	for i := 0; i < skynetDiv; i++ {
		sum += <-rc
	}
	out <- sum
}

// skynet: n leaves; the sum is 0 + ... + (n - 1). ms total.
func skynet(n int64, _ extras) float64 {
	start := time.Now()
	c := make(chan int64)
	go skynetNode(c, 0, n)
	sum := <-c
	el := time.Since(start)
	if sum != sumBelow(n) {
		fail("skynet: sum %d, want %d", sum, sumBelow(n))
	}
	return float64(el.Nanoseconds()) / 1e6
}
