// Package pglocal finds or starts a PostgreSQL server on this machine for local runs
// and tests, when no DATABASE_URL is given.
//
// [Ensure] tries, in order:
//
//  1. a server already answering on 127.0.0.1:5432 as user postgres (trust auth);
//  2. a Debian cluster (pg_lsclusters) that is already online on another port, or
//     that is down and can be started with pg_ctlcluster because we are root; the
//     system cluster is left running afterwards;
//  3. a throwaway cluster: initdb into a temporary directory and pg_ctl start on a
//     free port, removed again by the returned stop function.
//
// Every server it returns accepts user postgres without a password over TCP on
// 127.0.0.1. It is meant for development machines and CI, never for production.
package pglocal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"users/internal/pgadmin"
)

// ErrNotInstalled is returned by [Ensure] when no server answers and no PostgreSQL
// binaries exist to start one.
var ErrNotInstalled = errors.New("no PostgreSQL found: install it (Debian: apt-get install -y postgresql) or set DATABASE_URL")

const (
	defaultPort = 5432
	// pingTimeout bounds one connection attempt; a local server answers in
	// milliseconds, and nothing listening is refused at once.
	pingTimeout = 2 * time.Second
	// clusterStartTimeout bounds the wait for a started system cluster.
	clusterStartTimeout = 15 * time.Second
	// postgresUser is the system account that owns clusters when we run as root.
	postgresUser = "postgres"
)

// Ensure returns the URL of a PostgreSQL server that accepts user postgres without a
// password, and a stop function to call once the server is no longer needed (a no-op
// unless Ensure started a throwaway cluster). A nil log discards the log lines.
func Ensure(ctx context.Context, log *slog.Logger) (url string, stop func(), err error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	u := localURL(defaultPort)
	perr := ping(ctx, u)
	if perr == nil {
		log.Info("postgres found", "url", pgadmin.Redact(u))
		return u, noop, nil
	}
	log.Debug("no postgres on default port", "url", pgadmin.Redact(u), "err", perr)

	if u, ok := systemCluster(ctx, log); ok {
		return u, noop, nil
	}
	if err := ctx.Err(); err != nil {
		return "", nil, err
	}
	return startThrowaway(ctx, log)
}

func noop() {}

// localURL is the URL of a trust-auth server on 127.0.0.1.
func localURL(port int) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
}

// ping connects to the server at u, pings it and disconnects.
func ping(ctx context.Context, u string) error {
	cfg, err := pgx.ParseConfig(u)
	if err != nil {
		return err
	}
	cfg.ConnectTimeout = pingTimeout
	ctx, cancel := context.WithTimeout(ctx, pingTimeout+time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return conn.Ping(ctx)
}

// waitReady pings u until it answers or timeout passes.
func waitReady(ctx context.Context, u string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		err := ping(ctx, u)
		if err == nil {
			return nil
		}
		// The server answered but refused us (say, it wants a password): waiting
		// will not help. Only "the database system is starting up" is worth it.
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code != "57P03" { // cannot_connect_now
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("postgres did not answer within %s: %w", timeout, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
