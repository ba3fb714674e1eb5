package ratelimit

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// DefaultMaxKeys bounds the counters a Memory store keeps: about 20 MB at
// most.
const DefaultMaxKeys = 100_000

// sweepEvery is how often a full store may scan for expired counters; between
// scans it evicts without scanning, so a store full of live keys never costs
// a full scan per request.
const sweepEvery = time.Second

// Memory is an in-process Store: fixed windows in a map under a mutex, with
// expired counters removed by a periodic sweep and a bounded number of keys.
// Each replica counts on its own. The zero value is not usable: use NewMemory.
//
// When it is full, a new key evicts, in this order: expired counters (when a
// sweep is due), else a counter below its limit, chosen at random, else (every
// counter is at its limit) any counter at random. A counter at its limit is
// the one refusing attempts, so a flood of new keys (unique emails, say)
// cannot flush it while any counter below its limit is left to drop: keeping
// an account throttled takes only its one counter, whereas flushing it would
// take more counters at their limit than the store holds.
type Memory struct {
	mu        sync.Mutex
	counters  map[string]*counter
	below     keySet // counters below their limit: evicted first
	atLimit   keySet // counters at or over their limit: evicted last
	maxKeys   int
	now       func() time.Time
	lastSweep time.Time
}

type counter struct {
	key     string
	n       int64
	reset   time.Time // when the window ends
	atLimit bool      // in Memory.atLimit rather than Memory.below
	index   int       // position in its keySet
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
// in the window and the time until it ends. A counter that reaches limit is
// kept over those below theirs when the store is full. It never fails.
func (m *Memory) Hit(_ context.Context, key string, window time.Duration, limit int64) (int64, time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	c, ok := m.counters[key]
	if !ok {
		m.makeRoom(now)
		c = &counter{key: key}
		m.counters[key] = c
		m.below.add(c)
	}
	if !now.Before(c.reset) { // new, or expired: start a new window in place
		c.n, c.reset = 0, now.Add(window)
		m.setAtLimit(c, false)
	}
	c.n++
	if limit > 0 && c.n >= limit {
		m.setAtLimit(c, true)
	}
	return c.n, c.reset.Sub(now), nil
}

// Peek returns key's count in the current window and the time until it ends,
// or 0 when key has no live counter. It creates and changes nothing.
func (m *Memory) Peek(_ context.Context, key string) (int64, time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	c, ok := m.counters[key]
	if !ok || !now.Before(c.reset) {
		return 0, 0, nil
	}
	return c.n, c.reset.Sub(now), nil
}

func (m *Memory) setAtLimit(c *counter, at bool) {
	if c.atLimit == at {
		return
	}
	if at {
		m.below.remove(c)
		m.atLimit.add(c)
	} else {
		m.atLimit.remove(c)
		m.below.add(c)
	}
	c.atLimit = at
}

// makeRoom frees a slot for a new key when the store is full: expired
// counters first (at most once per sweepEvery), else one counter below its
// limit, else any one.
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
	if m.below.len() > 0 {
		m.delete(m.below.random())
		return
	}
	m.delete(m.atLimit.random())
}

func (m *Memory) delete(c *counter) {
	if c.atLimit {
		m.atLimit.remove(c)
	} else {
		m.below.remove(c)
	}
	delete(m.counters, c.key)
}

// Sweep removes every expired counter.
func (m *Memory) Sweep() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweepLocked(m.now())
}

func (m *Memory) sweepLocked(now time.Time) {
	m.lastSweep = now
	for _, c := range m.counters {
		if !now.Before(c.reset) {
			m.delete(c)
		}
	}
}

// Len returns the number of counters held, expired or not.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.counters)
}

// keySet is a set of counters with O(1) add, remove and random choice: a
// slice, each counter knowing its index.
type keySet struct{ items []*counter }

func (s *keySet) len() int { return len(s.items) }

func (s *keySet) add(c *counter) {
	c.index = len(s.items)
	s.items = append(s.items, c)
}

func (s *keySet) remove(c *counter) {
	last := s.items[len(s.items)-1]
	s.items[c.index] = last
	last.index = c.index
	s.items[len(s.items)-1] = nil
	s.items = s.items[:len(s.items)-1]
}

func (s *keySet) random() *counter { return s.items[rand.IntN(len(s.items))] }
