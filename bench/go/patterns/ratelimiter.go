// ratelimiter.go: the article's token bucket (section 5), as written (a
// buffered channel of tokens refilled by a ticker goroutine), with the
// Stop-twice fix of gofer::patterns::RateLimiter.
package main

import (
	"context"
	"sync"
	"time"
)

type RateLimiter struct {
	tokens chan struct{}
	ticker *time.Ticker
	done   chan struct{}
	once   sync.Once
}

func NewRateLimiter(requestsPerSecond int, burstSize int) *RateLimiter {
	rl := &RateLimiter{
		tokens: make(chan struct{}, burstSize),
		ticker: time.NewTicker(time.Second / time.Duration(requestsPerSecond)),
		done:   make(chan struct{}),
	}
	for i := 0; i < burstSize; i++ {
		rl.tokens <- struct{}{}
	}
	go func() {
		defer rl.ticker.Stop()
		for {
			select {
			case <-rl.ticker.C:
				select {
				case rl.tokens <- struct{}{}:
				default:
				}
			case <-rl.done:
				return
			}
		}
	}()
	return rl
}

func (rl *RateLimiter) Allow() bool {
	select {
	case <-rl.tokens:
		return true
	default:
		return false
	}
}

func (rl *RateLimiter) Wait(ctx context.Context) error {
	select {
	case <-rl.tokens:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (rl *RateLimiter) Stop() { rl.once.Do(func() { close(rl.done) }) }
