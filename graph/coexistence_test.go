package graph_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"users/internal/apptest"
)

// checkSession checks the row of email: with coexistence on, a session as
// the legacy app wrote it; off, nothing of the legacy format (a 128-bit sid,
// no stored token).
func checkSession(t *testing.T, srv *apptest.Server, email string, coexist bool) (sid string, token *string) {
	t.Helper()
	sid, token = srv.StoredSession(t, email)
	apptest.CheckSession(t, email, sid, token, coexist)
	return sid, token
}

type loginPayload struct {
	Token     string
	ExpiresAt *time.Time
}

func loginAs(t *testing.T, srv *apptest.Server, email, password string) loginPayload {
	t.Helper()
	var out struct{ Login loginPayload }
	srv.GraphQL(t, "", loginMutation, map[string]any{"e": email, "p": password}).Decode(t, &out)
	return out.Login
}

// restLoginToken logs in over REST and returns the token of the answer.
func restLoginToken(t *testing.T, srv *apptest.Server, email, password string) string {
	t.Helper()
	status, e := srv.REST(t, http.MethodGet, "/v1/users/self/login", http.Header{"Content-Type": {"application/json"}},
		`{"email": "`+email+`", "password": "`+password+`"}`)
	var u struct{ Token string }
	if status != http.StatusOK || json.Unmarshal(e.Data, &u) != nil || u.Token == "" {
		t.Fatalf("REST login %s: %d %+v", email, status, e)
	}
	return u.Token
}

// TestSessionRows: what sign-up, login and logout leave in a user's row, over
// GraphQL and REST. Coexistence off: a 128-bit sid and no stored token
// (nothing of the legacy format), login mints a token of our key that
// expires, logout rotates the sid. On: a 10-digit sid and the legacy app's
// token over it, which every login returns (expiresAt null) and which works
// here; logout rotates to a new legacy session, and the old token stops
// working here.
func TestSessionRows(t *testing.T) {
	t.Parallel()
	for _, coexist := range []bool{false, true} {
		name := map[bool]string{false: "coexistence off", true: "coexistence on"}[coexist]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := apptest.CoexistenceConfig(t)
			cfg.LegacyCoexistence = coexist
			srv := apptest.Start(t, cfg)
			signUp(t, srv, "alice", "alice@example.com", "alicepass1")
			if status, e := srv.REST(t, http.MethodPost, "/v1/users", http.Header{"Content-Type": {"application/json"}},
				`{"username": "bob.smith", "email": "bob@example.com", "password": "bobsecret9"}`); status != http.StatusOK {
				t.Fatalf("REST sign-up: %d %+v", status, e)
			}
			checkSession(t, srv, "bob@example.com", coexist)
			sid, stored := checkSession(t, srv, "alice@example.com", coexist)

			login := loginAs(t, srv, "alice@example.com", "alicepass1")
			again := restLoginToken(t, srv, "alice@example.com", "alicepass1")
			if coexist {
				if login.Token != *stored || again != *stored || login.ExpiresAt != nil {
					t.Errorf("logins answered %.20q... (expiresAt %v) and %.20q...; want the stored token %.20q... twice, expiresAt null",
						login.Token, login.ExpiresAt, again, *stored)
				}
			} else if login.ExpiresAt == nil || login.Token == again {
				t.Errorf("login: expiresAt %v, the same token twice: %v; want a fresh token of TOKEN_TTL each time", login.ExpiresAt, login.Token == again)
			}
			if afterLogin, storedAfter := checkSession(t, srv, "alice@example.com", coexist); afterLogin != sid || !equalPtr(storedAfter, stored) {
				t.Errorf("login changed the session: sid %q -> %q", sid, afterLogin)
			}
			var me struct{ Me user }
			srv.GraphQL(t, login.Token, meQuery, nil).Decode(t, &me)
			if me.Me.Email != "alice@example.com" {
				t.Fatalf("me with the login's token: %+v", me.Me)
			}

			if r := srv.GraphQL(t, login.Token, `mutation { logout }`, nil); string(r.Field("logout")) != "true" {
				t.Fatalf("logout: %s", r.Body)
			}
			newSID, newStored := checkSession(t, srv, "alice@example.com", coexist)
			if newSID == sid || coexist && *newStored == *stored {
				t.Errorf("logout kept the session: sid %q -> %q", sid, newSID)
			}
			wantError(t, srv.GraphQL(t, login.Token, meQuery, nil), codeUnauthenticated)
			relogin := loginAs(t, srv, "alice@example.com", "alicepass1")
			if coexist && relogin.Token != *newStored {
				t.Errorf("login after logout: %.20q..., want the new stored token %.20q...", relogin.Token, *newStored)
			}
			srv.GraphQL(t, relogin.Token, meQuery, nil).Decode(t, &me)
		})
	}
}

func equalPtr(a, b *string) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// TestCoexistenceStoresTokenAtLogin: a user signed up while coexistence was
// off has no stored token; their first login with it on moves them to a
// legacy session (which ends the sessions of the old sid, as a logout does)
// and returns its token, and later logins return the
// same one. A token signed with the legacy key that is not the stored one is
// still refused.
func TestCoexistenceStoresTokenAtLogin(t *testing.T) {
	t.Parallel()
	cfg := apptest.CoexistenceConfig(t)
	cfg.LegacyCoexistence = false
	before := apptest.Start(t, cfg)
	signUp(t, before, "carol", "carol@example.com", "carolpass1")
	oldToken := before.Login(t, "carol@example.com", "carolpass1")
	oldSID, _ := checkSession(t, before, "carol@example.com", false)

	cfg.LegacyCoexistence = true
	srv := apptest.StartOn(t, cfg, before.Pool)
	var me struct{ Me user }
	srv.GraphQL(t, oldToken, meQuery, nil).Decode(t, &me) // accepted, and now in srv's session cache
	login := loginAs(t, srv, "carol@example.com", "carolpass1")
	wantError(t, srv.GraphQL(t, oldToken, meQuery, nil), codeUnauthenticated)
	sid, stored := checkSession(t, srv, "carol@example.com", true)
	if login.Token != *stored || login.ExpiresAt != nil {
		t.Errorf("login = %.20q... (expiresAt %v), want the token it stored, %.20q..., and null", login.Token, login.ExpiresAt, *stored)
	}
	if sid == oldSID {
		t.Error("the sid was not replaced by a legacy one")
	}
	if again := restLoginToken(t, srv, "carol@example.com", "carolpass1"); again != login.Token {
		t.Error("a second login stored another token")
	}
	srv.GraphQL(t, login.Token, meQuery, nil).Decode(t, &me)
	if me.Me.Email != "carol@example.com" {
		t.Errorf("me with the stored token: %+v", me.Me)
	}
	// Signed with the legacy key over the new sid, but not the stored token.
	wantError(t, srv.GraphQL(t, apptest.MintToken(t, legacyKey(t), sid, time.Now()), meQuery, nil), codeUnauthenticated)
}
