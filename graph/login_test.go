package graph_test

import (
	"reflect"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"users/internal/apptest"
	"users/internal/validate"
)

func TestLogin(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	created := signUp(t, srv, "grace", "grace@example.com", "gracepass1")

	t.Run("success", func(t *testing.T) {
		before := time.Now()
		r := srv.GraphQL(t, "", loginMutation, map[string]any{"e": "grace@example.com", "p": "gracepass1"})
		after := time.Now()
		var out struct {
			Login struct {
				Token     string
				ExpiresAt *time.Time
				User      user
			}
		}
		r.Decode(t, &out)
		if out.Login.Token == "" {
			t.Error("token is empty")
		}
		if exp := out.Login.ExpiresAt; exp == nil {
			t.Error("expiresAt = null, want now + 1h (TOKEN_TTL)")
		} else if lo, hi := before.Add(time.Hour-time.Second), after.Add(time.Hour); exp.Before(lo) || exp.After(hi) {
			t.Errorf("expiresAt = %v, want between %v and %v", exp, lo, hi)
		}
		if u := out.Login.User; u.ID != created.ID || u.Username != "grace" || u.Email != "grace@example.com" {
			t.Errorf("user = %+v, want %+v", u, created)
		}
		var me struct{ Me user }
		srv.GraphQL(t, out.Login.Token, meQuery, nil).Decode(t, &me)
		if me.Me.ID != created.ID {
			t.Errorf("me with the new token = %s, want %s", me.Me.ID, created.ID)
		}
	})

	t.Run("token never expires with TOKEN_TTL 0", func(t *testing.T) {
		cfg := apptest.Config()
		cfg.TokenTTL = 0
		srv := apptest.Start(t, cfg)
		signUp(t, srv, "heidi", "heidi@example.com", "heidipass1")
		var out struct {
			Login struct{ ExpiresAt *time.Time }
		}
		srv.GraphQL(t, "", loginMutation, map[string]any{"e": "heidi@example.com", "p": "heidipass1"}).Decode(t, &out)
		if out.Login.ExpiresAt != nil {
			t.Errorf("expiresAt = %v, want null", out.Login.ExpiresAt)
		}
	})

	failures := []struct {
		name       string
		email      string
		password   string
		code       string
		wantFields map[string][]string
	}{
		{"wrong password", "grace@example.com", "wrongpass1", codePasswordNoMatch, nil},
		{"password of another case", "grace@example.com", "GRACEPASS1", codePasswordNoMatch, nil},
		{"unknown email", "nobody@example.com", "gracepass1", codeUserNotExists, nil},
		{"email of another case", "GRACE@example.com", "gracepass1", codeUserNotExists, nil},
		{"empty email", "", "gracepass1", codeInvalid, map[string][]string{"email": {validate.MsgRequired}}},
		{"empty password", "grace@example.com", "", codeInvalid, map[string][]string{"password": {validate.MsgRequired}}},
		{"both empty", "", "", codeInvalid, map[string][]string{"email": {validate.MsgRequired}, "password": {validate.MsgRequired}}},
		{"NUL in email", "gr\x00ace@example.com", "gracepass1", codeInvalid, nil},
	}
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			r := srv.GraphQL(t, "", loginMutation, map[string]any{"e": tt.email, "p": tt.password})
			wantError(t, r, tt.code)
			wantNoData(t, r)
			if tt.wantFields != nil {
				if got := fieldsOf(t, r); !reflect.DeepEqual(got, tt.wantFields) {
					t.Errorf("extensions.fields = %q, want %q", got, tt.wantFields)
				}
			}
		})
	}
}

func TestPasswordHashUpgrade(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config()
	cfg.BcryptCost = 5
	srv := apptest.Start(t, cfg)

	const email, password = "upgrade@example.com", "upgradepw1"
	old, err := bcrypt.GenerateFromPassword([]byte(password), 4)
	if err != nil {
		t.Fatal(err)
	}
	insertUser(t, srv.Pool, "upgrade", email, string(old), "1111111111")

	r := srv.GraphQL(t, "", loginMutation, map[string]any{"e": email, "p": "wrongpass1"})
	wantError(t, r, codePasswordNoMatch)
	if got := hashOf(t, srv.Pool, email); got != string(old) {
		t.Fatalf("hash after a wrong password = %q, want unchanged %q", got, old)
	}

	srv.Login(t, email, password)
	upgraded := hashOf(t, srv.Pool, email)
	if cost, err := bcrypt.Cost([]byte(upgraded)); err != nil || cost != 5 {
		t.Fatalf("cost after login = %d (%v), want 5; hash %q", cost, err, upgraded)
	}
	if err := bcrypt.CompareHashAndPassword([]byte(upgraded), []byte(password)); err != nil {
		t.Fatalf("upgraded hash does not verify the password: %v", err)
	}

	token := srv.Login(t, email, password)
	if got := hashOf(t, srv.Pool, email); got != upgraded {
		t.Errorf("hash changed again at the configured cost: %q -> %q", upgraded, got)
	}
	var me struct{ Me user }
	srv.GraphQL(t, token, meQuery, nil).Decode(t, &me)
	if me.Me.Email != email {
		t.Errorf("me = %s, want %s", me.Me.Email, email)
	}
}

func TestLegacyUser(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config()
	cfg.TokenTTL = 0 // legacy tokens never expired
	srv := apptest.Start(t, cfg)
	_, err := srv.Pool.Exec(t.Context(), `INSERT INTO "user" (created, modified, username, email, password, info, token, sid)
		VALUES ('2026-11-25 19:19:03.505037', '2026-11-25 19:19:03.505037', 'alice', $1, $2, $3, $4, $5)`,
		aliceEmail, aliceHash, aliceInfo, aliceToken, aliceSID)
	if err != nil {
		t.Fatal(err)
	}

	// One login only: comparing against a cost-12 hash takes seconds under -race.
	// (Mismatches are covered at low cost by TestLogin and internal/auth.)
	t.Run("$2b$ hash verifies", func(t *testing.T) {
		var out struct{ Login struct{ User user } }
		srv.GraphQL(t, "", loginMutation, map[string]any{"e": aliceEmail, "p": alicePassword}).Decode(t, &out)
		u := out.Login.User
		if u.Username != "alice" || u.Email != aliceEmail {
			t.Errorf("user = %+v, want alice", u)
		}
		if got, want := decodeJSONNumbers(t, u.Info), decodeJSONNumbers(t, []byte(aliceInfo)); !reflect.DeepEqual(got, want) {
			t.Errorf("info = %s, want %s", u.Info, aliceInfo)
		}
		if want := time.Date(2026, 11, 25, 19, 19, 3, 505037000, time.UTC); !u.Created.Equal(want) {
			t.Errorf("created = %v, want %v", u.Created, want)
		}
		// A legacy hash above the configured cost is kept, not downgraded.
		if got := hashOf(t, srv.Pool, aliceEmail); got != aliceHash {
			t.Errorf("hash = %q after login, want the legacy hash kept", got)
		}
	})

	t.Run("legacy token authenticates", func(t *testing.T) {
		var out struct{ Me user }
		srv.GraphQL(t, aliceToken, meQuery, nil).Decode(t, &out)
		if out.Me.Email != aliceEmail {
			t.Errorf("me = %s, want %s", out.Me.Email, aliceEmail)
		}
	})
}
