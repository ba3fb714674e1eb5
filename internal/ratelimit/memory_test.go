package ratelimit_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"users/internal/ratelimit"
)

func TestMemoryWindow(t *testing.T) {
	t.Parallel()
	c := newClock()
	m := ratelimit.NewMemory(0, c.Now)
	ctx := context.Background()
	for i := int64(1); i <= 3; i++ {
		n, reset, err := m.Hit(ctx, "k", time.Minute, 0)
		if err != nil || n != i || reset != time.Minute {
			t.Fatalf("hit %d = %d, %v, %v", i, n, reset, err)
		}
	}
	c.Add(40 * time.Second)
	if n, reset, _ := m.Hit(ctx, "k", time.Minute, 0); n != 4 || reset != 20*time.Second {
		t.Errorf("later in the window: %d, %v; want 4, 20s", n, reset)
	}
	if n, _, _ := m.Hit(ctx, "other", time.Minute, 0); n != 1 {
		t.Errorf("another key: %d, want 1", n)
	}
	c.Add(20 * time.Second) // the window ends
	if n, reset, _ := m.Hit(ctx, "k", time.Minute, 0); n != 1 || reset != time.Minute {
		t.Errorf("next window: %d, %v; want 1, 1m", n, reset)
	}
}

func TestMemoryBounded(t *testing.T) {
	t.Parallel()
	c := newClock()
	m := ratelimit.NewMemory(100, c.Now)
	ctx := context.Background()
	for i := range 10_000 {
		_, _, _ = m.Hit(ctx, fmt.Sprint("spray-", i), time.Hour, 0)
	}
	if n := m.Len(); n > 100 {
		t.Fatalf("Len = %d after spraying, want <= 100", n)
	}
	// Expired counters are swept, not kept.
	c.Add(2 * time.Hour)
	m.Sweep()
	if n := m.Len(); n != 0 {
		t.Errorf("Len after expiry sweep = %d, want 0", n)
	}
	// A full store of expired keys makes room by sweeping, not evicting live ones.
	for i := range 100 {
		_, _, _ = m.Hit(ctx, fmt.Sprint("old-", i), time.Second, 0)
	}
	_, _, _ = m.Hit(ctx, "live", time.Hour, 0)
	c.Add(2 * time.Second)
	_, _, _ = m.Hit(ctx, "new", time.Hour, 0) // full: sweeps the 99 expired ones
	if n, _, _ := m.Hit(ctx, "live", time.Hour, 0); n != 2 {
		t.Errorf("live counter after sweep = %d, want 2 (kept)", n)
	}
	if n := m.Len(); n != 2 {
		t.Errorf("Len = %d, want 2", n)
	}
}

func TestMemoryConcurrent(t *testing.T) {
	t.Parallel()
	m := ratelimit.NewMemory(0, nil)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				_, _, _ = m.Hit(context.Background(), "k", time.Hour, 0)
			}
		})
	}
	wg.Wait()
	if n, _, _ := m.Hit(context.Background(), "k", time.Hour, 0); n != 8001 {
		t.Errorf("count = %d, want 8001", n)
	}
}

func TestMemoryPeek(t *testing.T) {
	t.Parallel()
	c := newClock()
	m := ratelimit.NewMemory(0, c.Now)
	ctx := context.Background()
	if n, reset, err := m.Peek(ctx, "k"); n != 0 || reset != 0 || err != nil {
		t.Errorf("Peek(no counter) = %d, %v, %v; want 0, 0, nil", n, reset, err)
	}
	if m.Len() != 0 {
		t.Errorf("Peek created a counter: Len = %d", m.Len())
	}
	for range 3 {
		_, _, _ = m.Hit(ctx, "k", time.Minute, 5)
	}
	c.Add(10 * time.Second)
	for range 2 { // peeking twice changes nothing
		if n, reset, _ := m.Peek(ctx, "k"); n != 3 || reset != 50*time.Second {
			t.Errorf("Peek = %d, %v; want 3, 50s", n, reset)
		}
	}
	c.Add(50 * time.Second)
	if n, _, _ := m.Peek(ctx, "k"); n != 0 {
		t.Errorf("Peek after the window = %d, want 0", n)
	}
}

// TestMemoryEvictsBelowLimitFirst: a full store makes room by dropping
// counters below their limit, so a flood of new keys cannot flush the
// counters at their limit (the ones refusing attempts); only a store full of
// counters at their limit drops one of those.
func TestMemoryEvictsBelowLimitFirst(t *testing.T) {
	t.Parallel()
	c := newClock()
	const maxKeys, limit = 10, 3
	m := ratelimit.NewMemory(maxKeys, c.Now)
	ctx := context.Background()
	for range limit {
		_, _, _ = m.Hit(ctx, "victim", time.Hour, limit)
	}
	for i := range 10_000 {
		_, _, _ = m.Hit(ctx, fmt.Sprint("flood-", i), time.Hour, limit)
	}
	if n, _, _ := m.Peek(ctx, "victim"); n != limit {
		t.Fatalf("victim's counter after a flood of 10,000 keys = %d, want %d (kept)", n, limit)
	}
	if m.Len() != maxKeys {
		t.Errorf("Len = %d, want %d", m.Len(), maxKeys)
	}

	// A counter that reaches its limit later is kept from then on.
	for range limit - 1 {
		_, _, _ = m.Hit(ctx, "flood-9999", time.Hour, limit)
	}
	for i := range 1000 {
		_, _, _ = m.Hit(ctx, fmt.Sprint("more-", i), time.Hour, limit)
	}
	if n, _, _ := m.Peek(ctx, "flood-9999"); n != limit {
		t.Errorf("counter that reached its limit = %d after the flood, want %d", n, limit)
	}

	// Its window over, a counter starts again below its limit, and goes
	// like any other: after 1,000 evictions among 10 slots, it survives with
	// a chance of (9/10)^990, which is nil.
	c.Add(2 * time.Hour)
	_, _, _ = m.Hit(ctx, "victim", time.Hour, limit)
	for i := range 1000 {
		_, _, _ = m.Hit(ctx, fmt.Sprint("later-", i), time.Hour, limit)
	}
	if n, _, _ := m.Peek(ctx, "victim"); n != 0 {
		t.Errorf("victim in a new window = %d after the flood, want 0 (evicted: it is below its limit now)", n)
	}

	// All at their limit: a new key still gets a slot, by dropping one.
	full := ratelimit.NewMemory(maxKeys, c.Now)
	for i := range maxKeys {
		for range limit {
			_, _, _ = full.Hit(ctx, fmt.Sprint("k", i), time.Hour, limit)
		}
	}
	if n, _, _ := full.Hit(ctx, "new", time.Hour, limit); n != 1 || full.Len() != maxKeys {
		t.Errorf("new key in a store full of counters at their limit: %d, Len %d; want 1, %d", n, full.Len(), maxKeys)
	}
	kept := 0
	for i := range maxKeys {
		if n, _, _ := full.Peek(ctx, fmt.Sprint("k", i)); n == limit {
			kept++
		}
	}
	if kept != maxKeys-1 {
		t.Errorf("%d counters at their limit kept, want %d", kept, maxKeys-1)
	}
}
