package migrate_test

import (
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pressly/goose/v3/lock"

	"users/db/schema"
	"users/internal/migrate"
	"users/internal/testdb"
)

// migrationVersions are the versions of the embedded migrations, from their file
// names (00001_name.sql), in order.
func migrationVersions(t *testing.T) []string {
	t.Helper()
	files, err := fs.Glob(schema.FS, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no embedded migrations")
	}
	var vs []string
	for _, f := range files {
		num, _, _ := strings.Cut(f, "_")
		v, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			t.Fatalf("migration %s: no version number", f)
		}
		vs = append(vs, strconv.FormatInt(v, 10))
	}
	return vs
}

func migrationCount(t *testing.T) int { return len(migrationVersions(t)) }

// TestConcurrentUp: replicas starting together, each with its own pool, apply
// every migration exactly once between them, and none fails.
func TestConcurrentUp(t *testing.T) {
	t.Parallel()
	url := testdb.Empty(t)
	const replicas = 4
	pools := make([]*pgxpool.Pool, replicas)
	for i := range pools {
		pools[i] = newPool(t, url, 2)
	}

	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		applied [replicas]int
		errs    [replicas]error
	)
	for i, p := range pools {
		wg.Go(func() {
			<-start
			applied[i], errs[i] = migrate.Up(t.Context(), p)
		})
	}
	close(start)
	wg.Wait()

	t.Logf("applied per replica: %v", applied)
	total := 0
	for i := range replicas {
		if errs[i] != nil {
			t.Errorf("replica %d: Up: %v", i, errs[i])
		}
		total += applied[i]
	}
	if want := migrationCount(t); total != want {
		t.Errorf("replicas applied %v migrations, %d in all; want %d in all", applied, total, want)
	}

	versions := rows(t, pools[0], `SELECT version_id, count(*) FROM goose_db_version
		WHERE version_id > 0 GROUP BY version_id ORDER BY version_id`)
	if len(versions) != migrationCount(t) {
		t.Errorf("goose_db_version holds %d versions, want %d: %q", len(versions), migrationCount(t), versions)
	}
	for i, v := range migrationVersions(t) {
		if want := v + " | 1"; i >= len(versions) || versions[i] != want {
			t.Errorf("goose_db_version (version | count): %q, want %q at %d (each version once)", versions, want, i)
			break
		}
	}
	if got := one(t, pools[0], `SELECT count(*) FROM goose_db_version WHERE version_id = 0`); got != "1" {
		t.Errorf("goose_db_version has %s rows for version 0, want 1 (table created once)", got)
	}
}

// TestUpWaitsForTheLock: Up takes goose's advisory lock before it touches the
// schema, so a replica holding it (here, this test) keeps every other one waiting.
// Without the lock, TestConcurrentUp may still pass by timing alone.
func TestUpWaitsForTheLock(t *testing.T) {
	t.Parallel()
	url := testdb.Empty(t)
	holder := newPool(t, url, 1)
	pool := newPool(t, url, 2) // Up's: the lock holds one connection, goose migrates on the other
	check := newPool(t, url, 1)
	ctx := t.Context()
	conn, err := holder.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	// Advisory locks are per database: this one only affects the test's own database.
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lock.DefaultLockID); err != nil {
		t.Fatal(err)
	}

	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := migrate.Up(ctx, pool)
		done <- result{n, err}
	}()
	select {
	case r := <-done:
		t.Fatalf("Up = %d, %v while another session held the migration lock; want it to wait", r.n, r.err)
	case <-time.After(1500 * time.Millisecond):
	}
	// goose's Up asks HasPending first, without the lock, and that may create its
	// bookkeeping table goose_db_version; no migration may run, though.
	if got := one(t, check, `SELECT to_regclass('public."user"') IS NULL`); got != "t" {
		t.Errorf(`table "user" created while another session held the migration lock`)
	}
	if one(t, check, `SELECT to_regclass('public.goose_db_version') IS NOT NULL`) == "t" {
		if got := rows(t, check, `SELECT version_id FROM goose_db_version WHERE version_id > 0`); len(got) > 0 {
			t.Errorf("versions %q recorded while another session held the migration lock", got)
		}
	}

	if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", lock.DefaultLockID); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.err != nil || r.n != migrationCount(t) {
			t.Errorf("Up after the lock was released = %d, %v; want %d, nil", r.n, r.err, migrationCount(t))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Up still waiting 10 s after the lock was released")
	}
}

func TestPending(t *testing.T) {
	t.Parallel()
	pool := newPool(t, testdb.Empty(t), 2)
	ctx := t.Context()
	pending, err := migrate.Pending(ctx, pool)
	if err != nil || !pending {
		t.Fatalf("Pending on an empty database = %v, %v; want true, nil", pending, err)
	}
	if n, err := migrate.Up(ctx, pool); err != nil || n != migrationCount(t) {
		t.Fatalf("Up = %d, %v; want %d, nil", n, err, migrationCount(t))
	}
	pending, err = migrate.Pending(ctx, pool)
	if err != nil || pending {
		t.Errorf("Pending after Up = %v, %v; want false, nil", pending, err)
	}
	if n, err := migrate.Up(ctx, pool); err != nil || n != 0 {
		t.Errorf("second Up = %d, %v; want 0, nil", n, err)
	}
}
