package faults

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// revokeWithin bounds how long a logout on one replica may take to reach
// another: a poll limit, not a timing assertion (it usually takes a
// millisecond or two).
const revokeWithin = 3 * time.Second

// TestTwoReplicasBehindThePooler: two replicas whose pool goes through
// PgBouncer in transaction mode and whose LISTEN goes straight to PostgreSQL
// (DATABASE_DIRECT_URL), as on Heroku, Supabase or Kubernetes with a
// pooler: the session cache is verified, sign-up (with info), login, list
// and GraphQL work on both under concurrent load without a single error, and
// a logout on one revokes the token on the other.
func TestTwoReplicasBehindThePooler(t *testing.T) {
	needInfra(t)
	db := newDatabase(t)
	rs := startReplicas(t, 2, "DATABASE_URL="+db.pooled, "DATABASE_DIRECT_URL="+db.direct)
	a, b := rs[0], rs[1]
	for _, r := range rs {
		r.waitLog(t, "session cache verified", 10*time.Second)
		if n := r.logged("session cache not verified"); n != 0 {
			t.Errorf("%s logged that its cache is not verified", r.URL)
		}
	}
	ctx := t.Context()

	if status, code, err := a.signUp(ctx, "alice@example.com"); err != nil || status != 200 || code != 200 {
		t.Fatalf("sign-up on A: %d/%d %v", status, code, err)
	}
	token, err := b.login(ctx, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second round comes from both caches
		for _, r := range rs {
			if code, err := r.me(ctx, token); err != nil || code != "" {
				t.Fatalf("me on %s: %q %v", r.URL, code, err)
			}
			if status, _, err := r.list(ctx, token); err != nil || status != 200 {
				t.Fatalf("list on %s: %d %v", r.URL, status, err)
			}
		}
	}
	if hits := b.metric(t, `session_cache_lookups_total{result="hit"}`); hits < 1 {
		t.Errorf("B served no session from its cache (hits %v)", hits)
	}

	t.Run("concurrent load", func(t *testing.T) {
		errs := concurrentLoad(ctx, rs, token, 8, 12)
		for _, err := range errs {
			t.Error(err)
		}
	})

	t.Run("logout on A revokes on B", func(t *testing.T) {
		if r, err := a.PostGraphQL(ctx, token, `mutation { logout }`, nil); err != nil || len(r.Errors) > 0 {
			t.Fatalf("logout: %v %+v", err, r.Errors)
		}
		revokedOn(t, b, token)
		revokedOn(t, a, token)
	})
}

// TestPoolerWithoutDirectURL: the same two replicas without
// DATABASE_DIRECT_URL, so their LISTEN goes through PgBouncer, which drops
// it. Each says so in its log and its metrics, never uses its cache, and a
// logout on one is refused on the other at the very next request.
func TestPoolerWithoutDirectURL(t *testing.T) {
	needInfra(t)
	db := newDatabase(t)
	// Without a direct URL nothing tells the service it is behind a pooler:
	// the statement mode must be set (docs/deployment.md).
	rs := startReplicas(t, 2, "DATABASE_URL="+db.pooled, "DB_QUERY_EXEC_MODE=cache_describe")
	a, b := rs[0], rs[1]
	for _, r := range rs {
		r.waitLog(t, "session cache not verified", 15*time.Second)
	}
	ctx := t.Context()
	if status, code, err := a.signUp(ctx, "bob@example.com"); err != nil || status != 200 || code != 200 {
		t.Fatalf("sign-up: %d/%d %v", status, code, err)
	}
	token, err := a.login(ctx, "bob@example.com")
	if err != nil {
		t.Fatal(err)
	}
	for round := range 3 {
		for _, r := range rs {
			if code, err := r.me(ctx, token); err != nil || code != "" {
				t.Fatalf("round %d: me on %s: %q %v", round, r.URL, code, err)
			}
		}
	}
	if r, err := b.PostGraphQL(ctx, token, `mutation { logout }`, nil); err != nil || len(r.Errors) > 0 {
		t.Fatalf("logout: %v %+v", err, r.Errors)
	}
	if code, err := a.me(ctx, token); err != nil || code != "UNAUTHENTICATED" {
		t.Errorf("me on A right after the logout on B: %q %v, want UNAUTHENTICATED", code, err)
	}
	for _, r := range rs {
		if v := r.metric(t, "session_cache_verified"); v != 0 {
			t.Errorf("%s: session_cache_verified %v, want 0", r.URL, v)
		}
		if v := r.metric(t, `session_cache_lookups_total{result="hit"}`); v != 0 {
			t.Errorf("%s: %v cache hits, want none", r.URL, v)
		}
		if v := r.metric(t, `session_cache_probes_total{result="lost"}`); v < 1 {
			t.Errorf("%s: %v probes lost, want some", r.URL, v)
		}
		if n := r.logged("session cache not verified"); n != 1 {
			t.Errorf("%s: %d 'not verified' lines, want one", r.URL, n)
		}
	}
}

// TestReplicasMigrateAtOnceThroughThePooler: three replicas start together
// on an empty database and migrate: with DATABASE_DIRECT_URL (migrations on
// the direct connection) and without it (migrations through PgBouncer in
// transaction mode). Either way all three start, and each migration is
// applied exactly once.
func TestReplicasMigrateAtOnceThroughThePooler(t *testing.T) {
	needInfra(t)
	for _, direct := range []bool{true, false} {
		t.Run(fmt.Sprintf("direct URL %v", direct), func(t *testing.T) {
			db := newDatabase(t)
			env := []string{"DATABASE_URL=" + db.pooled, "DB_QUERY_EXEC_MODE=cache_describe"}
			if direct {
				env = append(env, "DATABASE_DIRECT_URL="+db.direct)
			}
			rs := startReplicas(t, 3, env...)
			applied := 0
			for _, r := range rs {
				if st := r.Status(t, "/readyz"); st != http.StatusOK {
					t.Errorf("%s: /readyz %d", r.URL, st)
				}
				applied += migratedCount(t, r)
			}
			conn, err := pgx.Connect(t.Context(), db.direct)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(context.WithoutCancel(t.Context()))
			var rows, versions int
			if err := conn.QueryRow(t.Context(), `SELECT count(*), count(DISTINCT version_id) FROM goose_db_version WHERE version_id > 0`).Scan(&rows, &versions); err != nil {
				t.Fatal(err)
			}
			if rows != versions || applied != versions {
				t.Errorf("goose_db_version: %d rows for %d versions; the replicas applied %d in all; want each version once", rows, versions, applied)
			}
		})
	}
}

// migratedCount is the number of migrations the replica says it applied.
func migratedCount(t *testing.T, r *replica) int {
	t.Helper()
	for line := range strings.Lines(r.Stdout.String()) {
		var rec struct {
			Msg     string
			Applied int
		}
		if jsonLine(line, &rec) && rec.Msg == "migrated" {
			return rec.Applied
		}
	}
	t.Fatalf("%s: no migrated line", r.URL)
	return 0
}

// revokedOn waits until token is refused on r.
func revokedOn(t *testing.T, r *replica, token string) {
	t.Helper()
	deadline := time.Now().Add(revokeWithin)
	for {
		code, err := r.me(t.Context(), token)
		if err != nil {
			t.Fatal(err)
		}
		if code == "UNAUTHENTICATED" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("token still accepted on %s %s after the logout (%q)", r.URL, revokeWithin, code)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// concurrentLoad sends workers × rounds of mixed requests (sign-up with
// info, login, list, GraphQL me), spread over the replicas, and returns
// every one that did not succeed.
func concurrentLoad(ctx context.Context, rs []*replica, token string, workers, rounds int) []error {
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if len(errs) < 10 {
			errs = append(errs, err)
		}
	}
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				r := rs[(w+i)%len(rs)]
				email := fmt.Sprintf("load-%d-%d-%d@example.com", time.Now().UnixNano()%1e6, w, i)
				if status, code, err := r.signUp(ctx, email); err != nil || status != 200 || code != 200 {
					fail(fmt.Errorf("sign-up on %s: %d/%d %v", r.URL, status, code, err))
					continue
				}
				if _, err := rs[(w+i+1)%len(rs)].login(ctx, email); err != nil {
					fail(fmt.Errorf("login: %w", err))
				}
				if status, _, err := r.list(ctx, token); err != nil || status != 200 {
					fail(fmt.Errorf("list on %s: %d %v", r.URL, status, err))
				}
				if code, err := r.me(ctx, token); err != nil || code != "" {
					fail(fmt.Errorf("me on %s: %q %v", r.URL, code, err))
				}
			}
		})
	}
	wg.Wait()
	return errs
}
