// pool.go: the article's WorkerPool (section 1) with the fixes and the
// best-practice additions that gofer::patterns::WorkerPool has, so that the
// two do the same work per job: a Job carries its function, SubmitWait
// applies backpressure (select on the queue, ctx.Done() and intake closing),
// workers poll the queue without blocking first and then select on it and
// their quit channel (Resize), every job is timed for the metrics, and
// Shutdown(ctx) waits for the drain.
package main

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

type Job struct {
	ID       int
	Data     string
	Fn       func(ctx context.Context, id int) error
	OnResult func(job *Job, err error)
}

type Metrics struct {
	ProcessedJobs  int64
	FailedJobs     int64
	AverageLatency time.Duration
	ActiveWorkers  int
}

var (
	ErrQueueFull  = errors.New("任务队列已满")
	ErrPoolClosed = errors.New("worker pool closed")
)

type slot struct {
	processed, failed, latencyNs int64
	busy                         int32
	quit                         chan struct{}
}

type WorkerPool struct {
	workerCount  int
	jobQueue     chan Job
	intakeClosed chan struct{}
	intake       sync.RWMutex
	accepting    bool
	wg           sync.WaitGroup
	slots        []*slot
	closeOnce    sync.Once
}

func NewWorkerPool(workerCount int, queueSize int) *WorkerPool {
	return &WorkerPool{
		workerCount:  workerCount,
		jobQueue:     make(chan Job, queueSize),
		intakeClosed: make(chan struct{}),
		accepting:    true,
	}
}

func (wp *WorkerPool) Start(ctx context.Context) {
	for i := 0; i < wp.workerCount; i++ {
		s := &slot{quit: make(chan struct{})}
		wp.slots = append(wp.slots, s)
		wp.wg.Add(1)
		go wp.worker(ctx, i, s)
	}
}

func (wp *WorkerPool) worker(ctx context.Context, id int, s *slot) {
	defer wp.wg.Done()
	for {
		var job Job
		var ok, got bool
		select {
		case job, ok = <-wp.jobQueue:
			got = true
		default:
		}
		if !got {
			select {
			case job, ok = <-wp.jobQueue:
			case <-s.quit:
				return
			}
		}
		if !ok {
			return
		}
		atomic.StoreInt32(&s.busy, 1)
		t0 := time.Now()
		err := job.Fn(ctx, job.ID)
		lat := time.Since(t0)
		atomic.StoreInt32(&s.busy, 0)
		atomic.StoreInt64(&s.processed, s.processed+1)
		if err != nil {
			atomic.StoreInt64(&s.failed, s.failed+1)
		}
		atomic.StoreInt64(&s.latencyNs, s.latencyNs+int64(lat))
		if job.OnResult != nil {
			job.OnResult(&job, err)
		}
	}
}

func (wp *WorkerPool) Submit(job Job) error {
	wp.intake.RLock()
	defer wp.intake.RUnlock()
	if !wp.accepting {
		return ErrPoolClosed
	}
	select {
	case wp.jobQueue <- job:
		return nil
	default:
		return ErrQueueFull
	}
}

func (wp *WorkerPool) SubmitWait(ctx context.Context, job Job) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	wp.intake.RLock()
	defer wp.intake.RUnlock()
	if !wp.accepting {
		return ErrPoolClosed
	}
	select {
	case wp.jobQueue <- job:
		return nil
	default:
	}
	select {
	case wp.jobQueue <- job:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-wp.intakeClosed:
		return ErrPoolClosed
	}
}

func (wp *WorkerPool) stopIntake() {
	wp.closeOnce.Do(func() {
		close(wp.intakeClosed)
		wp.intake.Lock()
		wp.accepting = false
		close(wp.jobQueue)
		wp.intake.Unlock()
	})
}

func (wp *WorkerPool) Shutdown(ctx context.Context) error {
	wp.stopIntake()
	done := make(chan struct{})
	go func() {
		wp.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (wp *WorkerPool) GetMetrics() Metrics {
	var m Metrics
	var lat int64
	for _, s := range wp.slots {
		m.ProcessedJobs += atomic.LoadInt64(&s.processed)
		m.FailedJobs += atomic.LoadInt64(&s.failed)
		lat += atomic.LoadInt64(&s.latencyNs)
		m.ActiveWorkers += int(atomic.LoadInt32(&s.busy))
	}
	if m.ProcessedJobs > 0 {
		m.AverageLatency = time.Duration(lat / m.ProcessedJobs)
	}
	return m
}
