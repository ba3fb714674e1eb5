package graph_test

import (
	"testing"
	"time"

	"github.com/fernet/fernet-go"

	"users/internal/apptest"
)

// authOperations are the operations that need a token; each selects only
// what a denied request cannot reveal anyway.
var authOperations = []struct{ name, query string }{
	{"users", `{ users { nodes { id } } }`},
	{"user", `{ user(id: "1") { id } }`},
	{"me", `{ me { id } }`},
	{"logout", `mutation { logout }`},
}

func TestTokens(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	alice := signUp(t, srv, "alice", "alice@example.com", "alicepass1")
	signUp(t, srv, "bob.smith", "bob@example.com", "bobsecret9")
	token := srv.Login(t, "alice@example.com", "alicepass1")
	sid := srv.SID(t, "alice@example.com")

	var otherKey fernet.Key
	if err := otherKey.Generate(); err != nil {
		t.Fatal(err)
	}
	// Two users sharing a legacy-style sid: a token over it must not pick one.
	insertUser(t, srv.Pool, "twin1", "twin1@example.com", hashOf(t, srv.Pool, "alice@example.com"), "5555555555")
	insertUser(t, srv.Pool, "twin2", "twin2@example.com", hashOf(t, srv.Pool, "alice@example.com"), "5555555555")

	refused := []struct{ name, header string }{
		{"missing", ""},
		{"garbage", "not-a-token"},
		{"bearer garbage", "Bearer not-a-token"},
		{"bearer alone", "Bearer"},
		{"signed by another key", apptest.MintToken(t, &otherKey, sid, time.Now())},
		{"expired", apptest.MintToken(t, legacyKey(t), sid, time.Now().Add(-2*time.Hour))},
		{"issued in the future", apptest.MintToken(t, legacyKey(t), sid, time.Now().Add(10*time.Minute))},
		{"unknown sid", apptest.MintToken(t, legacyKey(t), "0000000000", time.Now())},
		{"sid of two users", apptest.MintToken(t, legacyKey(t), "5555555555", time.Now())},
		{"truncated", token[:len(token)-4]},
		{"basic scheme", "Basic " + token},
	}
	for _, tt := range refused {
		for _, op := range authOperations {
			t.Run(tt.name+"/"+op.name, func(t *testing.T) {
				r := srv.GraphQL(t, tt.header, op.query, nil)
				wantError(t, r, codeUnauthenticated)
				wantNoData(t, r)
			})
		}
	}

	accepted := []struct{ name, header string }{
		{"raw", token},
		{"bearer", "Bearer " + token},
		{"lower-case bearer", "bearer " + token},
		{"bearer with extra spaces", "Bearer   " + token + " "},
		{"minted now with the legacy key", apptest.MintToken(t, legacyKey(t), sid, time.Now())},
		{"minted 50 minutes ago", apptest.MintToken(t, legacyKey(t), sid, time.Now().Add(-50*time.Minute))},
	}
	for _, tt := range accepted {
		t.Run(tt.name, func(t *testing.T) {
			var out struct{ Me user }
			srv.GraphQL(t, tt.header, meQuery, nil).Decode(t, &out)
			if out.Me.ID != alice.ID {
				t.Errorf("me = %s, want %s", out.Me.ID, alice.ID)
			}
		})
	}

	t.Run("bad token does not stop sign-up or login", func(t *testing.T) {
		r := srv.GraphQL(t, "not-a-token", createUserMutation, map[string]any{"in": map[string]any{
			"username": "ivan", "email": "ivan@example.com", "password": "ivanpass12",
		}})
		if len(r.Errors) > 0 {
			t.Fatalf("createUser with a bad token: %+v", r.Errors)
		}
		r = srv.GraphQL(t, "not-a-token", loginMutation, map[string]any{"e": "ivan@example.com", "p": "ivanpass12"})
		if len(r.Errors) > 0 {
			t.Fatalf("login with a bad token: %+v", r.Errors)
		}
	})
}

func TestLogoutRevokesEveryToken(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	alice := signUp(t, srv, "alice", "alice@example.com", "alicepass1")
	bob := signUp(t, srv, "bob.smith", "bob@example.com", "bobsecret9")
	first := srv.Login(t, "alice@example.com", "alicepass1")
	second := srv.Login(t, "alice@example.com", "alicepass1")
	bobToken := srv.Login(t, "bob@example.com", "bobsecret9")
	if first == second {
		t.Fatal("two logins gave the same token")
	}
	sidBefore := srv.SID(t, "alice@example.com")

	var out struct{ Logout bool }
	srv.GraphQL(t, "Bearer "+first, `mutation { logout }`, nil).Decode(t, &out)
	if !out.Logout {
		t.Fatal("logout = false, want true")
	}
	if srv.SID(t, "alice@example.com") == sidBefore {
		t.Error("sid unchanged after logout")
	}

	for name, token := range map[string]string{"token used to log out": first, "earlier token": second} {
		for _, op := range authOperations {
			t.Run(name+"/"+op.name, func(t *testing.T) {
				wantError(t, srv.GraphQL(t, token, op.query, nil), codeUnauthenticated)
			})
		}
	}

	t.Run("other user unaffected", func(t *testing.T) {
		var me struct{ Me user }
		srv.GraphQL(t, bobToken, meQuery, nil).Decode(t, &me)
		if me.Me.ID != bob.ID {
			t.Errorf("me = %s, want %s", me.Me.ID, bob.ID)
		}
	})

	t.Run("new login works", func(t *testing.T) {
		token := srv.Login(t, "alice@example.com", "alicepass1")
		var me struct{ Me user }
		srv.GraphQL(t, token, meQuery, nil).Decode(t, &me)
		if me.Me.ID != alice.ID {
			t.Errorf("me = %s, want %s", me.Me.ID, alice.ID)
		}
	})
}

func TestMe(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	users := []user{
		signUp(t, srv, "kate", "kate@example.com", "katepass12"),
		signUp(t, srv, "leo.l", "leo@example.com", "leopass123"),
	}
	passwords := []string{"katepass12", "leopass123"}
	for i, want := range users {
		t.Run(want.Username, func(t *testing.T) {
			token := srv.Login(t, want.Email, passwords[i])
			var out struct{ Me user }
			srv.GraphQL(t, token, meQuery, nil).Decode(t, &out)
			got := out.Me
			if got.ID != want.ID || got.Username != want.Username || got.Email != want.Email ||
				!got.Created.Equal(want.Created) || !got.Modified.Equal(want.Modified) {
				t.Errorf("me = %+v, want %+v", got, want)
			}
		})
	}
}
