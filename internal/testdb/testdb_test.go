package testdb

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

func TestMain(m *testing.M) { Main(m) }

func currentDB(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var name string
	if err := pool.QueryRow(t.Context(), "SELECT current_database()").Scan(&name); err != nil {
		t.Fatalf("current_database: %v", err)
	}
	return name
}

func dbExists(t *testing.T, name string) bool {
	t.Helper()
	var ok bool
	err := admin.QueryRow(context.Background(), "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&ok)
	if err != nil {
		t.Fatalf("pg_database: %v", err)
	}
	return ok
}

func hasUserTable(t *testing.T, conn interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) bool {
	t.Helper()
	var has bool
	if err := conn.QueryRow(t.Context(), `SELECT to_regclass('public."user"') IS NOT NULL`).Scan(&has); err != nil {
		t.Fatalf("to_regclass: %v", err)
	}
	return has
}

func TestNewHasEmptyUserTable(t *testing.T) {
	t.Parallel()
	pool := New(t)
	if !hasUserTable(t, pool) {
		t.Fatal(`table "user" missing`)
	}
	var n int
	if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM "user"`).Scan(&n); err != nil {
		t.Fatalf("count: %v", err)
	}
	if n != 0 {
		t.Errorf(`"user" has %d rows, want 0`, n)
	}
	// Every migration is applied: the second one widened sid.
	var width int
	err := pool.QueryRow(t.Context(), `SELECT character_maximum_length FROM information_schema.columns
		WHERE table_name = 'user' AND column_name = 'sid'`).Scan(&width)
	if err != nil || width != 64 {
		t.Errorf("sid width = %d, %v; want 64", width, err)
	}
}

func TestNewGivesDistinctDatabases(t *testing.T) {
	t.Parallel()
	a, b := New(t), New(t)
	na, nb := currentDB(t, a), currentDB(t, b)
	if na == nb {
		t.Fatalf("both pools on %s", na)
	}
	// Writes to one do not show in the other.
	if _, err := a.Exec(t.Context(), `INSERT INTO "user" (username, email, password, sid) VALUES ('a', 'a@x', 'p', 's')`); err != nil {
		t.Fatalf("insert: %v", err)
	}
	var n int
	if err := b.QueryRow(t.Context(), `SELECT count(*) FROM "user"`).Scan(&n); err != nil || n != 0 {
		t.Errorf("other database has %d rows (%v), want 0", n, err)
	}
}

func TestCleanupDropsDatabases(t *testing.T) {
	t.Parallel()
	var names []string
	t.Run("use", func(t *testing.T) {
		names = append(names, currentDB(t, New(t)))
		for _, u := range []string{NewURL(t), Empty(t)} {
			conn, err := pgx.Connect(t.Context(), u)
			if err != nil {
				t.Fatalf("connect: %v", err)
			}
			var name string
			if err := conn.QueryRow(t.Context(), "SELECT current_database()").Scan(&name); err != nil {
				t.Fatal(err)
			}
			names = append(names, name)
			// Left open on purpose: the drop must force it closed.
			t.Cleanup(func() { conn.Close(context.Background()) })
		}
		for _, n := range names {
			if !dbExists(t, n) {
				t.Errorf("database %s missing during the test", n)
			}
		}
	})
	if len(names) != 3 {
		t.Fatalf("got %d databases, want 3", len(names))
	}
	for _, n := range names {
		if dbExists(t, n) {
			t.Errorf("database %s still exists after cleanup", n)
		}
	}
}

func TestNewURLIsMigrated(t *testing.T) {
	t.Parallel()
	conn, err := pgx.Connect(t.Context(), NewURL(t))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.Background())
	if !hasUserTable(t, conn) {
		t.Fatal(`table "user" missing`)
	}
}

func TestEmptyHasNoUserTable(t *testing.T) {
	t.Parallel()
	conn, err := pgx.Connect(t.Context(), Empty(t))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.Background())
	if hasUserTable(t, conn) {
		t.Fatal(`table "user" exists in an empty database`)
	}
	var n int
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&n); err != nil || n != 0 {
		t.Errorf("public tables = %d (%v), want 0", n, err)
	}
}

func TestManyParallel(t *testing.T) {
	t.Parallel()
	for i := range 16 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			pool := New(t)
			if _, err := pool.Exec(t.Context(), `INSERT INTO "user" (username, email, password, sid) VALUES ('u', 'u@x', 'p', 's')`); err != nil {
				t.Fatalf("insert: %v", err)
			}
		})
	}
}
