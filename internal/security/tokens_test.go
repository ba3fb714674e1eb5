package security_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fernet/fernet-go"

	"users/internal/apptest"
	"users/internal/config"
)

// refused checks that a token gets REST 401/99 on every authenticated route
// and GraphQL UNAUTHENTICATED, never a 500.
func refused(t *testing.T, srv *apptest.Server, rec *recorder, token string) {
	t.Helper()
	h := http.Header{"Authorization": {token}}
	for _, path := range []string{"/v1/users", "/v1/users/1", "/v1/users?limit=1"} {
		if status, _, env := doREST(t, srv, rec, http.MethodGet, path, h, ""); status != http.StatusUnauthorized || env.Meta.Code != 99 {
			t.Errorf("GET %s with %.40q: %d %+v, want 401/99", path, token, status, env.Meta)
		}
	}
	if status, _, env := doREST(t, srv, rec, http.MethodPut, "/v1/users", h, ""); status != http.StatusUnauthorized || env.Meta.Code != 99 {
		t.Errorf("PUT /v1/users with %.40q: %d %+v, want 401/99", token, status, env.Meta)
	}
	for _, q := range []string{`{ me { id } }`, `{ users { nodes { id } } }`, `{ user(id: "1") { id } }`, `mutation { logout }`} {
		r := doGQL(t, srv, rec, h, q, nil)
		if len(r.Errors) == 0 || r.Errors[0].Code() != "UNAUTHENTICATED" {
			t.Errorf("%s with %.40q: %s, want UNAUTHENTICATED", q, token, r.Body)
		}
	}
}

// accepted checks that a token authenticates as email over REST and GraphQL.
func accepted(t *testing.T, srv *apptest.Server, token, email string) {
	t.Helper()
	status, _, env := doREST(t, srv, nil, http.MethodGet, "/v1/users", http.Header{"Authorization": {token}}, "")
	if status != http.StatusOK {
		t.Errorf("REST with %.40q: %d %+v, want 200", token, status, env.Meta)
	}
	r := doGQL(t, srv, nil, http.Header{"Authorization": {"Bearer " + token}}, `{ me { email } }`, nil)
	var data struct{ Me struct{ Email string } }
	if len(r.Errors) > 0 || json.Unmarshal(r.Field("me"), &data.Me) != nil || data.Me.Email != email {
		t.Errorf("GraphQL me with %.40q: %s, want %s", token, r.Body, email)
	}
}

// TestTokenExpiry: a token works for TOKEN_TTL after it is issued and not
// after; TOKEN_TTL=0 keeps the legacy behaviour (never expires).
func TestTokenExpiry(t *testing.T) {
	t.Parallel()
	legacy := fernet.MustDecodeKeys(config.LegacyKey)[0]

	t.Run("minted at a given time", func(t *testing.T) {
		t.Parallel()
		cfg := apptest.Config()
		cfg.TokenTTL = time.Hour
		srv := apptest.Start(t, cfg)
		srv.SignUp(t, "expiry", "expiry@example.com", "test1234")
		r := doGQL(t, srv, nil, nil, `mutation { login(email: "expiry@example.com", password: "test1234") { token expiresAt } }`, nil)
		var login struct {
			Token     string
			ExpiresAt time.Time
		}
		if len(r.Errors) > 0 || json.Unmarshal(r.Field("login"), &login) != nil {
			t.Fatalf("login: %s", r.Body)
		}
		if d := time.Until(login.ExpiresAt); d < 58*time.Minute || d > time.Hour {
			t.Errorf("expiresAt in %v, want about TOKEN_TTL (1h)", d)
		}
		accepted(t, srv, login.Token, "expiry@example.com")
		sid := srv.SID(t, "expiry@example.com")
		accepted(t, srv, apptest.MintToken(t, legacy, sid, time.Now().Add(-50*time.Minute)), "expiry@example.com")
		refused(t, srv, nil, apptest.MintToken(t, legacy, sid, time.Now().Add(-61*time.Minute)))
		refused(t, srv, nil, apptest.MintToken(t, legacy, sid, time.Now().Add(-30*24*time.Hour)))
		refused(t, srv, nil, apptest.MintToken(t, legacy, sid, time.Now().Add(10*time.Minute))) // from the future
	})
	t.Run("real clock", func(t *testing.T) {
		t.Parallel()
		cfg := apptest.Config()
		cfg.TokenTTL = 3 * time.Second
		srv := apptest.Start(t, cfg)
		srv.SignUp(t, "shortttl", "short@example.com", "test1234")
		token := srv.Login(t, "short@example.com", "test1234")
		accepted(t, srv, token, "short@example.com")
		time.Sleep(4500 * time.Millisecond) // Fernet timestamps have whole seconds
		refused(t, srv, nil, token)
	})
	t.Run("TOKEN_TTL=0 never expires", func(t *testing.T) {
		t.Parallel()
		cfg := apptest.Config()
		cfg.TokenTTL = 0
		srv := apptest.Start(t, cfg)
		srv.SignUp(t, "forever", "forever@example.com", "test1234")
		r := doGQL(t, srv, nil, nil, `mutation { login(email: "forever@example.com", password: "test1234") { expiresAt } }`, nil)
		if string(r.Field("login")) != `{"expiresAt":null}` {
			t.Errorf("login: %s, want expiresAt null", r.Body)
		}
		accepted(t, srv, apptest.MintToken(t, legacy, srv.SID(t, "forever@example.com"), time.Now().Add(-5*365*24*time.Hour)), "forever@example.com")
	})
}

// TestKeyRotation: SECRET_KEY "new,old" signs with the new key and still
// accepts the old key's tokens; once the old key is dropped its tokens are
// refused everywhere. Three servers over one database stand for the three
// stages of a rotation. (The public legacy key is no ordinary old key: see
// TestLegacyTokensAfterTakeover.)
func TestKeyRotation(t *testing.T) {
	t.Parallel()
	var oldKey, newKey fernet.Key
	if err := oldKey.Generate(); err != nil {
		t.Fatal(err)
	}
	if err := newKey.Generate(); err != nil {
		t.Fatal(err)
	}
	before := apptest.Config()
	before.Keys = []*fernet.Key{&oldKey}
	during := apptest.Config()
	during.Keys = []*fernet.Key{&newKey, &oldKey}
	after := apptest.Config()
	after.Keys = []*fernet.Key{&newKey}

	a := apptest.Start(t, before)
	b := apptest.StartOn(t, during, a.Pool)
	c := apptest.StartOn(t, after, a.Pool)
	a.SignUp(t, "rotator", "rotate@example.com", "test1234")

	oldToken := a.Login(t, "rotate@example.com", "test1234")
	newToken := b.Login(t, "rotate@example.com", "test1234")
	if fernet.VerifyAndDecrypt([]byte(newToken), 0, []*fernet.Key{&newKey}) == nil {
		t.Fatal("during rotation the new key (first) must sign")
	}
	accepted(t, b, oldToken, "rotate@example.com")
	accepted(t, b, newToken, "rotate@example.com")
	accepted(t, c, newToken, "rotate@example.com")
	refused(t, c, nil, oldToken) // the retired key is gone
	refused(t, a, nil, newToken) // a replica that never had the new key
}

// TestRevocation: logout revokes every token of the user at once, and so
// does the operator's SQL from SECURITY.md; other users are not affected.
func TestRevocation(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	srv.SignUp(t, "revoked", "revoked@example.com", "test1234")
	srv.SignUp(t, "bystander", "bystander@example.com", "test1234")
	t1 := srv.Login(t, "revoked@example.com", "test1234")
	t2 := srv.Login(t, "revoked@example.com", "test1234")
	other := srv.Login(t, "bystander@example.com", "test1234")
	accepted(t, srv, t2, "revoked@example.com")

	if r := doGQL(t, srv, nil, http.Header{"Authorization": {t1}}, `mutation { logout }`, nil); string(r.Field("logout")) != "true" {
		t.Fatalf("logout: %s", r.Body)
	}
	// Replicas that cache sessions hear of a change by notification: allow
	// it a moment (TestLogoutRevokesAtOnce holds the replica that served the
	// logout to "at once").
	waitRevoked(t, srv, t1, "logout")
	refused(t, srv, nil, t1)
	refused(t, srv, nil, t2)
	accepted(t, srv, other, "bystander@example.com")

	t3 := srv.Login(t, "revoked@example.com", "test1234")
	accepted(t, srv, t3, "revoked@example.com")
	if _, err := srv.Pool.Exec(t.Context(), `UPDATE "user" SET sid = replace(gen_random_uuid()::text, '-', '') WHERE email = 'revoked@example.com'`); err != nil {
		t.Fatal(err)
	}
	waitRevoked(t, srv, t3, "the operator rotated the sid")
	refused(t, srv, nil, t3)
	accepted(t, srv, other, "bystander@example.com")
}

// waitRevoked waits up to 5 s for token to be refused.
func waitRevoked(t *testing.T, srv *apptest.Server, token, after string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		status, _, _ := srv.Do(t, http.MethodGet, "/v1/users", http.Header{"Authorization": {token}}, "")
		if status == http.StatusUnauthorized {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("token still accepted 5 s after %s (status %d)", after, status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestLogoutRevokesAtOnce: once logout has answered, the replica that served
// it refuses the user's tokens on the very next request; only other replicas
// may lag by the notification's delay. A hundred rounds, so that a race
// shows every time rather than now and then.
func TestLogoutRevokesAtOnce(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	srv.SignUp(t, "quick", "quick@example.com", "test1234")
	// A session cache caches only while it listens for revocations: wait
	// for its listening connection, if there is one, so every round counts.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		err := srv.Pool.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND query ILIKE 'listen%'`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	const rounds = 100
	late := 0
	for range rounds {
		token := srv.Login(t, "quick@example.com", "test1234")
		h := http.Header{"Authorization": {token}}
		if status, _, _ := srv.Do(t, http.MethodGet, "/v1/users", h, ""); status != http.StatusOK {
			t.Fatalf("fresh token: %d", status)
		}
		if r := doGQL(t, srv, nil, h, `mutation { logout }`, nil); string(r.Field("logout")) != "true" {
			t.Fatalf("logout: %s", r.Body)
		}
		if status, _, _ := srv.Do(t, http.MethodGet, "/v1/users", h, ""); status != http.StatusUnauthorized {
			late++
		}
	}
	if late > 0 {
		t.Errorf("in %d of %d rounds the token still worked on the next request after logout answered", late, rounds)
	}
}

// TestMalformedTokens: anything that is not a valid, current token is 99 on
// REST and UNAUTHENTICATED on GraphQL, never a 500; and it does not stop a
// request that needs no token.
func TestMalformedTokens(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	srv.SignUp(t, "tokenuser", "token@example.com", "test1234")
	good := srv.Login(t, "token@example.com", "test1234")
	legacy := fernet.MustDecodeKeys(config.LegacyKey)[0]
	var stranger fernet.Key
	_ = stranger.Generate()
	flip := []byte(good)
	flip[len(flip)/2] ^= 1
	rec := &recorder{}

	for name, token := range map[string]string{
		"garbage":                "garbage",
		"bearer only":            "Bearer",
		"bearer and space":       "Bearer    ",
		"bearer garbage":         "Bearer garbage",
		"basic auth":             "Basic dXNlcjpwYXNzd29yZA==",
		"fernet prefix":          "gAAAAA",
		"fernet prefix, garbage": "gAAAAABk" + strings.Repeat("A", 120),
		"truncated":              good[:len(good)-10],
		"one character flipped":  string(flip),
		"trailing data":          good + "AAAA",
		"two tokens":             good + " " + good,
		"bearer bearer":          "Bearer Bearer " + good,
		"not base64":             strings.Repeat("!", 140),
		"10k characters":         strings.Repeat("gAAAAA", 1700),
		"invalid UTF-8":          "gAAAAA\xff\xfe\xfd",
		"unknown key":            apptest.MintToken(t, &stranger, srv.SID(t, "token@example.com"), time.Now()),
		"unknown sid":            apptest.MintToken(t, legacy, "no-such-sid", time.Now()),
		"empty sid":              apptest.MintToken(t, legacy, "", time.Now()),
		"SQL in sid":             apptest.MintToken(t, legacy, "' OR '1'='1", time.Now()),
		"NUL in sid":             apptest.MintToken(t, legacy, "a\x00b", time.Now()),
		"invalid UTF-8 in sid":   apptest.MintToken(t, legacy, "\xff\xfe", time.Now()),
		"long sid":               apptest.MintToken(t, legacy, strings.Repeat("s", 300), time.Now()),
	} {
		t.Run(name, func(t *testing.T) {
			refused(t, srv, rec, token)
			// A bad token does not stop sign-up.
			in := map[string]any{"in": map[string]any{"username": "x" + uniq()[:8], "email": uniq() + "@example.com", "password": "test1234"}}
			if r := doGQL(t, srv, rec, http.Header{"Authorization": {token}}, signupMutation, in); len(r.Errors) > 0 {
				t.Errorf("sign-up with a bad token: %s", r.Body)
			}
		})
	}
	accepted(t, srv, good, "token@example.com")
	assertNoSecrets(t, "a response", rec.all(), withSecrets(map[string]string{"the good token": good[20:60]}))
	assertNoSecrets(t, "the log", logLines(srv), withSecrets(map[string]string{"the good token": good[20:60]}))
}
