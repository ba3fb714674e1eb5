// Package dbpool opens the service's connections to PostgreSQL: the pool
// every request goes through (DATABASE_URL, which may be a connection
// pooler's address) and the settings of a direct connection for what needs a
// session of its own (DATABASE_DIRECT_URL: the session cache's LISTEN, and
// the migrations).
//
// Behind a transaction-mode pooler (PgBouncer before 1.21, a platform's
// pooled URL) a client's statements may each run on another server
// connection, so pgx's default of preparing named statements once per
// connection fails ("prepared statement ... already exists"). The pool's
// query exec mode (DB_QUERY_EXEC_MODE) chooses how statements are sent; see
// [ExecMode].
package dbpool

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Options says how to reach PostgreSQL.
type Options struct {
	URL       string // DATABASE_URL, or a local database's URL
	DirectURL string // DATABASE_DIRECT_URL; "" when URL is direct itself
	MaxConns  int    // DB_MAX_CONNS
	// ExecMode is DB_QUERY_EXEC_MODE ("" when unset): see ExecMode.
	ExecMode string
	// Tracer, when not nil, is told every query (tracing); nil costs nothing.
	Tracer pgx.QueryTracer
}

// execModes are DB_QUERY_EXEC_MODE's values, pgx's own names.
var execModes = map[string]pgx.QueryExecMode{
	"cache_statement": pgx.QueryExecModeCacheStatement,
	"cache_describe":  pgx.QueryExecModeCacheDescribe,
	"describe_exec":   pgx.QueryExecModeDescribeExec,
	"exec":            pgx.QueryExecModeExec,
	"simple_protocol": pgx.QueryExecModeSimpleProtocol,
}

// ValidExecMode reports whether name is a DB_QUERY_EXEC_MODE value.
func ValidExecMode(name string) bool {
	_, ok := execModes[name]
	return ok
}

// ExecModes are the DB_QUERY_EXEC_MODE values, sorted.
func ExecModes() []string {
	return slices.Sorted(maps.Keys(execModes))
}

// ExecMode is the query exec mode the pool uses: DB_QUERY_EXEC_MODE when it
// is set; else, when a direct URL is set (so URL is a pooler's),
// cache_describe, the mode that works through a transaction pooler at the
// least cost (one round trip a statement once its description is cached;
// parameters in binary, so jsonb takes []byte); else fromURL, what URL's
// default_query_exec_mode says or pgx's default, cache_statement (named
// prepared statements: the cheapest, and wrong behind a transaction pooler).
//
// exec and simple_protocol send parameters as text, where a jsonb value in
// []byte (a user's info) is refused; describe_exec describes and executes in
// two transactions, which a transaction pooler may send to two servers.
// Neither is fit for a pooler; they are accepted because pgx has them.
func ExecMode(o Options, fromURL pgx.QueryExecMode) pgx.QueryExecMode {
	if m, ok := execModes[o.ExecMode]; ok {
		return m
	}
	if o.DirectURL != "" {
		return pgx.QueryExecModeCacheDescribe
	}
	return fromURL
}

// Open opens the pool on o.URL and checks that the database answers within
// 10 seconds.
func Open(ctx context.Context, o Options) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(o.URL)
	if err != nil {
		// pgx's message may quote the URL, password included.
		return nil, errors.New("DATABASE_URL is not a valid PostgreSQL connection string")
	}
	pc.MaxConns = int32(o.MaxConns)
	pc.ConnConfig.DefaultQueryExecMode = ExecMode(o, pc.ConnConfig.DefaultQueryExecMode)
	pc.ConnConfig.Tracer = o.Tracer
	return open(ctx, pc)
}

// OpenForMigrations opens a small pool for migrations: on the direct URL when
// there is one, else on o.URL (as Open would, a pooler's quirks included).
// The migration lock holds one of its two connections (internal/migrate).
func OpenForMigrations(ctx context.Context, o Options) (*pgxpool.Pool, error) {
	if o.DirectURL == "" {
		o.MaxConns = 2
		o.Tracer = nil
		return Open(ctx, o)
	}
	pc, err := pgxpool.ParseConfig(o.DirectURL)
	if err != nil {
		return nil, errors.New("DATABASE_DIRECT_URL is not a valid PostgreSQL connection string")
	}
	pc.MaxConns = 2
	return open(ctx, pc)
}

// ListenConfig is where a session of its own connects (the session cache's
// LISTEN): DATABASE_DIRECT_URL when set, else the pool's own settings.
func ListenConfig(o Options, pool *pgxpool.Pool) (*pgx.ConnConfig, error) {
	if o.DirectURL == "" {
		return pool.Config().ConnConfig, nil
	}
	cc, err := pgx.ParseConfig(o.DirectURL)
	if err != nil {
		return nil, errors.New("DATABASE_DIRECT_URL is not a valid PostgreSQL connection string")
	}
	if cc.ConnectTimeout == 0 {
		cc.ConnectTimeout = DefaultConnectTimeout
	}
	return cc, nil
}

// PoolerHint adds what to do to an error that says a transaction pooler is
// in the way of named prepared statements (SQLSTATE 42P05 "already exists",
// 26000 "does not exist"); other errors are returned as they are.
func PoolerHint(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "42P05" || pgErr.Code == "26000") {
		return fmt.Errorf("%w (DATABASE_URL looks like a transaction pooler's: set DATABASE_DIRECT_URL to a direct connection, or DB_QUERY_EXEC_MODE=cache_describe; docs/deployment.md, Connection poolers)", err)
	}
	return err
}

// ExecModeName is the name DB_QUERY_EXEC_MODE gives m, for the log.
func ExecModeName(m pgx.QueryExecMode) string {
	for name, mode := range execModes {
		if mode == m {
			return name
		}
	}
	return m.String()
}

// DefaultConnectTimeout bounds opening a connection when the URL sets no
// connect_timeout: a database that does not answer at all (a dropped route,
// a failed-over host) fails a request in seconds instead of the minutes
// the operating system would wait.
const DefaultConnectTimeout = 5 * time.Second

func open(ctx context.Context, pc *pgxpool.Config) (*pgxpool.Pool, error) {
	if pc.ConnConfig.ConnectTimeout == 0 {
		pc.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("database: %w", err)
	}
	return pool, nil
}
