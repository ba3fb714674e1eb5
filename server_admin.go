package main

import (
	"context"
	"errors"
	"io"

	"users/internal/admin"
	"users/internal/config"
	"users/internal/dbpool"
	"users/internal/migrate"
)

// runAdmin runs an admin command on DATABASE_URL's database. Unlike the
// server it never looks for a local database: a role granted on a database
// the operator did not name would be granted in the wrong place. It never
// migrates either: a database that is not migrated is not yet a deployment's.
func runAdmin(ctx context.Context, cfg config.Config, command admin.Command, stdout io.Writer) error {
	if cfg.DatabaseURL == "" {
		return &admin.ExitError{Code: 2, Err: errors.New("admin: DATABASE_URL is required: it names the database whose users the command changes")}
	}
	pool, err := dbpool.Open(ctx, dbpool.Options{URL: cfg.DatabaseURL, DirectURL: cfg.DatabaseDirectURL, MaxConns: 2, ExecMode: cfg.DBQueryExecMode})
	if err != nil {
		return err
	}
	defer pool.Close()
	pending, err := migrate.Pending(ctx, pool)
	if err != nil {
		return err
	}
	if pending {
		return errors.New("admin: the database has pending migrations: run `server migrate` (or start the server) first")
	}
	return command.Run(ctx, pool, stdout)
}
