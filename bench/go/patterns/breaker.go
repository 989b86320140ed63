// breaker.go: the article's CircuitBreaker (section 3), fixed as
// gofer::patterns::CircuitBreaker is: it compiles (the article's unused
// `failures` does not in Go 1.19), the state is read and changed under one
// lock with a generation counter (so a result from an older generation is
// ignored), and half-open admits at most maxRequests trial calls. One Lock
// before the call and one after, as the C++ port; like it, the clock is read
// only when the state needs it (an open breaker's expiry, a transition), so
// a closed breaker reads none (gobreaker reads time.Now twice a call).
package main

import (
	"errors"
	"sync"
	"time"
)

type State int

const (
	StateClosed State = iota
	StateHalfOpen
	StateOpen
)

var (
	ErrOpenState       = errors.New("熔断器已打开")
	ErrTooManyRequests = errors.New("熔断器半开: 试探请求过多")
)

type Counts struct {
	Requests, TotalSuccesses, TotalFailures, ConsecutiveSuccesses, ConsecutiveFailures uint32
}

type CircuitBreaker struct {
	maxFailures uint32
	resetTime   time.Duration
	maxRequests uint32

	mu         sync.Mutex
	state      State
	generation uint64
	counts     Counts
	expiry     time.Time
}

func NewCircuitBreaker(maxFailures int, resetTime time.Duration) *CircuitBreaker {
	return &CircuitBreaker{maxFailures: uint32(maxFailures), resetTime: resetTime, maxRequests: 1}
}

func (cb *CircuitBreaker) Call(fn func() error) error {
	gen, err := cb.before()
	if err != nil {
		return err
	}
	err = fn()
	cb.after(gen, err == nil)
	return err
}

func (cb *CircuitBreaker) currentState() (State, uint64) {
	if cb.state == StateOpen {
		if now := time.Now(); !cb.expiry.IsZero() && cb.expiry.Before(now) {
			cb.setState(StateHalfOpen, now)
		}
	}
	return cb.state, cb.generation
}

func (cb *CircuitBreaker) before() (uint64, error) {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	state, gen := cb.currentState()
	if state == StateOpen {
		return gen, ErrOpenState
	} else if state == StateHalfOpen && cb.counts.Requests >= cb.maxRequests {
		return gen, ErrTooManyRequests
	}
	cb.counts.Requests++
	return gen, nil
}

func (cb *CircuitBreaker) after(before uint64, success bool) {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	state, gen := cb.currentState()
	if gen != before {
		return
	}
	if success {
		cb.counts.TotalSuccesses++
		cb.counts.ConsecutiveSuccesses++
		cb.counts.ConsecutiveFailures = 0
		if state == StateHalfOpen && cb.counts.ConsecutiveSuccesses >= cb.maxRequests {
			cb.setState(StateClosed, time.Now())
		}
		return
	}
	cb.counts.TotalFailures++
	cb.counts.ConsecutiveFailures++
	cb.counts.ConsecutiveSuccesses = 0
	if state == StateHalfOpen || cb.counts.ConsecutiveFailures >= cb.maxFailures {
		cb.setState(StateOpen, time.Now())
	}
}

func (cb *CircuitBreaker) setState(s State, now time.Time) {
	cb.state = s
	cb.generation++
	cb.counts = Counts{}
	if s == StateOpen {
		cb.expiry = now.Add(cb.resetTime)
	} else {
		cb.expiry = time.Time{}
	}
}
