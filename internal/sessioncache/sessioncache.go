// Package sessioncache keeps recently used sessions (sid -> principal, with
// the digest of the user's stored legacy token) in memory, so that an
// authenticated request costs no database round trip, and forgets them on
// every replica the moment they stop being true.
//
// Revocation: migration 00003 makes PostgreSQL NOTIFY channel users_sessions
// with a row's old sid whenever a user row changes or goes (a logout rotating
// the sid, an operator's UPDATE or DELETE), in the same transaction, and "*"
// on TRUNCATE. Every replica runs [Cache.Run], which LISTENs on a dedicated
// connection and drops the named entry.
//
// The cache is trusted only while it is verified end to end: the listener
// sends a probe notification through the pool the service writes with
// (Options.Probe) every few seconds and must hear it back in time. A listener
// that cannot hear what the pool's transactions notify (a transaction pooler
// such as PgBouncer between them, or a DATABASE_DIRECT_URL naming another
// database) never gets verified. While the cache is not verified (or its
// connection is down, or not yet up) every lookup goes to the database and
// nothing is cached, and each verification starts from an empty cache, since
// notifications may have been lost meanwhile. The TTL is a safety net only;
// the size bound keeps memory flat under many sessions.
package sessioncache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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
	// DefaultProbeInterval is how often the listener sends a probe. A
	// listener that stops hearing (a silently dead connection, such as a
	// failed-over database) is noticed within DefaultProbeInterval +
	// DefaultProbeTimeout.
	DefaultProbeInterval = 5 * time.Second
	// DefaultProbeTimeout is how long a probe may take to come back.
	DefaultProbeTimeout = 2 * time.Second
	minBackoff          = 100 * time.Millisecond
	maxBackoff          = 10 * time.Second
	applicationName     = "users-sessioncache"
)

// Execer runs a statement: the service's pool.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Options tunes a Cache; zero values take the defaults.
type Options struct {
	// Probe is the pool the service's transactions go through (DATABASE_URL):
	// probes are sent through it, as revocations are. Required: without it
	// the cache is never verified, so never used.
	Probe         Execer
	ProbeInterval time.Duration // send a probe this often; DefaultProbeInterval
	ProbeTimeout  time.Duration // a probe not heard back within this is lost; DefaultProbeTimeout
	TTL           time.Duration // how long an entry may be used without a notification; DefaultTTL
	MaxEntries    int           // entries kept at most; DefaultMaxEntries
	Logger        *slog.Logger  // nil: discard
	Now           func() time.Time
}

// Stats counts what the cache did since it was made.
type Stats struct {
	Hits, Misses  uint64 // lookups answered from memory, and from the database while verified
	Bypassed      uint64 // lookups sent to the database because the cache was not verified
	Invalidations uint64 // notifications received (probes aside)
	Flushes       uint64 // times the whole cache was dropped (each connection, each loss, "*")
	Connects      uint64 // successful LISTENs
	ProbesHeard   uint64 // probes heard back in time
	ProbesLost    uint64 // probes not heard back in time, or that could not be sent
	Listening     bool   // the listener is connected and LISTENing
	Verified      bool   // the cache is in use: the last probe came back in time
	Entries       int
}

type entry struct {
	session auth.Session
	expires time.Time
}

// Cache is an auth.SessionLookup with memory. Make it with New, start Run in a
// goroutine, and hand Lookup to auth.Middleware.
type Cache struct {
	lookup     auth.SessionLookup
	connCfg    *pgx.ConnConfig
	probe      Execer
	probeEvery time.Duration
	probeWait  time.Duration
	probeID    string // "probe:<random>:": this cache's probes start with it
	ttl        time.Duration
	max        int
	log        *slog.Logger
	now        func() time.Time

	listening atomic.Bool
	verified  atomic.Bool // only Run's goroutine stores it
	reported  int         // what the log last said about verification; Run's goroutine only

	mu      sync.RWMutex
	entries map[string]entry
	// epoch changes at every invalidation and flush: a lookup that read the
	// database while it changed may hold a session that is already revoked,
	// so it does not store it.
	epoch uint64

	hits, misses, bypassed, invalidations, flushes, connects atomic.Uint64
	probesHeard, probesLost                                  atomic.Uint64
}

// New returns a cache in front of lookup (normally graph's LookupSessions).
// connCfg is where Run listens: a direct connection to the database
// (DATABASE_DIRECT_URL, else DATABASE_URL's own config). It is copied, and the
// listening connection is one more than the pool's.
func New(connCfg *pgx.ConnConfig, lookup auth.SessionLookup, o Options) *Cache {
	if o.TTL <= 0 {
		o.TTL = DefaultTTL
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	if o.ProbeInterval <= 0 {
		o.ProbeInterval = DefaultProbeInterval
	}
	if o.ProbeTimeout <= 0 {
		o.ProbeTimeout = DefaultProbeTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	cfg := connCfg.Copy()
	cfg.RuntimeParams["application_name"] = applicationName
	var id [8]byte
	_, _ = rand.Read(id[:])
	return &Cache{
		lookup:     lookup,
		connCfg:    cfg,
		probe:      o.Probe,
		probeEvery: o.ProbeInterval,
		probeWait:  o.ProbeTimeout,
		probeID:    probePrefix + hex.EncodeToString(id[:]) + ":",
		ttl:        o.TTL,
		max:        o.MaxEntries,
		log:        o.Logger,
		now:        o.Now,
		entries:    make(map[string]entry),
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
	if !c.verified.Load() {
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
	if c.epoch == epoch && c.verified.Load() {
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

// Listening reports whether the listener is connected and LISTENing.
func (c *Cache) Listening() bool { return c.listening.Load() }

// Verified reports whether the cache is in use: its listener hears, in time,
// the probes sent through the service's pool.
func (c *Cache) Verified() bool { return c.verified.Load() }

// Stats returns the counters.
func (c *Cache) Stats() Stats {
	c.mu.RLock()
	n := len(c.entries)
	c.mu.RUnlock()
	return Stats{
		Hits: c.hits.Load(), Misses: c.misses.Load(), Bypassed: c.bypassed.Load(),
		Invalidations: c.invalidations.Load(), Flushes: c.flushes.Load(),
		Connects: c.connects.Load(), ProbesHeard: c.probesHeard.Load(), ProbesLost: c.probesLost.Load(),
		Listening: c.listening.Load(), Verified: c.verified.Load(), Entries: n,
	}
}
