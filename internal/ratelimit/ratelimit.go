// Package ratelimit throttles the actions that password guessing, credential
// stuffing, sign-up spam and token guessing go through: logins, sign-ups and
// refused tokens.
//
// A login or sign-up is counted twice, once for the client's IP address (from
// clientip) and once for the target email, in fixed windows. Counting per IP
// stops one client from trying many accounts; counting per email stops many
// clients (a botnet) from trying one account. An attempt first reads both
// counters: if either is at its limit the attempt is refused and no counter
// is created or touched, so refused attempts cannot fill the store; otherwise
// both are counted, and an attempt that takes either past its limit (a
// concurrent one got there first) is refused too. Refused tokens are counted
// per client IP only; while an address is at that limit, every token it sends
// is refused unchecked.
//
// Counters live in Redis when REDIS_URL is set, shared by every replica, and
// in process otherwise. When Redis fails, the limiter fails open to counting
// in process: each replica then enforces the limits on its own (so a client
// gets at most the limit times the number of replicas), and nobody is locked
// out by an outage.
//
// Each refusal is one security event (secevent.RateLimited, the action as
// reason, the email hashed).
package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"users/internal/apperr"
	"users/internal/clientip"
	"users/internal/config"
	"users/internal/secevent"
)

// The actions, as OnReject, OnStoreError and security events name them.
const (
	ActionLogin  = "login"
	ActionSignup = "signup"
	ActionToken  = "token"
)

// breakerPause is how long the limiter leaves a failing store alone before it
// tries it again, counting in process meanwhile: a Redis that is down costs
// each request nothing, instead of a timeout.
const breakerPause = 5 * time.Second

// Store counts events per key in fixed windows.
type Store interface {
	// Hit counts one event for key and returns the number of events in the
	// current window (this one included) and the time until the window ends.
	// A key's window starts at its first event. limit is what the key's
	// action allows: a store that must drop counters keeps the ones at it.
	Hit(ctx context.Context, key string, window time.Duration, limit int64) (count int64, resetIn time.Duration, err error)
	// Peek returns the number of events for key in the current window and
	// the time until it ends (0 when there is none), creating and changing
	// nothing.
	Peek(ctx context.Context, key string) (count int64, resetIn time.Duration, err error)
}

// Options configures a Limiter.
type Options struct {
	Login  config.Rate // per client IP and per email; Count 0 turns it off
	Signup config.Rate // per client IP and per email; Count 0 turns it off
	Token  config.Rate // refused tokens per client IP; Count 0 turns it off

	// Store keeps the counters; nil means an in-process Memory store.
	Store Store
	// Fallback counts while Store fails; nil means an in-process Memory store.
	Fallback Store

	Logger *slog.Logger      // nil: discard
	Events *secevent.Emitter // nil: no security events

	// OnReject, if set, is told each refused attempt (ActionLogin,
	// ActionSignup or ActionToken), for metrics.
	OnReject func(action string)
	// OnStoreError, if set, is told each attempt that Store failed to count
	// (and the fallback counted instead), for metrics and alerts.
	OnStoreError func(action string)

	// Now is the clock for the breaker (time.Now if nil).
	Now func() time.Time
}

// Limiter implements graph.Limits and auth.Throttle. It is safe for
// concurrent use.
type Limiter struct {
	o Options

	// Set by FromConfig, for Run: an unreachable Redis is logged once at
	// start, and the client is closed at the end.
	redis *redis.Client

	mu        sync.Mutex
	downUntil time.Time // the store failed; use the fallback until then
	down      bool      // the store is failing (for logging transitions once)
}

// New returns a limiter with the given options.
func New(o Options) *Limiter {
	if o.Store == nil {
		o.Store = NewMemory(0, o.Now)
	}
	if o.Fallback == nil {
		o.Fallback = NewMemory(0, o.Now)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Limiter{o: o}
}

// FromConfig returns the limiter the configuration asks for: RATE_LIMIT_LOGIN,
// RATE_LIMIT_SIGNUP and RATE_LIMIT_TOKEN, counted in Redis when REDIS_URL is
// set and in process (at most RATE_LIMIT_MAX_KEYS counters) otherwise. o
// supplies the hooks and events (its rates and stores are replaced). It
// starts nothing and does not connect: Run does the background work. It fails
// only on a malformed REDIS_URL; an unreachable Redis is logged by Run, and
// the limiter counts in process until it answers.
func FromConfig(log *slog.Logger, cfg config.Config, o Options) (*Limiter, error) {
	o.Login, o.Signup, o.Token, o.Logger = cfg.LoginLimit, cfg.SignupLimit, cfg.TokenLimit, log
	o.Fallback = NewMemory(cfg.RateLimitMaxKeys, o.Now)
	if cfg.RedisURL == "" {
		o.Store = o.Fallback
		return New(o), nil
	}
	client, err := NewRedisClient(cfg.RedisURL)
	if err != nil {
		return nil, err
	}
	o.Store = NewRedis(client, DefaultPrefix)
	l := New(o)
	l.redis = client
	return l, nil
}

// sweepInterval is how often Run removes expired in-process counters.
const sweepInterval = time.Minute

// Run does the limiter's background work until ctx ends, then returns nil: it
// says in the log when Redis does not answer at start, sweeps expired
// in-process counters every minute, and at the end closes the Redis client.
func (l *Limiter) Run(ctx context.Context) error {
	if l.redis != nil {
		defer l.redis.Close()
		pingCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := l.redis.Ping(pingCtx).Err()
		cancel()
		if err != nil && ctx.Err() == nil {
			l.o.Logger.WarnContext(ctx, "rate limit: redis unreachable at start; counting in process until it answers", "err", err)
		}
	}
	mem, ok := l.o.Fallback.(*Memory)
	if !ok {
		<-ctx.Done()
		return nil
	}
	t := time.NewTicker(sweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			mem.Sweep()
		}
	}
}

// Login counts one login attempt for the request's client IP and, when
// account is true (email belongs to an account), for email. It fails with
// apperr.RateLimited when either is at RATE_LIMIT_LOGIN. Guesses at emails
// that have no account are limited per address only: counters for them would
// let one client fill the store with made-up emails and crowd out the
// counter of an account under attack.
func (l *Limiter) Login(ctx context.Context, email string, account bool) error {
	return l.attempt(ctx, ActionLogin, l.o.Login, email, account)
}

// Signup counts one sign-up attempt for the request's client IP and for email.
// It fails with apperr.RateLimited when either is at RATE_LIMIT_SIGNUP.
func (l *Limiter) Signup(ctx context.Context, email string) error {
	return l.attempt(ctx, ActionSignup, l.o.Signup, email, true)
}

// TokenAllowed fails with apperr.RateLimited while the request's client IP
// has had RATE_LIMIT_TOKEN refused tokens in the current window. It counts
// nothing: only TokenRefused does.
func (l *Limiter) TokenAllowed(ctx context.Context) error {
	rate := l.o.Token
	if rate.Off() {
		return nil
	}
	n, resetIn, fellBack := l.peek(ctx, tokenKey(ctx))
	l.storeError(ActionToken, fellBack)
	if n < int64(rate.Count) {
		return nil
	}
	return l.refuse(ctx, ActionToken, rate, resetIn, "", "ip")
}

// TokenRefused counts one refused token for the request's client IP.
func (l *Limiter) TokenRefused(ctx context.Context) {
	rate := l.o.Token
	if rate.Off() {
		return
	}
	_, _, fellBack := l.hit(ctx, tokenKey(ctx), rate.Window, int64(rate.Count))
	l.storeError(ActionToken, fellBack)
}

func tokenKey(ctx context.Context) string {
	return ActionToken + ":ip:" + hashKey(ipKey(clientip.From(ctx)))
}

func (l *Limiter) attempt(ctx context.Context, action string, rate config.Rate, email string, perEmail bool) error {
	if rate.Off() {
		return nil
	}
	limit := int64(rate.Count)
	type counterKey struct{ name, key string }
	keys := []counterKey{{"ip", action + ":ip:" + hashKey(ipKey(clientip.From(ctx)))}}
	if perEmail {
		keys = append(keys, counterKey{"email", action + ":email:" + hashKey(secevent.NormalizeEmail(email))})
	}
	var (
		over     []string
		retry    time.Duration
		fellBack bool
	)
	// Read first: an attempt refused by either counter touches neither, so
	// refused attempts neither create counters (which could crowd out the
	// ones doing the refusing) nor spend the other counter.
	for _, k := range keys {
		n, resetIn, fb := l.peek(ctx, k.key)
		fellBack = fellBack || fb
		if n >= limit {
			over = append(over, k.name)
			retry = max(retry, resetIn)
		}
	}
	if len(over) == 0 {
		for _, k := range keys {
			n, resetIn, fb := l.hit(ctx, k.key, rate.Window, limit)
			fellBack = fellBack || fb
			if n > limit { // concurrent attempts got there first
				over = append(over, k.name)
				retry = max(retry, resetIn)
			}
		}
	}
	l.storeError(action, fellBack)
	if len(over) == 0 {
		return nil
	}
	return l.refuse(ctx, action, rate, retry, email, strings.Join(over, ","))
}

// refuse reports a refused attempt (metrics hook, security event) and returns
// its error, to try again after retry (the window if retry is unknown).
func (l *Limiter) refuse(ctx context.Context, action string, rate config.Rate, retry time.Duration, email, over string) error {
	if l.o.OnReject != nil {
		l.o.OnReject(action)
	}
	l.o.Events.Emit(ctx, secevent.Event{Name: secevent.RateLimited, Reason: action, Email: email, Over: over})
	if retry <= 0 || retry > rate.Window {
		retry = rate.Window
	}
	secs, unit := int(math.Ceil(retry.Seconds())), "seconds"
	if secs == 1 {
		unit = "second"
	}
	e := apperr.New(apperr.RateLimited, fmt.Sprintf("try again in %d %s", secs, unit))
	e.RetryAfter = retry
	return e
}

func (l *Limiter) storeError(action string, fellBack bool) {
	if fellBack && l.o.OnStoreError != nil {
		l.o.OnStoreError(action)
	}
}

// hit counts in the store, or in the fallback (fellBack) while the store fails.
func (l *Limiter) hit(ctx context.Context, key string, window time.Duration, limit int64) (n int64, resetIn time.Duration, fellBack bool) {
	return l.use(ctx, func(s Store) (int64, time.Duration, error) { return s.Hit(ctx, key, window, limit) })
}

// peek reads from the store, or from the fallback (fellBack) while the store
// fails.
func (l *Limiter) peek(ctx context.Context, key string) (n int64, resetIn time.Duration, fellBack bool) {
	return l.use(ctx, func(s Store) (int64, time.Duration, error) { return s.Peek(ctx, key) })
}

func (l *Limiter) use(ctx context.Context, op func(Store) (int64, time.Duration, error)) (n int64, resetIn time.Duration, fellBack bool) {
	if l.storeUp() {
		n, resetIn, err := op(l.o.Store)
		if err == nil {
			l.recovered(ctx)
			return n, resetIn, false
		}
		l.failed(ctx, err)
	}
	n, resetIn, err := op(l.o.Fallback)
	if err != nil {
		// Only a custom fallback can fail: let the attempt through.
		return 0, 0, true
	}
	return n, resetIn, true
}

// StoreDegraded reports whether the shared store is failing, so that this
// replica counts alone (the fallback); false without a shared store.
func (l *Limiter) StoreDegraded() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.down
}

func (l *Limiter) storeUp() bool {
	if l.o.Store == l.o.Fallback {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return !l.o.Now().Before(l.downUntil)
}

func (l *Limiter) failed(ctx context.Context, err error) {
	l.mu.Lock()
	wasDown := l.down
	l.down, l.downUntil = true, l.o.Now().Add(breakerPause)
	l.mu.Unlock()
	if !wasDown {
		l.o.Logger.ErrorContext(ctx, "rate limit: store failed; counting in process (each replica limits on its own) until it answers", "err", err)
	}
}

func (l *Limiter) recovered(ctx context.Context) {
	l.mu.Lock()
	wasDown := l.down
	l.down = false
	l.mu.Unlock()
	if wasDown {
		l.o.Logger.InfoContext(ctx, "rate limit: store answers again")
	}
}

// ipKey is the form a client address is counted under. An IPv6 client
// usually holds a whole /64 and can pick any address in it, so IPv6 is counted
// per /64. An empty or unreadable address is counted as "unknown".
func ipKey(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return "unknown"
	}
	addr = addr.Unmap()
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}

// hashKey keeps personal data (emails, addresses) out of Redis keys and bounds
// key length: a key holds 128 bits of SHA-256 instead.
func hashKey(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:16])
}
