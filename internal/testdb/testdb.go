// Package testdb gives each test a fresh PostgreSQL database of its own.
//
// [New] and [NewURL] return a database already migrated to the latest schema,
// cloned in milliseconds (CREATE DATABASE ... TEMPLATE) from a template database
// that is migrated once per test process. [Empty] returns a database with no tables
// at all, for tests of migrations and legacy adoption. Every database is dropped
// when its test ends, so tests may run with t.Parallel().
//
// The server is the one named by TEST_DATABASE_URL (a role that may create
// databases, connected to any existing database, such as
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable); without it,
// [pglocal.Ensure] finds or starts a local PostgreSQL. When neither works, the test
// fails with the reason: a database test never skips silently.
//
// Every package that uses testdb must have
//
//	func TestMain(m *testing.M) { testdb.Main(m) }
//
// so that the template database, and any throwaway server, is removed when the
// package's tests end. New, NewURL and Empty fail the test without it.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"users/internal/migrate"
	"users/internal/pgadmin"
	"users/internal/pglocal"
)

const (
	// maxConns bounds each test's pool: many parallel tests, in several test
	// processes, share one server and its max_connections (100 by default).
	maxConns = 4
	// adminMaxConns bounds the pool that creates and drops databases.
	adminMaxConns = 4
	// setupTimeout bounds starting a server and building the template.
	setupTimeout = 2 * time.Minute
	// dbTimeout bounds creating or dropping one database.
	dbTimeout = time.Minute
)

var (
	// mainCalled is set by Main; without it nothing would drop the template.
	mainCalled atomic.Bool

	adminOnce sync.Once
	admin     *pgxpool.Pool // on the maintenance database of the test server
	adminURL  string
	adminStop func() // stops a throwaway server started by pglocal; never nil after setup
	adminErr  error

	tplOnce sync.Once
	tplName string // set once the template database exists, so that Main drops it
	tplErr  error
)

// Main runs the tests of a package, then drops the package's template database and
// stops any PostgreSQL that testdb started, and exits with the tests' code. Call it
// from TestMain:
//
//	func TestMain(m *testing.M) { testdb.Main(m) }
func Main(m *testing.M) {
	mainCalled.Store(true)
	code := m.Run()
	if err := teardown(); err != nil {
		fmt.Fprintf(os.Stderr, "testdb: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// teardown drops the template database, closes the admin pool and stops a server
// started by pglocal.
func teardown() error {
	var err error
	if admin != nil {
		if tplName != "" {
			ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
			err = dropDatabase(ctx, tplName)
			cancel()
		}
		admin.Close()
	}
	if adminStop != nil {
		adminStop()
	}
	return err
}

// New returns a pool (at most 4 connections) on a new database with every migration
// applied and no rows. The pool is closed and the database dropped when the test ends.
func New(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	u := NewURL(tb)
	cfg, err := pgxpool.ParseConfig(u)
	if err != nil {
		tb.Fatalf("testdb: %v", err)
	}
	cfg.MaxConns = maxConns
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		tb.Fatalf("testdb: %v", err)
	}
	// Registered after NewURL's cleanup, so it runs before the database is dropped.
	tb.Cleanup(pool.Close)
	if err := pool.Ping(ctx); err != nil {
		tb.Fatalf("testdb: connect to new database: %v", err)
	}
	return pool
}

// NewURL returns the connection string of a new database with every migration
// applied and no rows, for tests that start the server themselves. The database is
// dropped when the test ends, even if connections to it are still open.
func NewURL(tb testing.TB) string {
	tb.Helper()
	setup(tb)
	tplOnce.Do(func() { tplErr = buildTemplate() })
	if tplErr != nil {
		tb.Fatalf("testdb: template database: %v", tplErr)
	}
	return createDatabase(tb, tplName)
}

// Empty returns the connection string of a new database with no tables (created
// from template0, no migrations applied), for migration and legacy-adoption tests.
// The database is dropped when the test ends, even if connections to it are still
// open.
func Empty(tb testing.TB) string {
	tb.Helper()
	setup(tb)
	return createDatabase(tb, "template0")
}

// setup connects to the test server once per process, or fails the test.
func setup(tb testing.TB) {
	tb.Helper()
	if !mainCalled.Load() {
		tb.Fatal("testdb: this package needs func TestMain(m *testing.M) { testdb.Main(m) } so that its template database is dropped")
	}
	adminOnce.Do(func() { adminErr = connectAdmin() })
	if adminErr != nil {
		tb.Fatalf("testdb: no database server: %v", adminErr)
	}
}

// connectAdmin connects to TEST_DATABASE_URL, or to a server found or started by
// pglocal.
func connectAdmin() error {
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	adminStop = func() {}
	adminURL = os.Getenv("TEST_DATABASE_URL")
	if adminURL == "" {
		level := slog.LevelWarn
		if testing.Verbose() {
			level = slog.LevelInfo
		}
		log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})).With("pkg", "testdb")
		u, stop, err := pglocal.Ensure(ctx, log)
		if err != nil {
			return fmt.Errorf("TEST_DATABASE_URL is not set, and %w", err)
		}
		adminURL, adminStop = u, stop
	}
	cfg, err := pgxpool.ParseConfig(adminURL)
	if err != nil {
		return fmt.Errorf("TEST_DATABASE_URL: %w", err)
	}
	cfg.MaxConns = adminMaxConns
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err == nil {
		err = pool.Ping(ctx)
	}
	if err != nil {
		if pool != nil {
			pool.Close()
		}
		adminStop()
		return fmt.Errorf("connect to %s: %w", pgadmin.Redact(adminURL), err)
	}
	admin = pool
	return nil
}

// buildTemplate creates this process's template database and migrates it.
func buildTemplate() error {
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	name := fmt.Sprintf("users_tpl_%d_%s", os.Getpid(), randomSuffix())
	if err := pgadmin.Create(ctx, admin, name, "template0"); err != nil {
		return err
	}
	tplName = name // from here on, Main drops it

	u, err := pgadmin.WithDatabase(adminURL, name)
	if err != nil {
		return err
	}
	cfg, err := pgxpool.ParseConfig(u)
	if err != nil {
		return err
	}
	cfg.MaxConns = 2
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", name, err)
	}
	_, err = migrate.Up(ctx, pool)
	// CREATE DATABASE ... TEMPLATE refuses a template with other sessions: close
	// them all. (The server waits up to 5 s for their backends to exit.)
	pool.Close()
	if err != nil {
		return fmt.Errorf("migrate %s: %w", name, err)
	}
	return nil
}

// createDatabase creates a uniquely named database from template and registers its
// drop; it returns the database's connection string.
func createDatabase(tb testing.TB, template string) string {
	tb.Helper()
	u, name, err := create(template)
	if err != nil {
		tb.Fatalf("testdb: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
		defer cancel()
		if err := dropDatabase(ctx, name); err != nil {
			tb.Errorf("testdb: %v", err)
		}
	})
	return u
}

func create(template string) (u, name string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	name = fmt.Sprintf("users_test_%d_%s", os.Getpid(), randomSuffix())
	u, err = pgadmin.WithDatabase(adminURL, name)
	if err != nil {
		return "", "", err
	}
	if err := pgadmin.Create(ctx, admin, name, template); err != nil {
		return "", "", err
	}
	return u, name, nil
}

// dropDatabase drops name, closing any connection still open to it.
func dropDatabase(ctx context.Context, name string) error {
	return pgadmin.Drop(ctx, admin, name)
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b) // never fails
	return hex.EncodeToString(b)
}
