package ratelimit

import (
	"context"
	"sync"
	"time"
)

// DefaultMaxKeys bounds the counters a Memory store keeps: about 15 MB at
// most. Past it, a store that is full of live counters drops one at random for
// each new key, so an attacker spraying keys cannot grow memory, and each
// counter of theirs is as likely to go as anyone's.
const DefaultMaxKeys = 100_000

// sweepEvery is how often a full store may scan for expired counters; between
// scans it evicts at random instead, so a store full of live keys never costs
// a full scan per request.
const sweepEvery = time.Second

// Memory is an in-process Store: fixed windows in a map under a mutex, with
// expired counters removed by a periodic sweep and a bounded number of keys.
// Each replica counts on its own. The zero value is not usable: use NewMemory.
type Memory struct {
	mu        sync.Mutex
	counters  map[string]*counter
	maxKeys   int
	now       func() time.Time
	lastSweep time.Time
}

type counter struct {
	n     int64
	reset time.Time // when the window ends
}

// NewMemory returns an empty in-process store holding at most maxKeys counters
// (DefaultMaxKeys if maxKeys <= 0). now is the clock (time.Now if nil).
func NewMemory(maxKeys int, now func() time.Time) *Memory {
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	if now == nil {
		now = time.Now
	}
	return &Memory{counters: make(map[string]*counter), maxKeys: maxKeys, now: now}
}

// Hit counts one event for key in a fixed window, and returns the count so far
// in the window and the time until it ends. It never fails.
func (m *Memory) Hit(_ context.Context, key string, window time.Duration) (int64, time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	c, ok := m.counters[key]
	if ok && !now.Before(c.reset) {
		ok = false // expired: start a new window in place
	}
	if !ok {
		if c == nil {
			m.makeRoom(now)
			c = &counter{}
			m.counters[key] = c
		}
		c.n, c.reset = 0, now.Add(window)
	}
	c.n++
	return c.n, c.reset.Sub(now), nil
}

// makeRoom frees a slot for a new key when the store is full: expired counters
// first (at most once per sweepEvery), else one counter at random.
func (m *Memory) makeRoom(now time.Time) {
	if len(m.counters) < m.maxKeys {
		return
	}
	if now.Sub(m.lastSweep) >= sweepEvery {
		m.sweepLocked(now)
		if len(m.counters) < m.maxKeys {
			return
		}
	}
	for k := range m.counters { // map order is random
		delete(m.counters, k)
		return
	}
}

// Sweep removes every expired counter.
func (m *Memory) Sweep() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweepLocked(m.now())
}

func (m *Memory) sweepLocked(now time.Time) {
	m.lastSweep = now
	for k, c := range m.counters {
		if !now.Before(c.reset) {
			delete(m.counters, k)
		}
	}
}

// Len returns the number of counters held, expired or not.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.counters)
}

// sweepLoop sweeps every interval until ctx ends.
func (m *Memory) sweepLoop(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			m.Sweep()
		}
	}
}
