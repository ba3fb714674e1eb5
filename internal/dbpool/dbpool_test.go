package dbpool_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"users/internal/dbpool"
	"users/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func TestExecMode(t *testing.T) {
	const pooled, direct = "postgres://app@pooler:6432/users", "postgres://app@db:5432/users"
	tests := []struct {
		name    string
		o       dbpool.Options
		fromURL pgx.QueryExecMode
		want    pgx.QueryExecMode
	}{
		{"direct: pgx's default", dbpool.Options{URL: direct}, pgx.QueryExecModeCacheStatement, pgx.QueryExecModeCacheStatement},
		{"direct: the URL's parameter", dbpool.Options{URL: direct}, pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeSimpleProtocol},
		{"pooled with a direct URL", dbpool.Options{URL: pooled, DirectURL: direct}, pgx.QueryExecModeCacheStatement, pgx.QueryExecModeCacheDescribe},
		{"DB_QUERY_EXEC_MODE wins", dbpool.Options{URL: pooled, DirectURL: direct, ExecMode: "exec"}, pgx.QueryExecModeCacheStatement, pgx.QueryExecModeExec},
		{"DB_QUERY_EXEC_MODE without a direct URL", dbpool.Options{URL: pooled, ExecMode: "cache_describe"}, pgx.QueryExecModeCacheStatement, pgx.QueryExecModeCacheDescribe},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := dbpool.ExecMode(tt.o, tt.fromURL); got != tt.want {
				t.Errorf("ExecMode = %s, want %s", got, tt.want)
			}
		})
	}
	for _, name := range dbpool.ExecModes() {
		m := dbpool.ExecMode(dbpool.Options{ExecMode: name}, pgx.QueryExecModeCacheStatement)
		if got := dbpool.ExecModeName(m); got != name {
			t.Errorf("ExecModeName(ExecMode(%q)) = %q", name, got)
		}
	}
}

// TestOpen: the pool uses the mode, and a bad URL's error never quotes it
// (it may hold a password).
func TestOpen(t *testing.T) {
	url := testdb.NewURL(t)
	pool, err := dbpool.Open(t.Context(), dbpool.Options{URL: url, MaxConns: 2, ExecMode: "cache_describe"})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if m := pool.Config().ConnConfig.DefaultQueryExecMode; m != pgx.QueryExecModeCacheDescribe {
		t.Errorf("exec mode = %s", m)
	}
	var one int
	if err := pool.QueryRow(t.Context(), "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Errorf("SELECT 1 = %d, %v", one, err)
	}

	_, err = dbpool.Open(t.Context(), dbpool.Options{URL: "postgres://u:s3cret@host:notaport/db", MaxConns: 1})
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("Open with a bad URL = %v; want an error without the password", err)
	}
	_, err = dbpool.OpenForMigrations(t.Context(), dbpool.Options{URL: url, DirectURL: "postgres://u:s3cret@host:notaport/db"})
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "DATABASE_DIRECT_URL") {
		t.Errorf("OpenForMigrations with a bad direct URL = %v; want an error naming DATABASE_DIRECT_URL, without the password", err)
	}
}

func TestPoolerHint(t *testing.T) {
	for _, tt := range []struct {
		err  error
		hint bool
	}{
		{&pgconn.PgError{Code: "42P05", Message: `prepared statement "stmtcache_1" already exists`}, true},
		{fmt.Errorf("migrate up: %w", &pgconn.PgError{Code: "26000", Message: `prepared statement "stmtcache_1" does not exist`}), true},
		{&pgconn.PgError{Code: "23505"}, false},
		{errors.New("connection refused"), false},
	} {
		got := dbpool.PoolerHint(tt.err)
		if hinted := strings.Contains(got.Error(), "DATABASE_DIRECT_URL"); hinted != tt.hint || !errors.Is(got, tt.err) {
			t.Errorf("PoolerHint(%v) = %v; want hint %v, wrapping the error", tt.err, got, tt.hint)
		}
	}
}
