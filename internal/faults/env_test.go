package faults

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"users/internal/pgadmin"
	"users/internal/pglocal"
)

// The infrastructure every test shares, set up by TestMain.
var (
	serverBin string             // the built server binary
	pg        *pglocal.Throwaway // PostgreSQL of its own
	bouncer   *pgBouncer         // PgBouncer in transaction mode in front of pg
	setupErr  error              // why the above are missing; tests skip or fail with it
)

func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

// run sets up, runs the tests and tears down; a missing program (PgBouncer,
// PostgreSQL) is left in setupErr for the tests to report.
func run(m *testing.M) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "faults-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	serverBin = filepath.Join(dir, "server")
	build := exec.CommandContext(ctx, "go", "build", "-o", serverBin, ".")
	build.Dir = moduleRoot()
	if out, err := build.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("go build: %v\n%s", err, out)
	}
	pg, err = pglocal.StartThrowaway(ctx, slog.New(slog.DiscardHandler))
	if err != nil {
		setupErr = err
		return m.Run(), nil
	}
	defer pg.Close()
	bouncer, setupErr = startPgBouncer(ctx, pg.URL)
	if bouncer != nil {
		defer bouncer.stop()
	}
	return m.Run(), nil
}

// needInfra skips the test (or fails it under CI=true) when TestMain could
// not start what the fault tests need.
func needInfra(t *testing.T) {
	t.Helper()
	if setupErr == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal(setupErr)
	}
	t.Skip(setupErr)
}

// moduleRoot is the service's module directory, two levels above this file.
func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// database is one database of the test, reached directly and through the
// pooler.
type database struct {
	name   string
	direct string // postgres://...@pg/name
	pooled string // postgres://...@pgbouncer/name
}

// newDatabase creates an empty database on the throwaway cluster.
func newDatabase(t *testing.T) database {
	t.Helper()
	name := fmt.Sprintf("faults_%s_%d", sanitize(t.Name()), time.Now().UnixNano()%1e6)
	conn, err := pgx.Connect(t.Context(), pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.WithoutCancel(t.Context()))
	if err := pgadmin.Create(t.Context(), conn, name, ""); err != nil {
		t.Fatal(err)
	}
	direct, err := pgadmin.WithDatabase(pg.URL, name)
	if err != nil {
		t.Fatal(err)
	}
	pooled, err := pgadmin.WithDatabase(bouncer.url, name)
	if err != nil {
		t.Fatal(err)
	}
	return database{name: name, direct: direct, pooled: pooled}
}

func sanitize(s string) string {
	b := []byte{}
	for i := 0; i < len(s) && len(b) < 30; i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			b = append(b, c)
		case 'A' <= c && c <= 'Z':
			b = append(b, c+'a'-'A')
		default:
			b = append(b, '_')
		}
	}
	return string(b)
}

// freePort asks the kernel for a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// portOf is the port of a postgres:// URL.
func portOf(u string) (int, error) {
	p, err := url.Parse(u)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(p.Port())
}
