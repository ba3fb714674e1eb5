package migrate_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"users/internal/migrate"
	"users/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// legacyUser is one entry of testdata/legacy_users.json.
type legacyUser struct {
	Username string          `json:"username"`
	Email    string          `json:"email"`
	Password string          `json:"password"`
	Info     json.RawMessage `json:"info"`
	Token    string          `json:"token"`
}

func legacyUsers(t *testing.T) []legacyUser {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "legacy_users.json"))
	if err != nil {
		t.Fatal(err)
	}
	var us []legacyUser
	if err := json.Unmarshal(b, &us); err != nil {
		t.Fatalf("legacy_users.json: %v", err)
	}
	if len(us) != 3 {
		t.Fatalf("legacy_users.json has %d users, want 3", len(us))
	}
	return us
}

// loadLegacy restores testdata/legacy.sql (a pg_dump) into the database at url on a
// connection of its own, closed afterwards: the dump empties search_path for its
// session, which must not leak into the pool the test goes on with.
func loadLegacy(t *testing.T, url string) {
	t.Helper()
	dump, err := os.ReadFile(filepath.Join("testdata", "legacy.sql"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.Background())
	// One simple-protocol query: several statements, comments included, as psql sends them.
	if _, err := conn.Exec(ctx, string(dump), pgx.QueryExecModeSimpleProtocol); err != nil {
		t.Fatalf("load legacy.sql: %v", err)
	}
}

func newPool(t *testing.T, url string, maxConns int32) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = maxConns
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatalf("pool: %v", err)
	}
	t.Cleanup(pool.Close)
	if err := pool.Ping(t.Context()); err != nil {
		t.Fatalf("ping: %v", err)
	}
	return pool
}

// rows returns every row of the query, each row's columns as text joined by " | ".
func rows(t *testing.T, pool *pgxpool.Pool, query string) []string {
	t.Helper()
	rs, err := pool.Query(t.Context(), query, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rs.Close()
	var out []string
	for rs.Next() {
		vals := rs.RawValues() // simple protocol: text format
		cols := make([]string, len(vals))
		for i, v := range vals {
			if v == nil {
				cols[i] = "NULL"
			} else {
				cols[i] = string(v)
			}
		}
		out = append(out, strings.Join(cols, " | "))
	}
	if err := rs.Err(); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return out
}

func one(t *testing.T, pool *pgxpool.Pool, query string) string {
	t.Helper()
	r := rows(t, pool, query)
	if len(r) != 1 {
		t.Fatalf("%s: %d rows, want 1: %q", query, len(r), r)
	}
	return r[0]
}

const (
	// snapshotQuery reads every legacy column of every row, as JSON and as
	// PostgreSQL's text: adoption must leave them as they were. (Columns
	// the migrations add are checked on their own, as rolesQuery.)
	snapshotQuery = `SELECT jsonb_build_object('created', created, 'modified', modified, 'user_id', user_id,
		'username', username, 'email', email, 'password', password, 'info', info, 'token', token, 'sid', sid)::text,
		row(created, modified, user_id, username, email, password, info, token, sid)::text
		FROM "user" ORDER BY user_id`
	rolesQuery    = `SELECT role, count(*) FROM "user" GROUP BY role ORDER BY role`
	sequenceQuery = `SELECT last_value, is_called FROM user_user_id_seq`

	columnsQuery = `SELECT table_name, column_name, data_type, udt_name,
		character_maximum_length, numeric_precision, datetime_precision, is_nullable,
		column_default, is_identity, collation_name
		FROM information_schema.columns WHERE table_schema = 'public'
		ORDER BY table_name, column_name`
	constraintsQuery = `SELECT c.conrelid::regclass::text, c.conname, c.contype, pg_get_constraintdef(c.oid)
		FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
		WHERE n.nspname = 'public' ORDER BY 1, 2`
	indexesQuery = `SELECT tablename, indexname, indexdef FROM pg_indexes
		WHERE schemaname = 'public' ORDER BY tablename, indexname`
	sequencesQuery = `SELECT sequencename, data_type, start_value, min_value, max_value,
		increment_by, cycle, cache_size FROM pg_sequences
		WHERE schemaname = 'public' ORDER BY sequencename`
	ownedQuery    = `SELECT pg_get_serial_sequence('"user"', 'user_id')`
	triggersQuery = `SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) FROM pg_trigger
		WHERE NOT tgisinternal ORDER BY 1, 2`
	functionsQuery = `SELECT p.proname, pg_get_function_identity_arguments(p.oid), md5(pg_get_functiondef(p.oid))
		FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
		WHERE n.nspname = 'public' ORDER BY 1, 2`
)

// adoptLegacy builds a legacy database, checks that migrate.Up adopts it without
// touching a row, and returns a pool on it.
func adoptLegacy(t *testing.T) *pgxpool.Pool {
	t.Helper()
	url := testdb.Empty(t)
	loadLegacy(t, url)
	pool := newPool(t, url, 8)
	ctx := t.Context()

	// The dump's set_config('search_path', '', false) stayed on its own session.
	if sp := one(t, pool, "SHOW search_path"); sp != `"$user", public` {
		t.Fatalf("search_path on the new pool = %q, want the default", sp)
	}
	before := rows(t, pool, snapshotQuery)
	if len(before) != 3 {
		t.Fatalf("legacy dump loaded %d users, want 3", len(before))
	}
	seqBefore := one(t, pool, sequenceQuery)
	if seqBefore != "3 | t" {
		t.Fatalf("legacy sequence = %q, want 3 | t", seqBefore)
	}
	if pending, err := migrate.Pending(ctx, pool); err != nil || !pending {
		t.Fatalf("Pending on a legacy database = %v, %v; want true, nil", pending, err)
	}

	applied, err := migrate.Up(ctx, pool)
	if err != nil {
		t.Fatalf("Up on a legacy database: %v", err)
	}
	if want := migrationCount(t); applied != want {
		t.Errorf("Up applied %d migrations, want %d", applied, want)
	}

	if after := rows(t, pool, snapshotQuery); !reflect.DeepEqual(before, after) {
		t.Errorf("rows changed by adoption:\nbefore %q\nafter  %q", before, after)
	}
	if seq := one(t, pool, sequenceQuery); seq != seqBefore {
		t.Errorf("sequence = %q after adoption, want %q", seq, seqBefore)
	}
	if roles := rows(t, pool, rolesQuery); !reflect.DeepEqual(roles, []string{"user | 3"}) {
		t.Errorf("roles after adoption = %q, want every legacy user a user", roles)
	}
	return pool
}

func TestAdoptLegacyDatabase(t *testing.T) {
	t.Parallel()
	pool := adoptLegacy(t)
	ctx := t.Context()

	if got := one(t, pool, `SELECT contype, pg_get_constraintdef(oid) FROM pg_constraint
		WHERE conrelid = '"user"'::regclass AND conname = 'user_email_key'`); got != "u | UNIQUE (email)" {
		t.Errorf("user_email_key = %q, want a unique constraint on email", got)
	}
	if got := one(t, pool, `SELECT indexdef FROM pg_indexes
		WHERE schemaname = 'public' AND indexname = 'user_sid_idx'`); !strings.Contains(got, `ON public."user" USING btree (sid)`) {
		t.Errorf("user_sid_idx = %q, want a btree index on sid", got)
	}

	cols := map[string]string{}
	for _, r := range rows(t, pool, `SELECT column_name, is_nullable, coalesce(character_maximum_length::text, '-'),
		coalesce(column_default, '-') FROM information_schema.columns
		WHERE table_schema = 'public' AND table_name = 'user'`) {
		name, rest, _ := strings.Cut(r, " | ")
		cols[name] = rest
	}
	for col, want := range map[string]string{
		"token":    "YES | 255 | -",
		"sid":      "NO | 64 | -",
		"created":  "YES | - | timezone('utc'::text, now())",
		"modified": "YES | - | timezone('utc'::text, now())",
		"user_id":  "NO | - | nextval('user_user_id_seq'::regclass)",
		"email":    "NO | 320 | -",
		"role":     "NO | - | 'user'::text",
	} {
		if cols[col] != want {
			t.Errorf("column %s = %q, want %q (nullable | max length | default)", col, cols[col], want)
		}
	}

	// The defaults really give UTC now(), whatever the session's time zone; the
	// row needs no token. Explicit user_id and a rollback leave the sequence alone.
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, "SET LOCAL TimeZone = 'Pacific/Kiritimati'"); err != nil { // UTC+14
		t.Fatal(err)
	}
	var created, modified time.Time
	var isUTCNow bool
	var role string
	err = tx.QueryRow(ctx, `INSERT INTO "user" (user_id, username, email, password, sid)
		VALUES (1000, 'probe', 'probe@example.com', 'x', 'abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz01')
		RETURNING created, modified, created = timezone('utc', now()) AND modified = created, role`).Scan(&created, &modified, &isUTCNow, &role)
	if err != nil {
		t.Fatalf("insert with defaults (no token, 64-char sid): %v", err)
	}
	if role != "user" {
		t.Errorf("role of a row inserted without one (as the legacy app inserts) = %q, want user", role)
	}
	if !isUTCNow {
		t.Errorf("created/modified defaults = %v/%v, want timezone('utc', now())", created, modified)
	}
	if d := time.Since(created); d < -time.Minute || d > time.Minute {
		t.Errorf("created default = %v, %v away from UTC now", created, d)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if seq := one(t, pool, sequenceQuery); seq != "3 | t" {
		t.Fatalf("sequence = %q, want 3 | t", seq)
	}

	// The role's CHECK is validated, and holds.
	if got := one(t, pool, `SELECT convalidated, pg_get_constraintdef(oid) FROM pg_constraint
		WHERE conrelid = '"user"'::regclass AND conname = 'user_role_check'`); got != "t | CHECK ((role = ANY (ARRAY['user'::text, 'admin'::text])))" {
		t.Errorf("user_role_check = %q, want a validated CHECK of user or admin", got)
	}
	var pgErr *pgconn.PgError
	if _, err := pool.Exec(ctx, `UPDATE "user" SET role = 'root' WHERE user_id = 1`); !errors.As(err, &pgErr) || pgErr.Code != "23514" {
		t.Errorf("setting role root: %v, want check_violation (23514)", err)
	}

	// Up again is a no-op, and nothing is pending.
	if n, err := migrate.Up(ctx, pool); err != nil || n != 0 {
		t.Errorf("second Up applied %d, %v; want 0, nil", n, err)
	}
	if pending, err := migrate.Pending(ctx, pool); err != nil || pending {
		t.Errorf("Pending after Up = %v, %v; want false, nil", pending, err)
	}

	t.Run("app", func(t *testing.T) { checkAppOnLegacy(t, pool) })
}

// TestFreshAndAdoptedSchemasMatch: a database migrated from nothing and an adopted
// legacy one have the same columns (order aside), constraints, indexes and sequences.
func TestFreshAndAdoptedSchemasMatch(t *testing.T) {
	t.Parallel()
	fresh := newPool(t, testdb.Empty(t), 2)
	if _, err := migrate.Up(t.Context(), fresh); err != nil {
		t.Fatalf("Up on an empty database: %v", err)
	}
	adopted := adoptLegacy(t)
	for _, q := range []struct {
		name, query string
		mayBeNone   bool
	}{
		{"columns", columnsQuery, false},
		{"constraints", constraintsQuery, false},
		{"indexes", indexesQuery, false},
		{"sequences", sequencesQuery, false},
		{"serial sequence", ownedQuery, false},
		{"triggers", triggersQuery, true},
		{"functions", functionsQuery, true},
	} {
		f, a := rows(t, fresh, q.query), rows(t, adopted, q.query)
		if len(f) == 0 && !q.mayBeNone {
			t.Errorf("%s: none in the fresh database", q.name)
		}
		if !reflect.DeepEqual(f, a) {
			t.Errorf("%s differ:\nfresh   %s\nadopted %s", q.name, strings.Join(f, "\n        "), strings.Join(a, "\n        "))
		}
	}
}
