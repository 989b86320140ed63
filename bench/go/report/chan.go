// chan.go: pingpong_unbuffered, chan_buffered_mpmc and select2 — what a
// channel hand-off and a select cost.
package main

import (
	"sync"
	"sync/atomic"
	"time"
)

func init() {
	register("pingpong_unbuffered", pingPong)
	register("chan_buffered_mpmc", bufferedMPMC)
	register("select2", select2)
}

// pingPong: this goroutine sends i on unbuffered ping, an echo goroutine
// sends i + 1 back on unbuffered pong; n round trips, then ping is closed
// and the echo's range loop ends. The sum is 1 + ... + n. ns per round trip.
func pingPong(n int64, _ extras) float64 {
	start := time.Now()
	ping, pong := make(chan int64), make(chan int64)
	echoed := make(chan struct{})
	go func() {
		for v := range ping {
			pong <- v + 1
		}
		close(echoed)
	}()
	var sum int64
	for i := int64(0); i < n; i++ {
		ping <- i
		sum += <-pong
	}
	close(ping)
	<-echoed
	el := time.Since(start)
	if sum != sumBelow(n+1) {
		fail("pingpong_unbuffered: sum %d, want %d", sum, sumBelow(n+1))
	}
	return perOp(el, n)
}

// bufferedMPMC: 4 producers and 4 consumers on one channel of capacity
// 1024; producer p sends the values i ≡ p (mod 4) of 0..n-1, the channel is
// closed once all are done, consumers range over it. ns per item.
func bufferedMPMC(n int64, _ extras) float64 {
	var sum, count int64
	start := time.Now()
	c := make(chan int64, mpmcCap)
	var producers, consumers sync.WaitGroup
	producers.Add(mpmcProducers)
	consumers.Add(mpmcProducers)
	for p := int64(0); p < mpmcProducers; p++ {
		go func(p int64) {
			for i := p; i < n; i += mpmcProducers {
				c <- i
			}
			producers.Done()
		}(p)
		go func() {
			var s, k int64
			for v := range c {
				s += v
				k++
			}
			atomic.AddInt64(&sum, s)
			atomic.AddInt64(&count, k)
			consumers.Done()
		}()
	}
	producers.Wait()
	close(c)
	consumers.Wait()
	el := time.Since(start)
	if count != n || sum != sumBelow(n) {
		fail("chan_buffered_mpmc: count %d sum %d, want %d and %d", count, sum, n, sumBelow(n))
	}
	return perOp(el, n)
}

// select2: two unbuffered channels, each fed by its own sender (sender j
// sends the values i ≡ j (mod 2) of 0..n-1); one receiver runs n selects
// with a receive case on each. Each case fires n / 2 times and the values
// add up to 0 + ... + (n - 1). ns per receive.
func select2(n int64, _ extras) float64 {
	start := time.Now()
	cs := [2]chan int64{make(chan int64), make(chan int64)}
	var senders sync.WaitGroup
	senders.Add(2)
	for j := int64(0); j < 2; j++ {
		go func(c chan<- int64, j int64) {
			for i := j; i < n; i += 2 {
				c <- i
			}
			senders.Done()
		}(cs[j], j)
	}
	var sum int64
	var fired [2]int64
	for k := int64(0); k < n; k++ {
		select {
		case v := <-cs[0]:
			sum += v
			fired[0]++
		case v := <-cs[1]:
			sum += v
			fired[1]++
		}
	}
	senders.Wait()
	el := time.Since(start)
	if sum != sumBelow(n) || fired[0] != n/2 || fired[1] != n/2 {
		fail("select2: sum %d, cases %d/%d; want %d, %d each", sum, fired[0], fired[1], sumBelow(n), n/2)
	}
	return perOp(el, n)
}
