// Command server runs the users service: GraphQL at /graphql, the legacy REST
// API at /v1/users, on PostgreSQL.
//
//	server            migrate the database, then serve until SIGTERM/SIGINT
//	server migrate    apply pending migrations and exit
//	server genkey     print a fresh SECRET_KEY
//	server compare    replay requests on the legacy service and this one, report differences
//	server emailhash EMAIL
//	                  print the email_hash security events log for EMAIL
package main

//go:generate go tool -modfile=tools/go.mod sqlc generate
//go:generate go tool -modfile=tools/go.mod gqlgen generate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/fernet/fernet-go"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"users/internal/app"
	"users/internal/compare"
	"users/internal/config"
	"users/internal/migrate"
	"users/internal/pgadmin"
	"users/internal/pglocal"
	"users/internal/secevent"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		code := 1
		var ec interface{ ExitCode() int } // compare tells a difference (1) from a failure to compare (2)
		if errors.As(err, &ec) {
			code = ec.ExitCode()
		}
		os.Exit(code)
	}
}

// run is the whole program, so tests can run it in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cmd := "serve"
	if len(args) > 1 {
		cmd = args[1]
	}
	switch cmd {
	case "serve", "migrate", "emailhash":
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
		return fmt.Errorf("unknown command %q (want serve, migrate, genkey, emailhash or compare)", cmd)
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
	if cfg.Live() && cfg.PprofAddr != "" && !loopbackAddr(cfg.PprofAddr) {
		return fmt.Errorf("PPROF_ADDR %q: in live, pprof may only listen on a loopback address such as 127.0.0.1:6060", cfg.PprofAddr)
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
	pool, err := openPool(ctx, dbURL, cfg.DBMaxConns)
	if err != nil {
		return err
	}
	defer pool.Close()

	applied, err := migrate.Up(ctx, pool)
	if err != nil {
		return err
	}
	log.Info("migrated", "applied", applied)
	if cmd == "migrate" {
		return nil
	}

	handler, err := app.New(ctx, log, cfg, pool)
	if err != nil {
		return err
	}
	return serve(ctx, log, cfg, handler)
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

func openPool(ctx context.Context, url string, maxConns int) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message may quote the URL, password included.
		return nil, errors.New("DATABASE_URL is not a valid PostgreSQL connection string")
	}
	pc.MaxConns = int32(maxConns)
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

// serve listens on PORT until ctx ends, then stops accepting, lets in-flight
// requests finish (up to SHUTDOWN_TIMEOUT) and returns nil.
func serve(ctx context.Context, log *slog.Logger, cfg config.Config, h http.Handler) error {
	ln, err := net.Listen("tcp", ":"+strconv.Itoa(cfg.Port))
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second, // the streamed user list extends its own deadline
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("listening", "addr", ln.Addr().String(), "env", cfg.Env)
	if cfg.PprofAddr != "" {
		stopPprof, err := servePprof(log, cfg)
		if err != nil {
			ln.Close()
			return err
		}
		defer stopPprof()
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// Past the timeout, cut the remaining connections rather than let their
		// handlers run on into a closed database pool.
		_ = srv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// servePprof serves net/http/pprof on PPROF_ADDR, a listener of its own: the
// profiles show code paths and heap contents, so they never share the public
// port. In live the address must be a loopback one (127.0.0.1:6060,
// [::1]:6060, localhost:6060), reached through an SSH tunnel or kubectl
// port-forward; anything else refuses to start. Elsewhere any address is
// allowed, with a warning when it is not loopback. run checks the address
// before it touches the database.
func servePprof(log *slog.Logger, cfg config.Config) (stop func(), err error) {
	if !loopbackAddr(cfg.PprofAddr) { // only outside live: run refuses it in live
		log.Warn("pprof listens beyond loopback", "addr", cfg.PprofAddr)
	}
	ln, err := net.Listen("tcp", cfg.PprofAddr)
	if err != nil {
		return nil, fmt.Errorf("PPROF_ADDR: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	log.Info("pprof listening", "addr", ln.Addr().String())
	return func() { _ = srv.Close() }, nil
}

// loopbackAddr reports whether host:port names a loopback host; an empty
// host (":6060") means every interface, which is not.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
