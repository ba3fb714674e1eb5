package migrate_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/fernet/fernet-go"
	"github.com/jackc/pgx/v5/pgxpool"

	"users/graph/model"
	"users/internal/apptest"
	"users/internal/config"
)

// checkAppOnLegacy serves the adopted database with the legacy key: legacy
// passwords and legacy tokens work, and new users continue the legacy sequence.
func checkAppOnLegacy(t *testing.T, pool *pgxpool.Pool) {
	cfg := apptest.Config() // signs and verifies with config.LegacyKey
	cfg.TokenTTL = 0        // legacy tokens never expire
	srv := apptest.StartOn(t, cfg, pool)
	users := legacyUsers(t)

	type gqlUser struct {
		ID       string          `json:"id"`
		Username string          `json:"username"`
		Email    string          `json:"email"`
		Info     json.RawMessage `json:"info"`
	}
	checkUser := func(t *testing.T, got gqlUser, want legacyUser, id string) {
		t.Helper()
		if got.ID != id || got.Username != want.Username || got.Email != want.Email {
			t.Errorf("user = %s %q %q, want %s %q %q", got.ID, got.Username, got.Email, id, want.Username, want.Email)
		}
		if !jsonEqual(t, got.Info, want.Info) {
			t.Errorf("%s info = %s, want %s", want.Username, got.Info, want.Info)
		}
	}

	t.Run("login", func(t *testing.T) {
		for i, u := range users {
			t.Run(u.Username, func(t *testing.T) {
				t.Parallel() // $2b$12$ hashes: about 250 ms each
				r := srv.GraphQL(t, "", `mutation($e: String!, $p: String!) {
					login(email: $e, password: $p) { token expiresAt user { id username email info } } }`,
					map[string]any{"e": u.Email, "p": u.Password})
				var out struct {
					Login struct {
						Token     string
						ExpiresAt *string
						User      gqlUser
					}
				}
				r.Decode(t, &out)
				if out.Login.Token == "" {
					t.Error("login gave no token")
				}
				if out.Login.ExpiresAt != nil {
					t.Errorf("expiresAt = %q, want null with TOKEN_TTL=0", *out.Login.ExpiresAt)
				}
				checkUser(t, out.Login.User, u, globalID(i+1))
				// The new token works too.
				me := srv.GraphQL(t, out.Login.Token, `{ me { id } }`, nil)
				var m struct{ Me struct{ ID string } }
				me.Decode(t, &m)
				if m.Me.ID != globalID(i+1) {
					t.Errorf("me with the new token = %q, want %s", m.Me.ID, globalID(i+1))
				}
			})
		}
	})

	t.Run("legacy tokens", func(t *testing.T) {
		for i, u := range users {
			for _, header := range []string{u.Token, "Bearer " + u.Token} {
				r := srv.GraphQL(t, header, `{ me { id username email info } }`, nil)
				var out struct{ Me gqlUser }
				r.Decode(t, &out)
				checkUser(t, out.Me, u, globalID(i+1))
			}
		}
	})

	// Live takes the database over with a fresh key first and the public
	// legacy key after it: the tokens the legacy app stored still work under
	// TOKEN_TTL, and a token forged with the legacy key over a real sid does not.
	t.Run("legacy tokens after a takeover", func(t *testing.T) {
		var fresh fernet.Key
		if err := fresh.Generate(); err != nil {
			t.Fatal(err)
		}
		legacy := fernet.MustDecodeKeys(config.LegacyKey)[0]
		live := apptest.Config()
		live.Keys = []*fernet.Key{&fresh, legacy}
		live.TokenTTL = 24 * time.Hour
		takeover := apptest.StartOn(t, live, pool)
		for i, u := range users {
			r := takeover.GraphQL(t, u.Token, `{ me { id username email info } }`, nil)
			var out struct{ Me gqlUser }
			r.Decode(t, &out)
			checkUser(t, out.Me, u, globalID(i+1))

			var sid string
			if err := pool.QueryRow(t.Context(), `SELECT sid FROM "user" WHERE email = $1`, u.Email).Scan(&sid); err != nil {
				t.Fatal(err)
			}
			forged, err := fernet.EncryptAndSign([]byte(sid), legacy)
			if err != nil {
				t.Fatal(err)
			}
			if r := takeover.GraphQL(t, string(forged), `{ me { id } }`, nil); r.Code() != "UNAUTHENTICATED" {
				t.Errorf("%s: a token forged with the legacy key over the real sid: %s, want UNAUTHENTICATED", u.Username, r.Data)
			}
		}
	})

	t.Run("rest list", func(t *testing.T) {
		status, env := srv.REST(t, http.MethodGet, "/v1/users", http.Header{"Authorization": {users[0].Token}}, "")
		if status != http.StatusOK || env.Meta.Code != 200 || env.Meta.Message != "OK" {
			t.Fatalf("GET /v1/users = %d %+v, want 200 OK", status, env.Meta)
		}
		var list []map[string]json.RawMessage
		if err := json.Unmarshal(env.Data, &list); err != nil {
			t.Fatalf("GET /v1/users: %v: %s", err, env.Data)
		}
		if len(list) != len(users) {
			t.Fatalf("GET /v1/users lists %d users, want %d: %s", len(list), len(users), env.Data)
		}
		for i, u := range users {
			d := list[i]
			var name, email string
			_ = json.Unmarshal(d["username"], &name)
			_ = json.Unmarshal(d["email"], &email)
			if name != u.Username || email != u.Email {
				t.Errorf("user %d = %q %q, want %q %q", i, name, email, u.Username, u.Email)
			}
			if !jsonEqual(t, d["info"], u.Info) {
				t.Errorf("%s info = %s, want %s", u.Username, d["info"], u.Info)
			}
			for _, secret := range []string{"password", "token", "sid"} {
				if _, ok := d[secret]; ok {
					t.Errorf("%s: listing carries %q", u.Username, secret)
				}
			}
			// Unix seconds of the dump's timestamps (UTC): 19:19:03.5, 19:19:03.9, 19:19:04.3.
			want := time.Date(2026, 11, 25, 19, 19, []int{3, 3, 4}[i], 0, time.UTC).Unix()
			for _, ts := range []string{"created", "modified"} {
				var sec int64
				if err := json.Unmarshal(d[ts], &sec); err != nil || sec != want {
					t.Errorf("%s %s = %s, want %d", u.Username, ts, d[ts], want)
				}
			}
		}
	})

	t.Run("signup continues the sequence", func(t *testing.T) {
		r := srv.GraphQL(t, "", `mutation($in: CreateUserInput!) { createUser(input: $in) { id username } }`,
			map[string]any{"in": map[string]any{"username": "newbie", "email": "newbie@example.com", "password": "newpass123"}})
		var out struct{ CreateUser struct{ ID, Username string } }
		r.Decode(t, &out)
		if out.CreateUser.ID != globalID(4) {
			t.Errorf("new user id = %q, want 4 (after the legacy users)", out.CreateUser.ID)
		}
	})
}

// globalID is the GraphQL id of the user whose user_id is i.
func globalID(i int) string { return model.UserGlobalID(int32(i)) }

// jsonEqual compares two JSON documents by value (a missing one reads as null).
func jsonEqual(t *testing.T, a, b json.RawMessage) bool {
	t.Helper()
	var va, vb any
	if len(a) > 0 {
		if err := json.Unmarshal(a, &va); err != nil {
			t.Fatalf("json %s: %v", a, err)
		}
	}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &vb); err != nil {
			t.Fatalf("json %s: %v", b, err)
		}
	}
	return reflect.DeepEqual(va, vb)
}
