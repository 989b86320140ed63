// chan.go: the Go twin of bench/chan_bench.cpp — the same channel
// workloads with the same sizes, on real goroutines and Go channels. The
// names are the C++ ones without "BM_", "_Fiber" and "/real_time"
// (BM_BufferedMPMC_Fiber/P:2/real_time <-> BufferedMPMC/P:2). Registered in
// benches, which main runs after its own workloads.
package main

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Sizes: keep them equal to the constants in bench/chan_bench.cpp.
const (
	pingPongRounds = 1_000_000 // round trips per run
	mpmcCap        = 1024      // BufferedMPMC channel capacity
	mpmcItems      = 2_000_000 // items moved per run
	selectRecvs    = 1_000_000 // receives per run
)

func init() {
	benches = append(benches, func() {
		run("PingPong", "ns/op", pingPong)
		for _, p := range []int{1, 2, 4} {
			p := p
			run("BufferedMPMC/P:"+strconv.Itoa(p), "ns/op", func() float64 { return bufferedMPMC(p) })
		}
		run("Select2", "ns/op", select2)
		run("Select4", "ns/op", select4)
	})
}

// sumBelow is 0 + 1 + ... + (n - 1).
func sumBelow(n int64) int64 { return n * (n - 1) / 2 }

// pingPong: this goroutine sends i on an unbuffered channel ping, an echo
// goroutine sends i + 1 back on an unbuffered pong; pingPongRounds round
// trips, then ping is closed and the echo's range loop ends. The values
// received add up to 1 + ... + n. ns per round trip.
func pingPong() float64 {
	ping, pong := make(chan int), make(chan int)
	echoed := make(chan struct{})
	start := time.Now()
	go func() {
		for v := range ping {
			pong <- v + 1
		}
		close(echoed)
	}()
	var sum int64
	for i := 0; i < pingPongRounds; i++ {
		ping <- i
		sum += int64(<-pong)
	}
	close(ping)
	<-echoed
	el := time.Since(start)
	if want := sumBelow(pingPongRounds + 1); sum != want {
		fail("PingPong: sum %d, want %d", sum, want)
	}
	return float64(el.Nanoseconds()) / pingPongRounds
}

// bufferedMPMC: p producers and p consumers share one channel of capacity
// mpmcCap. Producer k sends the values i ≡ k (mod p) of 0..mpmcItems-1;
// consumers range over the channel (closed once every producer is done)
// and add up what they get: mpmcItems values summing to 0 + ... + (n - 1).
// ns per item.
func bufferedMPMC(p int) float64 {
	c := make(chan int, mpmcCap)
	var producers, consumers sync.WaitGroup
	var sum, count int64
	start := time.Now()
	producers.Add(p)
	consumers.Add(p)
	for k := 0; k < p; k++ {
		go func(k int) {
			for i := k; i < mpmcItems; i += p {
				c <- i
			}
			producers.Done()
		}(k)
		go func() {
			var s, n int64
			for v := range c {
				s += int64(v)
				n++
			}
			atomic.AddInt64(&sum, s)
			atomic.AddInt64(&count, n)
			consumers.Done()
		}()
	}
	producers.Wait()
	close(c)
	consumers.Wait()
	el := time.Since(start)
	if count != mpmcItems || sum != sumBelow(mpmcItems) {
		fail("BufferedMPMC/P:%d: count %d sum %d, want %d and %d",
			p, count, sum, mpmcItems, sumBelow(mpmcItems))
	}
	return float64(el.Nanoseconds()) / mpmcItems
}

// selectSenders makes k unbuffered channels, each fed by its own goroutine:
// sender j sends the values i ≡ j (mod k) of 0..selectRecvs-1. The
// WaitGroup is done when all senders have returned.
func selectSenders(k int) ([]chan int, *sync.WaitGroup) {
	cs := make([]chan int, k)
	var wg sync.WaitGroup
	wg.Add(k)
	for j := range cs {
		cs[j] = make(chan int)
		go func(c chan<- int, j int) {
			for i := 0; i < selectRecvs/k; i++ {
				c <- i*k + j
			}
			wg.Done()
		}(cs[j], j)
	}
	return cs, &wg
}

// checkSelect checks that every case fired selectRecvs / k times and that
// the values add up to 0 + ... + (selectRecvs - 1).
func checkSelect(name string, sum int64, fired []int64) {
	if sum != sumBelow(selectRecvs) {
		fail("%s: sum %d, want %d", name, sum, sumBelow(selectRecvs))
	}
	for j, f := range fired {
		if f != selectRecvs/int64(len(fired)) {
			fail("%s: case %d fired %d times, want %d", name, j, f, selectRecvs/len(fired))
		}
	}
}

// select2: one receiver runs selectRecvs selects over 2 unbuffered
// channels, each fed by its own sender. ns per receive.
func select2() float64 {
	start := time.Now()
	cs, senders := selectSenders(2)
	var sum int64
	var fired [2]int64
	for n := 0; n < selectRecvs; n++ {
		select {
		case v := <-cs[0]:
			sum += int64(v)
			fired[0]++
		case v := <-cs[1]:
			sum += int64(v)
			fired[1]++
		}
	}
	senders.Wait()
	el := time.Since(start)
	checkSelect("Select2", sum, fired[:])
	return float64(el.Nanoseconds()) / selectRecvs
}

// select4: as select2 with 4 channels and 4 senders.
func select4() float64 {
	start := time.Now()
	cs, senders := selectSenders(4)
	var sum int64
	var fired [4]int64
	for n := 0; n < selectRecvs; n++ {
		select {
		case v := <-cs[0]:
			sum += int64(v)
			fired[0]++
		case v := <-cs[1]:
			sum += int64(v)
			fired[1]++
		case v := <-cs[2]:
			sum += int64(v)
			fired[2]++
		case v := <-cs[3]:
			sum += int64(v)
			fired[3]++
		}
	}
	senders.Wait()
	el := time.Since(start)
	checkSelect("Select4", sum, fired[:])
	return float64(el.Nanoseconds()) / selectRecvs
}
