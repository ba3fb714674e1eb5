package sessioncache_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"users/graph"
	"users/internal/apptest"
	"users/internal/auth"
	"users/internal/sessioncache"
	"users/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// revokeWithin bounds how long a notification may take to arrive. It is a
// generous poll limit, not a timing assertion: a passing test usually sees the
// revocation in a millisecond or two, and it is far below the TTL.
const revokeWithin = 2 * time.Second

// counting wraps the real lookup and counts database lookups.
type counting struct {
	r *graph.Resolver
	n atomic.Int64
}

func (c *counting) lookup(ctx context.Context, sid string) ([]auth.Session, error) {
	c.n.Add(1)
	return c.r.LookupSessions(ctx, sid)
}

// newCache starts a cache over pool (listening and probing on it) whose
// listener stops with the test, and waits until it is verified.
func newCache(t *testing.T, pool *pgxpool.Pool, o sessioncache.Options) (*sessioncache.Cache, *counting) {
	t.Helper()
	cnt := &counting{r: graph.NewResolver(pool, graph.Resolver{})}
	o.Probe = pool
	c := sessioncache.New(pool.Config().ConnConfig, cnt.lookup, o)
	run(t, c)
	apptest.Eventually(t, 10*time.Second, "listener verified", c.Verified)
	return c, cnt
}

// run runs c's listener until the end of the test.
func run(t *testing.T, c *sessioncache.Cache) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// createUser inserts user n and returns who a token over its sid stands for.
func createUser(t *testing.T, pool *pgxpool.Pool, n int) auth.Principal {
	t.Helper()
	p := auth.Principal{SID: fmt.Sprintf("sid-%d-%d", n, time.Now().UnixNano())}
	err := pool.QueryRow(t.Context(), `INSERT INTO "user" (username, email, password, sid) VALUES ($1, $2, $3, $4) RETURNING user_id`,
		fmt.Sprintf("user%d", n), fmt.Sprintf("user%d@example.com", n), "$2a$04$notarealhashnotarealhashnotarealhashnotarealhashnotar", p.SID,
	).Scan(&p.UserID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func lookupOne(t *testing.T, c *sessioncache.Cache, sid string) int {
	t.Helper()
	users, err := c.Lookup(t.Context(), sid)
	if err != nil {
		t.Fatalf("lookup: %v", err)
	}
	return len(users)
}

// revokedWithin polls until sid no longer resolves and fails past limit.
func revokedWithin(t *testing.T, c *sessioncache.Cache, sid string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for lookupOne(t, c, sid) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("sid %q still resolves %v after the change", sid, limit)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestLookupIsCachedWhileListening(t *testing.T) {
	pool := testdb.New(t)
	u := createUser(t, pool, 1)
	c, cnt := newCache(t, pool, sessioncache.Options{})

	for range 3 {
		users, err := c.Lookup(t.Context(), u.SID)
		if err != nil || len(users) != 1 || users[0].UserID != u.UserID {
			t.Fatalf("Lookup = %v, %v; want user %d", users, err, u.UserID)
		}
	}
	if got := cnt.n.Load(); got != 1 {
		t.Errorf("database lookups = %d, want 1", got)
	}
	if s := c.Stats(); s.Hits != 2 || s.Misses != 1 || s.Entries != 1 {
		t.Errorf("stats = %+v, want 2 hits, 1 miss, 1 entry", s)
	}
}

func TestUnknownSIDIsNotCached(t *testing.T) {
	pool := testdb.New(t)
	c, cnt := newCache(t, pool, sessioncache.Options{})
	for range 2 {
		if n := lookupOne(t, c, "nobody"); n != 0 {
			t.Fatalf("unknown sid resolves to %d users", n)
		}
	}
	if got := cnt.n.Load(); got != 2 {
		t.Errorf("database lookups = %d, want 2 (misses are not cached)", got)
	}
}

func TestNotListeningGoesToTheDatabase(t *testing.T) {
	pool := testdb.New(t)
	u := createUser(t, pool, 1)
	cnt := &counting{r: graph.NewResolver(pool, graph.Resolver{})}
	c := sessioncache.New(pool.Config().ConnConfig, cnt.lookup, sessioncache.Options{}) // Run never called
	for range 2 {
		if n := lookupOne(t, c, u.SID); n != 1 {
			t.Fatalf("lookup = %d users, want 1", n)
		}
	}
	if got := cnt.n.Load(); got != 2 {
		t.Errorf("database lookups = %d, want 2", got)
	}
	if s := c.Stats(); s.Bypassed != 2 || s.Entries != 0 {
		t.Errorf("stats = %+v, want 2 bypassed, 0 entries", s)
	}
}

// TestReconnectFlushes: a change made while nothing notifies (trigger off)
// stays cached, as nothing said otherwise; when the listener's connection
// dies, the cache is bypassed, and once it reconnects it starts empty, so the
// change shows.
func TestReconnectFlushes(t *testing.T) {
	pool := testdb.New(t)
	u := createUser(t, pool, 1)
	c, cnt := newCache(t, pool, sessioncache.Options{TTL: time.Hour})
	if lookupOne(t, c, u.SID) != 1 {
		t.Fatal("no user")
	}

	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(t.Context(), sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`ALTER TABLE "user" DISABLE TRIGGER user_session_updated`)
	exec(`UPDATE "user" SET sid = 'silent' WHERE user_id = $1`, u.UserID)
	exec(`ALTER TABLE "user" ENABLE TRIGGER user_session_updated`)
	before := cnt.n.Load()
	if lookupOne(t, c, u.SID) != 1 || cnt.n.Load() != before {
		t.Fatal("want the stale entry served from memory before the reconnect")
	}

	var killed int
	err := pool.QueryRow(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = 'users-sessioncache'`).Scan(&killed)
	if err != nil || killed != 1 {
		t.Fatalf("terminate listener: %d, %v", killed, err)
	}
	apptest.Eventually(t, 10*time.Second, "reconnect", func() bool { return c.Stats().Connects >= 2 && c.Verified() })
	if n := lookupOne(t, c, u.SID); n != 0 {
		t.Fatalf("after reconnect the old sid resolves to %d users, want 0", n)
	}
}

// TestChangeDuringLookupIsNotCached: a notification that arrives while a
// lookup is reading the database may be about the row being read, so that
// row is returned but not remembered.
func TestChangeDuringLookupIsNotCached(t *testing.T) {
	pool := testdb.New(t)
	u := createUser(t, pool, 1)
	r := graph.NewResolver(pool, graph.Resolver{})
	var c *sessioncache.Cache
	var n atomic.Int64
	lookup := func(ctx context.Context, sid string) ([]auth.Session, error) {
		n.Add(1)
		sessions, err := r.LookupSessions(ctx, sid)
		c.Invalidate("some-other-sid") // as if a notification came in now
		return sessions, err
	}
	c = sessioncache.New(pool.Config().ConnConfig, lookup, sessioncache.Options{Probe: pool})
	run(t, c)
	apptest.Eventually(t, 10*time.Second, "listener verified", c.Verified)

	lookupOne(t, c, u.SID)
	lookupOne(t, c, u.SID)
	if got := n.Load(); got != 2 {
		t.Errorf("database lookups = %d, want 2", got)
	}
}

func TestTTLAndBound(t *testing.T) {
	pool := testdb.New(t)
	users := []auth.Principal{createUser(t, pool, 1), createUser(t, pool, 2), createUser(t, pool, 3)}
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	c, cnt := newCache(t, pool, sessioncache.Options{
		TTL: time.Minute, MaxEntries: 2,
		Now: func() time.Time { return time.Unix(0, now.Load()) },
	})
	for _, u := range users {
		lookupOne(t, c, u.SID)
	}
	if s := c.Stats(); s.Entries != 2 {
		t.Errorf("entries = %d, want the bound 2", s.Entries)
	}
	lookupOne(t, c, users[2].SID) // the newest is kept
	if got := cnt.n.Load(); got != 3 {
		t.Errorf("database lookups = %d, want 3", got)
	}
	now.Add(int64(time.Minute + time.Second))
	lookupOne(t, c, users[2].SID)
	if got := cnt.n.Load(); got != 4 {
		t.Errorf("database lookups after the TTL = %d, want 4", got)
	}
}

// TestImpossibleSIDNeedsNoQuery: a sid no text column can hold (NUL, invalid
// UTF-8) matches no user, without asking PostgreSQL, which would refuse it.
func TestImpossibleSIDNeedsNoQuery(t *testing.T) {
	pool := testdb.New(t)
	c, cnt := newCache(t, pool, sessioncache.Options{})
	for _, sid := range []string{"a\x00b", "\xff\xfe"} {
		users, err := c.Lookup(t.Context(), sid)
		if err != nil || len(users) != 0 {
			t.Errorf("Lookup(%q) = %v, %v; want no users, no error", sid, users, err)
		}
	}
	if got := cnt.n.Load(); got != 0 {
		t.Errorf("database lookups = %d, want 0", got)
	}
}
