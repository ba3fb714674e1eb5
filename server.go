// Command server runs the users service: GraphQL at /graphql, the legacy REST
// API at /v1/users, on PostgreSQL.
//
//	server            migrate the database, then serve until SIGTERM/SIGINT
//	server migrate    apply pending migrations and exit
//	server genkey     print a fresh SECRET_KEY
//	server compare    replay requests on the legacy service and this one, report differences
//	server emailhash EMAIL
//	                  print the email_hash security events log for EMAIL
//	server admin grant EMAIL | revoke EMAIL | list
//	                  grant or revoke the admin role, list the admins (DATABASE_URL)
package main

//go:generate go tool -modfile=tools/go.mod sqlc generate
//go:generate go tool -modfile=tools/go.mod gqlgen generate
//go:generate go run ./internal/schemagen -out graph/schema.graphql graph/*.graphqls

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/fernet/fernet-go"
	"github.com/jackc/pgx/v5"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"users/internal/admin"
	"users/internal/app"
	"users/internal/compare"
	"users/internal/config"
	"users/internal/dbpool"
	"users/internal/migrate"
	"users/internal/pgadmin"
	"users/internal/pglocal"
	"users/internal/secevent"
	"users/internal/server"
	"users/internal/tracing"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(exitCode(err))
	}
}

// exitCode is the process's exit status for run's error: 1, or what the
// error says (compare tells a difference (1) from a failure to compare (2);
// admin tells a failure (1) from bad usage (2)).
func exitCode(err error) int {
	var ec interface{ ExitCode() int }
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	return 1
}

// run is the whole program, so tests can run it in-process. ready, when not
// nil, is told the listeners' addresses once the server listens.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer, ready func(server.Addrs)) error {
	cmd := "serve"
	if len(args) > 1 {
		cmd = args[1]
	}
	switch cmd {
	case "serve", "migrate", "emailhash":
	case "admin":
		// Bad usage is reported before the configuration is read.
		command, err := admin.Parse(args[2:])
		if err != nil {
			return err
		}
		cfg, err := config.Load(getenv)
		if err != nil {
			return err
		}
		return runAdmin(ctx, cfg, command, stdout)
	case "compare":
		// A client of two other services: no config, no database. Progress
		// goes to the process's stderr, which run has no parameter for.
		return compare.Main(ctx, args[2:], os.Stdin, stdout, os.Stderr)
	case "genkey":
		var k fernet.Key
		if err := k.Generate(); err != nil {
			return err
		}
		_, err := fmt.Fprintln(stdout, k.Encode())
		return err
	default:
		return fmt.Errorf("unknown command %q (want serve, migrate, genkey, emailhash, admin or compare)", cmd)
	}

	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	if cmd == "emailhash" {
		// The key comes from SECRET_KEY, so this runs with the server's environment.
		if len(args) != 3 {
			return errors.New("usage: server emailhash EMAIL")
		}
		_, err := fmt.Fprintln(stdout, secevent.NewEmailHasher(cfg.Keys[0][:]).Hash(args[2]))
		return err
	}
	log := newLogger(cfg, stdout)
	if err := server.CheckPprofAddr(cfg); err != nil {
		return err
	}

	dbURL := cfg.DatabaseURL
	if dbURL == "" {
		adminURL, stopDB, err := pglocal.Ensure(ctx, log)
		if err != nil {
			return err
		}
		defer stopDB()
		if dbURL, err = localDatabase(ctx, adminURL, "users"); err != nil {
			return err
		}
		log.Info("using local database", "database", "users")
	}
	dbOpts := dbpool.Options{URL: dbURL, DirectURL: cfg.DatabaseDirectURL, MaxConns: cfg.DBMaxConns, ExecMode: cfg.DBQueryExecMode}
	if err := migrateUp(ctx, log, dbOpts); err != nil {
		return err
	}
	if cmd == "migrate" {
		return nil
	}
	var tp trace.TracerProvider // nil: tracing off, and no tracing code on the request path
	if cfg.TracesEndpoint != "" {
		sdk, err := tracing.New(ctx, cfg.TracesEndpoint, cfg.ServiceName)
		if err != nil {
			return err
		}
		defer shutdownTracing(log, sdk)
		tp = sdk
		dbOpts.Tracer = tracing.PGX(tp)
		log.Info("tracing", "endpoint", withoutUserinfo(cfg.TracesEndpoint), "service", cfg.ServiceName)
	}
	pool, err := dbpool.Open(ctx, dbOpts)
	if err != nil {
		return err
	}
	defer pool.Close()
	log.Info("database pool", "max_conns", cfg.DBMaxConns, "query_exec_mode", dbpool.ExecModeName(pool.Config().ConnConfig.DefaultQueryExecMode),
		"direct_url", cfg.DatabaseDirectURL != "")

	scheduleBcrypt(log, &cfg)
	tuneGC(log)
	svc, err := app.New(log, cfg, pool, tp)
	if err != nil {
		return err
	}
	return server.Serve(ctx, log, cfg, svc, ready)
}

// localDatabase returns the URL of database name on the server at adminURL,
// creating it if needed, so a local run keeps its users apart from the
// server's own databases.
func localDatabase(ctx context.Context, adminURL, name string) (string, error) {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", fmt.Errorf("local database: %w", err)
	}
	defer conn.Close(ctx)
	if err := pgadmin.CreateIfMissing(ctx, conn, name); err != nil {
		return "", fmt.Errorf("local database: %w", err)
	}
	return pgadmin.WithDatabase(adminURL, name)
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// withoutUserinfo is a URL for the log: no user or password, no query.
func withoutUserinfo(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

// shutdownTracing sends the spans still buffered, for up to 5 seconds.
func shutdownTracing(log *slog.Logger, tp *sdktrace.TracerProvider) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tp.Shutdown(ctx); err != nil {
		log.Warn("tracing: spans not sent at shutdown", "err", err)
	}
}

// migrateUp applies pending migrations on a pool of their own, over
// DATABASE_DIRECT_URL when it is set.
func migrateUp(ctx context.Context, log *slog.Logger, o dbpool.Options) error {
	pool, err := dbpool.OpenForMigrations(ctx, o)
	if err != nil {
		return err
	}
	defer pool.Close()
	applied, err := migrate.Up(ctx, pool)
	if err != nil {
		return dbpool.PoolerHint(err)
	}
	log.Info("migrated", "applied", applied)
	return nil
}
