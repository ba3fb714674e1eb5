// Package sessioncache keeps recently used sessions (sid -> principal, with
// the digest of the user's stored legacy token) in memory, so that an
// authenticated request costs no database round trip, and forgets them on
// every replica the moment they stop being true.
//
// Revocation: migration 00003 makes PostgreSQL NOTIFY channel users_sessions
// with a row's old sid whenever a user row changes or goes (a logout rotating
// the sid, an operator's UPDATE or DELETE), in the same transaction, and "*"
// on TRUNCATE. Every replica runs [Cache.Run], which LISTENs on a dedicated
// connection and drops the named entry. The cache is trusted only while that
// connection is listening: while it is down (or not yet up) every lookup goes
// to the database and nothing is cached, and each (re)connection starts from
// an empty cache, since notifications sent while it was down are lost. The TTL
// is a safety net only; the size bound keeps memory flat under many sessions.
package sessioncache

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"users/internal/auth"
)

// Channel is the PostgreSQL notification channel migration 00003 notifies.
const Channel = "users_sessions"

// flushAll is the payload that empties the cache (sent on TRUNCATE).
const flushAll = "*"

// Defaults for Options.
const (
	DefaultTTL        = 30 * time.Second
	DefaultMaxEntries = 10000
	// DefaultHealthCheck is how long the listener waits for a notification
	// before it pings its connection, so a silently dead connection (no RST,
	// such as a failed-over database) is noticed within about this time.
	DefaultHealthCheck = 15 * time.Second
	minBackoff         = 100 * time.Millisecond
	maxBackoff         = 10 * time.Second
	applicationName    = "users-sessioncache"
)

// Options tunes a Cache; zero values take the defaults.
type Options struct {
	TTL         time.Duration // how long an entry may be used without a notification; DefaultTTL
	MaxEntries  int           // entries kept at most; DefaultMaxEntries
	HealthCheck time.Duration // ping the listening connection after this much silence; DefaultHealthCheck
	Logger      *slog.Logger  // nil: discard
	Now         func() time.Time
}

// Stats counts what the cache did since it was made.
type Stats struct {
	Hits, Misses  uint64 // lookups answered from memory, and from the database while listening
	Bypassed      uint64 // lookups sent to the database because the listener was down
	Invalidations uint64 // notifications received
	Flushes       uint64 // times the whole cache was dropped (each connection, each loss, "*")
	Connects      uint64 // successful LISTENs
	Entries       int
}

type entry struct {
	session auth.Session
	expires time.Time
}

// Cache is an auth.SessionLookup with memory. Make it with New, start Run in a
// goroutine, and hand Lookup to auth.Middleware.
type Cache struct {
	lookup  auth.SessionLookup
	connCfg *pgx.ConnConfig
	ttl     time.Duration
	max     int
	health  time.Duration
	log     *slog.Logger
	now     func() time.Time

	listening atomic.Bool

	mu      sync.RWMutex
	entries map[string]entry
	// epoch changes at every invalidation and flush: a lookup that read the
	// database while it changed may hold a session that is already revoked,
	// so it does not store it.
	epoch uint64

	hits, misses, bypassed, invalidations, flushes, connects atomic.Uint64
}

// New returns a cache in front of lookup (normally graph's LookupSessions).
// connCfg is where Run listens, normally the pool's own config: it is copied,
// and the listening connection is one more than the pool's.
func New(connCfg *pgx.ConnConfig, lookup auth.SessionLookup, o Options) *Cache {
	if o.TTL <= 0 {
		o.TTL = DefaultTTL
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	if o.HealthCheck <= 0 {
		o.HealthCheck = DefaultHealthCheck
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	cfg := connCfg.Copy()
	cfg.RuntimeParams["application_name"] = applicationName
	return &Cache{
		lookup:  lookup,
		connCfg: cfg,
		ttl:     o.TTL,
		max:     o.MaxEntries,
		health:  o.HealthCheck,
		log:     o.Logger,
		now:     o.Now,
		entries: make(map[string]entry),
	}
}

var _ auth.SessionLookup = (*Cache)(nil).Lookup

// Lookup returns the sessions whose sid is sid, as the wrapped lookup does: from
// memory when a live entry is there, else from the database (and remembers a
// single match). Database errors, unknown sids and ambiguous sids are never
// cached.
func (c *Cache) Lookup(ctx context.Context, sid string) ([]auth.Session, error) {
	if !validText(sid) {
		// No row can hold it, and PostgreSQL would refuse the query: a
		// forged or corrupt token is refused, not an internal error.
		return nil, nil
	}
	if !c.listening.Load() {
		c.bypassed.Add(1)
		return c.lookup(ctx, sid)
	}
	now := c.now()
	c.mu.RLock()
	e, ok := c.entries[sid]
	epoch := c.epoch
	c.mu.RUnlock()
	if ok && now.Before(e.expires) {
		c.hits.Add(1)
		return []auth.Session{e.session}, nil
	}
	c.misses.Add(1)
	sessions, err := c.lookup(ctx, sid)
	if err != nil || len(sessions) != 1 {
		return sessions, err
	}
	c.mu.Lock()
	if c.epoch == epoch && c.listening.Load() {
		if _, present := c.entries[sid]; !present && len(c.entries) >= c.max {
			for k := range c.entries { // map order is random: evict one at random
				delete(c.entries, k)
				break
			}
		}
		c.entries[sid] = entry{session: sessions[0], expires: now.Add(c.ttl)}
	}
	c.mu.Unlock()
	return sessions, nil
}

// validText reports whether s can be a PostgreSQL text value: valid UTF-8
// without NUL.
func validText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// Invalidate forgets sid ("*": everything).
func (c *Cache) Invalidate(sid string) {
	if sid == flushAll {
		c.Flush()
		return
	}
	c.invalidations.Add(1)
	c.mu.Lock()
	delete(c.entries, sid)
	c.epoch++
	c.mu.Unlock()
}

// Flush forgets every entry.
func (c *Cache) Flush() {
	c.flushes.Add(1)
	c.mu.Lock()
	clear(c.entries)
	c.epoch++
	c.mu.Unlock()
}

// Listening reports whether the cache is in use: its listener is connected.
func (c *Cache) Listening() bool { return c.listening.Load() }

// Stats returns the counters.
func (c *Cache) Stats() Stats {
	c.mu.RLock()
	n := len(c.entries)
	c.mu.RUnlock()
	return Stats{
		Hits: c.hits.Load(), Misses: c.misses.Load(), Bypassed: c.bypassed.Load(),
		Invalidations: c.invalidations.Load(), Flushes: c.flushes.Load(),
		Connects: c.connects.Load(), Entries: n,
	}
}

// Run listens for revocations until ctx ends, reconnecting with exponential
// backoff (100 ms to 10 s) when the connection fails. Until it first connects,
// and whenever it is down, Lookup goes to the database every time.
func (c *Cache) Run(ctx context.Context) {
	backoff := minBackoff
	for {
		start := time.Now()
		err := c.listen(ctx)
		if ctx.Err() != nil {
			return
		}
		if time.Since(start) > maxBackoff {
			backoff = minBackoff // it had been up a while: this is a new failure
		}
		c.log.WarnContext(ctx, "session cache listener down: lookups go to the database", "err", err, "retry_in", backoff.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// listen connects, LISTENs and applies notifications until the connection
// fails or ctx ends. The cache is in use exactly while it runs connected.
func (c *Cache) listen(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, c.connCfg)
	if err != nil {
		return err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{Channel}.Sanitize()); err != nil {
		return err
	}
	// From here every commit is heard; what happened before may not have been.
	c.Flush()
	c.listening.Store(true)
	c.connects.Add(1)
	defer func() {
		c.listening.Store(false)
		c.Flush()
	}()
	if n := c.connects.Load(); n > 1 {
		c.log.InfoContext(ctx, "session cache listener reconnected", "connects", n)
	}
	for {
		waitCtx, cancel := context.WithTimeout(ctx, c.health)
		n, err := conn.WaitForNotification(waitCtx)
		cancel()
		switch {
		case err == nil:
			c.Invalidate(n.Payload)
			continue
		case ctx.Err() != nil:
			return ctx.Err()
		case !pgconn.Timeout(err):
			return err
		}
		// Quiet for a while: make sure the connection is still alive.
		pingCtx, cancel := context.WithTimeout(ctx, c.health)
		err = conn.Ping(pingCtx)
		cancel()
		if err != nil {
			return err
		}
	}
}
