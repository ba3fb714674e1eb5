package pglocal

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func testLogger(t *testing.T) *slog.Logger {
	t.Helper()
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// TestEnsure finds (or, on a machine with a stopped system cluster, starts) a server
// and checks it answers. It does not stop the system cluster.
func TestEnsure(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	defaultUp := ping(ctx, localURL(defaultPort)) == nil

	u, stop, err := Ensure(ctx, testLogger(t))
	if err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	defer stop()
	if defaultUp && u != "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable" {
		t.Errorf("Ensure = %q, want the server on 5432", u)
	}
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatalf("connect to %s: %v", u, err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&n); err != nil || n != 1 {
		t.Fatalf("SELECT 1 = %d, %v", n, err)
	}
}

// TestStartThrowaway starts a private cluster, uses it and stops it. It takes a few
// seconds; it is skipped only under -short outside CI, and when PostgreSQL is not
// installed outside CI.
func TestStartThrowaway(t *testing.T) {
	ci := os.Getenv("CI") != ""
	if testing.Short() && !ci {
		t.Skip("starts a PostgreSQL cluster; skipped with -short")
	}
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()

	t0 := time.Now()
	u, stop, err := startThrowaway(ctx, testLogger(t))
	if errors.Is(err, ErrNotInstalled) && !ci {
		t.Skip(err)
	}
	if err != nil {
		t.Fatalf("startThrowaway: %v", err)
	}
	stopped := false
	defer func() {
		if !stopped {
			stop()
		}
	}()
	t.Logf("throwaway cluster at %s after %s", u, time.Since(t0).Round(time.Millisecond))
	if strings.Contains(u, ":5432/") {
		t.Errorf("throwaway URL %q uses the default port", u)
	}

	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	var sockDir, dataDir string
	err = conn.QueryRow(ctx, "SELECT current_setting('unix_socket_directories'), current_setting('data_directory')").Scan(&sockDir, &dataDir)
	if err != nil {
		t.Fatalf("settings: %v", err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE t (id int); INSERT INTO t VALUES (1)"); err != nil {
		t.Fatalf("write: %v", err)
	}
	conn.Close(ctx)
	if filepath.Dir(dataDir) != sockDir {
		t.Errorf("socket directory %q is not the cluster's directory (data in %q)", sockDir, dataDir)
	}

	stop()
	stopped = true
	stop() // idempotent
	if _, err := os.Stat(sockDir); !os.IsNotExist(err) {
		t.Errorf("cluster directory %s still there after stop (stat: %v)", sockDir, err)
	}
	if err := ping(ctx, u); err == nil {
		t.Errorf("server at %s still answers after stop", u)
	}
}

// TestThrowawayStopStart: a stopped cluster refuses connections and, started
// again, serves the same data on the same URL.
func TestThrowawayStopStart(t *testing.T) {
	ci := os.Getenv("CI") != ""
	if testing.Short() && !ci {
		t.Skip("starts a PostgreSQL cluster; skipped with -short")
	}
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	pg, err := StartThrowaway(ctx, testLogger(t))
	if errors.Is(err, ErrNotInstalled) && !ci {
		t.Skip(err)
	}
	if err != nil {
		t.Fatalf("StartThrowaway: %v", err)
	}
	defer pg.Close()
	exec := func(sql string) error {
		conn, err := pgx.Connect(ctx, pg.URL)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := exec("CREATE TABLE kept (id int)"); err != nil {
		t.Fatal(err)
	}
	if err := pg.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ping(ctx, pg.URL); err == nil {
		t.Fatal("a stopped cluster answers")
	}
	if err := pg.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := exec("SELECT * FROM kept"); err != nil {
		t.Errorf("after a restart: %v", err)
	}
}

func TestParseClusters(t *testing.T) {
	out := []byte(`15  main    5432 down   postgres /var/lib/postgresql/15/main /var/log/postgresql/postgresql-15-main.log
16  other   5433 online,recovery postgres /var/lib/postgresql/16/other /var/log/postgresql/postgresql-16-other.log

garbage
`)
	got := parseClusters(out)
	want := []cluster{
		{Version: "15", Name: "main", Port: 5432, Status: "down"},
		{Version: "16", Name: "other", Port: 5433, Status: "online,recovery"},
	}
	if len(got) != len(want) {
		t.Fatalf("parseClusters = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("cluster %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestCompareVersions(t *testing.T) {
	for _, c := range []struct {
		a, b string
		sign int
	}{
		{"9.6", "10", -1},
		{"16", "15", 1},
		{"15", "15", 0},
		{"9.6", "9.5", 1},
	} {
		got := compareVersions(c.a, c.b)
		if (got > 0) != (c.sign > 0) || (got < 0) != (c.sign < 0) {
			t.Errorf("compareVersions(%q, %q) = %d, want sign %d", c.a, c.b, got, c.sign)
		}
	}
	if v := versionOf("/usr/pgsql-9.6/bin"); v != "9.6" {
		t.Errorf("versionOf = %q", v)
	}
	if v := versionOf("/usr/lib/postgresql/16/bin"); v != "16" {
		t.Errorf("versionOf = %q", v)
	}
}

func TestShellQuote(t *testing.T) {
	if got := shellQuote(`/tmp/it's`); got != `'/tmp/it'\''s'` {
		t.Errorf("shellQuote = %s", got)
	}
}
