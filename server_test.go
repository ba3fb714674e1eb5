package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"users/internal/apptest"
	"users/internal/server"
	"users/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func mapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// running is run() started in a goroutine; its Client sends requests to the
// public listener.
type running struct {
	apptest.Client
	addrs  server.Addrs
	logs   *apptest.Buffer
	cancel context.CancelFunc
	done   chan error
}

// startRun starts run(ctx, {"server"}, env, logs) and returns once it
// listens. It is stopped at the end of the test if still running.
func startRun(t *testing.T, env map[string]string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{logs: &apptest.Buffer{}, cancel: cancel, done: make(chan error, 1)}
	ready := make(chan server.Addrs, 1)
	go func() {
		r.done <- run(ctx, []string{"server"}, mapEnv(env), r.logs, func(a server.Addrs) { ready <- a })
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(30 * time.Second):
			t.Errorf("run did not return at cleanup")
		}
	})
	select {
	case r.addrs = <-ready:
	case err := <-r.done:
		t.Fatalf("run returned before listening: %v\nlog:\n%s", err, r.logs)
	case <-time.After(60 * time.Second):
		t.Fatalf("run did not listen within 60 s\nlog:\n%s", r.logs)
	}
	r.URL = apptest.BaseURL(r.addrs.Public)
	return r
}

// stop cancels run's context and returns its result, failing after wait.
func (r *running) stop(t *testing.T, wait time.Duration) error {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		return err
	case <-time.After(wait):
		t.Fatalf("run did not return within %v of cancel\nlog:\n%s", wait, r.logs)
		return nil
	}
}

const (
	createUserMutation = `mutation($in: CreateUserInput!) { createUser(input: $in) { id username email } }`
	loginMutation      = `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token user { id email } } }`
)

func TestRunServes(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"PORT": "0", "DATABASE_URL": testdb.NewURL(t), "BCRYPT_COST": "4"}
			if format == "json" {
				env["LOG_FORMAT"] = "json"
			}
			r := startRun(t, env)

			if s := r.Status(t, "/readyz"); s != http.StatusOK {
				t.Errorf("/readyz = %d, want 200", s)
			}

			res := r.GraphQL(t, "", createUserMutation,
				map[string]any{"in": map[string]any{"username": "smoke", "email": "smoke@example.com", "password": "smokepass1"}})
			var created struct {
				CreateUser struct{ ID, Username, Email string }
			}
			if res.Decode(t, &created); res.Status != http.StatusOK || created.CreateUser.ID == "" {
				t.Fatalf("createUser = %d %s", res.Status, res.Body)
			}
			res = r.GraphQL(t, "", loginMutation, map[string]any{"e": "smoke@example.com", "p": "smokepass1"})
			var login struct {
				Login struct {
					Token string
					User  struct{ ID, Email string }
				}
			}
			if res.Decode(t, &login); res.Status != http.StatusOK || login.Login.Token == "" {
				t.Fatalf("login = %d %s", res.Status, res.Body)
			}
			if login.Login.User.ID != created.CreateUser.ID {
				t.Errorf("login user %q, created %q", login.Login.User.ID, created.CreateUser.ID)
			}
			res = r.GraphQL(t, login.Login.Token, `{ me { email } }`, nil)
			if !strings.Contains(string(res.Data), `"smoke@example.com"`) {
				t.Errorf("me = %s %+v", res.Data, res.Errors)
			}

			if err := r.stop(t, 5*time.Second); err != nil {
				t.Errorf("run = %v, want nil after cancel", err)
			}
			logs := r.logs.String()
			for _, want := range []string{"shutting down", "stopped"} {
				if !strings.Contains(logs, want) {
					t.Errorf("log lacks %q:\n%s", want, logs)
				}
			}
			if format == "json" {
				for line := range strings.Lines(logs) {
					if !json.Valid([]byte(line)) {
						t.Errorf("LOG_FORMAT=json wrote a non-JSON line: %q", line)
					}
				}
			}
		})
	}
}

// TestRunFinishesInFlightRequest: a sign-up still running when the context ends
// gets its answer, run waits for it and then returns nil.
//
// The request is held in flight deterministically rather than by a slow bcrypt
// (which under -race on a busy machine can outlast SHUTDOWN_TIMEOUT): the test
// holds a SHARE lock on "user", so the sign-up's INSERT waits for it, visibly in
// pg_locks. Only then is the context cancelled; the lock is released
// once shutdown has begun.
func TestRunFinishesInFlightRequest(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	r := startRun(t, map[string]string{"PORT": "0", "DATABASE_URL": url, "BCRYPT_COST": "4"})
	ctx := t.Context()

	locker, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close(context.Background())
	tx, err := locker.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, `LOCK TABLE "user" IN SHARE MODE`); err != nil { // reads pass, inserts wait
		t.Fatal(err)
	}

	// A connection of its own: no idle keep-alive connection for Shutdown to
	// close under the request.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	type answer struct {
		status int
		body   []byte
		err    error
	}
	got := make(chan answer, 1)
	go func() {
		body := `{"query":"mutation { createUser(input: {username: \"slowpoke\", email: \"slow@example.com\", password: \"slowpass12\"}) { id } }"}`
		req, _ := http.NewRequest(http.MethodPost, r.URL+"/graphql", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			got <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- answer{status: resp.StatusCode, body: b, err: err}
	}()

	// Wait until the sign-up's INSERT is blocked on the lock: the handler is running.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var waiting int
		// pg_locks, not pg_stat_activity: the INSERT waits while being parsed,
		// before pg_stat_activity shows its text.
		err := locker.QueryRow(ctx, `SELECT count(*) FROM pg_locks
			WHERE relation = '"user"'::regclass AND mode = 'RowExclusiveLock' AND NOT granted`).Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		select {
		case a := <-got:
			t.Fatalf("the sign-up finished while the table was locked: %d %s %v", a.status, a.body, a.err)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sign-up never reached its INSERT\nlog:\n%s", r.logs)
		}
	}

	r.cancel()
	// Shutdown has begun and waits for the request: run must not return yet.
	for !strings.Contains(r.logs.String(), "shutting down") {
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case err := <-r.done:
		r.done <- err
		t.Fatalf("run returned %v while a request was in flight", err)
	case a := <-got:
		t.Fatalf("the request ended while its INSERT was blocked: %d %s %v", a.status, a.body, a.err)
	case <-time.After(300 * time.Millisecond):
	}

	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	var a answer
	select {
	case a = <-got:
	case <-time.After(20 * time.Second):
		t.Fatalf("no answer to the in-flight request\nlog:\n%s", r.logs)
	}
	if a.err != nil || a.status != http.StatusOK {
		t.Fatalf("in-flight createUser = %d %s %v, want 200", a.status, a.body, a.err)
	}
	var res apptest.GraphQLResponse
	if err := json.Unmarshal(a.body, &res); err != nil || len(res.Errors) > 0 || !strings.Contains(string(res.Data), `"id"`) {
		t.Errorf("in-flight createUser = %s, want data with the new id", a.body)
	}
	if err := r.stop(t, 10*time.Second); err != nil {
		t.Errorf("run = %v, want nil", err)
	}
	if logs := r.logs.String(); !strings.Contains(logs, "msg=stopped") {
		t.Errorf("log lacks stopped:\n%s", logs)
	}
	// The server is gone: a new connection is refused.
	if resp, err := http.Get(r.URL + "/healthz"); err == nil {
		resp.Body.Close()
		t.Errorf("server still answering after run returned: %d", resp.StatusCode)
	}
}
