package main

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/crypto/bcrypt"

	"users/internal/pgadmin"
	"users/internal/pglocal"
)

// benchPassword is every seeded user's password; it passes the legacy rules.
const benchPassword = "bench1234"

// email is seeded user n's address (n from 1).
func email(n int) string { return fmt.Sprintf("user%d@bench.example", n) }

// adminServer returns the PostgreSQL server to create the bench database on:
// -database-url, else the one the tests use (found on 127.0.0.1:5432, or a
// throwaway cluster that stop removes).
func adminServer(ctx context.Context, databaseURL string) (adminURL string, stop func(), err error) {
	if databaseURL != "" {
		return databaseURL, func() {}, nil
	}
	return pglocal.Ensure(ctx, nil)
}

// openDatabase creates the bench database on the server at adminURL and opens
// a pool on it. closeDB closes the pool and drops the database, unless -keep.
func (b *bench) openDatabase(ctx context.Context, adminURL string) (closeDB func(), err error) {
	dbURL, name, err := createDatabase(ctx, adminURL)
	if err != nil {
		return nil, err
	}
	log("created database %s", name)
	drop := func() {
		if b.o.keep {
			log("kept database %s", name)
			return
		}
		if err := dropDatabase(adminURL, name); err != nil {
			log("drop database %s: %v", name, err)
		} else {
			log("dropped database %s", name)
		}
	}
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		drop()
		return nil, err
	}
	closeDB = func() { pool.Close(); drop() }
	if err := pool.QueryRow(ctx, "SHOW server_version").Scan(&b.pgVersion); err != nil {
		closeDB()
		return nil, err
	}
	b.dbURL, b.pool = dbURL, pool
	return closeDB, nil
}

// seedFirst seeds the first 20 users. Their password hash is computed once, at
// the server's cost, and shared by every seeded user.
func (b *bench) seedFirst(ctx context.Context) error {
	log("hashing the seed password at cost %d", b.o.cost)
	hash, err := bcrypt.GenerateFromPassword([]byte(benchPassword), b.o.cost)
	if err != nil {
		return err
	}
	b.hash = hash
	b.seed = newSeeder(b.pool, string(hash))
	d, err := b.seed.seedTo(ctx, 20)
	if err != nil {
		return err
	}
	log("seeded 20 users in %v", d.Round(time.Millisecond))
	return nil
}

// createDatabase creates bench_<random> on the server at adminURL and returns
// its URL and name.
func createDatabase(ctx context.Context, adminURL string) (dbURL, name string, err error) {
	var b [4]byte
	_, _ = crand.Read(b[:])
	name = "bench_" + hex.EncodeToString(b[:])
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", "", fmt.Errorf("connect to %s: %w", pgadmin.Redact(adminURL), err)
	}
	defer conn.Close(ctx)
	if err := pgadmin.Create(ctx, conn, name, ""); err != nil {
		return "", "", err
	}
	if dbURL, err = pgadmin.WithDatabase(adminURL, name); err != nil {
		return "", "", err
	}
	return dbURL, name, nil
}

func dropDatabase(adminURL, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return pgadmin.Drop(ctx, conn, name)
}

// seeder adds users with COPY. Every user has the same precomputed bcrypt hash
// of benchPassword, a fresh random sid and a small info object.
type seeder struct {
	pool  *pgxpool.Pool
	hash  string
	count int // users in the table so far (ids 1..count: a fresh serial)
	rng   *rand.ChaCha8
}

func newSeeder(pool *pgxpool.Pool, hash string) *seeder {
	var seed [32]byte
	_, _ = crand.Read(seed[:])
	return &seeder{pool: pool, hash: hash, rng: rand.NewChaCha8(seed)}
}

// seedTo brings the table up to total users and refreshes the planner's
// statistics.
func (s *seeder) seedTo(ctx context.Context, total int) (time.Duration, error) {
	if total <= s.count {
		return 0, nil
	}
	start := time.Now()
	now := time.Now().UTC().Truncate(time.Second)
	from := s.count + 1
	n := from
	sid := make([]byte, 16)
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if n > total {
			return nil, nil
		}
		_, _ = s.rng.Read(sid)
		row := []any{
			fmt.Sprintf("user%d", n),
			email(n),
			s.hash,
			[]byte(fmt.Sprintf(`{"team": "t%d", "level": %d}`, n%7, n%100)),
			hex.EncodeToString(sid),
			now, now,
		}
		n++
		return row, nil
	})
	copied, err := s.pool.CopyFrom(ctx, pgx.Identifier{"user"},
		[]string{"username", "email", "password", "info", "sid", "created", "modified"}, src)
	if err != nil {
		return 0, fmt.Errorf("copy users: %w", err)
	}
	if int(copied) != total-s.count {
		return 0, fmt.Errorf("copied %d users, want %d", copied, total-s.count)
	}
	if _, err := s.pool.Exec(ctx, `VACUUM ANALYZE "user"`); err != nil {
		return 0, err
	}
	s.count = total
	return time.Since(start), nil
}
