package faults

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestPostgresStoppedUnderLoad: PostgreSQL stops (a fast shutdown, as a
// failover or a restart does) for 7 s while two replicas serve a steady
// load, one behind the pooler (with DATABASE_DIRECT_URL) and one connected
// directly, then starts again. During the outage every answer comes in its
// format (REST: 500 in the legacy envelope; GraphQL: errors with
// extensions.code INTERNAL) and in bounded time: the direct replica fails at
// once (connection refused), the pooled one once PgBouncer gives up waiting
// for a server (query_wait_timeout, 5 s here); none hangs. Once PostgreSQL is
// back, answers are 200 again within seconds, and a logout still revokes on
// the other replica.
func TestPostgresStoppedUnderLoad(t *testing.T) {
	needInfra(t)
	db := newDatabase(t)
	rs := []*replica{
		startReplica(t, "DATABASE_URL="+db.pooled, "DATABASE_DIRECT_URL="+db.direct),
		startReplica(t, "DATABASE_URL="+db.direct),
	}
	ctx := t.Context()
	if status, code, err := rs[0].signUp(ctx, "carol@example.com"); err != nil || status != 200 || code != 200 {
		t.Fatalf("sign-up: %d/%d %v", status, code, err)
	}
	token, err := rs[0].login(ctx, "carol@example.com")
	if err != nil {
		t.Fatal(err)
	}

	// The load: each worker alternates a REST list and a GraphQL query (a
	// token lookup and a page of users), and records every answer.
	var (
		stop             atomic.Bool
		ok, failed, slow atomic.Int64
		mu               sync.Mutex
		bad              []string
		lastFailure      atomic.Int64 // unix nanos
		wg               sync.WaitGroup
	)
	// An answer during the outage must come within failFast: a client
	// never waits on a replica that waits on a database that is gone
	// longer than the pooler's query_wait_timeout.
	const failFast = 8 * time.Second
	record := func(d time.Duration, err error) {
		switch {
		case err == nil:
			ok.Add(1)
		default:
			failed.Add(1)
			lastFailure.Store(time.Now().UnixNano())
			if !strings.HasPrefix(err.Error(), "outage:") {
				mu.Lock()
				if len(bad) < 10 {
					bad = append(bad, err.Error())
				}
				mu.Unlock()
			}
		}
		if d > failFast {
			slow.Add(1)
		}
	}
	for w := range 6 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				r := rs[(w+i)%2]
				start := time.Now()
				var err error
				if i%2 == 0 {
					err = restList(ctx, r, token)
				} else {
					err = graphQLPage(ctx, r, token)
				}
				record(time.Since(start), err)
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
	time.Sleep(500 * time.Millisecond)
	if err := pg.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	outageStart := time.Now()
	time.Sleep(7 * time.Second)
	duringOutage := failed.Load()
	if err := pg.Start(ctx); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	// Back within seconds: no failure for a whole second, within 20 s.
	deadline := back.Add(20 * time.Second)
	for time.Since(time.Unix(0, lastFailure.Load())) < time.Second {
		if time.Now().After(deadline) {
			t.Errorf("still failing 20 s after PostgreSQL came back")
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	recovered := max(0, time.Unix(0, lastFailure.Load()).Sub(back))
	okBefore := ok.Load()
	time.Sleep(time.Second)
	stop.Store(true)
	wg.Wait()
	t.Logf("outage %s: %d answers failed in format during it; last failure %s after the restart; %d ok in all",
		back.Sub(outageStart).Round(time.Millisecond), duringOutage, recovered.Round(time.Millisecond), ok.Load())

	if duringOutage == 0 {
		t.Error("no request failed while PostgreSQL was down: the load did not reach the database")
	}
	if ok.Load() == okBefore {
		t.Error("no request succeeded after PostgreSQL came back")
	}
	if n := slow.Load(); n > 0 {
		t.Errorf("%d requests took more than %s", n, failFast)
	}
	for _, b := range bad {
		t.Errorf("an answer out of format: %s", b)
	}

	// The listener came back too: a logout on one replica reaches the other.
	for _, r := range rs {
		waitVerifiedAgain(t, r)
	}
	if r, err := rs[0].PostGraphQL(ctx, token, `mutation { logout }`, nil); err != nil || len(r.Errors) > 0 {
		t.Fatalf("logout: %v %+v", err, r.Errors)
	}
	revokedOn(t, rs[1], token)
}

// waitVerifiedAgain waits until r's session cache is verified after
// a loss: its log says so a second time.
func waitVerifiedAgain(t *testing.T, r *replica) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for r.logged("session cache verified") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("%s: session cache not verified again within 30 s", r.URL)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// restList reads a page of users over REST: nil on 200, an error starting
// "outage:" for a 500 in the legacy envelope (code 500), any other error for
// anything else.
func restList(ctx context.Context, r *replica, token string) error {
	status, code, err := r.list(ctx, token)
	switch {
	case err != nil:
		return err
	case status == 200 && code == 200:
		return nil
	case status == 500 && code == 500:
		return fmt.Errorf("outage: REST %d/%d", status, code)
	}
	return fmt.Errorf("REST list: %d/%d", status, code)
}

// graphQLPage reads a page of users over GraphQL: nil without errors, an
// error starting "outage:" for errors whose extensions.code is INTERNAL (no
// data), any other error for anything else.
func graphQLPage(ctx context.Context, r *replica, token string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL+"/graphql",
		strings.NewReader(`{"query": "{ users(first: 5) { nodes { username } } }"}`))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", token)
	resp, err := r.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var out struct {
		Data   json.RawMessage
		Errors []struct {
			Message    string
			Extensions struct{ Code string }
		}
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return fmt.Errorf("GraphQL: %d, not JSON: %.200q", resp.StatusCode, b)
	}
	if len(out.Errors) == 0 {
		return nil
	}
	for _, e := range out.Errors {
		if e.Extensions.Code != "INTERNAL" || e.Message == "" {
			return fmt.Errorf("GraphQL: %d, an error out of format: %.300s", resp.StatusCode, b)
		}
	}
	return errors.New("outage: GraphQL INTERNAL")
}

// TestListenerKilled: an operator (or a failover) kills the session cache's
// LISTEN connections with pg_terminate_backend. A token cached on both
// replicas and logged out on one at that moment is refused on the other,
// and the listeners come back on their own (counted as reconnects).
func TestListenerKilled(t *testing.T) {
	needInfra(t)
	db := newDatabase(t)
	rs := startReplicas(t, 2, "DATABASE_URL="+db.pooled, "DATABASE_DIRECT_URL="+db.direct)
	a, b := rs[0], rs[1]
	for _, r := range rs {
		r.waitLog(t, "session cache verified", 10*time.Second)
	}
	ctx := t.Context()
	if status, code, err := a.signUp(ctx, "dave@example.com"); err != nil || status != 200 || code != 200 {
		t.Fatalf("sign-up: %d/%d %v", status, code, err)
	}
	token, err := a.login(ctx, "dave@example.com")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		for _, r := range rs {
			if code, err := r.me(ctx, token); err != nil || code != "" {
				t.Fatalf("me on %s: %q %v", r.URL, code, err)
			}
		}
	}

	conn, err := pgx.Connect(ctx, db.direct)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var killed int
	if err := conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = 'users-sessioncache'`).Scan(&killed); err != nil || killed != 2 {
		t.Fatalf("terminated %d listeners (%v), want 2", killed, err)
	}
	if r, err := a.PostGraphQL(ctx, token, `mutation { logout }`, nil); err != nil || len(r.Errors) > 0 {
		t.Fatalf("logout: %v %+v", err, r.Errors)
	}
	revokedOn(t, b, token)

	for _, r := range rs {
		r.waitLog(t, "session cache listener reconnected", 15*time.Second)
		waitVerifiedAgain(t, r)
		if v := r.metric(t, "session_cache_listener_reconnects_total"); v < 1 {
			t.Errorf("%s: session_cache_listener_reconnects_total %v, want at least 1", r.URL, v)
		}
	}
	// Verified again, the caches still revoke: a new session, logged out on B.
	token, err = a.login(ctx, "dave@example.com")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if code, err := a.me(ctx, token); err != nil || code != "" {
			t.Fatalf("me on A: %q %v", code, err)
		}
	}
	if r, err := b.PostGraphQL(ctx, token, `mutation { logout }`, nil); err != nil || len(r.Errors) > 0 {
		t.Fatalf("logout: %v %+v", err, r.Errors)
	}
	revokedOn(t, a, token)
}
