package ratelimit_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"users/graph"
	"users/internal/apperr"
	"users/internal/apptest"
	"users/internal/clientip"
	"users/internal/config"
	"users/internal/ratelimit"
)

var _ graph.Limits = (*ratelimit.Limiter)(nil)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func from(ip string) context.Context { return clientip.With(context.Background(), ip) }

// rateLimited checks that err is the RateLimited error with a RetryAfter in (0, max].
func rateLimited(t *testing.T, err error, max time.Duration) {
	t.Helper()
	var e *apperr.Error
	if !errors.As(err, &e) || e.Code != apperr.RateLimited {
		t.Fatalf("err = %v, want RATE_LIMITED", err)
	}
	if e.Message != "too many requests" {
		t.Errorf("message = %q", e.Message)
	}
	if e.RetryAfter <= 0 || e.RetryAfter > max {
		t.Errorf("RetryAfter = %v, want in (0, %v]", e.RetryAfter, max)
	}
}

func TestLimiterPerIP(t *testing.T) {
	t.Parallel()
	var rejected []string
	l := ratelimit.New(ratelimit.Options{
		Login:    config.Rate{Count: 3, Window: time.Minute},
		OnReject: func(action string) { rejected = append(rejected, action) },
	})
	ctx := from("203.0.113.7")
	for i := range 3 {
		if err := l.Login(ctx, fmt.Sprintf("user%d@example.com", i), true); err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	rateLimited(t, l.Login(ctx, "user9@example.com", true), time.Minute)
	if len(rejected) != 1 || rejected[0] != ratelimit.ActionLogin {
		t.Errorf("OnReject calls = %v, want [login]", rejected)
	}
	// Another client is not affected; nor is sign-up (off here).
	if err := l.Login(from("198.51.100.1"), "user10@example.com", true); err != nil {
		t.Errorf("other client: %v", err)
	}
	if err := l.Signup(ctx, "user11@example.com"); err != nil {
		t.Errorf("signup with no limit: %v", err)
	}
}

func TestLimiterPerEmail(t *testing.T) {
	t.Parallel()
	l := ratelimit.New(ratelimit.Options{Signup: config.Rate{Count: 2, Window: time.Hour}})
	// Many addresses, one account; spelled differently each time.
	for i, email := range []string{"Victim@Example.com", " victim@example.com "} {
		if err := l.Signup(from(fmt.Sprintf("192.0.2.%d", i+1)), email); err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	rateLimited(t, l.Signup(from("192.0.2.99"), "VICTIM@EXAMPLE.COM"), time.Hour)
	if err := l.Signup(from("192.0.2.99"), "someone@example.com"); err != nil {
		t.Errorf("another email from that address: %v", err)
	}
	if err := l.Login(from("192.0.2.99"), "victim@example.com", true); err != nil {
		t.Errorf("login is counted apart from sign-up: %v", err)
	}
}

func TestLimiterIPv6Prefix(t *testing.T) {
	t.Parallel()
	l := ratelimit.New(ratelimit.Options{Login: config.Rate{Count: 2, Window: time.Minute}})
	// One /64 is one client, whichever addresses in it they use.
	_ = l.Login(from("2001:db8:1:2::1"), "a@example.com", true)
	_ = l.Login(from("2001:db8:1:2:ffff::9"), "b@example.com", true)
	rateLimited(t, l.Login(from("2001:db8:1:2:abcd::7"), "c@example.com", true), time.Minute)
	if err := l.Login(from("2001:db8:1:3::1"), "d@example.com", true); err != nil {
		t.Errorf("another /64: %v", err)
	}
}

func TestLimiterRetryAfter(t *testing.T) {
	t.Parallel()
	c := newClock()
	l := ratelimit.New(ratelimit.Options{Login: config.Rate{Count: 1, Window: time.Minute}, Now: c.Now,
		Store: ratelimit.NewMemory(0, c.Now)})
	ctx := from("203.0.113.7")
	_ = l.Login(ctx, "a@example.com", true)
	c.Add(15 * time.Second)
	err := l.Login(ctx, "a@example.com", true)
	var e *apperr.Error
	if !errors.As(err, &e) || e.RetryAfter != 45*time.Second {
		t.Fatalf("err = %v, want RetryAfter 45s", err)
	}
	if e.Detail != "try again in 45 seconds" {
		t.Errorf("detail = %q", e.Detail)
	}
	c.Add(45 * time.Second)
	if err := l.Login(ctx, "a@example.com", true); err != nil {
		t.Errorf("after the window: %v", err)
	}
}

func TestLimiterOff(t *testing.T) {
	t.Parallel()
	l := ratelimit.New(ratelimit.Options{}) // RATE_LIMIT_*=0
	for range 1000 {
		if err := l.Login(from("203.0.113.7"), "a@example.com", true); err != nil {
			t.Fatal(err)
		}
		if err := l.Signup(from("203.0.113.7"), "a@example.com"); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLimiterNoClientIP(t *testing.T) {
	t.Parallel()
	// Without the middleware every request shares one "unknown" counter:
	// limited, never unlimited.
	l := ratelimit.New(ratelimit.Options{Login: config.Rate{Count: 1, Window: time.Minute}})
	_ = l.Login(context.Background(), "a@example.com", true)
	rateLimited(t, l.Login(context.Background(), "b@example.com", true), time.Minute)
}

// failingStore fails every call and counts them.
type failingStore struct{ calls atomic.Int64 }

func (s *failingStore) Hit(context.Context, string, time.Duration, int64) (int64, time.Duration, error) {
	s.calls.Add(1)
	return 0, 0, errors.New("connection refused")
}

func (s *failingStore) Peek(context.Context, string) (int64, time.Duration, error) {
	s.calls.Add(1)
	return 0, 0, errors.New("connection refused")
}

func TestLimiterFailsOpenToProcess(t *testing.T) {
	t.Parallel()
	c := newClock()
	store := &failingStore{}
	var logs bytes.Buffer
	var storeErrors atomic.Int64
	l := ratelimit.New(ratelimit.Options{
		Login:        config.Rate{Count: 2, Window: time.Minute},
		Store:        store,
		Logger:       slog.New(slog.NewTextHandler(&logs, nil)),
		OnStoreError: func(string) { storeErrors.Add(1) },
		Now:          c.Now,
	})
	ctx := from("203.0.113.7")
	// Nobody is locked out, but the fallback still counts.
	for i := range 2 {
		if err := l.Login(ctx, "a@example.com", true); err != nil {
			t.Fatalf("attempt %d during outage: %v", i+1, err)
		}
	}
	rateLimited(t, l.Login(ctx, "a@example.com", true), time.Minute)
	if n := store.calls.Load(); n != 1 {
		t.Errorf("store called %d times, want 1 (then left alone for a while)", n)
	}
	if n := storeErrors.Load(); n != 3 {
		t.Errorf("OnStoreError called %d times, want once per attempt (3)", n)
	}
	if got := strings.Count(logs.String(), "level=ERROR"); got != 1 {
		t.Errorf("logged %d errors, want 1:\n%s", got, logs.String())
	}
	c.Add(6 * time.Second) // the breaker lets it try again
	_ = l.Login(from("198.51.100.1"), "b@example.com", true)
	if n := store.calls.Load(); n != 2 {
		t.Errorf("store called %d times after the pause, want 2", n)
	}
}

func TestFromConfigBadURL(t *testing.T) {
	t.Parallel()
	cfg := config.Config{RedisURL: "redis://user:s3cretPass@[::1"}
	_, err := ratelimit.FromConfig(slog.New(slog.DiscardHandler), cfg, ratelimit.Options{})
	if err == nil {
		t.Fatal("want an error for a malformed REDIS_URL")
	}
	if strings.Contains(err.Error(), "s3cretPass") {
		t.Errorf("error quotes the password: %v", err)
	}
}

func TestFromConfigUnreachableRedis(t *testing.T) {
	t.Parallel()
	var logs apptest.Buffer
	cfg := config.Config{
		RedisURL:   "redis://:pw-not-for-logs@127.0.0.1:1/0", // nothing listens on port 1
		LoginLimit: config.Rate{Count: 1, Window: time.Minute},
	}
	l, err := ratelimit.FromConfig(slog.New(slog.NewJSONHandler(&logs, nil)), cfg, ratelimit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()

	from := from("203.0.113.7")
	if err := l.Login(from, "a@example.com", true); err != nil {
		t.Fatalf("first attempt with Redis down: %v", err)
	}
	rateLimited(t, l.Login(from, "a@example.com", true), time.Minute)

	// Run says at start that Redis does not answer, and returns when ctx ends.
	apptest.Eventually(t, 10*time.Second, "Run logs that Redis is unreachable", func() bool {
		return strings.Contains(logs.String(), "redis unreachable at start")
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil when its context ends", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if strings.Contains(logs.String(), "pw-not-for-logs") {
		t.Errorf("the Redis password is in the log:\n%s", logs.String())
	}
}
