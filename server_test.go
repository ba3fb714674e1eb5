package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fernet/fernet-go"
	"github.com/jackc/pgx/v5"

	"users/internal/config"
	"users/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// syncBuffer is a goroutine-safe io.Writer for run's log.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func mapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

var (
	textAddr = regexp.MustCompile(`\baddr=(\S+)`)
	jsonAddr = regexp.MustCompile(`"addr":"([^"]+)"`)
)

// listenAddr finds the `listening` line in a text or JSON log and returns a
// dialable host:port ("[::]:PORT" becomes "127.0.0.1:PORT").
func listenAddr(log string) (string, bool) {
	for line := range strings.Lines(log) {
		if !strings.Contains(line, "msg=listening") && !strings.Contains(line, `"msg":"listening"`) {
			continue
		}
		m := textAddr.FindStringSubmatch(line)
		if m == nil {
			m = jsonAddr.FindStringSubmatch(line)
		}
		if m == nil {
			continue
		}
		_, port, err := net.SplitHostPort(m[1])
		if err != nil {
			continue
		}
		return net.JoinHostPort("127.0.0.1", port), true
	}
	return "", false
}

func TestListenAddr(t *testing.T) {
	for _, c := range []struct{ log, want string }{
		{"time=2026-01-01T00:00:00Z level=INFO msg=migrated applied=0\ntime=2026-01-01T00:00:00Z level=INFO msg=listening addr=[::]:41234 env=local\n", "127.0.0.1:41234"},
		{`{"time":"2026-01-01T00:00:00Z","level":"INFO","msg":"listening","addr":"[::]:5000","env":"live"}` + "\n", "127.0.0.1:5000"},
		{`{"msg":"listening","addr":"0.0.0.0:80"}`, "127.0.0.1:80"},
	} {
		if got, ok := listenAddr(c.log); !ok || got != c.want {
			t.Errorf("listenAddr(%q) = %q, %v; want %q", c.log, got, ok, c.want)
		}
	}
	if got, ok := listenAddr("level=INFO msg=migrated addr=[::]:1\n"); ok {
		t.Errorf("listenAddr took %q from a line that is not `listening`", got)
	}
}

// running is run() started in a goroutine.
type running struct {
	base   string // http://127.0.0.1:PORT
	logs   *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

// startRun starts run(ctx, {"server"}, env, logs) and waits until it listens and
// /healthz answers 200. It is stopped at the end of the test if still running.
func startRun(t *testing.T, env map[string]string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{logs: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- run(ctx, []string{"server"}, mapEnv(env), r.logs) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(30 * time.Second):
			t.Errorf("run did not return at cleanup")
		}
	})

	deadline := time.Now().Add(60 * time.Second)
	for {
		if addr, ok := listenAddr(r.logs.String()); ok {
			r.base = "http://" + addr
			break
		}
		select {
		case err := <-r.done:
			t.Fatalf("run returned before listening: %v\nlog:\n%s", err, r.logs)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no listening line in:\n%s", r.logs)
		}
	}
	for {
		resp, err := http.Get(r.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return r
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz never answered 200 (last: %v, %v)\nlog:\n%s", resp, err, r.logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
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

type gqlResult struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message string `json:"message"`
	} `json:"errors"`
}

func postGraphQL(t *testing.T, client *http.Client, base, token, query string, vars map[string]any) (int, gqlResult) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("POST /graphql: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("POST /graphql: read: %v", err)
	}
	var r gqlResult
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("POST /graphql: %d %s: %v", resp.StatusCode, b, err)
	}
	if len(r.Errors) > 0 {
		t.Errorf("POST /graphql: errors %+v", r.Errors)
	}
	return resp.StatusCode, r
}

const (
	createUserMutation = `mutation($in: CreateUserInput!) { createUser(input: $in) { id username email } }`
	loginMutation      = `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token user { id email } } }`
)

func getStatus(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestRunServes(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"PORT": "0", "DATABASE_URL": testdb.NewURL(t), "BCRYPT_COST": "4"}
			if format == "json" {
				env["LOG_FORMAT"] = "json"
			}
			r := startRun(t, env)

			if s := getStatus(t, r.base+"/readyz"); s != http.StatusOK {
				t.Errorf("/readyz = %d, want 200", s)
			}

			status, res := postGraphQL(t, http.DefaultClient, r.base, "", createUserMutation,
				map[string]any{"in": map[string]any{"username": "smoke", "email": "smoke@example.com", "password": "smokepass1"}})
			var created struct {
				CreateUser struct{ ID, Username, Email string }
			}
			if err := json.Unmarshal(res.Data, &created); status != http.StatusOK || err != nil || created.CreateUser.ID == "" {
				t.Fatalf("createUser = %d %s (%v)", status, res.Data, err)
			}
			status, res = postGraphQL(t, http.DefaultClient, r.base, "", loginMutation,
				map[string]any{"e": "smoke@example.com", "p": "smokepass1"})
			var login struct {
				Login struct {
					Token string
					User  struct{ ID, Email string }
				}
			}
			if err := json.Unmarshal(res.Data, &login); status != http.StatusOK || err != nil || login.Login.Token == "" {
				t.Fatalf("login = %d %s (%v)", status, res.Data, err)
			}
			if login.Login.User.ID != created.CreateUser.ID {
				t.Errorf("login user %q, created %q", login.Login.User.ID, created.CreateUser.ID)
			}
			_, res = postGraphQL(t, http.DefaultClient, r.base, login.Login.Token, `{ me { email } }`, nil)
			if !strings.Contains(string(res.Data), `"smoke@example.com"`) {
				t.Errorf("me = %s", res.Data)
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
		req, _ := http.NewRequest(http.MethodPost, r.base+"/graphql", strings.NewReader(body))
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
	var res gqlResult
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
	if resp, err := http.Get(r.base + "/healthz"); err == nil {
		resp.Body.Close()
		t.Errorf("server still answering after run returned: %d", resp.StatusCode)
	}
}

func TestRunMigrate(t *testing.T) {
	t.Parallel()
	url := testdb.Empty(t)
	for i, want := range []string{"applied=2", "applied=0"} {
		var out syncBuffer
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		err := run(ctx, []string{"server", "migrate"}, mapEnv(map[string]string{"DATABASE_URL": url}), &out)
		cancel()
		if err != nil {
			t.Fatalf("migrate #%d: %v\n%s", i+1, err, out.String())
		}
		if !strings.Contains(out.String(), "msg=migrated") {
			t.Errorf("migrate #%d log lacks the migrated line:\n%s", i+1, out.String())
		}
		// The applied count depends on the migration files; only the second run's 0 is fixed.
		if i == 1 && !strings.Contains(out.String(), want) {
			t.Errorf("second migrate log lacks %s:\n%s", want, out.String())
		}
		if strings.Contains(out.String(), "listening") {
			t.Errorf("migrate started serving:\n%s", out.String())
		}
	}
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var width int
	if err := conn.QueryRow(t.Context(), `SELECT character_maximum_length FROM information_schema.columns
		WHERE table_schema = 'public' AND table_name = 'user' AND column_name = 'sid'`).Scan(&width); err != nil || width != 64 {
		t.Errorf("after migrate: sid width %d, %v; want 64 (every migration applied)", width, err)
	}
}

func TestRunGenkey(t *testing.T) {
	var keys []string
	for range 2 {
		var out syncBuffer
		if err := run(t.Context(), []string{"server", "genkey"}, mapEnv(nil), &out); err != nil {
			t.Fatalf("genkey: %v", err)
		}
		s := out.String()
		if !strings.HasSuffix(s, "\n") || strings.Count(s, "\n") != 1 {
			t.Errorf("genkey output %q, want one line", s)
		}
		line := strings.TrimSuffix(s, "\n")
		k, err := fernet.DecodeKey(line)
		if err != nil {
			t.Fatalf("genkey printed %q: %v", line, err)
		}
		if k.Encode() != line {
			t.Errorf("genkey printed %q, not the URL-safe base64 form %q", line, k.Encode())
		}
		// The key works as a live SECRET_KEY.
		if _, err := config.Load(mapEnv(map[string]string{"APP_ENV": "live", "DATABASE_URL": "postgres://x/y", "SECRET_KEY": line})); err != nil {
			t.Errorf("genkey's key refused as SECRET_KEY: %v", err)
		}
		keys = append(keys, line)
	}
	if keys[0] == keys[1] {
		t.Errorf("genkey printed the same key twice: %s", keys[0])
	}
}

func TestRunRefuses(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want []string
	}{
		{"unknown subcommand", []string{"server", "bogus"}, nil, []string{"bogus"}},
		{"live without SECRET_KEY and DATABASE_URL", []string{"server"}, map[string]string{"APP_ENV": "live"}, []string{"SECRET_KEY", "DATABASE_URL"}},
		{"live migrate without SECRET_KEY and DATABASE_URL", []string{"server", "migrate"}, map[string]string{"APP_ENV": "live"}, []string{"SECRET_KEY", "DATABASE_URL"}},
		{"live with the legacy key", []string{"server"},
			map[string]string{"APP_ENV": "live", "DATABASE_URL": "postgres://postgres@127.0.0.1:1/none", "SECRET_KEY": config.LegacyKey}, []string{"SECRET_KEY", "legacy"}},
		{"live with the legacy key first of two", []string{"server"},
			map[string]string{"APP_ENV": "live", "DATABASE_URL": "postgres://postgres@127.0.0.1:1/none", "SECRET_KEY": config.LegacyKey + "," + newKey(t)}, []string{"SECRET_KEY", "legacy"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out syncBuffer
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := run(ctx, tt.args, mapEnv(tt.env), &out)
			if err == nil {
				t.Fatalf("run accepted it\nlog:\n%s", out.String())
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not name %s", msg, w)
				}
			}
			if strings.ContainsAny(msg, "\r\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			if strings.Contains(out.String(), "listening") {
				t.Errorf("it started serving:\n%s", out.String())
			}
		})
	}
}

func newKey(t *testing.T) string {
	t.Helper()
	var k fernet.Key
	if err := k.Generate(); err != nil {
		t.Fatal(err)
	}
	return k.Encode()
}

// TestBinarySIGTERM builds the real binary, starts it and stops it with SIGTERM:
// exit code 0 and the stopped line.
func TestBinarySIGTERM(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "server")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "PORT=0", "DATABASE_URL="+testdb.NewURL(t), "APP_ENV=local", "LOG_FORMAT=text")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	var logs syncBuffer
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			logs.Write([]byte(sc.Text() + "\n"))
		}
		exited <- cmd.Wait() // after stdout is drained, as StdoutPipe requires
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-exited
		}
	})

	var base string
	deadline := time.Now().Add(60 * time.Second)
	for base == "" {
		if addr, ok := listenAddr(logs.String()); ok {
			base = "http://" + addr
			break
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("server exited before listening: %v\nstdout:\n%s\nstderr:\n%s", err, logs.String(), stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no listening line\nstdout:\n%s\nstderr:\n%s", logs.String(), stderr.String())
		}
	}
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz never answered 200: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("server exited with %v after SIGTERM, want code 0\nstderr:\n%s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("server still running 10 s after SIGTERM\nstdout:\n%s", logs.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
	if !strings.Contains(logs.String(), "msg=stopped") {
		t.Errorf("no stopped line:\n%s", logs.String())
	}
}
