package faults

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"users/internal/apptest"
)

// replica is one server process, as an operator runs it.
type replica struct {
	*apptest.Process
	apptest.Client
}

// replicaEnv is what every replica runs with: dev (so /metrics is on the
// public port), JSON logs, the cheapest bcrypt, no rate limits; extra
// KEY=VALUE pairs are added (and win).
func replicaEnv(extra ...string) []string {
	env := []string{"PORT=0", "APP_ENV=dev", "LOG_FORMAT=json", "BCRYPT_COST=4", "DB_MAX_CONNS=8",
		"RATE_LIMIT_LOGIN=0", "RATE_LIMIT_SIGNUP=0", "RATE_LIMIT_TOKEN=0", "SHUTDOWN_TIMEOUT=5s"}
	for _, k := range []string{"PATH", "HOME", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return append(env, extra...)
}

// startReplica starts the server binary with replicaEnv(extra...) and waits
// until it listens.
func startReplica(t *testing.T, extra ...string) *replica {
	t.Helper()
	cmd := exec.Command(serverBin)
	cmd.Env = replicaEnv(extra...)
	p := apptest.StartProcess(t, cmd)
	base := p.WaitListening(t, 60*time.Second)
	return &replica{Process: p, Client: apptest.Client{URL: base, HTTP: &http.Client{Timeout: 15 * time.Second}}}
}

// startReplicas starts n replicas at once and waits until all listen.
func startReplicas(t *testing.T, n int, extra ...string) []*replica {
	t.Helper()
	ps := make([]*apptest.Process, n)
	for i := range ps {
		cmd := exec.Command(serverBin)
		cmd.Env = replicaEnv(extra...)
		ps[i] = apptest.StartProcess(t, cmd)
	}
	rs := make([]*replica, n)
	for i, p := range ps {
		base := p.WaitListening(t, 60*time.Second)
		rs[i] = &replica{Process: p, Client: apptest.Client{URL: base, HTTP: &http.Client{Timeout: 15 * time.Second}}}
	}
	return rs
}

// waitLog waits until the replica has logged a line whose msg starts with
// msg.
func (r *replica) waitLog(t *testing.T, msg string, within time.Duration) {
	t.Helper()
	apptest.Eventually(t, within, "log line "+msg, func() bool { return r.logged(msg) > 0 })
}

// logged counts the replica's log lines whose msg starts with msg.
func (r *replica) logged(msg string) int {
	n := 0
	for line := range strings.Lines(r.Stdout.String()) {
		var rec struct{ Msg string }
		if json.Unmarshal([]byte(line), &rec) == nil && strings.HasPrefix(rec.Msg, msg) {
			n++
		}
	}
	return n
}

// metric reads one series (such as `session_cache_verified` or
// `session_cache_lookups_total{result="hit"}`) from the replica's /metrics;
// -1 when it is not there.
func (r *replica) metric(t *testing.T, series string) float64 {
	t.Helper()
	resp, err := r.HTTP.Get(r.URL + "/metrics")
	if err != nil {
		t.Fatalf("/metrics: %v", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", sc.Text(), err)
			}
			return f
		}
	}
	return -1
}

// The requests the scenarios send, without a testing.TB so goroutines can
// send them: each returns what failed instead of failing the test.

// signUp posts a legacy REST sign-up (with info) and returns the status and
// the envelope's meta code.
func (r *replica) signUp(ctx context.Context, email string) (status, code int, err error) {
	body := fmt.Sprintf(`{"username": "user%d", "email": %q, "password": "test1234", "info": {"team": "core", "n": %d}}`,
		len(email), email, len(email))
	return r.restCall(ctx, http.MethodPost, "/v1/users", "", body)
}

// login logs in over REST and returns the token.
func (r *replica) login(ctx context.Context, email string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL+"/v1/users/self/login", strings.NewReader(
		fmt.Sprintf(`{"email": %q, "password": "test1234"}`, email)))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	b, status, err := r.send(req)
	if err != nil {
		return "", err
	}
	var env struct {
		Data struct{ Token string }
	}
	if status != http.StatusOK || json.Unmarshal(b, &env) != nil || env.Data.Token == "" {
		return "", fmt.Errorf("login %s: %d %.200s", email, status, b)
	}
	return env.Data.Token, nil
}

// list reads GET /v1/users with token and returns the status and meta code.
func (r *replica) list(ctx context.Context, token string) (status, code int, err error) {
	return r.restCall(ctx, http.MethodGet, "/v1/users?limit=20", token, "")
}

// me asks GraphQL who token is and returns the error code ("" for none).
func (r *replica) me(ctx context.Context, token string) (string, error) {
	resp, err := r.PostGraphQL(ctx, token, `{ me { username } }`, nil)
	if err != nil {
		return "", err
	}
	return resp.Code(), nil
}

func (r *replica) restCall(ctx context.Context, method, path, token, body string) (status, code int, err error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.URL+path, rd)
	if err != nil {
		return 0, 0, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	b, status, err := r.send(req)
	if err != nil {
		return 0, 0, err
	}
	var env struct{ Meta struct{ Code int } }
	if err := json.Unmarshal(b, &env); err != nil || env.Meta.Code == 0 {
		return status, 0, fmt.Errorf("%s %s: %d, not the legacy envelope: %.200q", method, path, status, b)
	}
	return status, env.Meta.Code, nil
}

func (r *replica) send(req *http.Request) ([]byte, int, error) {
	resp, err := r.HTTP.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return b, resp.StatusCode, err
}

// jsonLine decodes one JSON log line into v.
func jsonLine(line string, v any) bool { return json.Unmarshal([]byte(line), v) == nil }
