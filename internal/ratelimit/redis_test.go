package ratelimit_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"users/internal/config"
	"users/internal/ratelimit"
	"users/internal/ratelimit/redistest"
)

func TestRedisStore(t *testing.T) {
	t.Parallel()
	client := redistest.Client(t)
	prefix := redistest.Prefix()
	s := ratelimit.NewRedis(client, prefix)
	ctx := t.Context()
	for i := int64(1); i <= 3; i++ {
		n, reset, err := s.Hit(ctx, "login:ip:k", time.Minute, 0)
		if err != nil {
			t.Fatal(err)
		}
		if n != i || reset <= 58*time.Second || reset > time.Minute {
			t.Fatalf("hit %d = %d, %v", i, n, reset)
		}
	}
	// The key is prefixed and lives one window.
	ttl, err := client.PTTL(ctx, prefix+"login:ip:k").Result()
	if err != nil || ttl <= 58*time.Second || ttl > time.Minute {
		t.Errorf("PTTL = %v, %v; want about 1m", ttl, err)
	}
	// A key without expiry (left by something else) gets one.
	if err := client.Set(ctx, prefix+"stray", 5, 0).Err(); err != nil {
		t.Fatal(err)
	}
	if n, reset, err := s.Hit(ctx, "stray", time.Minute, 0); err != nil || n != 6 || reset != time.Minute {
		t.Errorf("stray key: %d, %v, %v", n, reset, err)
	}
	// A short window ends.
	if _, _, err := s.Hit(ctx, "short", 200*time.Millisecond, 0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if n, _, _ := s.Hit(ctx, "short", 200*time.Millisecond, 0); n != 1 {
		t.Errorf("after the window: %d, want 1", n)
	}
	t.Cleanup(func() {
		keys, _ := client.Keys(context.Background(), prefix+"*").Result()
		if len(keys) > 0 {
			client.Del(context.Background(), keys...)
		}
	})
}

// TestRedisShared runs two limiters, as two replicas, on one Redis: they share
// the counters.
func TestRedisShared(t *testing.T) {
	t.Parallel()
	client := redistest.Client(t)
	prefix := redistest.Prefix()
	opts := func() ratelimit.Options {
		return ratelimit.Options{
			Login: config.Rate{Count: 4, Window: time.Minute},
			Store: ratelimit.NewRedis(client, prefix),
		}
	}
	a, b := ratelimit.New(opts()), ratelimit.New(opts())
	ctx := from("203.0.113.7")
	for i := range 4 {
		l := a
		if i%2 == 1 {
			l = b
		}
		if err := l.Login(ctx, "shared@example.com", true); err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	rateLimited(t, a.Login(ctx, "shared@example.com", true), time.Minute)
	rateLimited(t, b.Login(ctx, "shared@example.com", true), time.Minute)
	// No personal data in the keys.
	keys, err := client.Keys(t.Context(), prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 {
		t.Errorf("keys = %v, want one per IP and one per email", keys)
	}
	for _, k := range keys {
		if strings.Contains(k, "shared") || strings.Contains(k, "203.0.113.7") {
			t.Errorf("key %q holds personal data", k)
		}
		if !strings.HasPrefix(k, prefix+"login:") {
			t.Errorf("key %q lacks the prefix and action", k)
		}
	}
	t.Cleanup(func() { client.Del(context.Background(), keys...) })
}

func TestRedisPeek(t *testing.T) {
	t.Parallel()
	client := redistest.Client(t)
	prefix := redistest.Prefix()
	s := ratelimit.NewRedis(client, prefix)
	ctx := t.Context()
	t.Cleanup(func() { client.Del(context.Background(), prefix+"k") })
	if n, reset, err := s.Peek(ctx, "k"); err != nil || n != 0 || reset != 0 {
		t.Fatalf("Peek(no key) = %d, %v, %v; want 0, 0, nil", n, reset, err)
	}
	if n, err := client.Exists(ctx, prefix+"k").Result(); err != nil || n != 0 {
		t.Errorf("Peek created the key: EXISTS = %d, %v", n, err)
	}
	for range 2 {
		_, _, _ = s.Hit(ctx, "k", time.Minute, 5)
	}
	for range 2 { // peeking changes nothing
		if n, reset, err := s.Peek(ctx, "k"); err != nil || n != 2 || reset <= 58*time.Second || reset > time.Minute {
			t.Errorf("Peek = %d, %v, %v; want 2 and about 1m", n, reset, err)
		}
	}
}

// TestRedisKeepsThrottledEmail: with counters in Redis, refused attempts
// create no key, and the per-email limit holds against many addresses and
// two replicas.
func TestRedisKeepsThrottledEmail(t *testing.T) {
	t.Parallel()
	client := redistest.Client(t)
	prefix := redistest.Prefix()
	opts := ratelimit.Options{Login: config.Rate{Count: 3, Window: time.Minute}, Store: ratelimit.NewRedis(client, prefix)}
	replicas := []*ratelimit.Limiter{ratelimit.New(opts), ratelimit.New(opts)}
	t.Cleanup(func() {
		keys, _ := client.Keys(context.Background(), prefix+"*").Result()
		if len(keys) > 0 {
			client.Del(context.Background(), keys...)
		}
	})
	checks := 0
	for i := range 40 {
		if replicas[i%2].Login(from(ipN(i)), "victim@example.com", true) == nil {
			checks++
		}
	}
	if checks != 3 {
		t.Errorf("%d attempts at one email let through from 40 addresses on 2 replicas, want 3", checks)
	}
	keys, err := client.Keys(t.Context(), prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 4 { // the email, and the 3 addresses whose attempts counted
		t.Errorf("%d keys, want 4: refused attempts must create none", len(keys))
	}
	for _, k := range keys {
		if strings.Contains(k, "victim") {
			t.Errorf("key %q holds the email", k)
		}
	}
}
