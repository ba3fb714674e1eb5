package graph

import (
	"log/slog"
	"testing"
	"time"

	"github.com/fernet/fernet-go"

	"users/graph/model"
	"users/internal/apperr"
	"users/internal/auth"
	"users/internal/config"
	"users/internal/testdb"
)

// TestLegacySIDsAreFree: under LEGACY_COEXISTENCE, sign-up, login and logout
// each draw 10-digit sids until one is free: a sid another user has is
// never written twice. The draws come from a list, starting with a taken
// one; when every draw is taken the operation fails with Internal and
// changes nothing.
func TestLegacySIDsAreFree(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	var fresh fernet.Key
	if err := fresh.Generate(); err != nil {
		t.Fatal(err)
	}
	legacy := fernet.MustDecodeKeys(config.LegacyKey)[0]
	tokens, err := auth.NewTokens([]*fernet.Key{&fresh, legacy}, legacy, time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	passwords, err := auth.NewPasswords(4, 0)
	if err != nil {
		t.Fatal(err)
	}
	r := NewResolver(pool, Resolver{Logger: slog.New(slog.DiscardHandler), Passwords: passwords, Tokens: tokens, Limits: NoLimits{}, Coexistence: true})
	var draws []string
	r.newLegacySID = func() string {
		if len(draws) == 0 {
			return "1111111111" // the taken one, for ever
		}
		sid := draws[0]
		draws = draws[1:]
		return sid
	}
	ctx := t.Context()
	sidOf := func(email string) (sid string, token *string) {
		t.Helper()
		if err := pool.QueryRow(ctx, `SELECT sid, token FROM "user" WHERE email = $1`, email).Scan(&sid, &token); err != nil {
			t.Fatal(err)
		}
		return sid, token
	}
	signUp := func(email string) error {
		_, err := r.Mutation().CreateUser(ctx, model.CreateUserInput{Username: "user", Email: email, Password: "password1"})
		return err
	}
	if _, err := pool.Exec(ctx, `INSERT INTO "user" (username, email, password, sid) VALUES ('taken', 'taken@example.com', 'x', '1111111111')`); err != nil {
		t.Fatal(err)
	}

	draws = []string{"1111111111", "2222222222"}
	if err := signUp("alice@example.com"); err != nil {
		t.Fatal(err)
	}
	if sid, _ := sidOf("alice@example.com"); sid != "2222222222" {
		t.Errorf("sign-up: sid %q, want the second draw", sid)
	}

	draws = []string{"1111111111", "2222222222", "3333333333"}
	if ok, err := r.Mutation().Logout(auth.WithPrincipal(ctx, auth.Principal{UserID: userID(t, r, "alice@example.com"), SID: "2222222222"})); !ok || err != nil {
		t.Fatalf("logout: %v %v", ok, err)
	}
	if sid, _ := sidOf("alice@example.com"); sid != "3333333333" {
		t.Errorf("logout: sid %q, want the third draw", sid)
	}

	// A user without a stored token, then a login.
	if _, err := pool.Exec(ctx, `UPDATE "user" SET sid = 'ffffffffffffffffffffffffffffffff', token = NULL WHERE email = 'alice@example.com'`); err != nil {
		t.Fatal(err)
	}
	draws = []string{"1111111111", "4444444444"}
	payload, err := r.Mutation().Login(ctx, "alice@example.com", "password1")
	if err != nil {
		t.Fatal(err)
	}
	if sid, token := sidOf("alice@example.com"); sid != "4444444444" || token == nil || *token != payload.Token {
		t.Errorf("login: sid %q, stored %v; want the second draw and the token login answered", sid, token)
	}

	draws = nil // every draw taken
	if err := signUp("bob@example.com"); apperr.CodeOf(err) != apperr.Internal {
		t.Errorf("sign-up with every sid taken: %v, want Internal", err)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM "user" WHERE email = 'bob@example.com'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("bob stored %d times (%v)", n, err)
	}
	if _, err := r.Mutation().Logout(auth.WithPrincipal(ctx, auth.Principal{UserID: userID(t, r, "alice@example.com"), SID: "4444444444"})); apperr.CodeOf(err) != apperr.Internal {
		t.Errorf("logout with every sid taken: %v, want Internal", err)
	}
	if sid, _ := sidOf("alice@example.com"); sid != "4444444444" {
		t.Errorf("a failed logout changed the sid to %q", sid)
	}
}

func userID(t *testing.T, r *Resolver, email string) int32 {
	t.Helper()
	row, err := r.queries.GetUserByEmail(t.Context(), email)
	if err != nil {
		t.Fatal(err)
	}
	return row.UserID
}
