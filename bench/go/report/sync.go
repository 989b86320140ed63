// sync.go: mutex_contention and waitgroup — sync.Mutex and sync.WaitGroup.
package main

import (
	"sync"
	"sync/atomic"
	"time"
)

func init() {
	register("mutex_contention", mutexContention)
	register("waitgroup", waitGroup)
}

// mutexContention: 8 goroutines each lock one sync.Mutex n times and
// increment a plain counter under it. ns per Lock/Unlock pair.
func mutexContention(n int64, _ extras) float64 {
	var mu sync.Mutex
	var counter int64
	start := time.Now()
	var wg sync.WaitGroup
	wg.Add(mutexTasks)
	for t := 0; t < mutexTasks; t++ {
		go func() {
			for i := int64(0); i < n; i++ {
				mu.Lock()
				counter++
				mu.Unlock()
			}
			wg.Done()
		}()
	}
	wg.Wait()
	el := time.Since(start)
	if counter != mutexTasks*n {
		fail("mutex_contention: counter %d, want %d", counter, mutexTasks*n)
	}
	return perOp(el, mutexTasks*n)
}

// waitGroup: a coordinator and 8 persistent goroutines run n fork/join
// rounds: arm the next round's gate, done.Add(8), open this round's gate
// (gate.Done wakes all 8), each goroutine done.Done()s, the coordinator
// done.Wait()s. Two gates alternate, so a goroutine that loops around early
// waits on a gate not yet opened; every Add follows the previous Wait on
// that WaitGroup, as Go's reuse rule demands. ns per round, the rounds
// alone.
func waitGroup(n int64, _ extras) float64 {
	var gates [2]sync.WaitGroup
	var done, exited sync.WaitGroup
	var count int64
	gates[0].Add(1)
	exited.Add(waitGroupTasks)
	for t := 0; t < waitGroupTasks; t++ {
		go func() {
			for r := int64(0); r < n; r++ {
				gates[r%2].Wait()
				atomic.AddInt64(&count, 1)
				done.Done()
			}
			exited.Done()
		}()
	}
	start := time.Now()
	for r := int64(0); r < n; r++ {
		if r+1 < n {
			gates[(r+1)%2].Add(1)
		}
		done.Add(waitGroupTasks)
		gates[r%2].Done()
		done.Wait()
	}
	el := time.Since(start)
	exited.Wait()
	if count != waitGroupTasks*n {
		fail("waitgroup: count %d, want %d", count, waitGroupTasks*n)
	}
	return perOp(el, n)
}
