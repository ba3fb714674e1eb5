package sessioncache_test

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"users/graph"
	"users/internal/apptest"
	"users/internal/sessioncache"
	"users/internal/testdb"
)

// switchable sends probes through one of two pools, so a test can make a
// listener stop hearing them, as it would behind a transaction pooler.
type switchable struct {
	pools [2]*pgxpool.Pool
	which atomic.Int32
}

func (s *switchable) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return s.pools[s.which.Load()].Exec(ctx, sql, args...)
}

// fastProbes make a lost probe show in a fraction of a second.
var fastProbes = sessioncache.Options{ProbeInterval: 100 * time.Millisecond, ProbeTimeout: 300 * time.Millisecond}

// TestUnheardProbesBypassTheCache is a listener that cannot hear what the
// service's pool notifies (here it listens on another database, as a
// DATABASE_DIRECT_URL naming the wrong database would; a transaction pooler
// loses the notifications the same way): it is never verified, every lookup
// goes to the database, it says so once in the log, and counts the probes it
// lost.
func TestUnheardProbesBypassTheCache(t *testing.T) {
	pool, elsewhere := testdb.New(t), testdb.New(t)
	u := createUser(t, pool, 1)
	logs := &apptest.Buffer{}
	cnt := &counting{r: graph.NewResolver(pool, graph.Resolver{})}
	o := fastProbes
	o.Probe, o.Logger = pool, slog.New(slog.NewJSONHandler(logs, nil))
	c := sessioncache.New(elsewhere.Config().ConnConfig, cnt.lookup, o)
	run(t, c)
	apptest.Eventually(t, 10*time.Second, "three probes lost", func() bool { return c.Stats().ProbesLost >= 3 })

	for range 3 {
		if n := lookupOne(t, c, u.SID); n != 1 {
			t.Fatalf("lookup = %d users, want 1", n)
		}
	}
	s := c.Stats()
	if !s.Listening || s.Verified || s.ProbesHeard != 0 || s.Entries != 0 || s.Hits != 0 {
		t.Errorf("stats = %+v; want listening, not verified, nothing heard, nothing cached", s)
	}
	if got := cnt.n.Load(); got != 3 {
		t.Errorf("database lookups = %d, want 3 (the cache is bypassed)", got)
	}
	if n := strings.Count(logs.String(), "session cache not verified"); n != 1 {
		t.Errorf("the log says %d times that the cache is not verified, want once:\n%s", n, logs)
	}
	if !strings.Contains(logs.String(), "DATABASE_DIRECT_URL") {
		t.Errorf("the log does not point at DATABASE_DIRECT_URL:\n%s", logs)
	}
}

// TestLostProbeTakesTheCacheOutOfUse: a verified cache whose probes stop
// coming back stops serving from memory and forgets what it held (a
// revocation may have been lost with them); once they come back it is used
// again, from empty.
func TestLostProbeTakesTheCacheOutOfUse(t *testing.T) {
	pool, elsewhere := testdb.New(t), testdb.New(t)
	u := createUser(t, pool, 1)
	probe := &switchable{pools: [2]*pgxpool.Pool{pool, elsewhere}}
	cnt := &counting{r: graph.NewResolver(pool, graph.Resolver{})}
	o := fastProbes
	o.Probe, o.TTL = probe, time.Hour
	c := sessioncache.New(pool.Config().ConnConfig, cnt.lookup, o)
	run(t, c)
	apptest.Eventually(t, 10*time.Second, "verified", c.Verified)
	lookupOne(t, c, u.SID)
	lookupOne(t, c, u.SID)
	if got := cnt.n.Load(); got != 1 {
		t.Fatalf("database lookups while verified = %d, want 1", got)
	}

	probe.which.Store(1) // probes now go where the listener does not listen
	apptest.Eventually(t, 10*time.Second, "no longer verified", func() bool { return !c.Verified() })
	if s := c.Stats(); s.Entries != 0 || s.ProbesLost == 0 {
		t.Errorf("stats after a lost probe = %+v; want no entries and a lost probe", s)
	}
	before := cnt.n.Load()
	lookupOne(t, c, u.SID)
	lookupOne(t, c, u.SID)
	if got := cnt.n.Load() - before; got != 2 {
		t.Errorf("database lookups while not verified = %d, want 2", got)
	}

	probe.which.Store(0)
	apptest.Eventually(t, 10*time.Second, "verified again", c.Verified)
	before = cnt.n.Load()
	lookupOne(t, c, u.SID)
	lookupOne(t, c, u.SID)
	if got := cnt.n.Load() - before; got != 1 {
		t.Errorf("database lookups once verified again = %d, want 1", got)
	}
}

// TestEveryReplicaProbesAlone: probes of other replicas on the same channel
// neither verify a cache nor invalidate anything.
func TestEveryReplicaProbesAlone(t *testing.T) {
	pool := testdb.New(t)
	a, _ := newCache(t, pool, fastProbes)
	b, _ := newCache(t, pool, fastProbes)
	apptest.Eventually(t, 10*time.Second, "a few probes each", func() bool {
		return a.Stats().ProbesHeard >= 3 && b.Stats().ProbesHeard >= 3
	})
	for _, c := range []*sessioncache.Cache{a, b} {
		if s := c.Stats(); s.Invalidations != 0 || s.ProbesLost != 0 {
			t.Errorf("stats = %+v; want no invalidations and no lost probes", s)
		}
	}
}
