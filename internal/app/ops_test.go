package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"users/internal/app"
	"users/internal/apptest"
	"users/internal/config"
	"users/internal/migrate"
	"users/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func decodeStatus(t *testing.T, body []byte) string {
	t.Helper()
	var v struct{ Status string }
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("not a status body: %v: %s", err, body)
	}
	return v.Status
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	// A pool on a port nobody listens on: /healthz must not touch the database.
	srv := apptest.StartOn(t, apptest.Config(), unreachablePool(t))
	status, h, body := srv.Do(t, http.MethodGet, "/healthz", nil, "")
	if status != http.StatusOK || decodeStatus(t, body) != "ok" {
		t.Fatalf("/healthz = %d %s, want 200 ok", status, body)
	}
	if h.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", h.Get("Cache-Control"))
	}
}

// unreachablePool returns a pool on a local port that refuses connections
// (pgxpool connects lazily, so making it succeeds).
func unreachablePool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	pool, err := pgxpool.New(t.Context(), "postgres://nobody@"+addr+"/nothing?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// TestReadyz covers the readiness probe: ready on a migrated, reachable
// database, else 503 with the reason.
func TestReadyz(t *testing.T) {
	t.Parallel()
	check := func(t *testing.T, srv *apptest.Server, wantStatus int, wantReason string) {
		t.Helper()
		status, h, body := srv.Do(t, http.MethodGet, "/readyz", nil, "")
		if status != wantStatus || decodeStatus(t, body) != wantReason {
			t.Errorf("/readyz = %d %s, want %d %q", status, body, wantStatus, wantReason)
		}
		if h.Get("Content-Type") != "application/json" || h.Get("Cache-Control") != "no-store" {
			t.Errorf("headers: Content-Type %q, Cache-Control %q", h.Get("Content-Type"), h.Get("Cache-Control"))
		}
	}
	t.Run("ready", func(t *testing.T) {
		t.Parallel()
		check(t, apptest.Start(t, apptest.Config()), http.StatusOK, "ready")
	})
	t.Run("database unreachable", func(t *testing.T) {
		t.Parallel()
		check(t, apptest.StartOn(t, apptest.Config(), unreachablePool(t)), http.StatusServiceUnavailable, "database unreachable")
	})
	t.Run("pool closed after start", func(t *testing.T) {
		t.Parallel()
		srv := apptest.Start(t, apptest.Config())
		check(t, srv, http.StatusOK, "ready")
		srv.Pool.Close()
		check(t, srv, http.StatusServiceUnavailable, "database unreachable")
		// /healthz is about the process alone.
		if status, _, _ := srv.Do(t, http.MethodGet, "/healthz", nil, ""); status != http.StatusOK {
			t.Errorf("/healthz = %d with the database gone, want 200", status)
		}
	})
	t.Run("migrations pending", func(t *testing.T) {
		t.Parallel()
		pool, err := pgxpool.New(t.Context(), testdb.Empty(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		srv := apptest.StartOn(t, apptest.Config(), pool)
		check(t, srv, http.StatusServiceUnavailable, "migrations pending")
		if _, err := migrate.Up(t.Context(), pool); err != nil {
			t.Fatal(err)
		}
		check(t, srv, http.StatusOK, "ready")
	})
}

// logLines returns the decoded JSON log lines whose msg is msg.
func logLines(t *testing.T, logs string, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, sc.Bytes())
		}
		if line["msg"] == msg {
			out = append(out, line)
		}
	}
	return out
}

// accessLine returns the one access-log line with the given request id.
func accessLine(t *testing.T, srv *apptest.Server, id string) map[string]any {
	t.Helper()
	var found []map[string]any
	for _, l := range logLines(t, srv.Logs.String(), "request") {
		if l["request_id"] == id {
			found = append(found, l)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d access lines with request_id %q, want 1; logs:\n%s", len(found), id, srv.Logs.String())
	}
	return found[0]
}

var generatedID = regexp.MustCompile(`^[0-9a-f]{16}$`)

// TestAccessLog checks the one line per request: method, route pattern,
// status, duration, request id, client address and GraphQL operation name;
// and the request id taken from X-Request-Id when sane, else generated, and
// echoed back.
func TestAccessLog(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	srv.SignUp(t, "logger", "logger@gmail.com", "test1234")
	token := srv.Login(t, "logger@gmail.com", "test1234")

	t.Run("graphql operation and supplied id", func(t *testing.T) {
		const id = "lb-7f3a-0001"
		h := http.Header{"Content-Type": {"application/json"}, "Authorization": {token}, "X-Request-Id": {id}}
		status, rh, _ := srv.Do(t, http.MethodPost, "/graphql", h, `{"query": "query WhoAmI { me { username } }"}`)
		if status != http.StatusOK {
			t.Fatalf("status %d", status)
		}
		if got := rh.Get("X-Request-Id"); got != id {
			t.Errorf("X-Request-Id = %q, want the supplied %q", got, id)
		}
		line := accessLine(t, srv, id)
		// httptest serves on loopback: the client address is 127.0.0.1.
		want := map[string]any{"level": "INFO", "method": "POST", "route": "/graphql", "status": 200.0, "operation": "WhoAmI", "client_ip": "127.0.0.1"}
		for k, v := range want {
			if line[k] != v {
				t.Errorf("%s = %v, want %v (line %v)", k, line[k], v, line)
			}
		}
		if d, ok := line["duration_ms"].(float64); !ok || d <= 0 {
			t.Errorf("duration_ms = %v", line["duration_ms"])
		}
		if strings.Contains(fmt.Sprint(line), token) {
			t.Errorf("the token is in the access log: %v", line)
		}
	})
	t.Run("operation chosen by operationName", func(t *testing.T) {
		const id = "pick-op"
		h := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {id}}
		srv.Do(t, http.MethodPost, "/graphql", h, `{"query": "query A { __typename } query B { __typename }", "operationName": "B"}`)
		if got := accessLine(t, srv, id)["operation"]; got != "B" {
			t.Errorf("operation = %v, want B", got)
		}
	})
	t.Run("failed validation still names the operation", func(t *testing.T) {
		const id = "bad-op"
		h := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {id}}
		status, _, _ := srv.Do(t, http.MethodPost, "/graphql", h, `{"query": "query Broken { nope }"}`)
		line := accessLine(t, srv, id)
		if line["operation"] != "Broken" || line["status"] != float64(status) || status < 400 {
			t.Errorf("line %v (status %d)", line, status)
		}
	})
	t.Run("rest route pattern, not the path", func(t *testing.T) {
		const id = "rest-1"
		srv.Do(t, http.MethodGet, "/v1/users/12345", http.Header{"Authorization": {token}, "X-Request-Id": {id}}, "")
		line := accessLine(t, srv, id)
		if line["route"] != "/v1/users/{id}" || line["status"] != 404.0 || line["method"] != "GET" {
			t.Errorf("line %v", line)
		}
		if _, ok := line["operation"]; ok {
			t.Errorf("a REST line has an operation: %v", line)
		}
	})
	for _, bad := range []string{"has space", strings.Repeat("x", 129), "new\nline", "tab\there", "é"} {
		t.Run(fmt.Sprintf("insane id %.12q replaced", bad), func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/healthz", nil)
			req.Header["X-Request-Id"] = []string{bad} // set raw: the client would refuse some of these
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				if strings.Contains(bad, "\n") {
					return // Go's client refuses to send it at all
				}
				t.Fatal(err)
			}
			resp.Body.Close()
			got := resp.Header.Get("X-Request-Id")
			if !generatedID.MatchString(got) {
				t.Errorf("X-Request-Id = %q, want a generated id", got)
			}
			accessLine(t, srv, got)
		})
	}
	t.Run("generated when absent", func(t *testing.T) {
		_, h, _ := srv.Do(t, http.MethodGet, "/", nil, "")
		id := h.Get("X-Request-Id")
		if !generatedID.MatchString(id) {
			t.Fatalf("X-Request-Id = %q, want a generated id", id)
		}
		if line := accessLine(t, srv, id); line["route"] != "/" {
			t.Errorf("line %v", line)
		}
	})
	t.Run("probes at debug level", func(t *testing.T) {
		const id = "probe-1"
		srv.Do(t, http.MethodGet, "/healthz", http.Header{"X-Request-Id": {id}}, "")
		if line := accessLine(t, srv, id); line["level"] != "DEBUG" {
			t.Errorf("level = %v, want DEBUG", line["level"])
		}
	})
}

// TestErrorLogsCarryRequestID: an internal error, logged where it becomes a
// response, carries the request id of its access line, in REST and GraphQL.
func TestErrorLogsCarryRequestID(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	srv.Pool.Close() // every query now fails: an internal error
	h := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"rest-err"}}
	if status, _, body := srv.Do(t, http.MethodPost, "/v1/users", h, `{"username":"broken","email":"broken@gmail.com","password":"test1234"}`); status != 500 {
		t.Fatalf("status %d %s, want 500", status, body)
	}
	h.Set("X-Request-Id", "gql-err")
	srv.Do(t, http.MethodPost, "/graphql", h, `{"query": "mutation { login(email: \"broken@gmail.com\", password: \"test1234\") { token } }"}`)
	for msg, id := range map[string]string{"request failed": "rest-err", "graphql": "gql-err"} {
		lines := logLines(t, srv.Logs.String(), msg)
		if len(lines) != 1 || lines[0]["request_id"] != id || lines[0]["level"] != "ERROR" {
			t.Errorf("%q lines = %v, want one error with request_id %s", msg, lines, id)
		}
		accessLine(t, srv, id)
	}
}

// TestLogFormat checks the format defaults: JSON in live, readable text
// elsewhere, LOG_FORMAT overriding both.
func TestLogFormat(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, "text"},
		{map[string]string{"APP_ENV": "dev"}, "text"},
		{map[string]string{"APP_ENV": "live", "DATABASE_URL": "postgres://db/users", "SECRET_KEY": freshKey}, "json"},
		{map[string]string{"APP_ENV": "live", "DATABASE_URL": "postgres://db/users", "SECRET_KEY": freshKey, "LOG_FORMAT": "text"}, "text"},
		{map[string]string{"LOG_FORMAT": "json"}, "json"},
	} {
		cfg, err := config.Load(func(k string) string { return tc.env[k] })
		if err != nil {
			t.Fatalf("%v: %v", tc.env, err)
		}
		if cfg.LogFormat != tc.want {
			t.Errorf("%v: LogFormat = %q, want %q", tc.env, cfg.LogFormat, tc.want)
		}
	}
}

const freshKey = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="

func TestMetricsAddrConfig(t *testing.T) {
	t.Parallel()
	for addr, ok := range map[string]bool{"": true, ":9090": true, "127.0.0.1:9090": true, "[::1]:9090": true, "off": true, "9090": false, "localhost": false} {
		cfg, err := config.Load(func(k string) string { return map[string]string{"METRICS_ADDR": addr}[k] })
		if (err == nil) != ok {
			t.Errorf("METRICS_ADDR=%q: err = %v, want ok %v", addr, err, ok)
		}
		if ok && cfg.MetricsAddr != addr {
			t.Errorf("METRICS_ADDR=%q: MetricsAddr = %q", addr, cfg.MetricsAddr)
		}
	}
}

// scrape fetches url and returns the status and body.
func scrape(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestMetrics runs a few requests through the real service and finds each
// kind of metric in the scrape.
func TestMetrics(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	gql := func(body string) {
		srv.Do(t, http.MethodPost, "/graphql", http.Header{"Content-Type": {"application/json"}}, body)
	}
	gql(`{"query": "mutation SignUp { createUser(input: {username: \"metric\", email: \"metric@gmail.com\", password: \"test1234\"}) { id } }"}`)
	gql(`{"query": "mutation BadLogin { login(email: \"metric@gmail.com\", password: \"wrong1234\") { token } }"}`)
	gql(`{"query": "{ __typename }"}`)
	gql(`{"query": "query Broken { nope }"}`)
	gql(`{"query": "query ` + strings.Repeat("N", 100) + ` { __typename }"}`)
	srv.Do(t, http.MethodGet, "/v1/users/42", nil, "")
	srv.Do(t, http.MethodGet, "/v1/users/43", nil, "")
	srv.Do(t, "BREW", "/coffee", nil, "")

	status, body := scrape(t, srv.URL+"/metrics")
	if status != http.StatusOK {
		t.Fatalf("/metrics = %d", status)
	}
	for _, want := range []string{
		`http_requests_total{method="GET",route="/v1/users/{id}",status="401"} 2`,
		`http_request_duration_seconds_count{method="GET",route="/v1/users/{id}",status="401"} 2`,
		`http_requests_total{method="other",route="unmatched",status="404"} 1`,
		`graphql_operations_total{operation="SignUp",outcome="ok"} 1`,
		`graphql_operations_total{operation="BadLogin",outcome="error"} 1`,
		`graphql_operations_total{operation="anonymous",outcome="ok"} 1`,
		`graphql_operations_total{operation="Broken",outcome="error"} 1`,
		`graphql_operations_total{operation="` + strings.Repeat("N", 64) + `",outcome="ok"} 1`,
		fmt.Sprintf("pgxpool_max_conns %d", srv.Pool.Config().MaxConns),
		"pgxpool_acquired_conns ",
		"pgxpool_acquires_total ",
		"pgxpool_empty_acquires_total ",
		"bcrypt_in_flight 0",
		"go_goroutines ",
		"process_resident_memory_bytes ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	if strings.Contains(body, "/v1/users/42") {
		t.Errorf("a raw path became a label")
	}
}

// TestMetricsPlacement checks where /metrics is served: on the public router
// outside live unless METRICS_ADDR says otherwise; never there in live.
func TestMetricsPlacement(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env, addr string
		public    bool
	}{
		{config.EnvLocal, "", true},
		{config.EnvDev, "", true},
		{config.EnvLive, "", false},
		{config.EnvLocal, "off", false},
		{config.EnvLive, "off", false},
		{config.EnvLocal, "127.0.0.1:0", false},
		{config.EnvLive, "127.0.0.1:0", false},
	} {
		t.Run(tc.env+" "+tc.addr, func(t *testing.T) {
			t.Parallel()
			cfg := apptest.Config()
			cfg.Env, cfg.MetricsAddr = tc.env, tc.addr
			srv := apptest.Start(t, cfg)
			status, body := scrape(t, srv.URL+"/metrics")
			switch {
			case tc.public && (status != http.StatusOK || !strings.Contains(body, "go_goroutines")):
				t.Errorf("public /metrics = %d, want the metrics", status)
			case !tc.public && (status != http.StatusNotFound || !strings.Contains(body, `"code": 10`)):
				t.Errorf("public /metrics = %d %.80s, want the legacy 404 (code 10)", status, body)
			}
			lines := logLines(t, srv.Logs.String(), "metrics listening")
			if tc.addr == "" || tc.addr == "off" {
				if len(lines) != 0 {
					t.Errorf("a metrics listener started: %v", lines)
				}
				return
			}
			if len(lines) != 1 {
				t.Fatalf("metrics listening lines: %v", lines)
			}
			status, body = scrape(t, "http://"+lines[0]["addr"].(string)+"/metrics")
			if status != http.StatusOK || !strings.Contains(body, "pgxpool_max_conns") {
				t.Errorf("METRICS_ADDR /metrics = %d, want the metrics", status)
			}
		})
	}
}

// TestMetricsListenerLifecycle: a busy METRICS_ADDR fails start-up, and the
// listener closes when the context given to app.New ends.
func TestMetricsListenerLifecycle(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cfg := apptest.Config()
	cfg.MetricsAddr = busy.Addr().String()
	if _, err := app.New(t.Context(), log, cfg, pool); err == nil || !strings.Contains(err.Error(), "METRICS_ADDR") {
		t.Errorf("app.New on a busy METRICS_ADDR: err = %v", err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0") // find a free port
	if err != nil {
		t.Fatal(err)
	}
	cfg.MetricsAddr = ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(t.Context())
	h, err := app.New(ctx, log, cfg, pool)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	defer ts.Close()
	if status, _ := scrape(t, "http://"+cfg.MetricsAddr+"/metrics"); status != http.StatusOK {
		t.Fatalf("metrics listener = %d", status)
	}
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", cfg.MetricsAddr, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the metrics listener is still open after its context ended")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
