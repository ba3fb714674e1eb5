package sessioncache_test

import (
	"bytes"
	"crypto/sha256"
	"net/http"
	"testing"
	"time"

	"users/graph"
	"users/internal/apptest"
	"users/internal/auth"
	"users/internal/sessioncache"
	"users/internal/testdb"
)

// TestRevocationReachesEveryCache is two replicas over one database: a sid
// rotation (what logout does), a plain SQL UPDATE, a DELETE and a TRUNCATE each
// empty the affected entries of both.
func TestRevocationReachesEveryCache(t *testing.T) {
	pool := testdb.New(t)
	a, _ := newCache(t, pool, sessioncache.Options{TTL: time.Hour})
	b, cntB := newCache(t, pool, sessioncache.Options{TTL: time.Hour})
	r := graph.NewResolver(pool, graph.Resolver{})

	warm := func(t *testing.T, sids ...string) {
		t.Helper()
		for _, c := range []*sessioncache.Cache{a, b} {
			for _, sid := range sids {
				for range 2 {
					if n := lookupOne(t, c, sid); n != 1 {
						t.Fatalf("warm %s: %d users", sid, n)
					}
				}
			}
		}
	}

	t.Run("logout rotation", func(t *testing.T) {
		u := createUser(t, pool, 1)
		warm(t, u.SID)
		before := cntB.n.Load()
		if lookupOne(t, b, u.SID) != 1 || cntB.n.Load() != before {
			t.Fatal("b does not serve the warm entry from memory")
		}
		if ok, err := r.Mutation().Logout(auth.WithPrincipal(t.Context(), u)); err != nil || !ok {
			t.Fatalf("Logout = %v, %v", ok, err)
		}
		revokedWithin(t, a, u.SID, revokeWithin)
		revokedWithin(t, b, u.SID, revokeWithin)
	})
	t.Run("sql update", func(t *testing.T) {
		u := createUser(t, pool, 2)
		warm(t, u.SID)
		if _, err := pool.Exec(t.Context(), `UPDATE "user" SET sid = 'by-hand' WHERE user_id = $1`, u.UserID); err != nil {
			t.Fatal(err)
		}
		revokedWithin(t, a, u.SID, revokeWithin)
		revokedWithin(t, b, u.SID, revokeWithin)
	})
	t.Run("sql update of another column", func(t *testing.T) {
		u := createUser(t, pool, 3)
		warm(t, u.SID)
		if _, err := pool.Exec(t.Context(), `UPDATE "user" SET token = 'stored' WHERE user_id = $1`, u.UserID); err != nil {
			t.Fatal(err)
		}
		want := sha256.Sum256([]byte("stored"))
		apptest.Eventually(t, 10*time.Second, "fresh session on b", func() bool {
			sessions, err := b.Lookup(t.Context(), u.SID)
			return err == nil && len(sessions) == 1 && bytes.Equal(sessions[0].LegacyTokenSHA256, want[:])
		})
	})
	t.Run("delete", func(t *testing.T) {
		u := createUser(t, pool, 4)
		warm(t, u.SID)
		if _, err := pool.Exec(t.Context(), `DELETE FROM "user" WHERE user_id = $1`, u.UserID); err != nil {
			t.Fatal(err)
		}
		revokedWithin(t, a, u.SID, revokeWithin)
		revokedWithin(t, b, u.SID, revokeWithin)
	})
	t.Run("truncate", func(t *testing.T) {
		u := createUser(t, pool, 5)
		warm(t, u.SID)
		if _, err := pool.Exec(t.Context(), `TRUNCATE "user"`); err != nil {
			t.Fatal(err)
		}
		revokedWithin(t, a, u.SID, revokeWithin)
		revokedWithin(t, b, u.SID, revokeWithin)
	})
	t.Run("rollback sends nothing", func(t *testing.T) {
		u := createUser(t, pool, 6)
		warm(t, u.SID)
		tx, err := pool.Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(t.Context(), `UPDATE "user" SET sid = 'never' WHERE user_id = $1`, u.UserID); err != nil {
			t.Fatal(err)
		}
		if err := tx.Rollback(t.Context()); err != nil {
			t.Fatal(err)
		}
		if lookupOne(t, b, u.SID) != 1 {
			t.Fatal("rolled-back rotation revoked the session")
		}
	})
}

// TestLogoutRevokesOnEveryReplica runs two instances of the service over one
// database, each with its own cache: a token used on both is refused on B as
// soon as A logs it out.
func TestLogoutRevokesOnEveryReplica(t *testing.T) {
	pool := testdb.New(t)
	cfg := apptest.Config()
	a := apptest.StartOn(t, cfg, pool)
	b := apptest.StartOn(t, cfg, pool)
	a.WaitSessionCache(t)
	b.WaitSessionCache(t)

	a.SignUp(t, "alice", "alice@example.com", "alice1234")
	token := a.Login(t, "alice@example.com", "alice1234")
	me := func(s *apptest.Server) string {
		return s.GraphQL(t, token, `{ me { username } }`, nil).Code()
	}
	restStatus := func(s *apptest.Server) int {
		status, _, _ := s.Do(t, http.MethodGet, "/v1/users", http.Header{"Authorization": {token}}, "")
		return status
	}
	for range 2 { // the second round is served from both caches
		for _, s := range []*apptest.Server{a, b} {
			if code := me(s); code != "" {
				t.Fatalf("me on %s: %s", s.URL, code)
			}
			if st := restStatus(s); st != http.StatusOK {
				t.Fatalf("GET /v1/users on %s: %d", s.URL, st)
			}
		}
	}

	r := a.GraphQL(t, token, `mutation { logout }`, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("logout: %+v", r.Errors)
	}
	start := time.Now()
	for me(b) != "UNAUTHENTICATED" {
		if time.Since(start) > revokeWithin {
			t.Fatalf("token still accepted on B %v after logout on A", revokeWithin)
		}
		time.Sleep(2 * time.Millisecond)
	}
	if st := restStatus(b); st != http.StatusUnauthorized {
		t.Errorf("GET /v1/users on B after logout: %d, want 401", st)
	}
	if code := me(a); code != "UNAUTHENTICATED" {
		t.Errorf("me on A after logout: %q, want UNAUTHENTICATED", code)
	}
}

// TestLogoutRevokesOnTheSameReplicaAtOnce: the replica that answers a logout
// has forgotten the session before it answers, so the very next request with
// the token is refused (no waiting for the notification).
func TestLogoutRevokesOnTheSameReplicaAtOnce(t *testing.T) {
	srv := apptest.Start(t, apptest.Config())
	srv.WaitSessionCache(t)
	srv.SignUp(t, "bob1", "bob@example.com", "bob12345")
	for round := range 20 {
		token := srv.Login(t, "bob@example.com", "bob12345")
		h := http.Header{"Authorization": {token}}
		for range 2 { // the second is served from memory
			if st, _, _ := srv.Do(t, http.MethodGet, "/v1/users", h, ""); st != http.StatusOK {
				t.Fatalf("round %d: fresh token: %d", round, st)
			}
		}
		if r := srv.GraphQL(t, token, `mutation { logout }`, nil); len(r.Errors) > 0 {
			t.Fatalf("logout: %+v", r.Errors)
		}
		if st, _, _ := srv.Do(t, http.MethodGet, "/v1/users", h, ""); st != http.StatusUnauthorized {
			t.Fatalf("round %d: the request right after logout got %d, want 401", round, st)
		}
	}
}

// TestLogoutInvalidatesBeforeAnswering: the logout resolver empties its own
// replica's entry itself. With the trigger off, no notification comes, so
// only that can make the next lookup miss.
func TestLogoutInvalidatesBeforeAnswering(t *testing.T) {
	pool := testdb.New(t)
	u := createUser(t, pool, 1)
	c, cnt := newCache(t, pool, sessioncache.Options{TTL: time.Hour})
	if lookupOne(t, c, u.SID) != 1 {
		t.Fatal("no user")
	}
	if _, err := pool.Exec(t.Context(), `ALTER TABLE "user" DISABLE TRIGGER user_session_updated`); err != nil {
		t.Fatal(err)
	}
	r := graph.NewResolver(pool, graph.Resolver{Sessions: c})
	ok, err := r.Mutation().Logout(auth.WithPrincipal(t.Context(), u))
	if err != nil || !ok {
		t.Fatalf("Logout = %v, %v", ok, err)
	}
	before := cnt.n.Load()
	if n := lookupOne(t, c, u.SID); n != 0 {
		t.Fatalf("old sid resolves to %d users right after logout, want 0", n)
	}
	if cnt.n.Load() != before+1 {
		t.Errorf("the lookup after logout did not go to the database")
	}
}
