package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultPrefix starts every key the Redis store writes.
const DefaultPrefix = "users:rl:"

// redisTimeout bounds one counter update: a slow Redis must not hold up a
// login for long; past it the limiter counts in process instead.
const redisTimeout = 500 * time.Millisecond

// hitScript counts one event in a fixed window, atomically: INCR, and on the
// window's first event PEXPIRE to the window's length. A key that somehow has
// no expiry (written by something else) gets one, so no counter lives forever.
// It returns the count and the milliseconds left in the window.
var hitScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
`)

// peekScript reads a counter and the milliseconds left in its window without
// changing anything: {0, 0} when there is none.
var peekScript = redis.NewScript(`
local n = redis.call('GET', KEYS[1])
if not n then
  return {0, 0}
end
return {tonumber(n), redis.call('PTTL', KEYS[1])}
`)

// Redis is a Store in Redis, shared by every replica that uses the same Redis
// and prefix. Each key lives exactly one window (its TTL), so Redis holds
// nothing for longer than the longest window.
type Redis struct {
	client redis.Scripter
	prefix string
}

// NewRedis returns a store writing keys prefix+key through client (a
// *redis.Client, or anything that runs scripts). prefix "" is DefaultPrefix.
func NewRedis(client redis.Scripter, prefix string) *Redis {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return &Redis{client: client, prefix: prefix}
}

// NewRedisClient opens a client for a REDIS_URL (redis:// or rediss://, with
// go-redis's URL options). Timeouts the URL leaves unset are kept short and
// retries off, because the limiter falls back to counting in process rather
// than wait. It fails only on a malformed URL; it does not connect.
func NewRedisClient(url string) (*redis.Client, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		// go-redis errors may quote the URL, and with it a password.
		return nil, errors.New("REDIS_URL: not a valid redis:// or rediss:// URL")
	}
	if opts.DialTimeout == 0 {
		opts.DialTimeout = time.Second
	}
	if opts.ReadTimeout == 0 {
		opts.ReadTimeout = redisTimeout
	}
	if opts.WriteTimeout == 0 {
		opts.WriteTimeout = redisTimeout
	}
	if opts.DialerRetries == 0 {
		opts.DialerRetries = 1
	}
	if opts.MaxRetries == 0 {
		// A retried INCR may count twice; the fallback covers a failure.
		opts.MaxRetries = -1
	}
	opts.ContextTimeoutEnabled = true
	return redis.NewClient(opts), nil
}

// Hit counts one event for key in a fixed window, and returns the count so far
// in the window and the time until it ends. Redis drops keys only when their
// window ends, so limit does not matter here. It fails when Redis does not
// answer in time.
func (s *Redis) Hit(ctx context.Context, key string, window time.Duration, _ int64) (int64, time.Duration, error) {
	ms := window.Milliseconds()
	if ms < 1 {
		ms = 1
	}
	return s.run(ctx, hitScript, key, ms)
}

// Peek returns key's count in the current window and the time until it ends
// (0 when there is no counter), changing nothing. It fails when Redis does
// not answer in time.
func (s *Redis) Peek(ctx context.Context, key string) (int64, time.Duration, error) {
	return s.run(ctx, peekScript, key)
}

// run runs a script returning {count, milliseconds left} on one key.
func (s *Redis) run(ctx context.Context, script *redis.Script, key string, args ...any) (int64, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), redisTimeout)
	defer cancel()
	vals, err := script.Run(ctx, s.client, []string{s.prefix + key}, args...).Int64Slice()
	if err != nil {
		return 0, 0, fmt.Errorf("redis rate limit: %w", err)
	}
	if len(vals) != 2 {
		return 0, 0, fmt.Errorf("redis rate limit: script returned %d values", len(vals))
	}
	return vals[0], time.Duration(vals[1]) * time.Millisecond, nil
}
