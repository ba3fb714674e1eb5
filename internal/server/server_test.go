package server_test

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"users/internal/app"
	"users/internal/apptest"
	"users/internal/config"
	"users/internal/ratelimit/redistest"
	"users/internal/server"
	"users/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// These tests count goroutines, so none of them runs in parallel.

// started is a Serve running in a goroutine.
type started struct {
	addrs  server.Addrs
	logs   *apptest.Buffer
	cancel context.CancelFunc
	done   chan error
}

// serve builds the service on pool and runs server.Serve with cfg. The
// service's Background gets extra appended.
func serve(t *testing.T, cfg config.Config, pool *pgxpool.Pool, extra ...func(context.Context) error) *started {
	t.Helper()
	s := &started{logs: &apptest.Buffer{}, done: make(chan error, 1)}
	log := slog.New(slog.NewJSONHandler(s.logs, nil))
	svc, err := app.New(log, cfg, pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc.Background = append(svc.Background, extra...)
	var ctx context.Context
	ctx, s.cancel = context.WithCancel(context.Background())
	t.Cleanup(s.cancel)
	ready := make(chan server.Addrs, 1)
	go func() { s.done <- server.Serve(ctx, log, cfg, svc, func(a server.Addrs) { ready <- a }) }()
	select {
	case s.addrs = <-ready:
	case err := <-s.done:
		t.Fatalf("Serve: %v\nlog:\n%s", err, s.logs)
	}
	return s
}

// wait returns Serve's result, failing the test after d.
func (s *started) wait(t *testing.T, d time.Duration) error {
	t.Helper()
	select {
	case err := <-s.done:
		return err
	case <-time.After(d):
		t.Fatalf("Serve did not return within %s\nlog:\n%s", d, s.logs)
		return nil
	}
}

// newPool returns a pool on a fresh database and the number of goroutines
// running once it is open (the pool has goroutines of its own): the count
// to return to after a Serve on it.
func newPool(t *testing.T) (*pgxpool.Pool, int) {
	t.Helper()
	pool := testdb.New(t)
	return pool, runtime.NumGoroutine()
}

// wantGoroutines fails the test unless the goroutine count is back to at
// most n within a few seconds (exiting goroutines take a moment to be
// counted out), and dumps every goroutine if not.
func wantGoroutines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines still running, want at most %d:\n%s", runtime.NumGoroutine(), n, buf)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// wantClosed fails the test if anything accepts a connection at addr.
func wantClosed(t *testing.T, what, addr string) {
	t.Helper()
	host := strings.TrimPrefix(apptest.BaseURL(addr), "http://")
	if c, err := net.DialTimeout("tcp", host, time.Second); err == nil {
		c.Close()
		t.Errorf("the %s listener (%s) still accepts connections", what, addr)
	}
}

// TestServeStopsEverything runs the service with every listener and every
// background goroutine busy (a session cached, Redis counting), ends its
// context, and checks that Serve returns nil, every port is closed and no
// goroutine is left.
func TestServeStopsEverything(t *testing.T) {
	cfg := apptest.Config()
	cfg.MetricsAddr, cfg.PprofAddr = "127.0.0.1:0", "127.0.0.1:0"
	// A client name of its own, to find this server's Redis connections.
	redisName := "lifecycle-" + strings.ToLower(rand.Text()[:10])
	cfg.RedisURL = redistest.URL(t) + "?client_name=" + redisName
	rdb := redistest.Client(t)
	cfg.LoginLimit = config.Rate{Count: 100, Window: time.Minute}
	pool, before := newPool(t)

	s := serve(t, cfg, pool)
	client := &http.Client{Transport: &http.Transport{}}
	api := apptest.Client{URL: apptest.BaseURL(s.addrs.Public)}
	api.SignUp(t, "lifecycle", "lifecycle@example.com", "lifecycle1")
	token := api.Login(t, "lifecycle@example.com", "lifecycle1")
	if r := api.GraphQL(t, token, `{ me { email } }`, nil); !strings.Contains(string(r.Data), "lifecycle@example.com") {
		t.Errorf("me = %s %+v", r.Data, r.Errors)
	}
	for what, url := range map[string]string{
		"public":  apptest.BaseURL(s.addrs.Public) + "/healthz",
		"metrics": apptest.BaseURL(s.addrs.Metrics) + "/metrics",
		"pprof":   apptest.BaseURL(s.addrs.Pprof) + "/debug/pprof/",
	} {
		resp, err := client.Get(url)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s %s = %d, want 200", what, url, resp.StatusCode)
		}
	}

	// What the checks below look for is there while it runs.
	apptest.Eventually(t, 5*time.Second, "the session cache listens", func() bool { return listeners(t, pool) == 1 })
	apptest.Eventually(t, 5*time.Second, "the rate limiter is connected to Redis", func() bool { return redisClient(t, rdb, redisName) })

	s.cancel()
	if err := s.wait(t, 15*time.Second); err != nil {
		t.Fatalf("Serve = %v, want nil after its context ended\nlog:\n%s", err, s.logs)
	}
	for _, want := range []string{`"msg":"shutting down"`, `"msg":"stopped"`} {
		if !strings.Contains(s.logs.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, s.logs)
		}
	}
	wantClosed(t, "public", s.addrs.Public)
	wantClosed(t, "metrics", s.addrs.Metrics)
	wantClosed(t, "pprof", s.addrs.Pprof)
	client.CloseIdleConnections()
	http.DefaultClient.CloseIdleConnections()
	wantGoroutines(t, before)

	// Connections hold no goroutine here: count them on the servers' side.
	apptest.Eventually(t, 5*time.Second, "the session cache's LISTEN connection is closed", func() bool { return listeners(t, pool) == 0 })
	apptest.Eventually(t, 5*time.Second, "the rate limiter's Redis connections are closed", func() bool { return !redisClient(t, rdb, redisName) })
}

// listeners counts the connections to pool's database that last ran LISTEN:
// the session cache's.
func listeners(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	err := pool.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN%'`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// redisClient reports whether Redis has a connection named name.
func redisClient(t *testing.T, rdb *redis.Client, name string) bool {
	t.Helper()
	list, err := rdb.ClientList(t.Context()).Result()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Contains(list, " name="+name+" ")
}

// TestServeBusyAddress: a listener that cannot open fails Serve at once,
// naming its setting, and leaves nothing open or running.
func TestServeBusyAddress(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	pool, before := newPool(t)
	for _, setting := range []string{"METRICS_ADDR", "PPROF_ADDR"} {
		cfg := apptest.Config()
		cfg.MetricsAddr, cfg.PprofAddr = "127.0.0.1:0", "127.0.0.1:0"
		if setting == "METRICS_ADDR" {
			cfg.MetricsAddr = busy.Addr().String()
		} else {
			cfg.PprofAddr = busy.Addr().String()
		}
		svc, err := app.New(slog.New(slog.DiscardHandler), cfg, pool, nil)
		if err != nil {
			t.Fatal(err)
		}
		readyCalled := false
		err = server.Serve(t.Context(), slog.New(slog.DiscardHandler), cfg, svc, func(server.Addrs) { readyCalled = true })
		if err == nil || !strings.Contains(err.Error(), setting) {
			t.Errorf("Serve with a busy %s = %v, want an error naming it", setting, err)
		}
		if readyCalled {
			t.Errorf("busy %s: ready was called", setting)
		}
	}
	wantGoroutines(t, before)
}

// TestServeStopsOnFailure: background work that fails stops the listeners,
// and Serve returns its error.
func TestServeStopsOnFailure(t *testing.T) {
	cfg := apptest.Config()
	cfg.MetricsAddr = "127.0.0.1:0"
	pool, before := newPool(t)
	fail := make(chan struct{})
	boom := errors.New("boom")
	s := serve(t, cfg, pool, func(ctx context.Context) error {
		select {
		case <-fail:
			return boom
		case <-ctx.Done():
			return nil
		}
	})
	if status := (apptest.Client{URL: apptest.BaseURL(s.addrs.Public)}).Status(t, "/healthz"); status != http.StatusOK {
		t.Fatalf("/healthz = %d", status)
	}
	close(fail)
	if err := s.wait(t, 15*time.Second); !errors.Is(err, boom) {
		t.Fatalf("Serve = %v, want the background work's error", err)
	}
	wantClosed(t, "public", s.addrs.Public)
	wantClosed(t, "metrics", s.addrs.Metrics)
	http.DefaultClient.CloseIdleConnections()
	wantGoroutines(t, before)
}

func TestCheckPprofAddr(t *testing.T) {
	for _, c := range []struct {
		env, addr string
		ok        bool
	}{
		{config.EnvLive, "", true},
		{config.EnvLive, "127.0.0.1:6060", true},
		{config.EnvLive, "localhost:6060", true},
		{config.EnvLive, ":6060", false},
		{config.EnvLive, "0.0.0.0:6060", false},
		{config.EnvLocal, ":6060", true},
		{config.EnvDev, "10.0.0.1:6060", true},
	} {
		err := server.CheckPprofAddr(config.Config{Env: c.env, PprofAddr: c.addr})
		if (err == nil) != c.ok {
			t.Errorf("%s PPROF_ADDR=%q: %v, want ok=%v", c.env, c.addr, err, c.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "PPROF_ADDR") {
			t.Errorf("error does not name PPROF_ADDR: %v", err)
		}
	}
}
