// Package apptest is the one test harness: it runs the real service in
// process, through the same serve loop as production (internal/server), on a
// fresh test database, and holds what black-box tests of GraphQL and REST
// over HTTP share: a client, the legacy envelope and GraphQL response types,
// a goroutine-safe buffer, and a child process running the server binary.
package apptest

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fernet/fernet-go"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/trace"

	"users/internal/app"
	"users/internal/config"
	"users/internal/server"
	"users/internal/testdb"
)

// Server is the service running in process on its own database. Its Client
// sends requests to the public listener.
type Server struct {
	Client
	MetricsURL string // METRICS_ADDR's listener; "" when it has none
	PprofURL   string // PPROF_ADDR's listener; "" when it has none
	Pool       *pgxpool.Pool
	Config     config.Config
	Logs       *Buffer // everything the service logged, as JSON lines
}

// Config is the test configuration: any free port, the legacy key, the
// cheapest bcrypt, no rate limits, everything on.
func Config() config.Config {
	keys, err := fernet.DecodeKeys(config.LegacyKey)
	if err != nil {
		panic(err)
	}
	return config.Config{
		Env:             config.EnvLocal,
		Port:            0,
		Keys:            keys,
		TokenTTL:        time.Hour,
		BcryptCost:      4,
		Playground:      true,
		Introspection:   true,
		APQ:             true,
		MaxBodyBytes:    64 << 10,
		DBMaxConns:      8,
		LogFormat:       "json",
		ShutdownTimeout: 5 * time.Second,

		InfoMaxBytes:            4096,
		GraphQLMaxResponseBytes: 2 << 20,
	}
}

// Start runs the service with cfg (usually Config() with changes) on a fresh
// migrated database, until the end of the test.
func Start(tb testing.TB, cfg config.Config) *Server {
	tb.Helper()
	return StartOn(tb, cfg, testdb.New(tb))
}

// StartOn runs the service on an existing pool (two servers on one pool are
// two replicas) until the end of the test, and returns once every listener
// is open. At the end of the test it stops the service and fails the test if
// the shutdown was not clean.
func StartOn(tb testing.TB, cfg config.Config, pool *pgxpool.Pool) *Server {
	tb.Helper()
	return StartTraced(tb, cfg, pool, nil)
}

// StartTraced is StartOn with tracing through tp (nil: off). The pool's
// queries are traced only if pool was made with a tracer
// (dbpool.Options.Tracer).
func StartTraced(tb testing.TB, cfg config.Config, pool *pgxpool.Pool, tp trace.TracerProvider) *Server {
	tb.Helper()
	logs := &Buffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	svc, err := app.New(log, cfg, pool, tp)
	if err != nil {
		tb.Fatalf("app.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan server.Addrs, 1)
	done := make(chan error, 1)
	go func() { done <- server.Serve(ctx, log, cfg, svc, func(a server.Addrs) { ready <- a }) }()
	var addrs server.Addrs
	select {
	case addrs = <-ready:
	case err := <-done:
		cancel()
		tb.Fatalf("server.Serve: %v", err)
	}
	// A client of its own, whose idle connections the cleanup closes first:
	// a connection the client opened but never used (it dials while it
	// waits for a busy one) would hold the shutdown for 5 s.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	tb.Cleanup(func() {
		transport.CloseIdleConnections()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				tb.Errorf("the server's shutdown: %v", err)
			}
		case <-time.After(cfg.ShutdownTimeout + 10*time.Second):
			tb.Errorf("the server did not stop within SHUTDOWN_TIMEOUT (%s)", cfg.ShutdownTimeout)
		}
	})
	return &Server{
		Client:     Client{URL: BaseURL(addrs.Public), HTTP: &http.Client{Transport: transport}},
		MetricsURL: BaseURL(addrs.Metrics),
		PprofURL:   BaseURL(addrs.Pprof),
		Pool:       pool,
		Config:     cfg,
		Logs:       logs,
	}
}

// SID returns the session id stored for the user with email, failing the
// test if there is none.
func (s *Server) SID(tb testing.TB, email string) string {
	tb.Helper()
	var sid string
	if err := s.Pool.QueryRow(tb.Context(), `SELECT sid FROM "user" WHERE email = $1`, email).Scan(&sid); err != nil {
		tb.Fatalf("read the sid of %s: %v", email, err)
	}
	return sid
}

// WaitSessionCache waits until the server's session cache is in use (its
// listener verified, as its log says), failing the test past 10 s.
func (s *Server) WaitSessionCache(tb testing.TB) {
	tb.Helper()
	Eventually(tb, 10*time.Second, "session cache verified", func() bool {
		return strings.Contains(s.Logs.String(), "session cache verified")
	})
}

// BaseURL returns http://host:port for a listener's address, dialing
// 127.0.0.1 where the listener is on every interface ("[::]:5000",
// ":5000"); "" for "".
func BaseURL(addr string) string {
	if addr == "" {
		return ""
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}
