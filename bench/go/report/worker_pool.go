// worker_pool.go: worker_pool — the seed article's WorkerPool
// (shared/seeds/000_93dc988236682126.txt, 'Go并发模式：7种让代码坚不可摧的策略',
// section 1), fixed for measuring: the worker hands each job to the pool's
// handler instead of printing and sleeping 100 ms (gofer's
// patterns::NewWorkerPool(workers, queue, handler) has the same shape).
package main

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

func init() { register("worker_pool", workerPoolRun) }

type Job struct {
	ID   int
	Data string
}

type WorkerPool struct {
	workerCount int
	jobQueue    chan Job
	wg          sync.WaitGroup
	handler     func(ctx context.Context, worker int, job Job) error
}

var errQueueFull = errors.New("任务队列已满") // the article's text

func NewWorkerPool(workerCount int, queueSize int,
	handler func(ctx context.Context, worker int, job Job) error) *WorkerPool {
	return &WorkerPool{
		workerCount: workerCount,
		jobQueue:    make(chan Job, queueSize),
		handler:     handler,
	}
}

func (wp *WorkerPool) Start(ctx context.Context) {
	for i := 0; i < wp.workerCount; i++ {
		wp.wg.Add(1)
		go wp.worker(ctx, i)
	}
}

func (wp *WorkerPool) worker(ctx context.Context, id int) {
	defer wp.wg.Done()
	for {
		select {
		case job, ok := <-wp.jobQueue:
			if !ok {
				return
			}
			wp.handler(ctx, id, job)
		case <-ctx.Done():
			return
		}
	}
}

func (wp *WorkerPool) Submit(job Job) error {
	select {
	case wp.jobQueue <- job:
		return nil
	default:
		return errQueueFull
	}
}

func (wp *WorkerPool) Close() {
	close(wp.jobQueue)
	wp.wg.Wait()
}

// workerPoolRun: NewWorkerPool(5, 100), n jobs {ID: i}; a full queue makes
// the submitter yield and retry (Submit never blocks); Close waits for the
// workers. Each job's work adds its ID to a sum and counts itself. ns per
// job; extra full_per_job: Submits that found the queue full, per job.
func workerPoolRun(n int64, x extras) float64 {
	var sum, count, full int64
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	pool := NewWorkerPool(poolWorkers, poolQueue, func(_ context.Context, _ int, job Job) error {
		atomic.AddInt64(&sum, int64(job.ID))
		atomic.AddInt64(&count, 1)
		return nil
	})
	pool.Start(ctx)
	for i := 0; i < int(n); i++ {
		for pool.Submit(Job{ID: i}) != nil {
			full++
			runtime.Gosched()
		}
	}
	pool.Close()
	el := time.Since(start)
	if count != n || sum != sumBelow(n) {
		fail("worker_pool: count %d sum %d, want %d and %d", count, sum, n, sumBelow(n))
	}
	x["full_per_job"] = float64(full) / float64(n)
	return perOp(el, n)
}
