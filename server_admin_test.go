package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"users/graph/model"
	"users/internal/apptest"
	"users/internal/testdb"
)

// runCommand runs `server ARGS...` in process with env and returns what it
// printed, the exit status main would give and the error main would print.
func runCommand(t *testing.T, env map[string]string, args ...string) (string, int, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(t.Context(), append([]string{"server"}, args...), mapEnv(env), &out, nil)
	code := 0
	if err != nil {
		code = exitCode(err)
	}
	return out.String(), code, err
}

// TestRunAdmin runs the admin commands, one after the other, against the
// database of a running server: what each prints, its exit status, its
// error, and what the database holds afterwards.
func TestRunAdmin(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	env := map[string]string{"PORT": "0", "DATABASE_URL": url, "BCRYPT_COST": "4"}
	srv := startRun(t, env)
	srv.SignUp(t, "alice", "alice@example.com", "alice1234")
	srv.SignUp(t, "bob.smith", "bob@example.com", "bob12345")
	srv.SignUp(t, "mallory", "mallory@example.com", "mallory1")
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	// A stored username is whatever a client sent: the list quotes it
	// rather than put a control sequence on the operator's terminal.
	if _, err := conn.Exec(t.Context(), `UPDATE "user" SET username = E'mal\x1b[2Jlory' WHERE email = 'mallory@example.com'`); err != nil {
		t.Fatal(err)
	}
	admins := func() string {
		rows, err := conn.Query(t.Context(), `SELECT email FROM "user" WHERE role = 'admin' ORDER BY user_id`)
		if err != nil {
			t.Fatal(err)
		}
		emails, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(emails, ",")
	}

	steps := []struct {
		args       []string
		wantOut    string
		wantCode   int
		wantErr    string // in the error; "" for none
		wantAdmins string // emails of the admins afterwards
	}{
		{args: []string{"list"}, wantOut: "no admins\n"},
		{args: []string{"grant", "alice@example.com"}, wantOut: "alice@example.com (user 1) is now an admin, from their next request on every replica\n", wantAdmins: "alice@example.com"},
		{args: []string{"grant", "alice@example.com"}, wantOut: "alice@example.com (user 1) is already an admin: nothing changed\n", wantAdmins: "alice@example.com"},
		{args: []string{"grant", "nobody@example.com"}, wantCode: 1, wantErr: `no user has the email "nobody@example.com"`, wantAdmins: "alice@example.com"},
		{args: []string{"grant", "BOB@example.com"}, wantCode: 1, wantErr: `no user has the email "BOB@example.com" (emails are compared exactly)`, wantAdmins: "alice@example.com"},
		{args: []string{"grant", "mallory@example.com"}, wantOut: "mallory@example.com (user 3) is now an admin, from their next request on every replica\n", wantAdmins: "alice@example.com,mallory@example.com"},
		{args: []string{"list"}, wantOut: "USER_ID  USERNAME          EMAIL\n1        alice             alice@example.com\n3        \"mal\\x1b[2Jlory\"  mallory@example.com\n", wantAdmins: "alice@example.com,mallory@example.com"},
		{args: []string{"revoke", "bob@example.com"}, wantOut: "bob@example.com (user 2) is not an admin: nothing changed\n", wantAdmins: "alice@example.com,mallory@example.com"},
		{args: []string{"revoke", "alice@example.com"}, wantOut: "alice@example.com (user 1) is no longer an admin, from their next request on every replica\n", wantAdmins: "mallory@example.com"},
		{args: []string{"revoke", "alice@example.com"}, wantOut: "alice@example.com (user 1) is not an admin: nothing changed\n", wantAdmins: "mallory@example.com"},
		{args: []string{"revoke", "nobody@example.com"}, wantCode: 1, wantErr: `no user has the email "nobody@example.com"`, wantAdmins: "mallory@example.com"},
		{args: []string{"revoke", "mallory@example.com"}, wantOut: "mallory@example.com (user 3) is no longer an admin, from their next request on every replica\n"},
		{args: []string{"list"}, wantOut: "no admins\n"},
	}
	for _, st := range steps {
		out, code, err := runCommand(t, env, append([]string{"admin"}, st.args...)...)
		name := strings.Join(st.args, " ")
		if out != st.wantOut {
			t.Errorf("admin %s printed %q, want %q", name, out, st.wantOut)
		}
		if code != st.wantCode {
			t.Errorf("admin %s: exit status %d, want %d (error %v)", name, code, st.wantCode, err)
		}
		if st.wantErr == "" && err != nil || st.wantErr != "" && (err == nil || !strings.Contains(err.Error(), st.wantErr)) {
			t.Errorf("admin %s: error %v, want one with %q", name, err, st.wantErr)
		}
		if got := admins(); got != st.wantAdmins {
			t.Errorf("after admin %s the admins are %q, want %q", name, got, st.wantAdmins)
		}
	}
}

// TestRunAdminRefuses: bad usage (status 2, the usage text, no database
// touched), no DATABASE_URL (2), a database that is not migrated or not
// reachable, and live without its settings (1).
func TestRunAdminRefuses(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"no command", map[string]string{"DATABASE_URL": url}, []string{"admin"}, 2, "usage: server admin grant EMAIL | revoke EMAIL | list"},
		{"grant without email", map[string]string{"DATABASE_URL": url}, []string{"admin", "grant"}, 2, "usage"},
		{"grant with an empty email", map[string]string{"DATABASE_URL": url}, []string{"admin", "grant", ""}, 2, "usage"},
		{"grant two emails", map[string]string{"DATABASE_URL": url}, []string{"admin", "grant", "a@example.com", "b@example.com"}, 2, "usage"},
		{"list with an argument", map[string]string{"DATABASE_URL": url}, []string{"admin", "list", "all"}, 2, "usage"},
		{"unknown action", map[string]string{"DATABASE_URL": url}, []string{"admin", "promote", "a@example.com"}, 2, "usage"},
		{"bad usage before a bad configuration", map[string]string{"APP_ENV": "live"}, []string{"admin", "grant"}, 2, "usage"},
		{"no DATABASE_URL", nil, []string{"admin", "list"}, 2, "DATABASE_URL is required"},
		{"not migrated", map[string]string{"DATABASE_URL": testdb.Empty(t)}, []string{"admin", "grant", "a@example.com"}, 1, "pending migrations"},
		{"live without SECRET_KEY", map[string]string{"APP_ENV": "live", "DATABASE_URL": url}, []string{"admin", "list"}, 1, "SECRET_KEY"},
		{"unreachable database", map[string]string{"DATABASE_URL": "postgres://postgres@127.0.0.1:1/users?connect_timeout=2"}, []string{"admin", "list"}, 1, "database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, code, err := runCommand(t, tt.env, tt.args...)
			if code != tt.wantCode || err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("exit status %d, error %v; want %d and an error with %q", code, err, tt.wantCode, tt.wantErr)
			}
			if out != "" {
				t.Errorf("printed %q, want nothing", out)
			}
		})
	}
}

// TestAdminRoleReachesEveryReplica: two replicas of a running deployment
// (USER_DIRECTORY=private) on one database, each caching alice's session.
// `server admin grant` makes her an admin on both within a bound, with the
// token she already holds, on both transports; `revoke` takes it back the
// same way. Her token stays valid throughout.
func TestAdminRoleReachesEveryReplica(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	env := map[string]string{"PORT": "0", "DATABASE_URL": url, "BCRYPT_COST": "4", "USER_DIRECTORY": "private"}
	a, b := startRun(t, env), startRun(t, env)
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	apptest.Eventually(t, 10*time.Second, "both session cache listeners up", func() bool {
		var n int
		err := conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = 'users-sessioncache' AND query LIKE 'LISTEN%'`).Scan(&n)
		return err == nil && n == 2
	})

	a.SignUp(t, "alice", "alice@example.com", "alice1234")
	b.SignUp(t, "bob.smith", "bob@example.com", "bob12345")
	token := a.Login(t, "alice@example.com", "alice1234")
	auth := http.Header{"Authorization": {token}}

	// bobSeen is bob's email as alice sees it on s, through GraphQL and
	// through REST ("" when withheld); her token must keep working.
	bobSeen := func(s *running) (gql, rest string) {
		r := s.GraphQL(t, token, `{ me { id } user(id: "2") { username email } }`, nil)
		var out struct {
			Me   struct{ ID string }
			User struct {
				Username string
				Email    *string
			}
		}
		r.Decode(t, &out)
		if out.Me.ID != model.UserGlobalID(1) || out.User.Username != "bob.smith" {
			t.Fatalf("on %s alice's token gave me %q, user 2 %q", s.URL, out.Me.ID, out.User.Username)
		}
		if out.User.Email != nil {
			gql = *out.User.Email
		}
		status, e := s.REST(t, http.MethodGet, "/v1/users/2", auth, "")
		var u map[string]any
		if status != http.StatusOK || json.Unmarshal(e.Data, &u) != nil {
			t.Fatalf("GET /v1/users/2 on %s: %d %+v", s.URL, status, e)
		}
		rest, _ = u["email"].(string)
		return gql, rest
	}
	sees := func(want string) func() bool {
		return func() bool {
			for _, s := range []*running{a, b} {
				if gql, rest := bobSeen(s); gql != want || rest != want {
					return false
				}
			}
			return true
		}
	}
	// Warm both caches: the second round is answered from memory.
	for range 2 {
		if !sees("")() {
			t.Fatal("alice, an ordinary user, sees bob's email")
		}
	}

	const bound = 10 * time.Second // the session cache's TTL is 30 s: only a notification is this fast
	if out, _, err := runCommand(t, map[string]string{"DATABASE_URL": url}, "admin", "grant", "alice@example.com"); err != nil {
		t.Fatalf("admin grant: %v (%s)", err, out)
	}
	apptest.Eventually(t, bound, "alice an admin on both replicas", sees("bob@example.com"))

	if out, _, err := runCommand(t, map[string]string{"DATABASE_URL": url}, "admin", "revoke", "alice@example.com"); err != nil {
		t.Fatalf("admin revoke: %v (%s)", err, out)
	}
	apptest.Eventually(t, bound, "alice an ordinary user again on both replicas", sees(""))
}
