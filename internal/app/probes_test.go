package app_test

import (
	"encoding/json"
	"net"
	"net/http"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"users/internal/apptest"
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
