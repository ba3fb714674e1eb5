// Package migrate applies the embedded migrations in db/schema with goose, under a
// PostgreSQL advisory lock so that replicas starting together migrate exactly
// once, whether they reach PostgreSQL directly or through a transaction pooler
// (lock.go).
package migrate

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"users/db/schema"
)

// newProvider builds a goose provider over the pool. The caller closes the
// *sql.DB. The lock takes one of the pool's connections while goose migrates
// on another, so Up needs a pool of at least two.
func newProvider(pool *pgxpool.Pool) (*goose.Provider, *sql.DB, error) {
	db := stdlib.OpenDBFromPool(pool)
	p, err := goose.NewProvider(goose.DialectPostgres, db, fs.FS(schema.FS), goose.WithLocker(&xactLocker{}))
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("migrations: %w", err)
	}
	return p, db, nil
}

// Up applies every pending migration and returns how many it applied.
func Up(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	p, db, err := newProvider(pool)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	results, err := p.Up(ctx)
	if err != nil {
		return len(results), fmt.Errorf("migrate up: %w", err)
	}
	return len(results), nil
}

// Pending reports whether some embedded migration is not applied yet (or the
// database cannot say), for the readiness check.
func Pending(ctx context.Context, pool *pgxpool.Pool) (bool, error) {
	p, db, err := newProvider(pool)
	if err != nil {
		return true, err
	}
	defer db.Close()
	has, err := p.HasPending(ctx)
	if err != nil {
		return true, fmt.Errorf("migration status: %w", err)
	}
	return has, nil
}
